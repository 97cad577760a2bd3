// A file that imports no process module: names like run / exec are the project's own helpers,
// not child_process, whatever they are given.
const express = require("express");
const { run } = require("./jobs");

const app = express();

app.get("/job", (req, res) => {
  // ok: js-child-process-injection
  run(req.query.job);
  // ok: js-child-process-injection
  const outcome = exec(req.body.task);
  // ok: js-child-process-injection
  runCommand(`report ${req.params.id}`);
  // ok: js-child-process-injection
  execAsync(req.query.name).then((r) => res.json(r));
  res.json(outcome);
});
