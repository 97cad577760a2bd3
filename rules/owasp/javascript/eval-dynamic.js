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
