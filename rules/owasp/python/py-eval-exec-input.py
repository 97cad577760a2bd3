# Test cases for py-eval-exec-input: `ruleid:` marks the next line as one that must be reported,
# `ok:` one that must not. Run with: prwarden rules test
import ast
import builtins
import json

from flask import Flask, request

app = Flask(__name__)


@app.route("/calc")
def calc():
    expression = request.args.get("expr", "0")
    # ruleid: py-eval-exec-input
    result = eval(expression)
    return {"result": result}


@app.post("/run")
def run_snippet():
    # ruleid: py-eval-exec-input
    exec(request.form["code"], {"__builtins__": {}})
    return "ok"


def render_field(obj, field_name):
    # ruleid: py-eval-exec-input
    return eval(f"obj.{field_name}")


def apply_rule(rule, record):
    # A multi-line call: the finding spans the whole statement, so editing any line reports it.
    # ruleid: py-eval-exec-input
    return eval(
        rule.condition,
        {"record": record},
    )


def load_plugin(path):
    with open(path) as handle:
        source = handle.read()
    # ruleid: py-eval-exec-input
    exec(compile(source, path, "exec"), {})


def django_view(request):
    formula = request.GET["formula"]
    # ruleid: py-eval-exec-input
    value = builtins.eval("lambda x: " + formula)
    return value


# ruleid: py-eval-exec-input
handler = eval("handle_" + event_name)

# ok: py-eval-exec-input
two = eval("1 + 1")

# ok: py-eval-exec-input
exec("import this")

# ok: py-eval-exec-input
flag = eval("'a' " "'b'")

# ok: py-eval-exec-input
settings = ast.literal_eval(request.args.get("settings", "{}"))

# ok: py-eval-exec-input
docs = "never call eval(user_input) on request data"

# ok: py-eval-exec-input
# eval(commented_out)

# PyTorch's model.eval() switches a module to inference mode; it is not the builtin.
# ok: py-eval-exec-input
model.eval()

# ok: py-eval-exec-input
total = df.eval("a + b")

# ok: py-eval-exec-input
redis_client.eval(lua_script, 1, key)

# ok: py-eval-exec-input
answer = evaluate(expression)

# ok: py-eval-exec-input
eval(42)


# --- Real-world idioms ---------------------------------------------------------------------------


@app.route("/calc-safe", methods=["POST"])
def calc_safe():
    # ok: py-eval-exec-input
    numbers = ast.literal_eval(request.form["numbers"])
    return {"sum": sum(numbers)}


@app.route("/filters", methods=["POST"])
def apply_filters():
    # ruleid: py-eval-exec-input
    predicate = eval("lambda row: " + request.json["where"])
    return {"rows": [r for r in ROWS if predicate(r)]}


def load_settings(text):
    # ok: py-eval-exec-input
    return json.loads(text)


def run_migration(path):
    with open(path, encoding="utf-8") as fh:
        source = fh.read()
    # ruleid: py-eval-exec-input
    exec(compile(source, path, "exec"), {"__name__": "__migration__"})


def to_python(df, expr):
    # pandas' DataFrame.eval is an expression language of its own.
    # ok: py-eval-exec-input
    return df.eval(expr)


ROWS = []
