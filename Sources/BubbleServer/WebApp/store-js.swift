// The web app's store.js, served at /app/store.js: The timers folded from frames and REST answers, by seq: nothing applied twice.
// Edited here, as it is served (there is no build step).
extension WebApp {
    static let storeJS = WebAsset(name: "store.js", type: "text/javascript; charset=utf-8", text: #"""
// The timers this user sees, folded from the server's frames and REST answers. Every change
// carries the log seq it happened at; a timer keeps the seq of its newest change and a
// stopped or unshared one leaves a tombstone, so a frame that arrives twice (a resume after a
// drop, a REST answer racing its frame) or late changes nothing. Pure: no DOM, no network.

export class TimerStore {
  constructor() {
    this.timers = new Map();
    this.gone = new Map();
    this.me = null;
    /** Seqs of the changes applied, in order (the browser tests read it: nothing twice). */
    this.applied = [];
  }

  static normalize(timer, seq) {
    const end = timer.timerEnd ?? timer.endTime;
    const out = { ...timer, seq };
    delete out.timerEnd;
    delete out.endTime;
    if (end !== undefined) out.end = end;
    return out;
  }

  upsert(timer, seq) {
    if (!timer || typeof timer.id !== "string" || typeof seq !== "number") return false;
    if ((this.gone.get(timer.id) ?? -1) >= seq) return false;
    const current = this.timers.get(timer.id);
    if (current && current.seq >= seq) return false;
    this.gone.delete(timer.id);
    this.timers.set(timer.id, TimerStore.normalize(timer, seq));
    this.applied.push(seq);
    return true;
  }

  remove(id, seq) {
    if ((this.gone.get(id) ?? -1) >= seq) return false;
    const current = this.timers.get(id);
    if (current && current.seq > seq) return false;
    this.timers.delete(id);
    this.gone.set(id, seq);
    this.applied.push(seq);
    return true;
  }

  /** The whole truth at `seq`; changes this client applied after it (its own REST answers) stay. */
  snapshot(timers, seq) {
    const next = new Map();
    for (const t of timers) next.set(t.id, TimerStore.normalize(t, seq));
    for (const [id, t] of this.timers) if (t.seq > seq) next.set(id, t);
    for (const [id, at] of this.gone) {
      if (at > seq) next.delete(id);
      else this.gone.delete(id);
    }
    this.timers = next;
  }

  /** A live or resumed frame; true when it changed a timer. */
  apply(frame) {
    const seq = frame.seq;
    switch (frame.type) {
      case "timer":
        if (frame.action === "stop") return this.remove(frame.timerId, seq);
        return this.upsert(frame.timer, seq);
      case "share":
        if (frame.action === "remove" && (!frame.timer || frame.sharedWithUser === this.me)) return this.remove(frame.timerId, seq);
        return this.upsert(frame.timer, seq);
      case "timerCompleted":
      case "reminder":
        return this.upsert(frame.timer, seq);
      default:
        return false;
    }
  }

  /** The list as shown: by name, then id. */
  sorted() {
    return [...this.timers.values()].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }
}
"""#)
}
