// Test cases for js-nosql-injection: `ruleid:` marks the next line as one that must be reported,
// `ok:` one that must not. Run with: python -m pytest tests/test_rules.py

const express = require("express");
const mongoSanitize = require("mongo-sanitize");
const User = require("./models/user");
const Order = require("./models/order");

const router = express.Router();

router.get("/users", async (req, res) => {
  // The whole query string as the filter: ?role[$ne]=x
  // ruleid: js-nosql-injection
  const users = await User.find(req.query);
  res.json(users);
});

router.post("/login", async (req, res) => {
  // {"password": {"$ne": null}} logs in as anyone.
  // ruleid: js-nosql-injection
  const user = await User.findOne({ username: req.body.username, password: req.body.password });
  res.json({ ok: Boolean(user) });
});

router.post("/reset", async (req, res) => {
  const { email } = req.body;
  // ruleid: js-nosql-injection
  const account = await User.findOne({ email });
  res.sendStatus(account ? 204 : 404);
});

router.get("/search", async (req, res) => {
  const db = req.app.locals.db;
  // ruleid: js-nosql-injection
  const cursor = db.collection("users").find({
    $where: `this.name == '${req.query.name}'`,
  });
  res.json(await cursor.toArray());
});

router.get("/orders/stats", async (req, res) => {
  // ruleid: js-nosql-injection
  const stats = await Order.aggregate([
    { $match: { customer: req.query.customer } },
    { $group: { _id: "$status", total: { $sum: "$amount" } } },
  ]);
  res.json(stats);
});

router.delete("/sessions", async (req, res) => {
  // ruleid: js-nosql-injection
  await Session.deleteMany({ ...req.query, archived: true });
  res.sendStatus(204);
});

router.get("/products", async (req, res) => {
  // ruleid: js-nosql-injection
  const count = await Product.countDocuments({ name: { $regex: req.query.q } });
  res.json({ count });
});

router.post("/password", async (req, res) => {
  const token = req.params.token || req.body.token;
  // ruleid: js-nosql-injection
  await User.findOneAndUpdate(
    { resetToken: token },
    { $unset: { resetToken: 1 } }
  );
  res.sendStatus(204);
});

router.get("/posts", async (req, res) => {
  const filter = { status: req.query.status, deleted: false };
  // ruleid: js-nosql-injection
  const posts = await Post.find(filter).sort({ createdAt: -1 }).limit(20);
  res.json(posts);
});

router.post("/lookup", async (req, res) => {
  const login = req.body.login;
  // ruleid: js-nosql-injection
  const found = await User.findOne({ $or: [{ email: login }, { username: login }] });
  res.json(found);
});

router.patch("/flags", async (req, res) => {
  // The field name itself comes from the user: it can be "$where".
  // ruleid: js-nosql-injection
  await Flag.updateMany({ [req.body.field]: req.body.value }, { $set: { seen: true } });
  res.sendStatus(204);
});

// Koa
koaRouter.get("/articles", async (ctx) => {
  // ruleid: js-nosql-injection
  ctx.body = await ctx.db.collection("articles").find({ author: ctx.query.author }).toArray();
});

// ---- negatives -------------------------------------------------------------------------------

router.post("/login-safe", async (req, res) => {
  // $eq takes its operand as a value, even an object.
  // ok: js-nosql-injection
  const user = await User.findOne({ username: { $eq: req.body.username } });
  res.json({ ok: Boolean(user) });
});

router.get("/users-safe", async (req, res) => {
  // ok: js-nosql-injection
  const users = await User.find(mongoSanitize(req.query));
  res.json(users);
});

router.get("/page", async (req, res) => {
  const page = parseInt(req.query.page, 10) || 1;
  // ok: js-nosql-injection
  const items = await Item.find({ page, published: true });
  res.json(items);
});

router.get("/cached/:id", (req, res) => {
  // Array.prototype.find with a predicate, not a database query.
  // ok: js-nosql-injection
  const entry = cache.find((e) => e.id === req.params.id);
  res.json(entry);
});

router.get("/mine", async (req, res) => {
  // req.user is set by the auth middleware, not by the client.
  // ok: js-nosql-injection
  const mine = await Post.find({ author: req.user.id });
  res.json(mine);
});

router.get("/admins", async (req, res) => {
  // ok: js-nosql-injection
  const admins = await User.find({ role: "admin" });
  res.json(admins);
});

router.put("/profile", async (req, res) => {
  // Only the filter is judged; the update document is another concern (mass assignment).
  // ok: js-nosql-injection
  await User.updateOne({ _id: req.user._id }, { $set: { displayName: req.body.displayName } });
  res.sendStatus(204);
});

router.get("/fulltext", async (req, res) => {
  // ok: js-nosql-injection
  const hits = await Article.find({ $text: { $search: req.query.q } });
  res.json(hits);
});

router.get("/sequelize", async (req, res) => {
  // Sequelize options, not a MongoDB filter; values are bound parameters.
  // ok: js-nosql-injection
  const account = await Account.findOne({ where: { email: req.body.email } });
  res.json(account);
});

router.get("/lodash", (req, res) => {
  // ok: js-nosql-injection
  const picked = _.find(req.body.items, { active: true });
  res.json(picked);
});

router.get("/typed", async (req, res) => {
  const age = Number(req.query.age);
  // ok: js-nosql-injection
  const people = await Person.find({ age: { $gte: age } });
  res.json(people);
});

router.post("/login-cast", async (req, res) => {
  // String() turns {"$ne": null} into "[object Object]": no operator survives.
  // ok: js-nosql-injection
  const user = await User.findOne({ email: String(req.body.email), active: true });
  res.json(user);
});

router.get("/by-id/:id", async (req, res) => {
  // ok: js-nosql-injection
  const doc = await User.findById(req.params.id);
  // ObjectId() throws on anything but 24 hex characters or 12 bytes.
  // ok: js-nosql-injection
  const same = await db.collection("users").findOne({ _id: new ObjectId(req.params.id) });
  res.json({ doc, same });
});

// ok: js-nosql-injection
const help = "never call User.find(req.body) with the raw body";

// A typeof guard proves the value is a string: it cannot carry a $ne / $gt operator object.
app.get("/orders/by-status", async (req, res) => {
  const filter = {};
  if (typeof req.query.status === "string") {
    filter.status = req.query.status;
  }
  // ok: js-nosql-injection
  const guarded = await Order.find(filter);
  const open = {};
  open.owner = req.query.owner;
  // ruleid: js-nosql-injection
  const unguarded = await Order.find(open);
  res.json({ guarded, unguarded });
});
