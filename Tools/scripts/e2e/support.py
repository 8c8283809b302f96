"""What the end-to-end suites share: the built server, a real SMTP receiver's inbox, plain
HTTP calls, headless Chromium, and a TCP proxy whose connection a test can cut.

BIN_DIR and SCREENSHOT_DIR come from the command line (Tools/scripts/e2e.sh passes them).
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/debug")
SHOTS = sys.argv[2] if len(sys.argv) > 2 else None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """aiosmtpd handler: keeps every delivered message."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"

    def code_for(self, email, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                for rcpts, text in reversed(self.messages):
                    if email in rcpts:
                        found = re.search(r"Your sign-in code is (\d{6})\.", text)
                        if found:
                            return found.group(1), text
            time.sleep(0.1)
        raise AssertionError(f"no sign-in mail for {email} arrived")


class Server:
    def __init__(self, data, port, *extra):
        self.port = port
        self.log = open(os.path.join(os.path.dirname(data), f"server-{port}.log"), "w")
        self.process = subprocess.Popen(
            [f"{BIN}/bubble-timer", "serve", "--data", data, "--port", str(port), "--log-format", "text", "--log-level", "notice", *extra],
            stdout=self.log, stderr=subprocess.STDOUT)
        scheme = "https" if "--tls-cert" in extra else "http"
        self.base = f"{scheme}://127.0.0.1:{port}"
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the server did not start")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        self.log.close()


def call(base, method, path, body=None, token=None, context=None):
    request = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode())
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            raw = response.read().decode()
            return response.status, raw, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def browser(width, height, clock_skew_ms=0):
    """Headless Chromium at a window size; with a skew, the page's clock (Date) is that far off."""
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},{height}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    if clock_skew_ms:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": f"""
            (() => {{
              const skew = {int(clock_skew_ms)}, RealDate = Date, realNow = Date.now;
              class SkewedDate extends RealDate {{
                constructor(...a) {{ if (a.length === 0) super(realNow() + skew); else super(...a); }}
                static now() {{ return realNow() + skew; }}
              }}
              globalThis.Date = SkewedDate;
            }})();"""})
    return driver


class Proxy:
    """A TCP proxy in front of the server whose connections a test can cut, as a network
    drop would: `cut()` resets every connection and refuses new ones until `restore()`."""

    def __init__(self, target_port):
        self.target = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.down = False
        self.open = []
        self.lock = threading.Lock()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.down:
                self.reset(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                self.reset(client)
                continue
            with self.lock:
                self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pump, args=(a, b), daemon=True).start()

    @staticmethod
    def pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    @staticmethod
    def reset(s):
        # SO_LINGER 0: the close sends a RST, as a dropped network's would look to the browser.
        # The shutdown first wakes the pump blocked reading it (a bare close would not).
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()

    def cut(self):
        self.down = True
        with self.lock:
            victims, self.open = self.open, []
        for s in victims:
            try:
                self.reset(s)
            except OSError:
                pass

    def restore(self):
        self.down = False

    def close(self):
        self.cut()
        self.listener.close()
