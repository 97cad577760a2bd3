// Test cases for js-open-redirect: `ruleid:` marks the next line as one that must be reported,
// `ok:` one that must not. Run with: python -m pytest tests/test_rules.py

const express = require("express");
const app = express();

const ALLOWED_REDIRECTS = { home: "/", billing: "/settings/billing" };

app.get("/login/callback", (req, res) => {
  // ruleid: js-open-redirect
  res.redirect(req.query.returnTo);
});

app.get("/logout", (req, res) => {
  const { next } = req.query;
  req.session.destroy(() => {
    // ruleid: js-open-redirect
    res.redirect(302, next || "/");
  });
});

app.post("/continue", function (req, res) {
  const target = req.body.target;
  const url = "" + target;
  // A multi-line call: an edit to any of its lines reports it.
  // ruleid: js-open-redirect
  return res.redirect(
    301,
    url
  );
});

app.get("/go", (req, res) => {
  // ruleid: js-open-redirect
  res.redirect(`${req.query.site}/welcome`);
});

app.get("/page", (req, res) => {
  // "/" followed by the user's "/evil.com" is "//evil.com", another host.
  // ruleid: js-open-redirect
  res.redirect("/" + req.query.page);
});

app.get("/out", (req, res) => {
  // ruleid: js-open-redirect
  res.writeHead(302, { Location: req.query.url });
  res.end();
});

app.get("/out2", (req, res) => {
  // ruleid: js-open-redirect
  res.setHeader("Location", req.get("x-return-url"));
  res.statusCode = 302;
  res.end();
});

// Koa
router.get("/sso", async (ctx) => {
  // ruleid: js-open-redirect
  ctx.redirect(ctx.query.redirect_uri);
});

// Browser code
function resumeAfterLogin() {
  const params = new URLSearchParams(window.location.search);
  const dest = params.get("redirect");
  // ruleid: js-open-redirect
  window.location.href = dest;
}

function hashNavigate() {
  // ruleid: js-open-redirect
  location.assign(location.hash.slice(1));
}

function legacyRedirect() {
  // ruleid: js-open-redirect
  document.location = decodeURIComponent(window.location.search.split("url=")[1]);
}

// ---- negatives -------------------------------------------------------------------------------

app.get("/home", (req, res) => {
  // ok: js-open-redirect
  res.redirect("/dashboard");
});

app.get("/users/:id/edit", (req, res) => {
  // A fixed path on this site: the user only picks which user.
  // ok: js-open-redirect
  res.redirect(`/users/${req.params.id}`);
});

app.get("/needs-login", (req, res) => {
  // ok: js-open-redirect
  res.redirect("/login?next=" + encodeURIComponent(req.originalUrl));
});

app.get("/docs", (req, res) => {
  // ok: js-open-redirect
  res.redirect(301, `https://docs.example.com/${req.params.page}`);
});

app.get("/pick", (req, res) => {
  // An allow-list lookup: the destination comes from the map, not the request.
  // ok: js-open-redirect
  res.redirect(ALLOWED_REDIRECTS[req.query.to] ?? "/");
});

// HTTPS upgrade: the Host header only redirects the sender's own request.
app.use((req, res, next) => {
  if (req.secure) return next();
  // ok: js-open-redirect
  res.redirect(301, `https://${req.headers.host}${req.url}`);
});

app.get("/canonical", (req, res) => {
  // ok: js-open-redirect
  res.redirect(301, `${req.protocol}://${req.get("host")}/home`);
});

app.get("/back", (req, res) => {
  const fallback = "/account";
  // ok: js-open-redirect
  res.redirect(fallback);
});

function toSettings(user) {
  // Not user input: a parameter of an ordinary function.
  // ok: js-open-redirect
  window.location.href = user.settingsUrl;
}

app.post("/login", passport.authenticate("local"), (req, res) => {
  // The session value was set by this server, not sent by the client.
  const returnTo = req.session.returnTo || "/";
  delete req.session.returnTo;
  // ok: js-open-redirect
  res.redirect(returnTo);
});

app.get("/cancel", (req, res) => {
  // ok: js-open-redirect
  res.redirect("back");
});

// ok: js-open-redirect
const redirectDocs = "res.redirect(req.query.next) is an open redirect";

function saveSearch() {
  const q = new URLSearchParams(location.search).get("q");
  // push on an array is not navigation
  // ok: js-open-redirect
  recentSearches.push(q);
  // ok: js-open-redirect
  const cleaned = q.replace(/\s+/g, " ");
  // ok: js-open-redirect
  window.location.href = "/search?q=" + encodeURIComponent(cleaned);
}

app.get("/encoded", (req, res) => {
  // encodeURIComponent turns "https://evil" into a relative path on this site.
  // ok: js-open-redirect
  res.redirect(encodeURIComponent(req.query.next));
});

// --- Guards --------------------------------------------------------------------------------------

const RETURN_PATHS = new Set(["/account", "/orders", "/help"]);

app.get("/continue", (req, res, next) => {
  const { returnTo } = req.query;
  if (!isSafeRedirect(returnTo)) return next(new Error("unsafe redirect"));
  // A helper named like an allow-list check is trusted by its name (rules/taint/javascript.yml).
  // ok: js-open-redirect
  res.redirect(returnTo);
});

app.get("/continue-set", (req, res) => {
  const returnTo = req.query.returnTo;
  if (RETURN_PATHS.has(returnTo)) {
    // ok: js-open-redirect
    return res.redirect(returnTo);
  }
  // ruleid: js-open-redirect
  res.redirect(returnTo || "/");
});

app.get("/continue-prefix", (req, res) => {
  const returnTo = String(req.query.returnTo || "/");
  // `/\evil.example` starts with one slash and browsers read it as `//evil.example`.
  if (!returnTo.startsWith("/") || returnTo.startsWith("//")) return res.redirect("/");
  // ruleid: js-open-redirect
  res.redirect(returnTo);
});

app.get("/continue-after-send", (req, res) => {
  const returnTo = req.query.returnTo;
  if (!RETURN_PATHS.has(returnTo)) {
    res.status(400).send("bad target");
  }
  // ruleid: js-open-redirect
  res.redirect(returnTo);
});
