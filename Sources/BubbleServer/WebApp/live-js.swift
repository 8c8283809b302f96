// The web app's live.js, served at /app/live.js: The seed-dialect socket: snapshot, resume with ?since=, clock sync, reconnects.
// Edited here, as it is served (there is no build step).
extension WebApp {
    static let liveJS = WebAsset(name: "live.js", type: "text/javascript; charset=utf-8", text: #"""
import { ApiError } from "./api.js";

// The live connection: the seed dialect over one WebSocket. It opens with a snapshot, then
// after a drop reconnects by itself with `?since=` the last seq it got, so the server sends
// exactly the changes it missed (the store ignores any it already has).

const closeCodes = {
  tokenExpired: 4001,  // or the sign-in session ended: refresh, else sign in again
  gone: 4003,          // account deleted or disabled
};

export class Live {
  constructor({ session, store, clock, onFrame, onStatus }) {
    Object.assign(this, { session, store, clock, onFrame, onStatus });
    this.socket = null;
    this.seq = 0;            // the log position this client is caught up to
    this.retry = 500;
    this.stopped = true;
    this.status = "connecting";
    this.resumes = 0;        // resumed frames received (the browser tests read these)
    this.snapshots = 0;
    this.wake = () => { if (!this.stopped && this.status === "offline") this.reconnectSoon(0); };
    addEventListener("online", this.wake);
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.pending);
    clearInterval(this.heartbeat);
    if (this.socket) this.socket.close(1000, "signed out");
    this.socket = null;
  }

  /** Takes the connection over again after another tab of this device replaced it. */
  resume() { if (this.stopped) this.start(); }

  setStatus(status, detail) {
    this.status = status;
    this.onStatus(status, detail);
  }

  async connect() {
    if (this.stopped) return;
    // A refused handshake (an expired token) reads in a browser as a bare 1006, so the token
    // is renewed before it can expire, not after the socket fails.
    if (this.session.expiresAt - Date.now() < 60000) {
      try {
        await this.session.refresh();
      } catch (e) {
        if (e instanceof ApiError) {
          this.stopped = true;
          this.session.end("Your session ended. Sign in again.");
          return;
        }
        // Offline: the attempt below fails too, and the back-off goes on.
      }
      if (this.stopped) return;
    }
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const query = new URLSearchParams({ token: this.session.token, deviceId: this.session.deviceId, dialect: "seed" });
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) query.set("tz", zone);
    if (this.seq > 0) query.set("since", String(this.seq));
    const socket = new WebSocket(`${scheme}${location.host}/ws?${query}`);
    this.socket = socket;
    socket.onopen = () => {
      this.retry = 500;
      this.clock.restart();
      // A few samples; the shortest round trip wins (docs/protocol.md, "Clock sync").
      for (let i = 0; i < 5; i++) setTimeout(() => this.send({ type: "time", t0: Date.now(), requestId: `clock-${i}` }), i * 150);
      clearInterval(this.heartbeat);
      this.heartbeat = setInterval(() => this.send({ type: "time", t0: Date.now(), requestId: "clock" }), 30000);
    };
    socket.onmessage = (event) => {
      if (socket !== this.socket) return;
      let frame;
      try { frame = JSON.parse(event.data); } catch { return; }
      this.receive(frame, Date.now());
    };
    socket.onclose = (event) => {
      if (socket !== this.socket) return;
      clearInterval(this.heartbeat);
      this.socket = null;
      this.closed(event);
    };
  }

  send(frame) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  receive(frame, receivedAt) {
    switch (frame.type) {
      case "time":
        this.clock.sample(frame, receivedAt);
        return;
      case "snapshot":
        this.snapshots += 1;
        this.clock.roughly(frame.serverTime);
        this.store.snapshot(frame.timers || [], frame.seq);
        this.seq = frame.seq;
        this.setStatus("live");
        break;
      case "resumed":
        this.resumes += 1;
        this.seq = Math.max(this.seq, frame.seq);
        this.setStatus("live");
        break;
      default:
        if (typeof frame.seq === "number") this.seq = Math.max(this.seq, frame.seq);
        if (typeof frame.serverTime === "number") this.clock.roughly(frame.serverTime);
        this.store.apply(frame);
    }
    this.onFrame(frame);
  }

  async closed(event) {
    if (this.stopped) return;
    if (event.code === closeCodes.gone) {
      this.stopped = true;
      this.session.end(event.reason || "This account was deleted or disabled.");
      return;
    }
    if (event.code === 1000 && /replaced/.test(event.reason)) {
      // Another tab of this browser is the same device and took the connection over.
      this.stopped = true;
      this.setStatus("elsewhere");
      return;
    }
    if (event.code === closeCodes.tokenExpired) {
      try {
        await this.session.refresh();
      } catch {
        this.stopped = true;
        this.session.end("Your session ended. Sign in again.");
        return;
      }
    }
    this.setStatus("offline");
    this.reconnectSoon(this.retry);
    this.retry = Math.min(this.retry * 2, 10000);
  }

  reconnectSoon(delay) {
    clearTimeout(this.pending);
    // A little jitter, so a restarted server is not met by every client at once.
    this.pending = setTimeout(() => this.connect(), delay + Math.random() * 250);
  }
}
"""#)
}
