// The web app's index.html, served at /app/: The page: its structure and landmarks; main.js fills it in.
// Edited here, as it is served (there is no build step).
extension WebApp {
    static let index = WebAsset(name: "index.html", type: "text/html; charset=utf-8", text: #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Bubble Timer</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app/app.css">
<script type="module" src="/app/main.js"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
  <h1>Bubble Timer</h1>
  <p id="connection" role="status" aria-live="polite"></p>
  <nav id="account" aria-label="Account" hidden>
    <span id="who"></span>
    <button type="button" id="inbox-button" aria-haspopup="dialog" aria-label="Inbox, 0 unread">Inbox <span id="unread" class="badge" aria-hidden="true"></span></button>
    <button type="button" id="profile-button" aria-haspopup="dialog">Profile</button>
    <button type="button" id="sign-out">Sign out</button>
  </nav>
</header>
<main id="main" tabindex="-1">
  <section id="sign-in" aria-labelledby="sign-in-title" hidden>
    <h2 id="sign-in-title">Sign in</h2>
    <form id="email-form">
      <label for="email">Email</label>
      <input id="email" type="email" autocomplete="email" required>
      <button type="submit">Send me a code</button>
    </form>
    <form id="code-form" hidden>
      <p id="code-sent"></p>
      <label for="code">Code from the email</label>
      <input id="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required>
      <button type="submit">Sign in</button>
      <button type="button" id="other-address" class="quiet">Use another address</button>
    </form>
    <details>
      <summary>Sign in with a token</summary>
      <form id="token-form">
        <label for="token">Token (from <code>bubble-timer token &lt;user&gt;</code>)</label>
        <textarea id="token" rows="3" required spellcheck="false" autocomplete="off"></textarea>
        <button type="submit">Use this token</button>
      </form>
    </details>
    <p id="sign-in-error" role="alert"></p>
  </section>
  <section id="timers-section" aria-labelledby="timers-title" hidden>
    <h2 id="timers-title">Timers</h2>
    <form id="create" aria-labelledby="create-title">
      <h3 id="create-title">New timer</h3>
      <div class="fields">
        <div><label for="create-name">Name</label><input id="create-name" autocomplete="off" maxlength="200"></div>
        <div><label for="create-duration">Duration</label><input id="create-duration" autocomplete="off" placeholder="5, 1:30 or 1h 30m" aria-describedby="duration-hint"></div>
        <button type="submit">Start</button>
      </div>
      <p id="duration-hint" class="hint">Minutes (5), minutes and seconds (1:30), or 1h 30m.</p>
      <p id="create-error" role="alert"></p>
    </form>
    <ul id="timers" aria-label="Your timers and those shared with you"></ul>
    <p id="empty">No timers yet.</p>
  </section>
</main>
<dialog id="dialog" aria-labelledby="dialog-title"></dialog>
<div id="announcer" class="visually-hidden" aria-live="polite"></div>
</body>
</html>
"""#)
}
