// The web app's timers.js, served at /app/timers.js: The timer list: cards updated in place, countdown commands.
// Edited here, as it is served (there is no build step).
extension WebApp {
    static let timersJS = WebAsset(name: "timers.js", type: "text/javascript; charset=utf-8", text: #"""
// The list of timers: one card per timer, kept and updated in place (so focus stays on the
// button you pressed), with a countdown that ticks from the server's clock.

import { h, $, setText, announce, errorText } from "./dom.js";
import { timeLeft, formatCountdown, spokenDuration, isoDuration, parseDurationInput } from "./clock.js";
import { path } from "./api.js";
import { shareDialog, messageDialog, renameDialog, historyDialog } from "./dialogs.js";

const stateWords = { running: "Running", paused: "Paused", completed: "Done" };
const cards = new Map();

export function setUpTimers(app) {
  $("create").addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = $("create-name").value.trim();
    const ms = parseDurationInput($("create-duration").value);
    const error = $("create-error");
    if (!name) return fail(error, "Give the timer a name.", $("create-name"));
    if (!ms || ms <= 0) return fail(error, "Type a duration: minutes (5), m:ss (1:30) or 1h 30m.", $("create-duration"));
    error.textContent = "";
    const id = "w" + randomID(10);
    try {
      // Running from the start: its end is an instant on the server's clock.
      const answer = await app.api.post(path`/timers/${id}`, {
        name, totalDuration: isoDuration(ms), endTime: new Date(app.clock.now() + ms).toISOString(),
      });
      app.store.upsert(answer.timer, answer.seq);
      $("create").reset();
      render(app);
      announce(`${name} started`);
      cards.get(id)?.querySelector("button")?.focus();
    } catch (e) {
      fail(error, errorText(e));
    }
  });
  setInterval(() => tick(app), 250);
}

function fail(el, text, field) {
  el.textContent = text;
  if (field) field.focus();
}

export function randomID(n) {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  return [...bytes].map((b) => alphabet[b % alphabet.length]).join("");
}

/** Brings the list in line with the store: new cards, changed cards, gone cards. */
export function render(app) {
  const list = $("timers");
  const timers = app.store.sorted();
  const ids = new Set(timers.map((t) => t.id));
  for (const [id, card] of cards) {
    if (!ids.has(id)) { card.remove(); cards.delete(id); }
  }
  let previous = null;
  for (const timer of timers) {
    let card = cards.get(timer.id);
    if (!card) { card = createCard(app, timer.id); cards.set(timer.id, card); }
    update(app, card, timer);
    // Moved only when out of place: moving a node takes focus from it.
    const expected = previous ? previous.nextSibling : list.firstChild;
    if (expected !== card) list.insertBefore(card, expected);
    previous = card;
  }
  $("empty").hidden = timers.length > 0;
  tick(app);
}

export function resetCards() {
  for (const card of cards.values()) card.remove();
  cards.clear();
}

function createCard(app, id) {
  const act = (label, run) => h("button", { type: "button", "data-action": label, onclick: () => run(app, id) });
  const card = h("li", { class: "timer", "data-id": id },
    h("article", { "aria-labelledby": `name-${id}` },
      h("div", { class: "timer-head" },
        h("h3", { id: `name-${id}`, class: "name" }),
        h("span", { class: "owner" })),
      h("p", { class: "countdown", role: "timer", "aria-atomic": "true" }),
      h("p", { class: "state" }),
      h("p", { class: "people" }),
      h("div", { class: "actions", role: "group", "aria-label": "Controls" },
        act("toggle", toggle), act("add", addMinute), act("rename", (a, i) => renameDialog(a, i)),
        act("share", (a, i) => shareDialog(a, i)), act("message", (a, i) => messageDialog(a, i)),
        act("history", (a, i) => historyDialog(a, i)), act("stop", stopOrLeave)),
      h("p", { class: "card-error", role: "alert" })));
  return card;
}

function update(app, card, timer) {
  const mine = timer.userId === app.store.me;
  const { state } = timeLeft(timer, app.clock.now());
  card.dataset.state = state;
  setText(card.querySelector(".name"), timer.name);
  setText(card.querySelector(".owner"), mine ? "" : `shared by ${app.name(timer.userId)}`);
  setText(card.querySelector(".state"), stateWords[state] || state);
  const others = (timer.sharedWith || []).filter((u) => u !== app.store.me && u !== timer.userId);
  const people = mine ? others : [timer.userId, ...others];
  setText(card.querySelector(".people"), people.length ? `With ${people.map((u) => app.name(u)).join(", ")}` : "Only you");
  const button = (action) => card.querySelector(`[data-action="${action}"]`);
  const label = (action, text, aria) => { setText(button(action), text); button(action).setAttribute("aria-label", `${aria} ${timer.name}`); };
  label("toggle", state === "running" ? "Pause" : state === "paused" ? "Resume" : "Restart", state === "running" ? "Pause" : state === "paused" ? "Resume" : "Restart");
  label("add", "+1 min", "Add a minute to");
  label("rename", "Rename", "Rename");
  label("share", "Share", "Share");
  label("message", "Message", "Message the people on");
  label("history", "History", "History of");
  label("stop", mine ? "Stop" : "Leave", mine ? "Stop" : "Leave");
  button("share").hidden = !mine;
}

function tick(app) {
  const now = app.clock.now();
  for (const [id, card] of cards) {
    const timer = app.store.timers.get(id);
    if (!timer) continue;
    const { ms } = timeLeft(timer, now);
    const el = card.querySelector(".countdown");
    setText(el, formatCountdown(ms));
    el.setAttribute("aria-label", `${spokenDuration(ms)} left`);
  }
}

async function run(app, id, work) {
  const card = cards.get(id);
  const error = card && card.querySelector(".card-error");
  if (error) error.textContent = "";
  try {
    await work();
    render(app);
  } catch (e) {
    if (error) error.textContent = errorText(e);
  }
}

/** A REST answer carries the timer after the command and its seq; this device gets no frame for it. */
export function applyAnswer(app, answer) {
  if (answer && answer.timer && typeof answer.seq === "number") app.store.upsert(answer.timer, answer.seq);
}

function toggle(app, id) {
  const timer = app.store.timers.get(id);
  const { state } = timeLeft(timer, app.clock.now());
  const command = state === "running" ? "pause" : state === "paused" ? "resume" : "start";
  return run(app, id, async () => applyAnswer(app, await app.api.post(path`/timers/${id}/` + command)));
}

function addMinute(app, id) {
  return run(app, id, async () => applyAnswer(app, await app.api.post(path`/timers/${id}/add`, { duration: "PT1M" })));
}

function stopOrLeave(app, id) {
  const timer = app.store.timers.get(id);
  const mine = timer.userId === app.store.me;
  return run(app, id, async () => {
    const answer = mine ? await app.api.delete(path`/timers/${id}`) : await app.api.delete(path`/timers/${id}/shares/${app.store.me}`);
    app.store.remove(id, answer.seq);
    announce(mine ? `${timer.name} stopped` : `You left ${timer.name}`);
    $("create-name").focus();
  });
}
"""#)
}
