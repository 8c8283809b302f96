// The web app's api.js, served at /app/api.js: REST calls and the sign-in session (refresh cookie, or a pasted token).
// Edited here, as it is served (there is no build step).
extension WebApp {
    static let apiJS = WebAsset(name: "api.js", type: "text/javascript; charset=utf-8", text: #"""
// The REST side: who is signed in, and calls with their token. An email sign-in keeps its
// refresh token in the server's HttpOnly cookie (scripts never see it) and only the
// 15-minute access token in memory; a pasted token is kept in local storage.

export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.error || body.message)) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.code;
    this.field = body && body.field;
  }
}

const storedToken = "bubble.token";
const storedMode = "bubble.session";

function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part + "=".repeat((4 - (part.length % 4)) % 4)));
  } catch {
    return null;
  }
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST", credentials: "same-origin", cache: "no-store",
    headers: { "Content-Type": "application/json" }, body: JSON.stringify(body ?? {}),
  });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, json);
  return json;
}

export class Session {
  constructor(deviceId) {
    this.deviceId = deviceId;
    this.token = null;
    this.expiresAt = 0;
    this.mode = localStorage.getItem(storedMode);
    this.timer = null;
    this.onEnd = () => {};
  }

  get signedIn() { return this.token !== null; }

  /** After a reload: the pasted token, or a new access token from the cookie. */
  async restore() {
    if (this.mode === "token") {
      const token = localStorage.getItem(storedToken);
      if (token && this.accept(token)) return true;
      this.forget();
      return false;
    }
    if (this.mode === "cookie") {
      try {
        await this.refresh();
        return true;
      } catch {
        this.forget();
      }
    }
    return false;
  }

  accept(token) {
    const c = claims(token);
    if (!c) return false;
    if (typeof c.exp === "number" && c.exp * 1000 < Date.now()) return false;
    this.token = token;
    this.expiresAt = typeof c.exp === "number" ? c.exp * 1000 : Infinity;
    return true;
  }

  usePastedToken(token) {
    if (!this.accept(token.trim())) throw new ApiError(400, { error: "That is not a token that can be used now (malformed or expired)." });
    this.mode = "token";
    localStorage.setItem(storedMode, "token");
    localStorage.setItem(storedToken, this.token);
  }

  requestCode(email) { return post("/auth/login", { email }); }

  async verify(email, code) {
    const answer = await post("/auth/verify", { email, code, session: "cookie", deviceId: this.deviceId });
    this.mode = "cookie";
    localStorage.setItem(storedMode, "cookie");
    this.took(answer);
  }

  took(answer) {
    this.token = answer.accessToken;
    this.expiresAt = Date.now() + answer.expiresIn * 1000;
    clearTimeout(this.timer);
    // A minute early, so a socket never outlives its token unnoticed.
    this.renewIn(Math.max(5000, answer.expiresIn * 1000 - 60000));
  }

  renewIn(ms) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh().catch((e) => {
      // Refused: the session is over. Offline: try again soon (the live connection waits too).
      if (e instanceof ApiError) this.end("Your session ended. Sign in again.");
      else this.renewIn(15000);
    }), ms);
  }

  /**
   * A new access token from the cookie. Tabs take turns (Web Locks): two refreshes with the
   * same cookie would look like a stolen token, and the server would end the session.
   */
  async refresh() {
    if (this.mode !== "cookie") throw new ApiError(401, { code: "unauthorized", error: "the pasted token expired" });
    const run = async () => this.took(await post("/auth/refresh", {}));
    if (navigator.locks) await navigator.locks.request("bubble-refresh", run);
    else await run();
  }

  async signOut() {
    if (this.mode === "cookie") {
      try { await post("/auth/logout", {}); } catch { /* the session is forgotten here either way */ }
    }
    this.forget();
  }

  forget() {
    clearTimeout(this.timer);
    this.token = null;
    this.mode = null;
    localStorage.removeItem(storedMode);
    localStorage.removeItem(storedToken);
  }

  end(reason) {
    this.forget();
    this.onEnd(reason);
  }
}

export class Api {
  constructor(session) { this.session = session; }

  async call(method, path, body, retried = false) {
    const headers = { Authorization: `Bearer ${this.session.token}`, DeviceId: this.session.deviceId };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, {
      method, headers, cache: "no-store", credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = null; }
    if (response.status === 401 && !retried && this.session.mode === "cookie" && json && json.code === "unauthorized") {
      await this.session.refresh();
      return this.call(method, path, body, true);
    }
    if (response.status === 401 || (response.status === 403 && json && json.code === "account_disabled")) {
      this.session.end(json && json.error ? json.error : "Signed out.");
    }
    if (!response.ok) throw new ApiError(response.status, json);
    return json;
  }

  get(path) { return this.call("GET", path); }
  post(path, body) { return this.call("POST", path, body ?? {}); }
  patch(path, body) { return this.call("PATCH", path, body); }
  delete(path) { return this.call("DELETE", path); }
}

export const path = (strings, ...values) => strings.reduce((out, s, i) => out + s + (i < values.length ? encodeURIComponent(values[i]) : ""), "");
"""#)
}
