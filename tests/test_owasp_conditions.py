"""The rule conditions (bot/owasp/conditions.py): each one on small snippets, and their
argument checks at rule load.

`results` runs a query over a snippet and answers, for each `@match` in source order, whether
the condition holds, the way the engine asks it.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import tree_sitter

from bot.owasp.conditions import CONDITIONS, FileCache, MatchContext, split_words
from bot.owasp.languages import grammar, parse
from bot.owasp.rules import RuleError, load_rule

CALL_ARG = """
(call_expression
  function: (_) @callee (#eq? @callee "target")
  arguments: (arguments . (_) @arg)) @match
"""
PY_CALL_ARG = """
(call
  function: (_) @callee (#eq? @callee "target")
  arguments: (argument_list . (_) @arg)) @match
"""


def results(
    name: str,
    arg: Any,
    code: str,
    *,
    query: str = CALL_ARG,
    language: str = "javascript",
    path: str = "src/app.js",
) -> list[bool]:
    source = textwrap.dedent(code).encode()
    tree = parse(language, source, 5.0)
    assert not tree.root_node.has_error, "test snippet does not parse"
    compiled = tree_sitter.Query(grammar(language), query)
    captures = frozenset(compiled.capture_name(i) for i in range(compiled.capture_count))
    condition = CONDITIONS[name]
    parsed = condition.parse_arg(arg, captures)
    cache = FileCache()
    matches = sorted(
        tree_sitter.QueryCursor(compiled).matches(tree.root_node),
        key=lambda m: m[1]["match"][0].start_byte,
    )
    return [
        condition.holds(
            MatchContext(captured, source, tree.root_node, language, path, cache), parsed
        )
        for _pattern, captured in matches
    ]


def py_results(name: str, arg: Any, code: str, query: str = PY_CALL_ARG) -> list[bool]:
    return results(name, arg, code, query=query, language="python", path="app/views.py")


# --- literal_or_constant ------------------------------------------------------------------------


def test_literal_or_constant_javascript() -> None:
    code = """
    const SECRET = "s3cr3t";
    const config = { jwt: { secret: "nested" }, jwtSecret: "flat" };
    const frozen = Object.freeze({ key: "frozen" });
    const fromEnv = process.env.JWT_SECRET;
    let changing = "a";
    changing = "b";
    let empty = "";
    empty = "set later";
    const encoded = new TextEncoder().encode("jose-secret");
    function sign(payload, param) {
      const local = `template`;
      target("literal");
      target(SECRET);
      target(config.jwtSecret);
      target(config.jwt.secret);
      target(config["jwtSecret"]);
      target(frozen.key);
      target("a" + "b");
      target(local);
      target(encoded);
      target(Buffer.from("buffered"));
      target(changing);
      target(process.env.JWT_SECRET);
      target(fromEnv);
      target(process.env.JWT_SECRET || "fallback");
      target(param);
      target(getSecret());
      target(`key-${param}`);
      target("");
      target(config.missing);
      target(empty);
    }
    """
    assert results("literal_or_constant", "arg", code) == [True] * 11 + [False] * 9


def test_literal_or_constant_python() -> None:
    code = """
    import os
    SECRET_KEY = "hardcoded"
    CONFIG = {"jwt_secret": "in-a-dict"}
    app.config["SECRET"] = "configured"
    FROM_ENV = os.environ.get("SECRET")

    def encode(payload, key):
        target("literal")
        target(SECRET_KEY)
        target(CONFIG["jwt_secret"])
        target(app.config["SECRET"])
        target("abc".encode())
        target(b"bytes")
        target(os.environ["SECRET"])
        target(os.getenv("SECRET"))
        target(FROM_ENV)
        target(key)
        target(f"{key}-suffix")
        target("")
    """
    assert py_results("literal_or_constant", "arg", code) == [True] * 6 + [False] * 6


# --- tainted / not_sanitized ----------------------------------------------------------------


def test_tainted_with_and_without_sanitizer_categories() -> None:
    code = """
    app.get("/", (req, res) => {
      const name = req.query.name;
      target(name);
      target(escapeHtml(name));
      target(encodeURIComponent(name));
      target("constant");
    });
    """
    assert results("tainted", "arg", code) == [True, False, False, False]
    html = {"capture": "arg", "sanitizers": ["html"]}
    assert results("tainted", html, code) == [True, False, True, False]
    none = {"capture": "arg", "sanitizers": []}
    assert results("tainted", none, code) == [True, True, True, False]


def test_tainted_python() -> None:
    code = """
    from flask import request
    import shlex

    def run():
        cmd = "ls " + request.args["dir"]
        target(cmd)
        target(shlex.quote(cmd))
        target("ls -la")
    """
    arg = {"capture": "arg", "sanitizers": ["shell"]}
    assert py_results("tainted", arg, code) == [True, False, False]


def test_not_sanitized() -> None:
    code = """
    function View({ html }) {
      const clean = DOMPurify.sanitize(html);
      target(html);
      target(clean);
      target(DOMPurify.sanitize(html));
      target(encodeURIComponent(html));
      target("<b>fixed</b>");
    }
    """
    arg = {"capture": "arg", "sanitizers": ["html"]}
    assert results("not_sanitized", arg, code, language="tsx", path="View.tsx") == [
        True, False, False, True, False,
    ]  # fmt: skip


# --- name_matches ------------------------------------------------------------------------------

RANDOM = """
(call_expression
  function: (member_expression
    object: (identifier) @obj (#eq? @obj "Math")
    property: (property_identifier) @prop (#eq? @prop "random"))) @match
"""
WORDS = {"capture": "match", "words": ["token", "secret", "api_key", "uuid", "id"]}


def test_name_matches_by_assigned_name_key_and_function() -> None:
    code = """
    const resetToken = Math.random().toString(36).slice(2);
    const tokenizer = Math.random();
    user.apiKey = Math.floor(Math.random() * 1e9);
    const session = { secret: Math.random() };
    const animation = { delay: Math.random() * 100 };
    function makeSecret() { return Math.random().toString(16); }
    function generateId() { const n = Math.random(); return n; }
    function jitter() { const n = Math.random(); return n * 10; }
    function uuidv4() { return "xxxx".replace(/x/g, () => (Math.random() * 16).toString(16)); }
    const [csrfTokens] = useState(() => Math.random());
    function shuffle(items) { items.sort(() => Math.random() - 0.5); }
    """
    assert results("name_matches", WORDS, code, query=RANDOM) == [
        True, False, True, True, False, True, True, False, True, True, False,
    ]  # fmt: skip


def test_name_matches_python() -> None:
    query = """
    (call function: (attribute object: (identifier) @m attribute: (identifier) @f)
      (#eq? @m "random") (#eq? @f "random")) @match
    """
    code = """
    import random
    session_token = random.random()
    backoff = random.random()
    def make_password():
        return str(random.random())
    """
    assert py_results("name_matches", WORDS | {"words": ["token", "password"]}, code, query) == [
        True, False, True,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("resetToken", ["reset", "token"]),
        ("reset_token", ["reset", "token"]),
        ("reset-token", ["reset", "token"]),
        ("APIKey", ["api", "key"]),
        ("sessionID", ["session", "id"]),
        ("token2", ["token", "2"]),
        ("tokenizer", ["tokenizer"]),
    ],
)
def test_split_words(text: str, words: list[str]) -> None:
    assert split_words(text) == words


# --- lacks_properties ---------------------------------------------------------------------------

COOKIE = """
(call_expression
  function: (member_expression property: (property_identifier) @fn (#eq? @fn "cookie"))
  arguments: (arguments (_) (_) (_)? @options .)) @match
"""
FLAGS = {"capture": "options", "properties": ["httpOnly", "secure"]}


def test_lacks_properties_javascript() -> None:
    code = """
    const safeOptions = { httpOnly: true, secure: true };
    function set(res, opts) {
      res.cookie("a", v, { httpOnly: true });
      res.cookie("b", v, { httpOnly: true, secure: false });
      res.cookie("c", v);
      res.cookie("d", v, {
        httpOnly: true,
        secure: true,
      });
      res.cookie("e", v, safeOptions);
      res.cookie("f", v, { ...opts, httpOnly: true });
      res.cookie("g", v, opts);
      res.cookie("h", v, { httpOnly: true, secure: process.env.NODE_ENV === "production" });
    }
    """
    assert results("lacks_properties", FLAGS, code, query=COOKIE) == [
        True, True, True, False, False, False, False, False,
    ]  # fmt: skip


def test_lacks_properties_dotted_paths() -> None:
    query = """
    (call_expression function: (identifier) @f (#eq? @f "session")
      arguments: (arguments . (_) @options)) @match
    """
    arg = {"capture": "options", "properties": ["cookie.httpOnly", "cookie.secure"]}
    code = """
    app.use(session({ secret: s }));
    app.use(session({ secret: s, cookie: { httpOnly: true, secure: true } }));
    app.use(session({ secret: s, cookie: { httpOnly: true } }));
    """
    assert results("lacks_properties", arg, code, query=query) == [True, False, True]


def test_lacks_properties_python_keyword_arguments() -> None:
    query = """
    (call function: (attribute attribute: (identifier) @f (#eq? @f "set_cookie"))) @match @call
    """
    arg = {"capture": "call", "properties": ["httponly", "secure"]}
    code = """
    resp.set_cookie("a", v)
    resp.set_cookie("b", v, httponly=True, secure=True)
    resp.set_cookie("c", v, httponly=True, secure=False)
    resp.set_cookie("d", v, **cookie_flags)
    resp.set_cookie(
        "e", v,
        secure=True,
        httponly=True,
    )
    """
    assert py_results("lacks_properties", arg, code, query) == [True, False, True, False, False]


def test_lacks_properties_reads_spreads_defined_in_the_file() -> None:
    code = """
    const base = { path: "/" };
    const hardened = { ...base, httpOnly: true, secure: true };
    function set(res, opts) {
      res.cookie("a", v, { ...base, httpOnly: true });
      res.cookie("b", v, { ...hardened, maxAge: 1000 });
      res.cookie("c", v, { ...hardened, secure: false });
      res.cookie("d", v, { secure: false, ...hardened });
      res.cookie("e", v, { ...opts, ...base });
    }
    """
    assert results("lacks_properties", FLAGS, code, query=COOKIE) == [True, False, True, False, False]
    query = """
    (call function: (attribute attribute: (identifier) @f (#eq? @f "set_cookie"))) @match @call
    """
    arg = {"capture": "call", "properties": ["httponly", "secure"]}
    python = """
    FLAGS = {"httponly": True, "secure": True}
    LAX = {"httponly": True, "samesite": "Lax"}
    resp.set_cookie("a", v, **FLAGS)
    resp.set_cookie("b", v, **LAX)
    resp.set_cookie("c", v, **LAX, **unknown)
    """
    assert py_results("lacks_properties", arg, python, query) == [False, True, False]


# --- file_lacks_call ------------------------------------------------------------------------

EXPRESS = """
(call_expression function: (identifier) @f (#eq? @f "express")) @match
"""
HELMET = {"callee": ["helmet"], "import": ["helmet"]}


@pytest.mark.parametrize(
    ("code", "lacks"),
    [
        ('const app = express();\napp.get("/", h);\n', True),
        ("const app = express();\napp.use(helmet());\n", False),
        ("const app = express();\napp.use(helmet.hsts());\n", False),
        ('import helmet from "helmet";\nconst app = express();\n', False),
        ('const h = require("helmet");\nconst app = express();\n', False),
        ('const app = express();\n// app.use(helmet())\nconst s = "helmet()";\n', True),
    ],
)
def test_file_lacks_call(code: str, lacks: bool) -> None:
    assert results("file_lacks_call", HELMET, code, query=EXPRESS) == [lacks]


def test_file_lacks_call_report_when_removed_is_a_flag_of_the_rule() -> None:
    from bot.owasp.conditions import reports_when_removed
    from bot.owasp.rules import ConditionSpec

    parse = CONDITIONS["file_lacks_call"].parse_arg
    flagged = parse({**HELMET, "report_when_removed": True}, frozenset({"match"}))
    plain = parse(HELMET, frozenset({"match"}))
    assert reports_when_removed([ConditionSpec("file_lacks_call", flagged)])
    assert not reports_when_removed([ConditionSpec("file_lacks_call", plain)])
    with pytest.raises(ValueError, match="true or false"):
        parse({**HELMET, "report_when_removed": "yes"}, frozenset({"match"}))
    code = "const app = express();\n"
    assert results("file_lacks_call", {**HELMET, "report_when_removed": True}, code, query=EXPRESS) == [True]


def test_file_lacks_call_python_imports() -> None:
    query = '(call function: (identifier) @f (#eq? @f "Flask")) @match'
    arg = {"callee": ["Talisman"], "import": ["flask_talisman"]}
    assert py_results("file_lacks_call", arg, "app = Flask(__name__)\n", query) == [True]
    code = "from flask_talisman import Talisman\napp = Flask(__name__)\n"
    assert py_results("file_lacks_call", arg, code, query) == [False]


# --- argument checks at rule load ------------------------------------------------------------

RULE = """\
id: test-rule
title: "A03:2021 – Injection"
message: "test"
severity: high
cwe: [CWE-95]
owasp: A03:2021
languages: [javascript]
query: |
  (call_expression function: (identifier) @callee arguments: (arguments . (_) @arg)) @match
conditions:
{conditions}
fix: fix it
"""


@pytest.mark.parametrize(
    ("conditions", "problem"),
    [
        ("  - tainted: nope", "capture @nope"),
        ("  - tainted: {capture: arg, sanitizers: [htlm]}", "unknown sanitizer category 'htlm'"),
        ("  - tainted: {capture: arg, sanitisers: [html]}", "unknown key 'sanitisers'"),
        ("  - not_sanitized: {sanitizers: [html]}", "lacks 'capture'"),
        ("  - literal_or_constant: [arg]", "name of a capture"),
        ("  - name_matches: {capture: arg, words: []}", "words"),
        ("  - name_matches: {capture: arg}", "lacks 'words'"),
        ("  - lacks_properties: {capture: arg, properties: [a..b]}", "empty part"),
        ("  - file_lacks_call: {}", "needs `callee` or `import`"),
        ("  - file_lacks_call: {callee: ['a(b)']}", "not a dotted name"),
    ],
)
def test_bad_condition_arguments_fail_at_load_naming_the_file(
    tmp_path: Path, conditions: str, problem: str
) -> None:
    path = tmp_path / "test-rule.yml"
    path.write_text(RULE.format(conditions=conditions), encoding="utf-8")
    with pytest.raises(RuleError) as caught:
        load_rule(path)
    assert str(path) in str(caught.value)
    assert "conditions[0]" in str(caught.value)
    assert problem in str(caught.value)


def test_good_condition_arguments_load(tmp_path: Path) -> None:
    conditions = "\n".join(
        [
            "  - tainted: arg",
            "  - not_sanitized: {capture: arg, sanitizers: [html, url]}",
            "  - literal_or_constant: '@arg'",
            "  - name_matches: {capture: match, words: [token, api_key]}",
            "  - lacks_properties: {capture: arg, properties: [httpOnly, cookie.secure]}",
            "  - file_lacks_call: {callee: [helmet], import: [helmet]}",
        ]
    )
    path = tmp_path / "test-rule.yml"
    path.write_text(RULE.format(conditions=conditions), encoding="utf-8")
    rule = load_rule(path)
    assert [c.name for c in rule.conditions] == [
        "tainted", "not_sanitized", "literal_or_constant", "name_matches", "lacks_properties",
        "file_lacks_call",
    ]  # fmt: skip


def test_without_a_cache_the_file_analysis_is_still_shared() -> None:
    """The engine passes a FileCache; a caller that does not still gets one analysis per file."""
    source = b"function h(req) { target(req.query.a); target(req.query.b); }\n"
    tree = parse("javascript", source, 5.0)
    compiled = tree_sitter.Query(grammar("javascript"), CALL_ARG)
    contexts = [
        MatchContext(captured, source, tree.root_node, "javascript", "a.js")
        for _p, captured in tree_sitter.QueryCursor(compiled).matches(tree.root_node)
    ]
    assert len(contexts) == 2
    assert contexts[0].taint() is contexts[1].taint()
