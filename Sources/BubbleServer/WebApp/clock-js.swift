// The web app's clock.js, served at /app/clock.js: The server's clock (NTP-style samples) and countdown arithmetic.
// Edited here, as it is served (there is no build step).
extension WebApp {
    static let clockJS = WebAsset(name: "clock.js", type: "text/javascript; charset=utf-8", text: #"""
// The server's clock and countdown arithmetic. Countdowns agree across devices only when
// every device counts from the server's clock, so the offset is measured NTP-style over the
// socket (docs/protocol.md, "Clock sync") and the sample with the shortest round trip wins.

export class Clock {
  constructor() {
    this.offset = 0;
    this.delay = Infinity;
    this.synced = false;
  }

  /** A rough offset from a frame's serverTime, until a real sample arrives. */
  roughly(serverTime) {
    if (!this.synced && typeof serverTime === "number") this.offset = serverTime - Date.now();
  }

  /** An answered `time` frame, received at `t3` (this clock). */
  sample(frame, t3) {
    const { t0, t1, t2 } = frame;
    if (![t0, t1, t2].every((v) => typeof v === "number")) return;
    const delay = (t3 - t0) - (t2 - t1);
    if (delay < 0 || delay > this.delay) return;
    this.delay = delay;
    this.offset = ((t1 - t0) + (t2 - t3)) / 2;
    this.synced = true;
  }

  /** A new connection samples afresh: the clocks may have drifted since. */
  restart() { this.delay = Infinity; }

  now() { return Date.now() + this.offset; }
}

const durationPattern = /^([-+]?)P(?:([-+]?\d+)D)?(?:T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+)(?:[.,](\d{0,9}))?S)?)?$/i;

/** Java's Duration format (`PT4M12.345S`, `PT-3.2S`, `P1DT2H`) in milliseconds, or null. */
export function parseDuration(text) {
  if (typeof text !== "string") return null;
  const m = durationPattern.exec(text);
  if (!m || /^[-+]?PT?$/i.test(text)) return null;
  const n = (v) => (v ? parseInt(v, 10) : 0);
  let seconds = n(m[5]) * 1000;
  if (m[6]) {
    const fraction = parseInt((m[6] + "000").slice(0, 3), 10);
    seconds += m[5] && m[5].startsWith("-") ? -fraction : fraction;
  }
  const total = n(m[2]) * 86400000 + n(m[3]) * 3600000 + n(m[4]) * 60000 + seconds;
  return m[1] === "-" ? -total : total;
}

/** Milliseconds as Java writes a Duration: `PT1H2M3.5S`. */
export function isoDuration(ms) {
  const sign = ms < 0 ? "-" : "";
  let rest = Math.abs(Math.round(ms));
  const h = Math.floor(rest / 3600000); rest -= h * 3600000;
  const m = Math.floor(rest / 60000); rest -= m * 60000;
  const s = rest / 1000;
  let out = "PT";
  if (h) out += sign + h + "H";
  if (m) out += sign + m + "M";
  if (s || (!h && !m)) out += sign + s + "S";
  return out;
}

/** What people type for a duration: `5` (minutes), `1:30`, `1:05:00`, `90s`, `1h 30m`. */
export function parseDurationInput(text) {
  const t = String(text).trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(parseFloat(t) * 60000);
  const clock = /^(?:(\d+):)?(\d{1,2}):(\d{1,2})$/.exec(t);
  if (clock) return ((parseInt(clock[1] || "0", 10) * 60 + parseInt(clock[2], 10)) * 60 + parseInt(clock[3], 10)) * 1000;
  const units = /^(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*(?:(\d+)\s*s(?:ec)?)?$/.exec(t);
  if (units && (units[1] || units[2] || units[3])) {
    return ((parseInt(units[1] || "0", 10) * 60 + parseInt(units[2] || "0", 10)) * 60 + parseInt(units[3] || "0", 10)) * 1000;
  }
  return null;
}

/** `4:05`, `1:02:03`: a countdown's text (whole seconds, rounded up while it runs). */
export function formatCountdown(ms) {
  const negative = ms < 0;
  let s = Math.ceil(Math.abs(ms) / 1000);
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  const two = (v) => String(v).padStart(2, "0");
  return (negative ? "-" : "") + (h > 0 ? h + ":" + two(m) : m) + ":" + two(s);
}

/** Words for a screen reader: "4 minutes 5 seconds". */
export function spokenDuration(ms) {
  let s = Math.ceil(Math.max(0, ms) / 1000);
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  const part = (v, unit) => (v ? `${v} ${unit}${v === 1 ? "" : "s"}` : "");
  return [part(h, "hour"), part(m, "minute"), part(s, "second")].filter(Boolean).join(" ") || "0 seconds";
}

/** Where a timer stands at `now` (the server's clock): state and milliseconds left. */
export function timeLeft(timer, now) {
  const total = parseDuration(timer.totalDuration) ?? 0;
  if (timer.state === "completed") return { state: "completed", ms: 0 };
  if (timer.state === "running" && typeof timer.endsAt === "number") {
    return { state: "running", ms: Math.max(0, timer.endsAt - now) };
  }
  if (timer.remainingDuration !== undefined) return { state: "paused", ms: parseDuration(timer.remainingDuration) ?? total };
  return { state: timer.state || "paused", ms: total };
}
"""#)
}
