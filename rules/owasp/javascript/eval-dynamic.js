// Test cases for js-eval-dynamic: `ruleid:` marks the next line as one that must be reported,
// `ok:` one that must not. Run with: python -m pytest tests/test_rules.py

const express = require("express");
const app = express();

app.post("/calc", (req, res) => {
  const expression = req.body.expression;
  // ruleid: js-eval-dynamic
  const result = eval(expression);
  res.json({ result });
});

function renderGreeting(name) {
  // ruleid: js-eval-dynamic
  return eval(`greet("${name}")`);
}

function runPlugin(plugin, context) {
  // A multi-line call: the finding spans all three lines, so an edit to any of them reports it.
  // ruleid: js-eval-dynamic
  eval(
    plugin.source + "\n//# sourceURL=" + plugin.name
  );
}

function compileTemplate(body) {
  // ruleid: js-eval-dynamic
  const render = new Function("data", "helpers", body);
  return render;
}

// ruleid: js-eval-dynamic
const handler = Function("event", `return ${userCode}`);

// ruleid: js-eval-dynamic
window.eval(location.hash.slice(1));

// ruleid: js-eval-dynamic
globalThis["eval"](payload);

// Indirect eval runs in the global scope, but runs the string all the same.
// ruleid: js-eval-dynamic
(0, eval)(script);

// ruleid: js-eval-dynamic
eval?.(maybeCode);

// ruleid: js-eval-dynamic
eval(...chunks);

// ok: js-eval-dynamic
const version = eval("1 + 1");

// ok: js-eval-dynamic
const flag = eval(`typeof window !== "undefined"`);

// Constant folding: parentheses and + between constants stay constant.
// ok: js-eval-dynamic
const answer = eval(("40" + 2));

// ok: js-eval-dynamic
const docs = "never call eval(userInput) on request data";

// ok: js-eval-dynamic
// eval(commentedOut);

const evaluator = {
  evaluate(expr) {
    return expr.length;
  },
};
// ok: js-eval-dynamic
evaluator.evaluate(input);

// Decision: `obj.eval(...)` on anything but the global object is another API (Redis EVAL,
// model.eval()), not JavaScript's eval; this rule leaves it alone.
// ok: js-eval-dynamic
redis.eval(luaScript, 1, key);

// ok: js-eval-dynamic
const noop = new Function();

// ok: js-eval-dynamic
const add = new Function("a", "b", "return a + b");

// The body is the last argument; a dynamic parameter list with a constant body is not reported.
// ok: js-eval-dynamic
const getter = Function(paramName, "return 42");

// ok: js-eval-dynamic
const evalResult = evaluate(expression);

// ok: js-eval-dynamic
eval(42);

// --- setTimeout / setInterval with code text -------------------------------------------------

// A string literal is compiled as code just like eval's argument.
// ruleid: js-eval-dynamic
setTimeout("refreshDashboard()", 5000);

function schedule(callbackName, delay) {
  // ruleid: js-eval-dynamic
  setTimeout(callbackName + "()", delay);
}

app.get("/poll", (req, res) => {
  // ruleid: js-eval-dynamic
  const timer = setInterval(
    `notify("${req.query.channel}")`,
    1000
  );
  res.json({ timer: String(timer) });
});

// ruleid: js-eval-dynamic
window.setTimeout('document.getElementById("banner").remove()', 3000);

// ruleid: js-eval-dynamic
globalThis.setInterval("tick(" + counter + ")", 250);

// ok: js-eval-dynamic
setTimeout(() => refreshDashboard(), 5000);

// ok: js-eval-dynamic
setTimeout(refreshDashboard, 5000);

// ok: js-eval-dynamic
const poller = setInterval(function poll() {
  fetch("/status");
}, 1000);

// ok: js-eval-dynamic
window.setTimeout(this.hideToast.bind(this), 3000);

// ok: js-eval-dynamic
setImmediate(() => flush());

// Another object's setTimeout (a fake-timer helper in tests) is not the global one.
// ok: js-eval-dynamic
clock.setTimeout("advance", 10);

// ok: js-eval-dynamic
const hint = "never call setTimeout('code()', 10) with a string";

// --- Node's vm module --------------------------------------------------------------------------

const vm = require("vm");

function runUserScript(source, sandbox) {
  // ruleid: js-eval-dynamic
  return vm.runInNewContext(source, sandbox, { timeout: 100 });
}

// ruleid: js-eval-dynamic
const compiled = new vm.Script(`(function () { ${pluginBody} })()`);

// ruleid: js-eval-dynamic
require("node:vm").runInThisContext(req.body.snippet);

const { runInNewContext, compileFunction } = require("vm");
// ruleid: js-eval-dynamic
const value = runInNewContext(expression, { Math });

// ruleid: js-eval-dynamic
const fn = compileFunction(
  hookSource,
  ["event", "context"]
);

// ruleid: js-eval-dynamic
vm.runInContext(code, vm.createContext({}));

// ok: js-eval-dynamic
vm.runInNewContext("1 + 1", {});

// ok: js-eval-dynamic
const fixed = new vm.Script("globalThis.ready = true");

// A vm.Script instance's runInNewContext takes a context, not code.
// ok: js-eval-dynamic
compiled.runInNewContext(sandbox);

// ok: js-eval-dynamic
const ctx = vm.createContext(sandbox);

// ok: js-eval-dynamic
db.runInContext(transaction);

// --- Real-world idioms --------------------------------------------------------------------------

// The globalThis polyfill: a constant body.
// ok: js-eval-dynamic
const globalObject = Function("return this")();

// Bundlers hide require from static analysis with a constant string.
// ok: js-eval-dynamic
const nodeRequire = eval("require");

app.post("/calc", (req, res) => {
  // ruleid: js-eval-dynamic
  const calcResult = eval(req.body.expression);
  res.json({ result: calcResult });
});

function parseLegacyJson(text) {
  // ruleid: js-eval-dynamic
  return eval(`(${text})`);
}

function compileLegacyTemplate(source) {
  // ruleid: js-eval-dynamic
  return new Function("data", "with (data) { return `" + source + "`; }");
}

// Redis EVAL and other objects' eval methods are different APIs.
// ok: js-eval-dynamic
redis.eval(LUA_SCRIPT, 1, "counter");

// ok: js-eval-dynamic
const parsed = JSON.parse(rawBody);

// ok: js-eval-dynamic
setTimeout(() => refresh(req.query.id), 500);
