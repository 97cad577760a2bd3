// Test cases for js-child-process-injection: `ruleid:` marks the next line as one that must be
// reported, `ok:` one that must not. Run with: python -m pytest tests/test_rules.py

const { exec, execSync, spawn, execFile } = require("child_process");
const cp = require("child_process");
const run = require("child_process").exec;
const util = require("util");
const execAsync = util.promisify(exec);
const { quote } = require("shell-quote");
const express = require("express");

const app = express();

app.get("/ping", (req, res) => {
  // ruleid: js-child-process-injection
  exec(`ping -c 1 ${req.query.host}`, (err, stdout) => res.send(stdout));
});

app.post("/archive", (req, res) => {
  const dir = req.body.dir;
  // ruleid: js-child-process-injection
  const out = execSync("tar czf /tmp/out.tgz " + dir);
  res.send(out);
});

app.post("/convert", (req, res) => {
  const { input, format } = req.body;
  const command = `convert ${input} out.${format}`;
  // An alias of exec, over several lines.
  // ruleid: js-child-process-injection
  run(
    command,
    { timeout: 5000 },
    (err) => res.sendStatus(err ? 500 : 204)
  );
});

app.get("/lookup", async (req, res) => {
  // ruleid: js-child-process-injection
  const { stdout } = await execAsync(`nslookup ${req.query.domain}`);
  res.send(stdout);
});

app.get("/grep", (req, res) => {
  // shell: true joins the arguments into one command line for /bin/sh.
  // ruleid: js-child-process-injection
  const child = spawn("grep", ["-r", req.query.pattern, "/var/log"], { shell: true });
  child.stdout.pipe(res);
});

app.get("/sh", (req, res) => {
  // ruleid: js-child-process-injection
  cp.spawn("sh", ["-c", `ls ${req.query.path}`]).stdout.pipe(res);
});

app.get("/tool", (req, res) => {
  // The program itself comes from the request.
  // ruleid: js-child-process-injection
  execFile(req.query.tool, ["--version"], (err, stdout) => res.send(stdout));
});

app.get("/raw", (req, res) => {
  // ruleid: js-child-process-injection
  require("child_process").exec(req.query.cmd);
  res.end();
});

app.get("/promisified", async (req, res) => {
  // ruleid: js-child-process-injection
  await util.promisify(cp.exec)("git log --author=" + req.query.author);
  res.end();
});

// ---- negatives -------------------------------------------------------------------------------

app.get("/status", (req, res) => {
  // ok: js-child-process-injection
  exec("git status --porcelain", (err, stdout) => res.send(stdout));
});

app.get("/log", (req, res) => {
  // An argument array without a shell: the branch is one argv entry, not shell syntax.
  // ok: js-child-process-injection
  execFile("git", ["log", "--oneline", req.query.branch], (err, stdout) => res.send(stdout));
});

app.get("/quoted", (req, res) => {
  // ok: js-child-process-injection
  exec(`ls -la ${quote([req.query.dir])}`, (err, stdout) => res.send(stdout));
});

app.get("/kill/:pid", (req, res) => {
  const pid = parseInt(req.params.pid, 10);
  // ok: js-child-process-injection
  execSync(`kill -TERM ${pid}`);
  res.sendStatus(204);
});

app.get("/spawn-safe", (req, res) => {
  // ok: js-child-process-injection
  const child = spawn("ffmpeg", ["-i", req.query.src, "out.mp4"], { shell: false });
  child.on("close", () => res.end());
});

app.get("/match", (req, res) => {
  // RegExp.prototype.exec, not child_process.
  // ok: js-child-process-injection
  const m = /^(\d+)-(\d+)$/.exec(req.query.range);
  res.json(m);
});

app.get("/sqlite", (req, res) => {
  // ok: js-child-process-injection
  db.exec(req.body.migration);
  res.end();
});

function buildAssets() {
  const outDir = "dist";
  // ok: js-child-process-injection
  execSync(`rm -rf ${outDir} && webpack --mode production`);
}

// ok: js-child-process-injection
const note = "never exec(req.query.cmd) in a handler";

// Helpers whose callers pass the data in (as in a PDF or image utility module).
function renderPdf(url, outPath) {
  // ruleid: js-child-process-injection
  return execSync(`wkhtmltopdf ${url} ${outPath}`);
}

function thumbnail(file) {
  // ok: js-child-process-injection
  return execFile("convert", [file, "-resize", "64x64", "thumb.png"]);
}

function diskUsage() {
  // ok: js-child-process-injection
  return execSync("du -sh /var/data");
}
