"""The annotated-test-file runner: annotation parsing and how failures are reported."""

from __future__ import annotations

import textwrap
from pathlib import Path

from bot.owasp.rules import load_rule
from bot.owasp.ruletest import annotations, check_rule

RULE = Path(__file__).resolve().parents[1] / "rules" / "owasp" / "javascript" / "eval-dynamic.yml"


def test_annotations_apply_to_the_next_line() -> None:
    text = textwrap.dedent(
        """\
        // ruleid: r1
        eval(a);
        // ok: r1
        eval("a");
        eval(b); // ruleid: r1
        """
    )
    assert annotations(text, "r1") == ({2, 5}, {4})


def test_stacked_and_foreign_annotations_skip_to_the_code_line() -> None:
    text = textwrap.dedent(
        """\
        // ruleid: r1
        // ok: other-rule
        /* ruleid: r2, r1 */
        eval(a);
        """
    )
    assert annotations(text, "r1") == ({4}, set())
    assert annotations(text, "r2") == ({4}, set())
    assert annotations(text, "other-rule") == (set(), {4})


def test_jsx_comment_annotations() -> None:
    text = "<div>\n  {/* ruleid: r1 */}\n  <b onClick={() => eval(x)} />\n</div>\n"
    assert annotations(text, "r1") == ({3}, set())


def test_rule_ids_are_matched_whole() -> None:
    assert annotations("// ruleid: r1-extra\neval(a);\n", "r1") == (set(), set())


def copy_rule(tmp_path: Path, test_text: str | None) -> Path:
    folder = tmp_path / "javascript"
    folder.mkdir()
    rule = folder / "eval-dynamic.yml"
    rule.write_text(RULE.read_text(encoding="utf-8"), encoding="utf-8")
    if test_text is not None:
        (folder / "eval-dynamic.js").write_text(test_text, encoding="utf-8")
    return rule


def test_missed_and_unexpected_lines_are_reported(tmp_path: Path) -> None:
    test_text = textwrap.dedent(
        """\
        // ruleid: js-eval-dynamic
        eval("constant");
        // ok: js-eval-dynamic
        eval(userInput);
        eval(other);
        """
    )
    (result,) = check_rule(load_rule(copy_rule(tmp_path, test_text)))
    assert not result.passed
    assert result.expected == (2,)
    assert result.ok == (4,)
    assert result.reported == (4, 5)
    assert result.missed == (2,)
    assert result.unexpected == (4, 5)
    assert "missed lines [2]" in result.describe()


def test_a_rule_without_test_file_fails(tmp_path: Path) -> None:
    (result,) = check_rule(load_rule(copy_rule(tmp_path, None)))
    assert not result.passed
    assert result.error == "no test file beside the rule"


def test_a_test_file_without_annotations_fails(tmp_path: Path) -> None:
    (result,) = check_rule(load_rule(copy_rule(tmp_path, "eval(x);\n")))
    assert not result.passed
    assert "annotations" in (result.error or "")


def test_a_test_file_with_syntax_errors_fails(tmp_path: Path) -> None:
    (result,) = check_rule(load_rule(copy_rule(tmp_path, "// ok: js-eval-dynamic\nfunction (\n")))
    assert not result.passed
    assert "syntax errors" in (result.error or "")
