// The web app's main.js, served at /app/main.js: Wiring: session, live connection, store and views; sign-in and sign-out.
// Edited here, as it is served (there is no build step).
extension WebApp {
    static let mainJS = WebAsset(name: "main.js", type: "text/javascript; charset=utf-8", text: #"""
// The web app: wires the session, the live connection, the store and the views together.

import { h, $, announce, errorText } from "./dom.js";
import { Clock } from "./clock.js";
import { TimerStore } from "./store.js";
import { Session, Api, ApiError, path } from "./api.js";
import { Live } from "./live.js";
import { setUpTimers, render, resetCards } from "./timers.js";
import { inboxDialog, profileDialog } from "./dialogs.js";

// One id per browser, kept across reloads: the server sees the same device come back.
function deviceId() {
  let id = localStorage.getItem("bubble.deviceId");
  if (!id) {
    const bytes = crypto.getRandomValues(new Uint8Array(9));
    id = "web-" + [...bytes].map((b) => "abcdefghijklmnopqrstuvwxyz0123456789"[b % 36]).join("");
    localStorage.setItem("bubble.deviceId", id);
  }
  return id;
}

const session = new Session(deviceId());
const app = {
  session, api: new Api(session), clock: new Clock(), store: new TimerStore(), live: null,
  names: new Map(), meName: null, unread: 0, redrawInbox: null,
  name(id) { return this.names.get(id) || id; },
  remember(user) { if (user && user.id && user.displayName) this.names.set(user.id, user.displayName); },
  setUnread(n) {
    this.unread = Math.max(0, n);
    $("unread").textContent = this.unread ? String(this.unread) : "";
    $("inbox-button").setAttribute("aria-label", `Inbox, ${this.unread} unread`);
  },
};
// For people debugging in the console, and for the browser tests.
window.bubble = app;

const statusText = {
  connecting: "Connecting…", live: "Live", offline: "Offline — reconnecting…",
  elsewhere: "Open in another tab of this browser.",
};

function showStatus(status) {
  const el = $("connection");
  el.dataset.status = status;
  el.replaceChildren(statusText[status] || status);
  if (status === "elsewhere") {
    el.append(" ", h("button", { type: "button", text: "Use here", onclick: () => app.live && app.live.resume() }));
  }
}

async function lookUpNames(ids) {
  for (const id of ids) {
    if (app.names.has(id) || id === app.store.me) continue;
    app.names.set(id, id);
    try { app.remember(await app.api.get(path`/users/${id}`)); } catch { /* unknown users keep their id */ }
  }
  render(app);
}

function onFrame(frame) {
  switch (frame.type) {
    case "snapshot":
      app.setUnread(frame.unreadNotifications ?? 0);
      break;
    case "resumed":
      app.setUnread(frame.unreadNotifications ?? app.unread);
      if (app.redrawInbox) app.redrawInbox();
      break;
    case "notification":
      if (!frame.notification.read) app.setUnread(app.unread + 1);
      if (app.redrawInbox) app.redrawInbox();
      break;
    case "message":
      // A message is its own inbox entry (same id): it comes as this frame, not a notification.
      if (frame.message.to === app.store.me && !frame.message.read) app.setUnread(app.unread + 1);
      if (app.redrawInbox) app.redrawInbox();
      announce(`Message from ${frame.message.fromName || frame.message.from}`);
      break;
    case "notificationsRead":
      if (app.redrawInbox) app.redrawInbox();
      else app.api.get("/me/notifications?limit=1").then((n) => app.setUnread(n.unread)).catch(() => {});
      break;
    case "timerCompleted":
      announce(`${frame.timer.name} is done`);
      break;
  }
  render(app);
  const people = new Set();
  for (const t of app.store.timers.values()) for (const u of [t.userId, ...(t.sharedWith || [])]) people.add(u);
  if ([...people].some((u) => !app.names.has(u) && u !== app.store.me)) lookUpNames(people);
}

async function enter() {
  const me = await app.api.get("/me");
  app.store.me = me.id;
  app.meName = me.displayName;
  app.remember(me);
  $("sign-in").hidden = true;
  $("timers-section").hidden = false;
  $("account").hidden = false;
  $("who").textContent = me.displayName || "No name yet (Profile)";
  app.live = new Live({ session, store: app.store, clock: app.clock, onFrame, onStatus: showStatus });
  showStatus("connecting");
  app.live.start();
  $("create-name").focus();
}

function leave(reason) {
  if (app.live) app.live.stop();
  app.live = null;
  app.store = new TimerStore();
  resetCards();
  if ($("dialog").open) $("dialog").close();
  $("timers-section").hidden = true;
  $("account").hidden = true;
  $("connection").textContent = "";
  $("sign-in").hidden = false;
  $("code-form").hidden = true;
  $("email-form").hidden = false;
  $("sign-in-error").textContent = reason || "";
  $("email").focus();
}
session.onEnd = leave;

function setUpSignIn() {
  let email = "";
  $("email-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    email = $("email").value.trim();
    try {
      await session.requestCode(email);
      $("email-form").hidden = true;
      $("code-form").hidden = false;
      $("code-sent").textContent = `We sent a code to ${email}. It works for 10 minutes.`;
      $("sign-in-error").textContent = "";
      $("code").focus();
    } catch (e) { $("sign-in-error").textContent = errorText(e); }
  });
  $("code-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await session.verify(email, $("code").value.trim());
      $("code").value = "";
      await enter();
    } catch (e) {
      $("sign-in-error").textContent = e instanceof ApiError && e.code === "invalid_code" ? "That code did not work. Check it, or ask for a new one." : errorText(e);
      $("code").focus();
    }
  });
  $("other-address").addEventListener("click", () => {
    $("code-form").hidden = true;
    $("email-form").hidden = false;
    $("email").focus();
  });
  $("token-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      session.usePastedToken($("token").value);
      $("token").value = "";
      await enter();
    } catch (e) {
      session.forget();
      $("sign-in-error").textContent = errorText(e);
    }
  });
  $("sign-out").addEventListener("click", async () => {
    // The socket first: signing out closes it from the server's side too (4001), which must
    // not read as an expired token to refresh.
    if (app.live) app.live.stop();
    await session.signOut();
    leave("Signed out.");
  });
  $("inbox-button").addEventListener("click", () => inboxDialog(app));
  $("profile-button").addEventListener("click", () => profileDialog(app));
}

setUpSignIn();
setUpTimers(app);
session.restore().then((ok) => (ok ? enter() : leave(""))).catch((e) => leave(errorText(e)));
"""#)
}
