// The web app's app.css, served at /app/app.css: Styles: phone-sized first, light and dark, visible focus.
// Edited here, as it is served (there is no build step).
extension WebApp {
    static let css = WebAsset(name: "app.css", type: "text/css; charset=utf-8", text: #"""
:root { color-scheme: light dark; --accent: #2a7de1; --muted: #6b7280; --line: #d1d5db; --card: #f6f7f9; --done: #0f8a4b; --danger: #b42318; }
@media (prefers-color-scheme: dark) { :root { --line: #374151; --card: #1c2128; --muted: #9ca3af; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: Canvas; color: CanvasText; }
.skip { position: absolute; left: -999px; top: 0; }
.skip:focus { left: .5rem; top: .5rem; z-index: 10; background: Canvas; padding: .5rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1rem; padding: .75rem 1rem; border-bottom: 1px solid var(--line); }
header h1 { font-size: 1.25rem; margin: 0; }
#connection { margin: 0; font-size: .9rem; color: var(--muted); }
#connection[data-status="offline"], #connection[data-status="elsewhere"] { color: var(--danger); font-weight: 600; }
#connection[data-status="live"]::before { content: "● "; color: var(--done); }
nav { margin-left: auto; display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
#who { color: var(--muted); font-size: .9rem; overflow-wrap: anywhere; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
main:focus { outline: none; }
h2 { font-size: 1.2rem; }
h3 { font-size: 1rem; margin: 0; }
label { display: block; font-weight: 600; margin: .5rem 0 .25rem; }
input, textarea { font: inherit; width: 100%; padding: .5rem .6rem; border: 1px solid var(--line); border-radius: .4rem; background: Canvas; color: CanvasText; }
button { font: inherit; padding: .45rem .8rem; border-radius: .4rem; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; min-height: 2.5rem; }
button.quiet, .actions button, nav button { background: transparent; color: inherit; border-color: var(--line); }
button:disabled { opacity: .5; cursor: default; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.hint { color: var(--muted); font-size: .85rem; margin: .25rem 0; }
[role="alert"] { color: var(--danger); margin: .25rem 0; }
[role="alert"]:empty { display: none; }
#sign-in { max-width: 26rem; }
#sign-in form { margin-bottom: 1rem; }
#sign-in button { margin-top: .5rem; }
details { margin: 1.5rem 0 1rem; }
#create { border: 1px solid var(--line); border-radius: .6rem; padding: .75rem 1rem; margin-bottom: 1rem; }
#create .fields { display: grid; grid-template-columns: 2fr 1fr auto; gap: .5rem; align-items: end; }
#timers { list-style: none; margin: 0; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(17rem, 1fr)); gap: .75rem; }
.timer article { background: var(--card); border: 1px solid var(--line); border-radius: .75rem; padding: .75rem 1rem; height: 100%; }
.timer-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: .25rem .5rem; }
.name { overflow-wrap: anywhere; font-size: 1.1rem; }
.owner { color: var(--muted); font-size: .85rem; }
.countdown { font-size: 2.6rem; font-weight: 600; font-variant-numeric: tabular-nums; margin: .25rem 0 0; }
.state { margin: 0; color: var(--muted); }
.timer[data-state="paused"] .countdown { opacity: .6; }
.timer[data-state="completed"] .countdown, .timer[data-state="completed"] .state { color: var(--done); }
.people { font-size: .9rem; margin: .4rem 0; overflow-wrap: anywhere; }
.actions { display: flex; flex-wrap: wrap; gap: .35rem; }
.actions button { padding: .3rem .6rem; min-height: 2.25rem; font-size: .9rem; }
.actions [data-action="stop"] { color: var(--danger); }
.badge:not(:empty) { display: inline-block; min-width: 1.4em; padding: 0 .35em; border-radius: 1em; background: var(--danger); color: #fff; font-size: .8rem; text-align: center; }
dialog { width: min(36rem, calc(100vw - 1.5rem)); max-height: calc(100vh - 2rem); border: 1px solid var(--line); border-radius: .75rem; padding: 0; background: Canvas; color: CanvasText; }
dialog::backdrop { background: rgb(0 0 0 / .45); }
.dialog-head { display: flex; justify-content: space-between; align-items: center; padding: .75rem 1rem; border-bottom: 1px solid var(--line); position: sticky; top: 0; background: Canvas; }
.dialog-head h2 { margin: 0; font-size: 1.1rem; overflow-wrap: anywhere; }
.dialog-body { padding: .75rem 1rem 1rem; }
.dialog-body form button[type="submit"] { margin-top: .5rem; }
.people-list, .suggestions, .inbox { list-style: none; padding: 0; margin: .25rem 0 .75rem; }
.people-list li, .inbox li { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: .25rem .75rem; padding: .4rem 0; border-bottom: 1px solid var(--line); }
.suggestions button { background: transparent; color: inherit; border-color: var(--line); width: 100%; text-align: left; margin: .2rem 0; }
.inbox p { margin: 0; flex: 1 1 14rem; }
.inbox time { color: var(--muted); font-size: .8rem; }
.inbox .unread p { font-weight: 600; }
.timeline { list-style: none; padding: 0; margin: .5rem 0; }
.timeline > li { border-left: 3px solid var(--accent); padding: .2rem 0 .5rem .75rem; margin-bottom: .5rem; }
.timeline .what { margin: 0; }
.timeline time { color: var(--muted); font-size: .85rem; display: block; }
.timeline .device { color: var(--muted); }
.timeline .summary { margin: .1rem 0; font-size: .9rem; }
.changes { margin: .2rem 0 0; padding-left: 1.1rem; font-size: .85rem; overflow-wrap: anywhere; }
@media (max-width: 34rem) {
  #create .fields { grid-template-columns: 1fr; }
  .countdown { font-size: 2.2rem; }
  nav { margin-left: 0; }
}
"""#)
}
