#!/usr/bin/env python3
"""Self-hosting end to end, with real parts only: the built `bubble-timer` binary, a real
SMTP receiver (aiosmtpd) fed by Debian's msmtp as the server's --mail-command, headless
Chromium (chromium-driver, selenium) opening a public link, a real TLS handshake against a
generated certificate, and backup/restore of a running server.

Usage: self_hosting.py BIN_DIR [SCREENSHOT_DIR]   (Tools/scripts/e2e.sh sets it up)
"""
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

from aiosmtpd.controller import Controller
from selenium.webdriver.common.by import By

from support import BIN, SHOTS, Inbox, Server, browser, call, free_port


class SelfHosting(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="bubble-e2e-")
        cls.inbox = Inbox()
        cls.smtp = Controller(cls.inbox, hostname="127.0.0.1", port=free_port())
        cls.smtp.start()
        cls.data = os.path.join(cls.work, "data")
        mail = f"msmtp --host=127.0.0.1 --port={cls.smtp.port} --auth=off --tls=off --from=timers@example.org -t"
        cls.server = Server(cls.data, free_port(), "--mail-command", mail, "--mail-from", "Timers <timers@example.org>")

    @classmethod
    def tearDownClass(cls):
        if cls.server.process.poll() is None:
            cls.server.stop()
        cls.smtp.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    def sign_in(self, email):
        status, body, _ = call(self.server.base, "POST", "/auth/login", {"email": email})
        self.assertEqual(status, 202, body)
        self.assertEqual(json.loads(body), {"status": "code_sent", "expiresIn": 600})
        code, mail = self.inbox.code_for(email)
        self.assertIn("From: Timers <timers@example.org>", mail)
        self.assertIn(f"Subject: Your Bubble Timer sign-in code: {code}", mail)
        status, body, _ = call(self.server.base, "POST", "/auth/verify", {"email": email, "code": code})
        self.assertEqual(status, 200, body)
        return json.loads(body)

    def test_1_sign_in_by_mail_share_a_public_link_export_and_back_up(self):
        base = self.server.base
        tokens = self.sign_in("alice@example.org")
        access = tokens["accessToken"]
        status, body, _ = call(base, "GET", "/me", token=access)
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["email"], "alice@example.org")

        # A running timer and a public link to it.
        end = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 600))
        status, body, _ = call(base, "POST", "/timers/pasta", {"name": "Pasta for four", "totalDuration": "PT10M", "endTime": end}, token=access)
        self.assertEqual(status, 200, body)
        status, body, _ = call(base, "POST", "/timers/pasta/links", token=access)
        self.assertEqual(status, 201, body)
        link = json.loads(body)["url"]
        self.assertTrue(link.startswith(base + "/t/"), link)

        # The page in a real browser: the name, a countdown that moves, then stops on pause.
        page = browser(390, 844)
        try:
            page.get(link)
            deadline = time.time() + 10
            while time.time() < deadline and page.find_element(By.ID, "name").text != "Pasta for four":
                time.sleep(0.1)
            self.assertEqual(page.find_element(By.ID, "name").text, "Pasta for four")
            while time.time() < deadline and page.find_element(By.ID, "status").text != "Live":
                time.sleep(0.1)
            self.assertEqual(page.find_element(By.ID, "state").text, "Running")
            first = page.find_element(By.ID, "countdown").text
            self.assertRegex(first, r"^\d+:\d\d$")
            time.sleep(1.5)
            second = page.find_element(By.ID, "countdown").text
            self.assertNotEqual(first, second, "the countdown moves while the timer runs")
            if SHOTS:
                page.save_screenshot(os.path.join(SHOTS, "public-link-phone.png"))

            status, body, _ = call(base, "POST", "/timers/pasta/pause", token=access)
            self.assertEqual(status, 200, body)
            deadline = time.time() + 10
            while time.time() < deadline and page.find_element(By.ID, "state").text != "Paused":
                time.sleep(0.1)
            self.assertEqual(page.find_element(By.ID, "state").text, "Paused")
            paused = page.find_element(By.ID, "countdown").text
            time.sleep(1.5)
            self.assertEqual(page.find_element(By.ID, "countdown").text, paused, "a paused countdown stands still")
        finally:
            page.quit()

        # Her data, as CSV.
        status, body, headers = call(base, "GET", "/me/export.csv", token=access)
        self.assertEqual(status, 200)
        lines = body.splitlines()
        self.assertEqual(lines[0], "recordType,id,timerId,seq,time,type,name,actor,device,detail")
        kinds = {line.split(",", 1)[0] for line in lines[1:]}
        self.assertTrue({"user", "timer", "event"} <= kinds, kinds)
        self.assertTrue(any(line.startswith("event,") and ",public_link_created," in line for line in lines))

        # A hot backup, restored elsewhere: the same timer, and her token still works there.
        backup = os.path.join(self.work, "backup")
        run = subprocess.run([f"{BIN}/bubble-timer", "backup", "--data", self.data, "--into", backup], capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stderr)
        restored = os.path.join(self.work, "restored")
        run = subprocess.run([f"{BIN}/bubble-timer", "restore", "--from", backup, "--data", restored], capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stderr)
        status, before, _ = call(base, "GET", "/timers/pasta", token=access)
        other = Server(restored, free_port())
        try:
            status, after, _ = call(other.base, "GET", "/timers/pasta", token=access)
            self.assertEqual(status, 200, after)
            self.assertEqual(json.loads(after), json.loads(before))
        finally:
            other.stop()

    def test_2_refresh_and_sign_out(self):
        tokens = self.sign_in("bob@example.org")
        status, body, _ = call(self.server.base, "POST", "/auth/refresh", {"refreshToken": tokens["refreshToken"]})
        self.assertEqual(status, 200, body)
        fresh = json.loads(body)
        self.assertNotEqual(fresh["refreshToken"], tokens["refreshToken"])
        status, body, _ = call(self.server.base, "POST", "/auth/logout", {"refreshToken": fresh["refreshToken"]})
        self.assertEqual(status, 204, body)
        status, body, _ = call(self.server.base, "GET", "/me", token=fresh["accessToken"])
        self.assertEqual(status, 401)
        self.assertEqual(json.loads(body)["code"], "session_ended")

    def test_3_https_with_a_generated_certificate(self):
        cert, key = os.path.join(self.work, "cert.pem"), os.path.join(self.work, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                        "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", cert],
                       check=True, capture_output=True)
        data = os.path.join(self.work, "tls-data")
        tls = Server(data, free_port(), "--tls-cert", cert, "--tls-key", key)
        try:
            context = ssl.create_default_context(cafile=cert)
            status, body, _ = call(tls.base, "GET", "/health", context=context)
            self.assertEqual(status, 200)
            self.assertEqual(json.loads(body)["status"], "ok")
            # Without trusting the certificate, a client refuses it (as the Android app would).
            with self.assertRaises(urllib.error.URLError):
                call(tls.base, "GET", "/health", context=ssl.create_default_context())
        finally:
            tls.stop()


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
