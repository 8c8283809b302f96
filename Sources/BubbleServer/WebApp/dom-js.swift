// The web app's dom.js, served at /app/dom.js: DOM helpers: elements from text (never HTML), the dialog, announcements.
// Edited here, as it is served (there is no build step).
extension WebApp {
    static let domJS = WebAsset(name: "dom.js", type: "text/javascript; charset=utf-8", text: #"""
// A few DOM helpers. Text goes in as text (never as HTML), so a timer named `<img onerror>`
// is just a name.

export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else if (key === "class") el.className = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

export const $ = (id) => document.getElementById(id);

/** Says something to screen readers without moving focus. */
export function announce(text) {
  const region = $("announcer");
  region.textContent = "";
  setTimeout(() => { region.textContent = text; }, 50);
}

/** Sets text only when it differs, so a ticking countdown does not churn the DOM. */
export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

export function when(ms) {
  return new Date(ms).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

export function errorText(error) {
  if (error && error.code === "rate_limited") return "Too many requests; wait a moment and try again.";
  return (error && error.message) || "Something went wrong.";
}

/**
 * The one dialog: filled for each use and opened modal (focus stays inside, Escape closes),
 * and focus goes back to the button that opened it.
 */
export function openDialog(title, build) {
  const dialog = $("dialog");
  const opener = document.activeElement;
  const close = () => dialog.close();
  dialog.replaceChildren(
    h("div", { class: "dialog-head" },
      h("h2", { id: "dialog-title", text: title }),
      h("button", { type: "button", class: "quiet", "aria-label": "Close", onclick: close, text: "✕" })),
    h("div", { class: "dialog-body" }, build(close)),
  );
  dialog.onclose = () => { dialog.replaceChildren(); if (opener && opener.isConnected) opener.focus(); };
  dialog.showModal();
  const first = dialog.querySelector(".dialog-body input, .dialog-body textarea, .dialog-body button");
  if (first) first.focus();
  return dialog;
}
"""#)
}
