"""The OWASP engine: statement spans, fingerprints, rule validation, limits and grammars."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.model import ChangedFile, FileStatus, Finding, NoticeKind, ScannedFile, Severity
from bot.owasp import engine
from bot.owasp.engine import OwaspAnalyzer
from bot.owasp.rules import RULES_DIR_ENV, RuleError, catalogue, default_rules_dir, load_rules

RULES_DIR = Path(__file__).resolve().parents[1] / "rules" / "owasp"
EVAL_RULE = RULES_DIR / "javascript" / "eval-dynamic.yml"


@pytest.fixture(scope="module")
def analyzer() -> OwaspAnalyzer:
    return OwaspAnalyzer(RULES_DIR)


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


def test_parse_timeout_gives_a_not_scanned_notice() -> None:
    slow = OwaspAnalyzer(RULES_DIR, parse_timeout=0.0)
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

GOOD = EVAL_RULE.read_text(encoding="utf-8")


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
        ("  - not_literal: arg", "  - tainted: arg", "conditions[0]"),
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


def test_catalogue() -> None:
    (entry,) = [e for e in catalogue(RULES_DIR) if e["id"] == "js-eval-dynamic"]
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
