internal import Foundation
/// The page a public link opens: the timer's name and its live countdown, one file (and the
/// web app's clock module) with no build step and nothing fetched from elsewhere, usable on a
/// phone. It reads the timer
/// (`/public/t/{token}`), follows it on the link's read-only socket, and counts down with the
/// server's clock (the offset from `serverTime`).
enum PublicPage {
    static func html(title: String) -> String {
        template.replacingOccurrences(of: "{{TITLE}}", with: escape(title))
    }

    static let missing = html(title: "Link not found").replacingOccurrences(of: "data-missing=\"0\"", with: "data-missing=\"1\"")

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    private static let template = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="robots" content="noindex">
    <title>{{TITLE}} · Bubble Timer</title>
    <style>
      :root { color-scheme: light dark; --accent: #2a7de1; }
      body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
             font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: Canvas; color: CanvasText; }
      main { text-align: center; padding: 1.5rem; max-width: 40rem; width: 100%; }
      h1 { font-size: clamp(1.4rem, 6vw, 2.4rem); margin: 0 0 1rem; overflow-wrap: anywhere; }
      #countdown { font-size: clamp(3rem, 18vw, 7rem); font-variant-numeric: tabular-nums; font-weight: 600; letter-spacing: .02em; }
      #state { margin-top: .75rem; font-size: 1.1rem; opacity: .8; }
      #status { margin-top: 2rem; font-size: .9rem; opacity: .6; }
      .paused #countdown { opacity: .6; }
      .completed #countdown { color: var(--accent); }
    </style>
    </head>
    <body>
    <main id="app" data-missing="0" aria-live="polite">
      <h1 id="name">{{TITLE}}</h1>
      <div id="countdown" role="timer" aria-label="time left">--:--</div>
      <div id="state">Loading…</div>
      <div id="status"></div>
    </main>
    <script type="module">
    // The countdown's text is the web app's (one rule for both pages).
    import { formatCountdown as format } from "/app/clock.js";
    const token = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
    const app = document.getElementById("app");
    const $ = (id) => document.getElementById(id);
    let timer = null, offset = 0, finished = false, retry = 500;

    function show(next, serverTime) {
      if (!next || (timer && next.seq < timer.seq)) return;
      if (serverTime) offset = serverTime - Date.now();
      timer = next;
      $("name").textContent = timer.name;
      document.title = timer.name + " · Bubble Timer";
      app.className = timer.state;
      $("state").textContent = { running: "Running", paused: "Paused", completed: "Done" }[timer.state] || timer.state;
      render();
    }

    function render() {
      if (!timer) return;
      let left;
      if (timer.state === "completed") left = 0;
      else if (timer.state === "running" && typeof timer.endsAt === "number") left = Math.max(0, timer.endsAt - (Date.now() + offset));
      else if (typeof timer.remainingMs === "number") left = timer.remainingMs;
      else left = timer.totalMs || 0;
      $("countdown").textContent = format(left);
    }

    function end(message) {
      finished = true;
      app.className = "stopped";
      $("state").textContent = message;
      $("status").textContent = "";
    }

    function connect() {
      if (finished) return;
      const scheme = location.protocol === "https:" ? "wss://" : "ws://";
      const socket = new WebSocket(scheme + location.host + "/public/t/" + encodeURIComponent(token) + "/ws");
      socket.onopen = () => { retry = 500; $("status").textContent = "Live"; };
      socket.onmessage = (event) => {
        const frame = JSON.parse(event.data);
        if (frame.type === "timer") show(frame.timer, frame.serverTime);
        else if (frame.type === "stopped") end("This timer was stopped");
      };
      socket.onclose = (event) => {
        if (event.code === 4004) return end("This link no longer works");
        if (event.code === 1000 && event.reason === "timer stopped") return end("This timer was stopped");
        if (finished) return;
        $("status").textContent = "Offline — reconnecting…";
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, 15000);
      };
    }

    if (app.dataset.missing === "1") {
      end("This link does not work: it was revoked, or its timer stopped");
    } else {
      fetch("/public/t/" + encodeURIComponent(token), { cache: "no-store" })
        .then((r) => r.ok ? r.json() : Promise.reject(r.status))
        .then((body) => { show(body.timer, body.serverTime); connect(); })
        .catch(() => end("This link does not work: it was revoked, or its timer stopped"));
      setInterval(render, 250);
    }
    </script>
    </body>
    </html>
    """#
}
