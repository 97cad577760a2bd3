// Test cases for js-xss-unescaped-response: `ruleid:` marks the next line as one that must be
// reported, `ok:` one that must not.

const express = require("express");
const escapeHtml = require("escape-html");
const he = require("he");
const ejs = require("ejs");
const Handlebars = require("handlebars");
const http = require("http");

const app = express();

app.get("/hello", (req, res) => {
  // ruleid: js-xss-unescaped-response
  res.send(`<h1>Hello, ${req.query.name}!</h1>`);
});

app.get("/search", (req, res) => {
  const { q } = req.query;
  const heading = "<h2>Results for " + q + "</h2>";
  // ruleid: js-xss-unescaped-response
  res.send(heading);
});

app.get("/echo", (req, res) => {
  // ruleid: js-xss-unescaped-response
  res.send(req.query.message);
});

app.get("/welcome", (req, res) => {
  const name = decodeURIComponent(req.query.name || "guest");
  // ruleid: js-xss-unescaped-response
  res.send(name);
});

app.get("/users/:id", async (req, res) => {
  const user = await db.users.find(req.params.id);
  if (!user) {
    // ruleid: js-xss-unescaped-response
    return res.status(404).send(`User ${req.params.id} not found`);
  }
  res.json(user);
});

app.post("/preview", (req, res) => {
  const { title, body } = req.body;
  res.write("<html><body>");
  // ruleid: js-xss-unescaped-response
  res.write(
    `<article><h1>${title}</h1>` +
      `<div>${body}</div></article>`
  );
  res.end("</body></html>");
});

app.get("/card", (req, res) => {
  // ejs's <%- %> writes the value unescaped.
  // ruleid: js-xss-unescaped-response
  res.send(ejs.render("<div class=card><%- bio %></div>", { bio: req.query.bio }));
});

const badgeTemplate = Handlebars.compile("<span class=badge>{{label}}</span>");
app.get("/badge", (req, res) => {
  // SafeString tells Handlebars not to escape.
  // ruleid: js-xss-unescaped-response
  res.send(badgeTemplate({ label: new Handlebars.SafeString(`<b>${req.query.label}</b>`) }));
});

app.get("/note", (req, res) => {
  // ruleid: js-xss-unescaped-response
  res.send(Handlebars.compile("<p>{{{note}}}</p>")({
    note: req.body.note,
  }));
});

http
  .createServer((req, res) => {
    const url = new URL(req.url, "http://localhost");
    res.writeHead(200, { "Content-Type": "text/html" });
    // ruleid: js-xss-unescaped-response
    res.end("<p>You asked for " + url.searchParams.get("page") + "</p>");
  })
  .listen(8080);

function showGreeting() {
  const name = new URLSearchParams(location.search).get("name");
  // ruleid: js-xss-unescaped-response
  document.getElementById("greeting").innerHTML = `Welcome back, ${name}`;
}

function onHashChange() {
  // ruleid: js-xss-unescaped-response
  document.write("<h1>" + decodeURIComponent(location.hash.slice(1)) + "</h1>");
}

function renderTag(event) {
  // ruleid: js-xss-unescaped-response
  $("#tags").append(`<li>${event.target.value}</li>`);
}

// --- negatives -------------------------------------------------------------------------------

app.get("/hello-safe", (req, res) => {
  // ok: js-xss-unescaped-response
  res.send(`<h1>Hello, ${escapeHtml(req.query.name)}!</h1>`);
});

app.get("/search-safe", (req, res) => {
  const safeQ = he.encode(String(req.query.q));
  // ok: js-xss-unescaped-response
  res.send("<h2>Results for " + safeQ + "</h2>");
});

app.get("/api/echo", (req, res) => {
  // JSON, not HTML.
  // ok: js-xss-unescaped-response
  res.json({ message: req.query.message });
  // ok: js-xss-unescaped-response
  res.send({ received: req.body });
});

app.get("/api/users/:id", async (req, res) => {
  // A record the input only selected, sent as JSON.
  const user = await User.findById(req.params.id);
  // ok: js-xss-unescaped-response
  res.send(user);
  const orders = await db.query("SELECT * FROM orders WHERE user_id = $1", [req.params.id]);
  // ok: js-xss-unescaped-response
  res.status(200).send(orders.rows);
});

app.get("/health", (req, res) => {
  // ok: js-xss-unescaped-response
  res.send("<h1>OK</h1>");
});

app.get("/count", (req, res) => {
  const page = parseInt(req.query.page, 10) || 1;
  // ok: js-xss-unescaped-response
  res.send(`<p>Page ${page}</p>`);
});

app.get("/plain", (req, res) => {
  // ok: js-xss-unescaped-response
  res.type("text/plain").send(`You sent ${req.query.text}`);
});

app.get("/profile", (req, res) => {
  // The view escapes: <%= name %>.
  // ok: js-xss-unescaped-response
  res.render("profile", { name: req.query.name });
});

app.get("/card-safe", (req, res) => {
  // ok: js-xss-unescaped-response
  const html = ejs.render("<div class=card><%= bio %></div>", { bio: req.query.bio });
  res.send(html);
});

function greet(name) {
  // A helper's parameter is not user input inside the helper.
  // ok: js-xss-unescaped-response
  return res.send(`<p>Hello ${name}</p>`);
}

function showGreetingSafe() {
  const name = new URLSearchParams(location.search).get("name");
  // ok: js-xss-unescaped-response
  document.getElementById("greeting").textContent = `Welcome back, ${name}`;
}

function renderRich(html) {
  // ok: js-xss-unescaped-response
  container.innerHTML = DOMPurify.sanitize(new URLSearchParams(location.search).get("html"));
}

// ok: js-xss-unescaped-response
const tip = "never res.send(req.query.x) without escaping";

app.get("/export", (req, res) => {
  // ok: js-xss-unescaped-response
  res.send(JSON.stringify({ query: req.query }));
});
