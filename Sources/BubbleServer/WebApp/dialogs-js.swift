// The web app's dialogs.js, served at /app/dialogs.js: Rename, share, message, history timeline, inbox, profile.
// Edited here, as it is served (there is no build step).
extension WebApp {
    static let dialogsJS = WebAsset(name: "dialogs.js", type: "text/javascript; charset=utf-8", text: #"""
// What opens over the list: rename, share, message, a timer's history, the inbox, the profile.

import { h, $, openDialog, errorText, announce, when } from "./dom.js";
import { path } from "./api.js";
import { parseDuration, formatCountdown } from "./clock.js";
import { render, applyAnswer } from "./timers.js";

function form(onsubmit, ...children) {
  const error = h("p", { class: "form-error", role: "alert" });
  const el = h("form", {
    onsubmit: async (event) => {
      event.preventDefault();
      error.textContent = "";
      try { await onsubmit(); } catch (e) { error.textContent = errorText(e); }
    },
  }, ...children, error);
  return el;
}

export function renameDialog(app, id) {
  const timer = app.store.timers.get(id);
  const input = h("input", { id: "rename-name", name: "name", required: true, maxlength: 200, autocomplete: "off", value: timer.name });
  openDialog(`Rename ${timer.name}`, (close) => form(async () => {
    const current = app.store.timers.get(id);
    const body = { name: input.value.trim(), totalDuration: current.totalDuration };
    // The countdown's own fields go back as they came, so renaming never moves the end.
    if (current.remainingDuration !== undefined) body.remainingDuration = current.remainingDuration;
    if (current.end !== undefined) body.endTime = current.end;
    if (current.tags) body.tags = current.tags;
    applyAnswer(app, await app.api.post(path`/timers/${id}`, body));
    render(app);
    close();
  }, h("label", { for: "rename-name", text: "Name" }), input, h("button", { type: "submit", text: "Save" })));
}

export function shareDialog(app, id) {
  openDialog(`Share ${app.store.timers.get(id).name}`, (close) => {
    const people = h("ul", { class: "people-list", "aria-label": "Shared with" });
    const suggestions = h("ul", { class: "suggestions", "aria-label": "Matching people", "aria-live": "polite" });
    const input = h("input", { id: "share-user", name: "user", autocomplete: "off", required: true, "aria-describedby": "share-hint" });
    const status = h("p", { role: "status" });
    const refresh = () => {
      const timer = app.store.timers.get(id);
      if (!timer) return close();
      people.replaceChildren(...(timer.sharedWith || []).filter((u) => u !== timer.userId).map((u) =>
        h("li", {}, h("span", { text: `${app.name(u)} (${u})` }),
          h("button", { type: "button", "aria-label": `Stop sharing with ${app.name(u)}`, text: "Remove", onclick: async () => {
            try {
              const answer = await app.api.delete(path`/timers/${id}/shares/${u}`);
              applyAnswer(app, answer);
              const timer = app.store.timers.get(id);
              if (timer && answer.changed) {
                app.store.upsert({ ...timer, sharedWith: (timer.sharedWith || []).filter((x) => x !== u), timerEnd: timer.end }, answer.seq);
              }
              render(app); refresh(); input.focus();
              status.textContent = `No longer shared with ${app.name(u)}.`;
            } catch (e) { status.textContent = errorText(e); }
          } }))));
      if (!people.children.length) people.append(h("li", { text: "Nobody yet." }));
    };
    const share = async (user) => {
      const answer = await app.api.post(path`/timers/${id}/shares`, { userId: user });
      applyAnswer(app, answer);
      render(app); refresh();
      input.value = ""; suggestions.replaceChildren();
      status.textContent = `Shared with ${app.name(user)}.`;
      input.focus();
    };
    let pending;
    input.addEventListener("input", () => {
      clearTimeout(pending);
      const query = input.value.trim();
      if (!query) return suggestions.replaceChildren();
      pending = setTimeout(async () => {
        try {
          const found = await app.api.get(`/users?query=${encodeURIComponent(query)}`);
          for (const u of found) app.remember(u);
          suggestions.replaceChildren(...found.filter((u) => u.id !== app.store.me).map((u) =>
            h("li", {}, h("button", { type: "button", class: "suggestion", "data-user": u.id, text: `Share with ${u.displayName || u.id} (${u.id})`,
              onclick: () => share(u.id).catch((e) => { status.textContent = errorText(e); }) }))));
        } catch { suggestions.replaceChildren(); }
      }, 200);
    });
    refresh();
    return h("div", {},
      h("h3", { text: "Shared with" }), people,
      form(() => share(input.value.trim()),
        h("label", { for: "share-user", text: "Share with (user id, or the name of someone you share with)" }), input,
        h("p", { id: "share-hint", class: "hint", text: "People find their id under Profile." }),
        suggestions, h("button", { type: "submit", text: "Share" })),
      status);
  });
}

export function messageDialog(app, id) {
  const timer = app.store.timers.get(id);
  const text = h("textarea", { id: "message-text", required: true, maxlength: 2000, rows: 3 });
  openDialog(`Message the people on ${timer.name}`, (close) => form(async () => {
    const answer = await app.api.post("/messages", { timerId: id, content: text.value });
    announce(`Sent to ${answer.messages.length} ${answer.messages.length === 1 ? "person" : "people"}`);
    close();
  }, h("label", { for: "message-text", text: "Message" }), text, h("button", { type: "submit", text: "Send" })));
}

const actions = {
  timer_created: "created it", timer_updated: "changed it", timer_stopped: "stopped it",
  timer_shared: "shared it", timer_unshared: "took someone off it", timer_started: "started it",
  timer_paused: "paused it", timer_resumed: "resumed it", timer_reset: "reset it",
  timer_time_added: "changed the time", timer_remaining_set: "set the time left", timer_completed: "it ended",
  timer_end_resolved: "its end was placed in time", reminder_set: "set a reminder", reminder_cancelled: "cancelled a reminder",
  reminder_fired: "a reminder went off", public_link_created: "made a public link", public_link_revoked: "revoked a public link",
};
const fieldNames = {
  status: "status", owner: "owner", name: "name", totalDuration: "total", remainingDuration: "time left",
  timerEnd: "end", endsAt: "ends at", completedAt: "completed at", reminders: "reminders", tags: "tags", sharedWith: "shared with",
};

export function historyDialog(app, id) {
  const timer = app.store.timers.get(id);
  openDialog(`History of ${timer.name}`, () => {
    const list = h("ol", { class: "timeline", "aria-label": "Events, newest first" });
    const more = h("button", { type: "button", hidden: true, text: "Load older" });
    const note = h("p", { class: "hint" });
    let older = null;
    const who = (people, user) => {
      if (user === "server") return "The server";
      if (user === app.store.me) return "You";
      const p = people[user];
      if (p && p.erased) return "(erased user)";
      if (p && p.displayName) { app.remember(p); return p.displayName; }
      return user;
    };
    const names = (people, value) => (value ? value.split(",").map((u) => who(people, u)).join(", ") : "—");
    const load = async () => {
      const page = await app.api.get(path`/timers/${id}/history` + `?limit=50${older ? `&before=${older}` : ""}`);
      for (const e of page.entries) {
        const changes = e.changes.filter((c) => c.field !== "endsAt" || !e.changes.some((x) => x.field === "timerEnd"));
        list.append(h("li", { "data-seq": e.seq, "data-type": e.type },
          h("p", { class: "what" },
            h("time", { datetime: e.time, text: when(e.timestamp) }), " ",
            h("strong", { text: who(page.people, e.user) }),
            e.device && e.user !== "server" ? h("span", { class: "device", text: ` on ${e.device}` }) : null,
            ` ${actions[e.type] || e.type.replace(/_/g, " ")}`),
          e.summary ? h("p", { class: "summary", text: e.summary }) : null,
          changes.length ? h("ul", { class: "changes" }, changes.map((c) => {
            const show = (v) => {
              if (v === null || v === undefined) return "—";
              if (c.field === "sharedWith" || c.field === "owner") return names(page.people, v);
              if (c.field === "totalDuration" || c.field === "remainingDuration") return parseDuration(v) === null ? v : formatCountdown(parseDuration(v));
              if (/^\d{4}-\d\d-\d\dT.*Z$/.test(v) && !Number.isNaN(Date.parse(v))) return when(Date.parse(v));
              return v;
            };
            return h("li", { text: `${fieldNames[c.field] || c.field}: ${show(c.old)} → ${show(c.new)}` });
          })) : null));
      }
      older = page.older;
      more.hidden = older === null;
      note.textContent = page.visibleFrom > 0 ? "You see this timer's history from when it was shared with you." : "";
    };
    more.addEventListener("click", () => load().catch((e) => { note.textContent = errorText(e); }));
    load().catch((e) => { note.textContent = errorText(e); });
    return h("div", {}, note, list, more);
  });
}

const kindText = {
  timer_shared: (n) => `${n.fromName || n.from} shared “${n.timerName}” with you`,
  share_removed: (n) => `${n.fromName || n.from} removed you from “${n.timerName}”`,
  timer_stopped: (n) => `${n.fromName || n.from} stopped “${n.timerName}”`,
  timer_completed: (n) => `“${n.timerName}” is done`,
  reminder: (n) => `Reminder: “${n.timerName}” is coming up`,
};

export function inboxText(n, messages) {
  if (n.kind === "message") {
    const m = messages.get(n.id);
    const body = m ? (m.erased ? "(erased)" : m.content) : "sent you a message";
    return `${n.fromName || n.from}: ${body}`;
  }
  return (kindText[n.kind] || ((x) => `${x.kind} “${x.timerName}”`))(n);
}

export function inboxDialog(app) {
  openDialog("Inbox", () => {
    const list = h("ul", { class: "inbox", "aria-label": "Notifications, newest first" });
    const status = h("p", { role: "status" });
    const all = h("button", { type: "button", text: "Mark all read" });
    const draw = async () => {
      const [inbox, mail] = await Promise.all([app.api.get("/me/notifications?limit=50"), app.api.get("/me/messages?limit=50")]);
      const messages = new Map(mail.messages.map((m) => [m.id, m]));
      app.setUnread(inbox.unread);
      list.replaceChildren(...inbox.notifications.map((n) => h("li", { class: n.read ? "read" : "unread", "data-id": n.id },
        h("p", {}, n.read ? null : h("span", { class: "dot", text: "New: " }), inboxText(n, messages)),
        h("time", { datetime: n.createdAt, text: when(Date.parse(n.createdAt)) }),
        n.read ? null : h("button", { type: "button", "aria-label": `Mark read: ${inboxText(n, messages)}`, text: "Mark read", onclick: async () => {
          try {
            await app.api.post(`/me/notifications/${n.id}/read`);
            await draw();
            all.focus();
          } catch (e) { status.textContent = errorText(e); }
        } }))));
      if (!inbox.notifications.length) list.append(h("li", { text: "Nothing here yet." }));
      all.disabled = inbox.unread === 0;
    };
    all.addEventListener("click", async () => {
      try { await app.api.post("/me/notifications/read-all"); await draw(); status.textContent = "All read."; } catch (e) { status.textContent = errorText(e); }
    });
    app.redrawInbox = () => draw().catch(() => {});
    draw().catch((e) => { status.textContent = errorText(e); });
    $("dialog").addEventListener("close", () => { app.redrawInbox = null; }, { once: true });
    return h("div", {}, all, status, list);
  });
}

export function profileDialog(app) {
  const name = h("input", { id: "profile-name", maxlength: 100, autocomplete: "name", value: app.meName || "" });
  openDialog("Profile", (close) => h("div", {},
    h("p", {}, "Your id (give it to people who want to share timers with you): ", h("code", { id: "my-id", text: app.store.me })),
    form(async () => {
      const me = await app.api.patch("/me", { displayName: name.value.trim() || null });
      app.meName = me.displayName;
      app.remember({ id: me.id, displayName: me.displayName });
      $("who").textContent = me.displayName || "No name yet (Profile)";
      render(app);
      close();
    }, h("label", { for: "profile-name", text: "Your name, as others see it" }), name, h("button", { type: "submit", text: "Save" }))));
}
"""#)
}
