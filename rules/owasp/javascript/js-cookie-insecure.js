// Test cases for js-cookie-insecure: `ruleid:` marks the next line as one that must be reported,
// `ok:` one that must not.

const express = require("express");
const session = require("express-session");
const cookieSession = require("cookie-session");
const cookie = require("cookie");
const Cookies = require("js-cookie");

const app = express();

app.post("/login", async (req, res) => {
  const user = await authenticate(req.body);
  // ruleid: js-cookie-insecure
  res.cookie("session", user.sessionId);
  res.redirect("/");
});

app.post("/login2", async (req, res) => {
  const token = await issueToken(req.body);
  // Only one of the two flags.
  // ruleid: js-cookie-insecure
  res.cookie("token", token, { httpOnly: true, maxAge: 3600 * 1000 });
  res.json({ ok: true });
});

app.post("/login3", async (req, res) => {
  // ruleid: js-cookie-insecure
  res.status(200).cookie("refresh_token", req.refreshToken, {
    httpOnly: true,
    secure: false,
    sameSite: "strict",
  });
  res.end();
});

app.get("/prefs", (req, res) => {
  // Any cookie the server sets needs the flags, not only session cookies.
  // ruleid: js-cookie-insecure
  res.cookie("theme", req.query.theme, { maxAge: 31536000000 });
  res.sendStatus(204);
});

// express-session's default cookie is httpOnly but not secure.
// ruleid: js-cookie-insecure
app.use(session({ secret: process.env.SESSION_SECRET, resave: false, saveUninitialized: false }));

// ruleid: js-cookie-insecure
app.use(
  session({
    secret: process.env.SESSION_SECRET,
    cookie: { maxAge: 86400000, sameSite: "lax" },
  })
);

// ruleid: js-cookie-insecure
app.use(cookieSession({ name: "session", keys: [process.env.COOKIE_KEY], maxAge: 86400000 }));

// ruleid: js-cookie-insecure
app.use(session({ secret: process.env.SESSION_SECRET, cookie: { secure: true, httpOnly: false } }));

function rememberLogin(token) {
  // A session token written from the browser without Secure.
  // ruleid: js-cookie-insecure
  document.cookie = `auth_token=${token}; path=/; max-age=604800`;
}

function rememberSession(id) {
  // ruleid: js-cookie-insecure
  document.cookie = "sessionId=" + id + "; path=/";
}

// ruleid: js-cookie-insecure
Cookies.set("accessToken", data.accessToken, { expires: 7 });

app.get("/raw", (req, res) => {
  // ruleid: js-cookie-insecure
  res.setHeader("Set-Cookie", cookie.serialize("sid", req.sessionID, { path: "/" }));
  // ruleid: js-cookie-insecure
  res.setHeader("Set-Cookie", `sid=${req.sessionID}; Path=/; HttpOnly`);
  res.end();
});

// --- negatives -------------------------------------------------------------------------------

app.post("/login-safe", async (req, res) => {
  const token = await issueToken(req.body);
  // Both flags, across lines, one of them from an expression.
  // ok: js-cookie-insecure
  res.cookie("token", token, {
    httpOnly: true,
    secure: process.env.NODE_ENV === "production",
    sameSite: "strict",
    maxAge: 15 * 60 * 1000,
  });
  res.json({ ok: true });
});

app.post("/logout", (req, res) => {
  // ok: js-cookie-insecure
  res.clearCookie("token");
  // Clearing a cookie exposes nothing.
  // ok: js-cookie-insecure
  res.cookie("session", "", { maxAge: 0 });
  res.redirect("/");
});

const cookieDefaults = { httpOnly: true, secure: true, sameSite: "lax" };
app.post("/login-defaults", (req, res) => {
  // The spread may set both flags: not reported.
  // ok: js-cookie-insecure
  res.cookie("sid", req.sessionID, { ...cookieDefaults, maxAge: 3600000 });
  res.end();
});

// ok: js-cookie-insecure
app.use(
  session({
    secret: process.env.SESSION_SECRET,
    resave: false,
    cookie: {
      secure: true,
      sameSite: "strict",
    },
  })
);

// ok: js-cookie-insecure
app.use(cookieSession({ name: "session", keys: [process.env.COOKIE_KEY], secure: true, sameSite: "lax" }));

const secureCookie = { httpOnly: true, secure: true, sameSite: "strict" };
const shortCookie = { maxAge: 60 * 1000 };
app.post("/login-vars", (req, res) => {
  // Options through a variable: read where they are defined.
  // ok: js-cookie-insecure
  res.cookie("sid", req.sessionID, secureCookie);
  // ruleid: js-cookie-insecure
  res.cookie("flash", req.body.flash, shortCookie);
  // Options from a helper cannot be seen here.
  // ok: js-cookie-insecure
  res.cookie("sid", req.sessionID, cookieOptionsFor(req));
  res.end();
});

// A CSRF token cookie is meant to be read by scripts (double-submit pattern).
app.get("/form", (req, res) => {
  // ok: js-cookie-insecure
  res.cookie("XSRF-TOKEN", req.csrfToken(), { secure: true, sameSite: "strict" });
  res.render("form");
});

// Browser cookies that are not sessions: UI state.
// ok: js-cookie-insecure
document.cookie = `sidebar_state=${open}; path=/; max-age=604800`;

// ok: js-cookie-insecure
Cookies.set("theme", "dark", { expires: 365 });

// ok: js-cookie-insecure
document.cookie = `session=${id}; path=/; Secure; SameSite=Strict`;

// Logging out in the browser: expiring the cookie.
// ok: js-cookie-insecure
document.cookie = "token=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/";

// ok: js-cookie-insecure
Cookies.set("refreshToken", token, { secure: true, sameSite: "strict", expires: 30 });

// ok: js-cookie-insecure
const hint = "res.cookie('session', id) without { httpOnly: true, secure: true } is insecure";

// ok: js-cookie-insecure
const parsed = cookie.parse(req.headers.cookie || "");

// ok: js-cookie-insecure
res.setHeader("Set-Cookie", `sid=${id}; Path=/; HttpOnly; Secure; SameSite=Lax`);

// ok: js-cookie-insecure
res.set("Cache-Control", "no-store");

// --- Spreads of options defined in this file ------------------------------------------------------

const baseCookie = { path: "/", sameSite: "lax" };
app.post("/login-base", (req, res) => {
  // The spread object is in this file and sets neither flag; httpOnly alone is not enough.
  // ruleid: js-cookie-insecure
  res.cookie("sid", req.sessionID, { ...baseCookie, httpOnly: true });
});

const hardenedCookie = { ...baseCookie, httpOnly: true, secure: true };
app.post("/login-hardened", (req, res) => {
  // ok: js-cookie-insecure
  res.cookie("sid", req.sessionID, { ...hardenedCookie, maxAge: 60 * 60 * 1000 });
});

app.post("/login-downgraded", (req, res) => {
  // A later key wins: secure is turned off again.
  // ruleid: js-cookie-insecure
  res.cookie("sid", req.sessionID, { ...hardenedCookie, secure: false });
});
