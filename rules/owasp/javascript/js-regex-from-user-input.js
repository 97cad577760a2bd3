// Test cases for js-regex-from-user-input: `ruleid:` marks the next line as one that must be
// reported, `ok:` one that must not.

const express = require("express");
const escapeStringRegexp = require("escape-string-regexp");
const _ = require("lodash");

const router = express.Router();

router.get("/search", async (req, res) => {
  // ruleid: js-regex-from-user-input
  const pattern = new RegExp(req.query.q, "i");
  res.json(await Product.find({ name: pattern }));
});

router.get("/users", async (req, res) => {
  const { name } = req.query;
  // ruleid: js-regex-from-user-input
  const filter = { username: { $regex: new RegExp(`^${name}`, "i") } };
  res.json(await User.find(filter));
});

router.post("/highlight", (req, res) => {
  const term = req.body.term.trim();
  const words = term.split(/\s+/).join("|");
  // ruleid: js-regex-from-user-input
  const re = RegExp(
    "(" + words + ")",
    "gi"
  );
  res.send({ html: req.body.text.replace(re, "<mark>$1</mark>") });
});

router.get("/logs/:pattern", (req, res) => {
  // ruleid: js-regex-from-user-input
  const matches = logs.filter((line) => new RegExp(req.params.pattern).test(line));
  res.json(matches);
});

function onFilterInput(event) {
  const query = event.target.value;
  // ruleid: js-regex-from-user-input
  const matcher = new globalThis.RegExp(query, "i");
  renderList(items.filter((item) => matcher.test(item.title)));
}

router.get("/tags", (req, res) => {
  const prefix = req.get("X-Tag-Prefix") || "";
  // ruleid: js-regex-from-user-input
  const tagRe = new RegExp(prefix + "[a-z]+");
  res.json(tags.filter((t) => tagRe.test(t)));
});

// --- negatives -------------------------------------------------------------------------------

router.get("/safe-search", async (req, res) => {
  // ok: js-regex-from-user-input
  const pattern = new RegExp(escapeStringRegexp(req.query.q), "i");
  res.json(await Product.find({ name: pattern }));
});

router.get("/safe-users", async (req, res) => {
  const escaped = _.escapeRegExp(req.query.name);
  // ok: js-regex-from-user-input
  const re = new RegExp(`^${escaped}$`, "i");
  res.json(await User.find({ username: re }));
});

router.get("/inline-escape", (req, res) => {
  // ok: js-regex-from-user-input
  const re = new RegExp(req.query.q.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "i");
  res.json(items.filter((i) => re.test(i)));
});

router.get("/escaped-var", (req, res) => {
  // The same escape kept in a variable first.
  const escaped = String(req.query.q).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  // ok: js-regex-from-user-input
  const re = new RegExp(escaped, "i");
  res.json(items.filter((i) => re.test(i)));
});

router.get("/any-tag", (req, res) => {
  const tags = String(req.query.tags).split(",");
  // Each alternative escaped before joining.
  // ok: js-regex-from-user-input
  const re = new RegExp(`^(${tags.map(_.escapeRegExp).join("|")})$`);
  // ok: js-regex-from-user-input
  const re2 = new RegExp(tags.map((t) => escapeStringRegexp(t)).join("|"));
  // ruleid: js-regex-from-user-input
  const re3 = new RegExp(tags.join("|"));
  res.json(items.filter((i) => re.test(i) || re2.test(i) || re3.test(i)));
});

const SLUG = "[a-z0-9-]+";
// ok: js-regex-from-user-input
const slugRe = new RegExp(`^/posts/${SLUG}$`);

// ok: js-regex-from-user-input
const emailRe = new RegExp("^[^@\\s]+@[^@\\s]+$");

router.get("/page", (req, res) => {
  const size = parseInt(req.query.size, 10);
  // A number cannot carry regex syntax.
  // ok: js-regex-from-user-input
  const chunkRe = new RegExp(`.{1,${size}}`, "g");
  res.json(req.query.text.match(chunkRe));
});

// A helper's parameters count as input (`parameters: true`): its callers pass search terms in.
function buildMatcher(keywords) {
  // ruleid: js-regex-from-user-input
  return new RegExp(keywords.map((k) => `\\b${k}\\b`).join("|"));
}

// ok: js-regex-from-user-input
const doc = "never write new RegExp(req.query.q) in a handler";

router.get("/literal", (req, res) => {
  // ok: js-regex-from-user-input
  const valid = /^[a-z]+$/.test(req.query.name);
  res.json({ valid });
});

router.get("/plain", (req, res) => {
  // Plain text search needs no regex at all.
  // ok: js-regex-from-user-input
  const found = items.filter((item) => item.includes(req.query.q));
  res.json(found);
});
