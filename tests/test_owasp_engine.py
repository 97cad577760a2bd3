"""The OWASP engine: statement spans, fingerprints, rule validation, limits and grammars."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.model import (
    ChangedFile,
    FileStatus,
    Finding,
    NoticeKind,
    ScannedFile,
    Severity,
)
from bot.owasp import engine
from bot.owasp.engine import OwaspAnalyzer
from bot.owasp.rules import (
    RULES_DIR_ENV,
    RuleError,
    catalogue,
    default_rules_dir,
    load_rules,
)

RULES_DIR = Path(__file__).resolve().parents[1] / "rules" / "owasp"

EVAL_RULE_TEXT = """\
# eval() and the Function constructor compile a string as code. With a string that is not a
# constant, whoever controls that string runs code in the page or the server process.
id: js-eval-dynamic
title: "A03:2021 – Injection"
message: "eval() called with dynamic expression"
severity: high
cwe: [CWE-95]
owasp: A03:2021
languages: [javascript, typescript, tsx]
# Reported: eval(x), eval?.(x), (0, eval)(x), and eval reached through the global object
# (window, globalThis, self, global; dotted or ["eval"]); Function(...) and new Function(...),
# judged by their last argument, the function body.
# Not reported: `obj.eval(...)` on any other object. That is a different API (Redis EVAL,
# PyTorch-style model.eval(), test helpers), not JavaScript's eval; a rule of its own should
# cover those that run scripts.
query: |
  (call_expression
    function: (identifier) @callee (#eq? @callee "eval")
    arguments: (arguments . (_) @arg)) @match

  (call_expression
    function: (parenthesized_expression
      (sequence_expression (identifier) @callee .))
    (#eq? @callee "eval")
    arguments: (arguments . (_) @arg)) @match

  (call_expression
    function: (member_expression
      object: (identifier) @global
      property: (property_identifier) @callee)
    (#any-of? @global "window" "globalThis" "self" "global")
    (#eq? @callee "eval")
    arguments: (arguments . (_) @arg)) @match

  (call_expression
    function: (subscript_expression
      object: (identifier) @global
      index: (string (string_fragment) @callee))
    (#any-of? @global "window" "globalThis" "self" "global")
    (#eq? @callee "eval")
    arguments: (arguments . (_) @arg)) @match

  (new_expression
    constructor: (identifier) @callee (#eq? @callee "Function")
    arguments: (arguments (_) @arg .)) @match

  (call_expression
    function: (identifier) @callee (#eq? @callee "Function")
    arguments: (arguments (_) @arg .)) @match
conditions:
  - not_literal: arg
fix: >-
  Do not run strings as code. Parse data with JSON.parse, look handlers up in a map of
  functions, or pass a real function instead of building one from text.
"""
"""A frozen copy of the first eval rule: these tests are about the engine, so they must not
move when the rule pack under rules/owasp/ grows or its rules are tuned."""

PY_EVAL_RULE_TEXT = """\
id: py-eval-test
title: "A03:2021 – Injection"
message: "eval() called"
severity: high
cwe: [CWE-95]
owasp: A03:2021
languages: [python]
query: |
  (call function: (identifier) @callee (#eq? @callee "eval")) @match
fix: Do not.
"""


def write_rules(folder: Path, *texts: str) -> Path:
    """A rules folder holding the given rule files (the language folder is only for order)."""
    for index, text in enumerate(texts):
        target = folder / "rules" / f"rule{index}.yml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return folder / "rules"


@pytest.fixture(scope="module")
def rules_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_rules(tmp_path_factory.mktemp("engine"), EVAL_RULE_TEXT)


@pytest.fixture(scope="module")
def analyzer(rules_dir: Path) -> OwaspAnalyzer:
    return OwaspAnalyzer(rules_dir)


def scanned(path: str, text: str, lines: frozenset[int] | None = None) -> ScannedFile:
    changed = lines if lines is not None else frozenset(range(1, text.count("\n") + 2))
    return ScannedFile(ChangedFile(path, FileStatus.MODIFIED, changed), textwrap.dedent(text))


def findings(analyzer: OwaspAnalyzer, path: str, text: str) -> list[Finding]:
    output = analyzer.analyze([scanned(path, text)])
    return list(output.findings)


def on_changed_lines(finding: Finding, changed: set[int]) -> bool:
    """The pipeline's rule: keep a finding when any line of its span changed."""
    return any(finding.start_line <= line <= finding.end_line for line in changed)


# --- findings ---------------------------------------------------------------------------------


def test_finding_carries_the_rule_fields(analyzer: OwaspAnalyzer) -> None:
    (finding,) = findings(analyzer, "src/calc.js", "const r = eval(req.body.expr);\n")
    assert finding.rule_id == "js-eval-dynamic"
    assert finding.title == "A03:2021 – Injection"
    assert finding.message == "eval() called with dynamic expression"
    assert finding.severity is Severity.HIGH
    assert finding.cwe == ("CWE-95",)
    assert finding.owasp == "A03:2021"
    assert finding.path == "src/calc.js"
    assert (finding.start_line, finding.end_line) == (1, 1)
    assert finding.snippet == "const r = eval(req.body.expr);"
    assert finding.properties["language"] == "javascript"
    assert finding.properties["fix"]
    assert finding.to_json()["properties"]["fix"] == finding.properties["fix"]


def test_finding_spans_the_multi_line_statement(analyzer: OwaspAnalyzer) -> None:
    text = """\
        const ready = true;
        const value = eval(
          prefix +
          userInput
        );
        done();
        """
    (finding,) = findings(analyzer, "a.js", text)
    assert (finding.start_line, finding.end_line) == (2, 5)
    assert finding.snippet == "const value = eval( prefix + userInput );"
    # An edit to the argument's line alone keeps the finding; an edit elsewhere does not.
    assert on_changed_lines(finding, {4})
    assert not on_changed_lines(finding, {1, 6})


def test_statement_inside_a_block_is_the_span_not_the_block(analyzer: OwaspAnalyzer) -> None:
    text = """\
        if (enabled) {
          run();
          eval(code);
        }
        """
    (finding,) = findings(analyzer, "a.js", text)
    assert (finding.start_line, finding.end_line) == (3, 3)


def test_condition_of_a_compound_statement_does_not_span_its_body(analyzer: OwaspAnalyzer) -> None:
    text = """\
        if (eval(code)) {
          one();
          two();
        }
        """
    (finding,) = findings(analyzer, "a.js", text)
    assert (finding.start_line, finding.end_line) == (1, 1)


def test_very_long_statement_falls_back_to_the_match(analyzer: OwaspAnalyzer) -> None:
    filler = "".join(f"  key{i}: {i},\n" for i in range(engine.MAX_STATEMENT_LINES + 5))
    text = f"const config = {{\n{filler}  run: eval(source),\n}};\n"
    (finding,) = findings(analyzer, "a.js", text)
    line = engine.MAX_STATEMENT_LINES + 7
    assert (finding.start_line, finding.end_line) == (line, line)
    assert finding.snippet == "eval(source)"


def test_two_matches_in_one_statement_are_one_finding(analyzer: OwaspAnalyzer) -> None:
    assert len(findings(analyzer, "a.js", "compare(eval(a), eval(b));\n")) == 1


def test_fingerprint_survives_moving_the_code(analyzer: OwaspAnalyzer) -> None:
    code = "function run(input) {\n  return eval(input);\n}\n"
    (before,) = findings(analyzer, "lib/run.js", code)
    (after,) = findings(analyzer, "lib/run.js", "// header\n\nimport x from 'x';\n\n" + code)
    assert after.start_line == before.start_line + 4
    assert after.fingerprint == before.fingerprint
    # Re-indenting is not a change of code either.
    reindented = "  function run(input) {\n      return eval(input);\n}\n"
    (indented,) = findings(analyzer, "lib/run.js", reindented)
    assert indented.fingerprint == before.fingerprint


def test_fingerprint_differs_for_different_code(analyzer: OwaspAnalyzer) -> None:
    (one,) = findings(analyzer, "a.js", "eval(a);\n")
    (two,) = findings(analyzer, "a.js", "eval(b);\n")
    assert one.fingerprint != two.fingerprint


# --- languages --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "wanted"),
    [
        ("a.js", True),
        ("a.mjs", True),
        ("a.cjs", True),
        ("a.jsx", True),
        ("a.ts", True),
        ("a.mts", True),
        ("a.cts", True),
        ("src/App.tsx", True),
        ("A.JS", True),
        ("a.py", False),
        ("package.json", False),
        ("Makefile", False),
    ],
)
def test_wants_by_extension(analyzer: OwaspAnalyzer, path: str, wanted: bool) -> None:
    assert analyzer.wants(path) is wanted


TSX = """\
    import React from "react";

    export const Run = <T,>({ code }: { code: T }) => {
      const handle = (): void => {
        eval(String(code));
      };
      return <button onClick={handle}>run</button>;
    };
    """


def test_tsx_is_parsed_with_the_tsx_grammar(analyzer: OwaspAnalyzer) -> None:
    output = analyzer.analyze([scanned("src/Run.tsx", TSX)])
    assert output.notices == ()
    (finding,) = output.findings
    assert finding.start_line == 5
    assert finding.properties["language"] == "tsx"


def test_tsx_content_in_a_ts_file_does_not_parse_cleanly(analyzer: OwaspAnalyzer) -> None:
    """The grammar really follows the extension: JSX is a syntax error for .ts."""
    output = analyzer.analyze([scanned("src/Run.ts", TSX)])
    assert [n.kind for n in output.notices] == [NoticeKind.PARTIAL]


def test_typescript_cast_is_parsed_with_the_typescript_grammar(analyzer: OwaspAnalyzer) -> None:
    text = """\
        const a: number = eval(<string>input);
        const b: number = eval(<string>"1 + 1");
        """
    output = analyzer.analyze([scanned("src/calc.ts", text)])
    assert output.notices == ()
    found = [(f.start_line, f.properties["language"]) for f in output.findings]
    assert found == [(1, "typescript")]


def test_jsx_in_a_js_file(analyzer: OwaspAnalyzer) -> None:
    text = 'export const A = () => <div onClick={() => eval(code)}>{"x"}</div>;\n'
    output = analyzer.analyze([scanned("src/A.jsx", text)])
    assert output.notices == ()
    assert [f.snippet for f in output.findings] == ["eval(code)"]


# --- limits -----------------------------------------------------------------------------------


def test_huge_file_is_not_scanned_with_a_notice(analyzer: OwaspAnalyzer) -> None:
    line = "eval(userInput);\n"
    text = line * (engine.MAX_FILE_BYTES // len(line) + 1)
    output = analyzer.analyze([scanned("dist/bundle.js", text, frozenset({1}))])
    assert output.findings == ()
    (notice,) = output.notices
    assert notice.kind is NoticeKind.NOT_SCANNED
    assert notice.path == "dist/bundle.js"
    assert "limit" in notice.message


def test_parse_timeout_gives_a_not_scanned_notice(rules_dir: Path) -> None:
    slow = OwaspAnalyzer(rules_dir, parse_timeout=0.0)
    output = slow.analyze([scanned("a.js", "eval(userInput);\n" * 20_000)])
    assert output.findings == ()
    assert [n.kind for n in output.notices] == [NoticeKind.NOT_SCANNED]
    assert "longer than" in output.notices[0].message


def test_removed_and_unwanted_files_are_skipped(analyzer: OwaspAnalyzer) -> None:
    removed = ScannedFile(ChangedFile("a.js", FileStatus.REMOVED, frozenset()), "")
    other = scanned("a.py", "eval(x)\n")
    assert analyzer.analyze([removed, other]).findings == ()


def test_syntax_errors_still_scan_and_say_so(analyzer: OwaspAnalyzer) -> None:
    output = analyzer.analyze([scanned("a.js", "eval(code);\nfunction (\n")])
    assert len(output.findings) == 1
    (notice,) = output.notices
    assert notice.kind is NoticeKind.PARTIAL
    assert notice.line == 2


# --- rule files -------------------------------------------------------------------------------

GOOD = EVAL_RULE_TEXT


def write_rule(tmp_path: Path, text: str, name: str = "bad.yml") -> Path:
    folder = tmp_path / "javascript"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("severity: high", "severity: urgent", "severity"),
        ("cwe: [CWE-95]", "cwe: [95]", "cwe"),
        ("owasp: A03:2021", "owasp: A03:2017", "owasp"),
        ('title: "A03:2021 – Injection"', 'title: "A03:2021 - Injection"', "title"),
        ("languages: [javascript, typescript, tsx]", "languages: [javascript, cobol]", "languages"),
        ("id: js-eval-dynamic", "id: JS_Eval", "id"),
        ('message: "eval() called with dynamic expression"\n', "", "message"),
        ("  - not_literal: arg", "  - not_literal: argument", "conditions[0].not_literal"),
        ("  - not_literal: arg", "  - no_such_condition: arg", "conditions[0]"),
        ("fix: >-", "fixes: >-", "fixes"),
        ("(arguments . (_) @arg)) @match", "(arguments . (_) @arg)) @match (", "query"),
        ("(new_expression", "(no_such_node", "query"),
    ],
)
def test_bad_rule_names_the_file_and_field(tmp_path: Path, old: str, new: str, field: str) -> None:
    assert old in GOOD
    path = write_rule(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(RuleError) as caught:
        load_rules(tmp_path)
    assert caught.value.path == path
    assert caught.value.field == field
    assert str(path) in str(caught.value)


def test_predicate_outside_its_pattern_is_rejected(tmp_path: Path) -> None:
    """It would compile as a pattern of its own and silently match every call."""
    rule = GOOD.split("query: |")[0] + textwrap.dedent(
        """\
        query: |
          (call_expression function: (identifier) @callee arguments: (arguments . (_) @arg)) @match
          (#eq? @callee "eval")
        fix: x
        """
    )
    path = write_rule(tmp_path, rule)
    with pytest.raises(RuleError, match="pattern 2 .* does not capture @match") as caught:
        load_rules(tmp_path)
    assert caught.value.path == path


def test_query_that_only_fits_one_grammar_is_rejected(tmp_path: Path) -> None:
    """`<string>x` exists only in the .ts grammar; the rule also lists javascript and tsx."""
    write_rule(tmp_path, GOOD.split("query: |")[0] + 'query: "(type_assertion) @match"\nfix: x\n')
    with pytest.raises(RuleError, match="does not compile for javascript"):
        load_rules(tmp_path)


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    path = write_rule(tmp_path, "id: [unclosed\n")
    with pytest.raises(RuleError, match="not valid YAML") as caught:
        load_rules(tmp_path)
    assert caught.value.path == path


def test_duplicate_ids_name_both_files(tmp_path: Path) -> None:
    write_rule(tmp_path, GOOD, "a.yml")
    second = write_rule(tmp_path, GOOD, "b.yml")
    with pytest.raises(RuleError, match="already used by .*a.yml") as caught:
        load_rules(tmp_path)
    assert caught.value.path == second


def test_missing_rules_folder_says_how_to_configure(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match=RULES_DIR_ENV):
        OwaspAnalyzer(tmp_path / "nowhere")


def test_default_rules_dir_is_the_source_tree_unless_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(RULES_DIR_ENV, raising=False)
    assert default_rules_dir() == RULES_DIR
    write_rule(tmp_path, GOOD, "eval-dynamic.yml")
    monkeypatch.setenv(RULES_DIR_ENV, str(tmp_path))
    assert default_rules_dir() == tmp_path
    assert [r.path.parent for r in OwaspAnalyzer().rules] == [tmp_path / "javascript"]


def test_catalogue(rules_dir: Path) -> None:
    (entry,) = [e for e in catalogue(rules_dir) if e["id"] == "js-eval-dynamic"]
    assert entry == {
        "id": "js-eval-dynamic",
        "title": "A03:2021 – Injection",
        "severity": "high",
        "cwe": ["CWE-95"],
        "owasp": "A03:2021",
        "languages": ["javascript", "typescript", "tsx"],
    }


def test_long_constant_concatenation_does_not_recurse(analyzer: OwaspAnalyzer) -> None:
    constant = " + ".join(['"a"'] * 5000)
    assert findings(analyzer, "min.js", f"eval({constant});\n") == []
    assert len(findings(analyzer, "min.js", f"eval({constant} + x);\n")) == 1


# --- Python statements ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def py_analyzer(tmp_path_factory: pytest.TempPathFactory) -> OwaspAnalyzer:
    return OwaspAnalyzer(write_rules(tmp_path_factory.mktemp("py"), PY_EVAL_RULE_TEXT))


PY_SPANS = """\
@app.route(eval(a))
def view(x=eval(b)):
    y = eval(
        c,
    )
    y += eval(d)
    if eval(e):
        pass
    elif eval(f):
        pass
    with open(eval(g)) as handle:
        pass
    for item in eval(h):
        pass
    while eval(i):
        break
    try:
        pass
    except eval(j):
        pass
    return eval(k)
assert eval(l), "message"
raise Error(eval(m))
del table[eval(n)]
total: int = eval(o)
print(f"{eval(p)}")
handler = lambda: eval(q)
class Thing(Base):
    field = eval(r)
"""


def test_python_findings_span_their_statement(py_analyzer: OwaspAnalyzer) -> None:
    found = findings(py_analyzer, "app/views.py", PY_SPANS)
    spans = {f.snippet: (f.start_line, f.end_line) for f in found}
    assert spans == {
        "@app.route(eval(a))": (1, 1),  # the decorator line, not the decorated function
        "(x=eval(b))": (2, 2),  # the parameters, not the function
        "y = eval( c, )": (3, 5),  # assignment inside expression_statement, multi-line
        "y += eval(d)": (6, 6),
        "eval(e)": (7, 7),  # an if condition, not the whole if
        "eval(f)": (9, 9),  # an elif condition, not the elif clause and its body
        "open(eval(g)) as handle": (11, 11),  # the with header
        "eval(h)": (13, 13),
        "eval(i)": (15, 15),
        "eval(j)": (19, 19),
        "return eval(k)": (21, 21),
        'assert eval(l), "message"': (22, 22),
        "raise Error(eval(m))": (23, 23),
        "del table[eval(n)]": (24, 24),
        "total: int = eval(o)": (25, 25),
        'print(f"{eval(p)}")': (26, 26),
        "eval(q)": (27, 27),  # a lambda body is its own boundary, as arrow functions are
        "field = eval(r)": (29, 29),
    }


def test_python_edit_inside_a_multi_line_call_keeps_the_finding(py_analyzer: OwaspAnalyzer) -> None:
    text = "result = eval(\n    prefix\n    + user_input\n)\n"
    (finding,) = findings(py_analyzer, "a.py", text)
    assert (finding.start_line, finding.end_line) == (1, 4)
    assert on_changed_lines(finding, {3})


# --- the combined query -----------------------------------------------------------------------

SINK_RULE_TEXT = """\
id: js-test-sink
title: "A03:2021 – Injection"
message: "sink called"
severity: medium
cwe: [CWE-95]
owasp: A03:2021
languages: [javascript]
query: |
  (call_expression function: (identifier) @callee (#eq? @callee "sink")
    arguments: (arguments . (_) @arg)) @match
  (call_expression function: (member_expression property: (property_identifier) @callee)
    (#eq? @callee "sink") arguments: (arguments . (_) @arg)) @match
conditions:
  - not_literal: arg
fix: Do not.
"""

MIXED_JS = """\
eval(a);
sink(b);
obj.sink(c);
sink("constant");
eval("1 + 1");
run(eval(d), sink(e));
"""


def test_combined_query_dispatches_each_pattern_to_its_rule(tmp_path: Path) -> None:
    """Two rules with the same capture names, one query: each match goes to its own rule and
    that rule's conditions, and the results equal running the rules one query each."""
    folder = write_rules(tmp_path, EVAL_RULE_TEXT, SINK_RULE_TEXT)
    combined = OwaspAnalyzer(folder)
    separate = OwaspAnalyzer(folder, combine=False)
    (plan,) = combined.plans("javascript")
    assert plan.query.pattern_count == sum(r.query_for("javascript").pattern_count for r in combined.rules)
    assert len(separate.plans("javascript")) == 2
    got = [(f.rule_id, f.start_line) for f in findings(combined, "a.js", MIXED_JS)]
    assert got == [
        ("js-eval-dynamic", 1),
        ("js-test-sink", 2),
        ("js-test-sink", 3),
        ("js-eval-dynamic", 6),
        ("js-test-sink", 6),
    ]
    assert findings(separate, "a.js", MIXED_JS) == findings(combined, "a.js", MIXED_JS)


def test_combined_query_is_compiled_once_per_language(rules_dir: Path) -> None:
    fresh = OwaspAnalyzer(rules_dir)
    fresh.analyze([scanned("a.js", "eval(a);\n"), scanned("b.js", "eval(b);\n")])
    first = fresh.plans("javascript")
    fresh.analyze([scanned("c.js", "eval(c);\n")])
    assert fresh.plans("javascript") is first
    assert fresh.plans("tsx") is not first  # each grammar has its own compiled query


def test_rules_of_other_languages_are_not_in_the_query(tmp_path: Path) -> None:
    analyzer = OwaspAnalyzer(write_rules(tmp_path, EVAL_RULE_TEXT, PY_EVAL_RULE_TEXT))
    (js_plan,) = analyzer.plans("javascript")
    (py_plan,) = analyzer.plans("python")
    assert {r.id for r in js_plan.owners} == {"js-eval-dynamic"}
    assert {r.id for r in py_plan.owners} == {"py-eval-test"}
    assert [f.rule_id for f in findings(analyzer, "a.py", "eval(x)\n")] == ["py-eval-test"]


# --- occurrence -------------------------------------------------------------------------------


def test_identical_statements_get_increasing_occurrence(analyzer: OwaspAnalyzer) -> None:
    found = findings(analyzer, "a.js", "eval(x);\nother();\neval(x);\neval(y);\n  eval(x);\n")
    assert [(f.start_line, f.occurrence) for f in found] == [(1, 0), (3, 1), (4, 0), (5, 2)]
    assert len({f.fingerprint for f in found}) == 4
    # The first copy keeps the fingerprint a lone statement has, wherever it sits.
    (alone,) = findings(analyzer, "a.js", "\n\n\neval(x);\n")
    assert alone.fingerprint == found[0].fingerprint


def test_fingerprint_at_another_path_is_the_fingerprint_there(analyzer: OwaspAnalyzer) -> None:
    (old,) = findings(analyzer, "old/name.js", "eval(x);\n")
    (new,) = findings(analyzer, "new/name.js", "eval(x);\n")
    assert new.fingerprint != old.fingerprint
    assert new.fingerprint_at("old/name.js") == old.fingerprint


def test_language_for_path_follows_the_file_suffix() -> None:
    from pathlib import PurePosixPath

    from bot.owasp.languages import EXTENSIONS, language_for_path

    for path in ["a.js", "dir/b.TSX", ".js", "x/.ts", "noext", "a.", "a.b.py", "dir.js/file", "x.d.ts", "a/b/c.mjs"]:
        assert language_for_path(path) == EXTENSIONS.get(PurePosixPath(path).suffix.lower()), path
