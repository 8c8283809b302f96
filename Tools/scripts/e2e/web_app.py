#!/usr/bin/env python3
"""The web app at /app in real browsers (headless Chromium through chromium-driver), against
the built server with mail through msmtp into an aiosmtpd receiver: alice on a desktop-sized
window behind a proxy the test can cut, bob on a phone-sized one whose clock is 90 s slow.

Usage: web_app.py BIN_DIR [SCREENSHOT_DIR]   (Tools/scripts/e2e.sh sets it up)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from aiosmtpd.controller import Controller
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from support import BIN, SHOTS, Inbox, Proxy, Server, browser, call, free_port


def wait_for(predicate, timeout=10, message="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as error:  # the element may be re-rendering
            last = error
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {message} (last: {last!r})")


def seconds(text):
    parts = [int(p) for p in text.strip().lstrip("-").split(":")]
    total = 0
    for p in parts:
        total = total * 60 + p
    return total


class WebApp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Each part is stopped by a class cleanup registered as it starts (last in, first out),
        # so a failure anywhere, setUpClass included, leaves no server or browser behind.
        cls.started = time.time()
        cls.work = tempfile.mkdtemp(prefix="bubble-web-")
        cls.addClassCleanup(shutil.rmtree, cls.work, True)
        cls.inbox = Inbox()
        cls.smtp = Controller(cls.inbox, hostname="127.0.0.1", port=free_port())
        cls.smtp.start()
        cls.addClassCleanup(cls.smtp.stop)
        mail = f"msmtp --host=127.0.0.1 --port={cls.smtp.port} --auth=off --tls=off --from=timers@example.org -t"
        cls.data = os.path.join(cls.work, "data")
        cls.server = Server(cls.data, free_port(), "--mail-command", mail)
        cls.addClassCleanup(cls.server.stop)
        cls.proxy = Proxy(cls.server.port)
        cls.addClassCleanup(cls.proxy.close)
        cls.alice = browser(1280, 860)
        cls.addClassCleanup(cls.alice.quit)
        cls.bob = browser(390, 844, clock_skew_ms=-90_000)
        cls.addClassCleanup(cls.bob.quit)
        # Kept after the run (the committed ones: Tools/scripts/refresh-screenshots.sh).
        cls.shots = SHOTS or tempfile.mkdtemp(prefix="bubble-web-screenshots-")
        os.makedirs(cls.shots, exist_ok=True)

    @classmethod
    def tearDownClass(cls):
        print(f"\nweb app suite: {time.time() - cls.started:.1f} s; screenshots in {cls.shots}")
        # A dropped socket is logged by the browser; anything else is the page's fault.
        errors = [e for b in (cls.alice, cls.bob) for e in b.get_log("browser")
                  if e["level"] == "SEVERE" and "WebSocket" not in e["message"] and "ERR_CONNECTION" not in e["message"]]
        assert not errors, f"the page logged errors: {errors}"

    # -- helpers ---------------------------------------------------------------------------

    def open_app(self, page, base):
        page.get(base + "/app")
        wait_for(lambda: not page.find_element(By.ID, "sign-in").get_attribute("hidden")
                 or not page.find_element(By.ID, "timers-section").get_attribute("hidden"), message="the app to start")

    def sign_in(self, page, base, email):
        self.open_app(page, base)
        page.find_element(By.ID, "email").send_keys(email)
        page.find_element(By.CSS_SELECTOR, "#email-form button").click()
        wait_for(lambda: page.find_element(By.ID, "code").is_displayed(), message="the code field")
        code, _ = self.inbox.code_for(email)
        page.find_element(By.ID, "code").send_keys(code + Keys.ENTER)
        self.wait_live(page)

    def wait_live(self, page, timeout=10):
        wait_for(lambda: page.find_element(By.ID, "connection").get_attribute("data-status") == "live", timeout, "Live")

    def card(self, page, name):
        for card in page.find_elements(By.CSS_SELECTOR, "#timers .timer"):
            if card.find_element(By.CSS_SELECTOR, ".name").text == name:
                return card
        return None

    def set_name(self, page, name):
        page.find_element(By.ID, "profile-button").click()
        field = page.find_element(By.ID, "profile-name")
        field.clear()
        field.send_keys(name + Keys.ENTER)
        wait_for(lambda: not page.find_element(By.ID, "dialog").get_attribute("open"), message="the profile to close")

    def close_dialog(self, page):
        page.find_element(By.CSS_SELECTOR, "#dialog").send_keys(Keys.ESCAPE)
        wait_for(lambda: not page.find_element(By.ID, "dialog").get_attribute("open"), message="the dialog to close")

    def shot(self, page, name):
        page.save_screenshot(os.path.join(self.shots, name))

    # -- the walk --------------------------------------------------------------------------

    def test_alice_and_bob_share_a_timer_live(self):
        alice, bob = self.alice, self.bob
        via_proxy = f"http://127.0.0.1:{self.proxy.port}"
        self.sign_in(alice, via_proxy, "alice@example.org")
        self.set_name(alice, "Alice")
        self.sign_in(bob, self.server.base, "bob@example.org")
        self.set_name(bob, "Bob")
        bob.find_element(By.ID, "profile-button").click()
        bob_id = bob.find_element(By.ID, "my-id").text
        self.assertRegex(bob_id, r"^u[a-z2-7]{26}$")
        self.close_dialog(bob)

        # Keyboard only: name, duration, Enter; the new card's first button has focus.
        alice.find_element(By.ID, "create-name").send_keys("Pasta", Keys.TAB, "10", Keys.ENTER)
        pasta = wait_for(lambda: self.card(alice, "Pasta"), message="alice's card")
        self.assertEqual(pasta.get_attribute("data-state"), "running")
        self.assertEqual(alice.switch_to.active_element.get_attribute("aria-label"), "Pause Pasta")

        # Share with bob, picked from the directory by his id.
        pasta.find_element(By.CSS_SELECTOR, "[data-action=share]").click()
        alice.find_element(By.ID, "share-user").send_keys(bob_id)
        wait_for(lambda: alice.find_element(By.CSS_SELECTOR, f".suggestion[data-user='{bob_id}']"), message="bob in the directory").click()
        wait_for(lambda: "Shared with Bob" in alice.find_element(By.ID, "dialog").text, message="shared")
        self.close_dialog(alice)
        self.assertEqual(alice.switch_to.active_element.get_attribute("aria-label"), "Share Pasta", "focus returns to the opener")
        wait_for(lambda: self.card(alice, "Pasta").find_element(By.CSS_SELECTOR, ".people").text == "With Bob", message="alice's card names bob")

        # Bob's page shows it live, counting down on the server's clock although his is 90 s slow.
        bob_card = wait_for(lambda: self.card(bob, "Pasta"), message="bob's card")
        self.assertEqual(bob_card.find_element(By.CSS_SELECTOR, ".owner").text, "shared by Alice")
        ends_at = bob.execute_script("return window.bubble.store.timers.get(arguments[0]).endsAt", pasta.get_attribute("data-id"))
        time.sleep(1.2)  # let the clock samples arrive
        shown = seconds(self.card(bob, "Pasta").find_element(By.CSS_SELECTOR, ".countdown").text)
        truth = (ends_at - time.time() * 1000) / 1000
        self.assertLess(abs(shown - truth), 2.0, f"bob shows {shown}s, the server's clock says {truth:.1f}s")
        wait_for(lambda: bob.find_element(By.ID, "unread").text == "1", message="bob's unread invitation")
        self.shot(bob, "web-app-phone.png")

        # Bob pauses; alice's countdown stops within a second.
        self.card(bob, "Pasta").find_element(By.CSS_SELECTOR, "[data-action=toggle]").click()
        start = time.time()
        wait_for(lambda: self.card(alice, "Pasta").get_attribute("data-state") == "paused", 5, "alice sees the pause")
        self.assertLess(time.time() - start, 1.0, "updates from other devices appear within a second")
        stood = self.card(alice, "Pasta").find_element(By.CSS_SELECTOR, ".countdown").text
        time.sleep(1.2)
        self.assertEqual(self.card(alice, "Pasta").find_element(By.CSS_SELECTOR, ".countdown").text, stood)
        self.assertEqual(self.card(alice, "Pasta").find_element(By.CSS_SELECTOR, ".state").text, "Paused")

        # The timeline lists both: bob paused it, alice shared it.
        self.card(alice, "Pasta").find_element(By.CSS_SELECTOR, "[data-action=history]").click()
        items = wait_for(lambda: alice.find_elements(By.CSS_SELECTOR, ".timeline > li"), message="the timeline")
        texts = [i.text for i in items]
        self.assertIn("Bob on ", texts[0])
        self.assertIn("paused it", texts[0])
        self.assertEqual(items[0].get_attribute("data-type"), "timer_paused")
        shared = [t for t in texts if "shared it" in t]
        self.assertEqual(len(shared), 1, texts)
        self.assertIn("You on web-", shared[0])
        self.assertIn("shared with: — → Bob", shared[0])
        self.assertIn("created it", texts[-1])
        self.shot(alice, "web-app-timeline-desktop.png")
        self.close_dialog(alice)

        # A dropped connection: alice is offline while bob resumes and adds a minute; back
        # online she gets exactly those changes, once each, by a resume (not a new snapshot).
        before = alice.execute_script("return {applied: window.bubble.store.applied.slice(), resumes: window.bubble.live.resumes, snapshots: window.bubble.live.snapshots}")
        self.proxy.cut()
        wait_for(lambda: alice.find_element(By.ID, "connection").text == "Offline — reconnecting…", 5, "offline shown")
        bob_card = self.card(bob, "Pasta")
        bob_card.find_element(By.CSS_SELECTOR, "[data-action=toggle]").click()
        wait_for(lambda: self.card(bob, "Pasta").get_attribute("data-state") == "running", message="bob resumed")
        self.card(bob, "Pasta").find_element(By.CSS_SELECTOR, "[data-action=add]").click()
        time.sleep(0.5)
        self.assertEqual(self.card(alice, "Pasta").get_attribute("data-state"), "paused", "nothing reaches alice while she is cut off")
        self.proxy.restore()
        self.wait_live(alice, 20)
        wait_for(lambda: self.card(alice, "Pasta").get_attribute("data-state") == "running", message="alice caught up")
        self.shot(alice, "web-app-desktop.png")
        after = alice.execute_script("return {applied: window.bubble.store.applied.slice(), resumes: window.bubble.live.resumes, snapshots: window.bubble.live.snapshots}")
        self.assertEqual(after["snapshots"], before["snapshots"])
        self.assertEqual(after["resumes"], before["resumes"] + 1)
        new = after["applied"][len(before["applied"]):]
        status, body, _ = call(self.server.base, "GET", "/timers/" + pasta.get_attribute("data-id") + "/history?limit=2", token=self.token(bob))
        self.assertEqual(status, 200, body)
        bobs = sorted(e["seq"] for e in json.loads(body)["entries"])
        self.assertEqual([e["type"] for e in json.loads(body)["entries"]], ["timer_time_added", "timer_resumed"])
        self.assertEqual(new, bobs, "each missed change applied once, in order")
        self.assertEqual(len(after["applied"]), len(set(after["applied"])), "nothing applied twice")

        # A message to the people on the timer lands in alice's inbox; she reads it.
        self.card(bob, "Pasta").find_element(By.CSS_SELECTOR, "[data-action=message]").click()
        bob.find_element(By.ID, "message-text").send_keys("Water is boiling")
        bob.find_element(By.CSS_SELECTOR, "#dialog button[type=submit]").click()
        wait_for(lambda: not bob.find_element(By.ID, "dialog").get_attribute("open"), message="message sent")
        wait_for(lambda: alice.find_element(By.ID, "unread").text == "1", message="alice's unread count")
        self.assertEqual(alice.find_element(By.ID, "inbox-button").get_attribute("aria-label"), "Inbox, 1 unread")
        alice.find_element(By.ID, "inbox-button").click()
        entry = wait_for(lambda: [li for li in alice.find_elements(By.CSS_SELECTOR, ".inbox li.unread") if "Bob: Water is boiling" in li.text], message="the message")[0]
        entry.find_element(By.TAG_NAME, "button").click()
        wait_for(lambda: not alice.find_elements(By.CSS_SELECTOR, ".inbox li.unread"), message="read")
        self.assertEqual(alice.find_element(By.ID, "unread").text, "")
        self.close_dialog(alice)

        # Rename on one side shows on the other; bob leaves; alice stops.
        self.card(alice, "Pasta").find_element(By.CSS_SELECTOR, "[data-action=rename]").click()
        field = alice.find_element(By.ID, "rename-name")
        field.clear()
        field.send_keys("Pasta for four" + Keys.ENTER)
        wait_for(lambda: self.card(bob, "Pasta for four"), message="bob sees the new name")
        self.assertEqual(self.card(bob, "Pasta for four").get_attribute("data-state"), "running", "renaming keeps the countdown")
        # Alice takes bob off (the timer goes from his page) and shares it with him again.
        self.card(alice, "Pasta for four").find_element(By.CSS_SELECTOR, "[data-action=share]").click()
        remove = wait_for(lambda: alice.find_element(By.CSS_SELECTOR, "#dialog .people-list button"), message="bob listed")
        self.assertEqual(remove.get_attribute("aria-label"), "Stop sharing with Bob")
        remove.click()
        wait_for(lambda: self.card(bob, "Pasta for four") is None, message="bob taken off")
        alice.find_element(By.ID, "share-user").send_keys(bob_id)
        wait_for(lambda: alice.find_element(By.CSS_SELECTOR, f".suggestion[data-user='{bob_id}']"), message="bob found again").click()
        wait_for(lambda: self.card(bob, "Pasta for four"), message="bob back on it")
        self.close_dialog(alice)
        # Bob leaves it ("Leave" where the owner has "Stop").
        self.assertEqual(self.card(bob, "Pasta for four").find_element(By.CSS_SELECTOR, "[data-action=stop]").text, "Leave")
        self.card(bob, "Pasta for four").find_element(By.CSS_SELECTOR, "[data-action=stop]").click()
        wait_for(lambda: self.card(bob, "Pasta for four") is None, message="gone for bob")
        wait_for(lambda: self.card(alice, "Pasta for four").find_element(By.CSS_SELECTOR, ".people").text == "Only you", message="bob left")
        self.card(alice, "Pasta for four").find_element(By.CSS_SELECTOR, "[data-action=stop]").click()
        wait_for(lambda: self.card(alice, "Pasta for four") is None, message="stopped")

        # A timer that ends is shown as done (the server completes it).
        alice.find_element(By.ID, "create-name").send_keys("Egg", Keys.TAB, "0:02", Keys.ENTER)
        wait_for(lambda: self.card(alice, "Egg").get_attribute("data-state") == "completed", 8, "done")
        self.assertEqual(self.card(alice, "Egg").find_element(By.CSS_SELECTOR, ".state").text, "Done")
        self.assertEqual(self.card(alice, "Egg").find_element(By.CSS_SELECTOR, "[data-action=toggle]").text, "Restart")

        # A reload is the same device and the same session; signing out ends it.
        device = alice.execute_script("return localStorage.getItem('bubble.deviceId')")
        alice.refresh()
        self.wait_live(alice)
        self.assertEqual(alice.execute_script("return localStorage.getItem('bubble.deviceId')"), device)
        self.assertIsNotNone(self.card(alice, "Egg"))
        alice.find_element(By.ID, "sign-out").click()
        wait_for(lambda: alice.find_element(By.ID, "sign-in").is_displayed(), message="signed out")
        alice.refresh()
        wait_for(lambda: alice.find_element(By.ID, "sign-in").is_displayed(), message="still signed out after a reload")
        self.assertTrue(alice.find_element(By.ID, "timers-section").get_attribute("hidden"))

    def test_every_control_has_a_name_and_a_pasted_token_works(self):
        page = browser(390, 844)
        try:
            self.open_app(page, self.server.base)
            token = self.token_for("carol")
            page.find_element(By.CSS_SELECTOR, "details summary").click()
            page.find_element(By.ID, "token").send_keys(token)
            page.find_element(By.CSS_SELECTOR, "#token-form button").click()
            self.wait_live(page)
            page.find_element(By.ID, "create-name").send_keys("Tea", Keys.TAB, "3", Keys.ENTER)
            wait_for(lambda: self.card(page, "Tea"), message="carol's card")
            unnamed = page.execute_script("""
                const name = (el) => el.getAttribute("aria-label") || (el.labels && el.labels.length && el.labels[0].textContent) || el.textContent.trim();
                return [...document.querySelectorAll("button, input, textarea, select")]
                  .filter((el) => el.offsetParent !== null && !name(el)).map((el) => el.outerHTML);""")
            self.assertEqual(unnamed, [])
            self.assertEqual(page.execute_script("return document.documentElement.scrollWidth <= window.innerWidth"), True, "no sideways scrolling on a phone")
            page.refresh()
            self.wait_live(page)
            self.assertIsNotNone(self.card(page, "Tea"), "a pasted token survives a reload")
        finally:
            page.quit()

    def test_the_store_and_clock_modules_keep_their_rules(self):
        """The app's pure modules, run in the browser that runs them for real."""
        page = browser(390, 844)
        try:
            page.get(self.server.base + "/app")
            failures = page.execute_async_script("""
                const done = arguments[arguments.length - 1];
                Promise.all([import("/app/store.js"), import("/app/clock.js")]).then(([{ TimerStore }, clock]) => {
                  const failures = [];
                  const check = (what, ok) => { if (!ok) failures.push(what); };
                  const s = new TimerStore();
                  s.me = "bob";
                  const t = (name, extra = {}) => ({ id: "t1", userId: "alice", name, totalDuration: "PT3M", remainingDuration: "PT3M", ...extra });
                  check("a new frame applies", s.apply({ type: "timer", action: "update", timer: t("A"), seq: 5 }));
                  check("the same frame again does not", !s.apply({ type: "timer", action: "update", timer: t("A"), seq: 5 }));
                  check("an older frame does not", !s.apply({ type: "timer", action: "update", timer: t("old"), seq: 4 }) && s.timers.get("t1").name === "A");
                  check("a stop applies", s.apply({ type: "timer", action: "stop", timerId: "t1", seq: 7 }) && !s.timers.has("t1"));
                  check("a late update does not bring it back", !s.apply({ type: "timer", action: "update", timer: t("B"), seq: 6 }) && !s.timers.has("t1"));
                  s.upsert(t("mine", { id: "t2" }), 20);
                  s.snapshot([t("snap", { id: "t2" }), t("C", { id: "t3" })], 15);
                  check("a snapshot keeps a newer local change", s.timers.get("t2").name === "mine" && s.timers.get("t3").name === "C");
                  check("removed from a share: gone", s.apply({ type: "share", action: "remove", timerId: "t3", sharedWithUser: "bob", seq: 21 }) && !s.timers.has("t3"));
                  check("applied in order, once each", JSON.stringify(s.applied) === JSON.stringify([5, 7, 20, 21]));
                  check("timerEnd is kept as end", s.upsert({ id: "t4", userId: "bob", name: "E", totalDuration: "PT1M", timerEnd: "2030-01-01T00:00:00Z" }, 30) && s.timers.get("t4").end === "2030-01-01T00:00:00Z");
                  check("Java durations", clock.parseDuration("PT4M12.345S") === 252345 && clock.parseDuration("PT-3.2S") === -3200
                    && clock.parseDuration("P1DT1H") === 90000000 && clock.parseDuration("-PT1M") === -60000 && clock.parseDuration("PT") === null && clock.parseDuration("P1W") === null);
                  check("typed durations", clock.parseDurationInput("5") === 300000 && clock.parseDurationInput("1:30") === 90000
                    && clock.parseDurationInput("1:05:00") === 3900000 && clock.parseDurationInput("1h 30m") === 5400000 && clock.parseDurationInput("soon") === null);
                  check("written back as Java reads it", clock.isoDuration(90000) === "PT1M30S" && clock.parseDuration(clock.isoDuration(3723500)) === 3723500);
                  check("countdown text", clock.formatCountdown(59001) === "1:00" && clock.formatCountdown(3723000) === "1:02:03");
                  const c = new clock.Clock();
                  c.sample({ t0: 1000, t1: 6010, t2: 6012 }, 1030);  // delay 28, offset 4996
                  c.sample({ t0: 2000, t1: 7100, t2: 7101 }, 2300);  // a slower round trip: ignored
                  check("the shortest round trip wins", c.offset === 4996 && c.delay === 28);
                  done(failures);
                }).catch((e) => done(["load: " + e]));""")
            self.assertEqual(failures, [])
        finally:
            page.quit()

    def token(self, page):
        return page.execute_script("return window.bubble.session.token")

    def token_for(self, user):
        return subprocess.run([f"{BIN}/bubble-timer", "token", user, "--data", self.data], check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
