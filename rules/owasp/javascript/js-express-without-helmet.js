// Test cases for js-express-without-helmet: `ruleid:` marks the next line as one that must be
// reported, `ok:` one that must not. Run with: python -m pytest tests/test_rules.py
// This file never applies helmet, so every app it creates is reported.
const express = require("express");
const cors = require("cors");

// ruleid: js-express-without-helmet
const app = express();
app.use(cors());
app.use(express.json());

function createAdminApp() {
  // ruleid: js-express-without-helmet
  const admin = express();
  admin.disable("x-powered-by");
  return admin;
}

// ruleid: js-express-without-helmet
const metrics = require("express")();

// ruleid: js-express-without-helmet
module.exports.createServer = () => express().use(express.static("public")).listen(8080);

let legacyApp;
async function bootstrap(port) {
  // ruleid: js-express-without-helmet
  legacyApp = express();
  try {
    // ruleid: js-express-without-helmet
    const api = express()
      .use(express.json())
      .use("/v1", require("./routes"));
    await new Promise((resolve) => api.listen(port, resolve));
  } catch (err) {
    console.error(err);
  }
}

// A router is not an app.
// ok: js-express-without-helmet
const router = express.Router();

// ok: js-express-without-helmet
const jsonParser = express.json({ limit: "1mb" });

// ok: js-express-without-helmet
const note = "const app = express() needs helmet";

// ok: js-express-without-helmet
const other = expressive();

module.exports = { app, bootstrap, createAdminApp, metrics, router, jsonParser };
