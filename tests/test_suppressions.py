"""`prwarden-ignore` comments: syntax, placement, rule ids, expiry, and what is not a comment."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest

from bot.model import ChangedFile, FileStatus, NoticeKind, ScannedFile
from bot.owasp.engine import OwaspAnalyzer
from bot.owasp.suppressions import Directive, parse_directive
from tests.test_owasp_engine import (
    EVAL_RULE_TEXT,
    PY_EVAL_RULE_TEXT,
    SINK_RULE_TEXT,
    write_rules,
)

TODAY = date(2026, 6, 15)
KNOWN = frozenset({"js-eval-dynamic", "js-test-sink"})


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory: pytest.TempPathFactory) -> OwaspAnalyzer:
    folder = write_rules(tmp_path_factory.mktemp("supp"), EVAL_RULE_TEXT, SINK_RULE_TEXT, PY_EVAL_RULE_TEXT)
    return OwaspAnalyzer(folder, today=lambda: TODAY)


def run(analyzer: OwaspAnalyzer, path: str, text: str):
    text = textwrap.dedent(text)
    lines = frozenset(range(1, text.count("\n") + 2))
    return analyzer.analyze([ScannedFile(ChangedFile(path, FileStatus.MODIFIED, lines), text)])


def lines_of(findings) -> list[tuple[str, int]]:
    return [(f.rule_id, f.start_line) for f in findings]


# --- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comment", "rules", "until", "reason"),
    [
        ("// prwarden-ignore", set(), None, ""),
        ("# prwarden-ignore", set(), None, ""),
        ("/* prwarden-ignore */", set(), None, ""),
        ("// prwarden-ignore: js-eval-dynamic", {"js-eval-dynamic"}, None, ""),
        ("// prwarden-ignore: js-eval-dynamic legacy plugin loader", {"js-eval-dynamic"}, None, "legacy plugin loader"),
        (
            "// prwarden-ignore: js-eval-dynamic until 2026-07-01 tracked in SEC-12",
            {"js-eval-dynamic"},
            date(2026, 7, 1),
            "tracked in SEC-12",
        ),
        ("// prwarden-ignore: js-eval-dynamic, js-test-sink — both reviewed", KNOWN, None, "both reviewed"),
        ("// prwarden-ignore: js-eval-dynamic,js-test-sink", KNOWN, None, ""),
        ("/* prwarden-ignore: js-test-sink until 2026-01-31 */", {"js-test-sink"}, date(2026, 1, 31), ""),
        ("// prwarden-ignore until 2027-01-01 whole line", set(), date(2027, 1, 1), "whole line"),
        ("// prwarden-ignore: Reviewed by security", set(), None, "Reviewed by security"),
        ("// prwarden-ignore: false positive", set(), None, "false positive"),
        ("// prwarden-ignore - test fixture", set(), None, "test fixture"),
        ("/*\n * prwarden-ignore: js-eval-dynamic\n * generated parser\n */", {"js-eval-dynamic"}, None, "generated parser"),
    ],
)
def test_parse(comment: str, rules: set[str], until: date | None, reason: str) -> None:
    directive = parse_directive(comment, 3, KNOWN)
    assert directive == Directive(line=3, rules=frozenset(rules), until=until, reason=reason)


@pytest.mark.parametrize(
    "comment",
    ["// eslint-disable-line", "// prwarden-ignored", "// no-prwarden-ignore", "// prwarden-ignore-next-line"],
)
def test_not_a_directive(comment: str) -> None:
    assert parse_directive(comment, 1, KNOWN) is None


def test_misspelt_rule_id_suppresses_nothing() -> None:
    directive = parse_directive("// prwarden-ignore: js-eval-dynamc", 1, KNOWN)
    assert directive is not None
    assert directive.unknown == ("js-eval-dynamc",)
    assert not directive.covers("js-eval-dynamic")


def test_bad_date_is_a_problem() -> None:
    directive = parse_directive("// prwarden-ignore: js-eval-dynamic until 2026-02-30 x", 7, KNOWN)
    assert directive is not None and directive.problem is not None
    assert "line 7" in directive.problem
    assert not directive.covers("js-eval-dynamic")


# --- placement --------------------------------------------------------------------------------


def test_same_line_and_line_above_suppress_with_reason(analyzer: OwaspAnalyzer) -> None:
    out = run(
        analyzer,
        "a.js",
        """\
        eval(a); // prwarden-ignore: js-eval-dynamic plugin loader
        // prwarden-ignore: js-eval-dynamic until 2026-12-31 migrating
        eval(b);
        eval(c);
        """,
    )
    assert lines_of(out.findings) == [("js-eval-dynamic", 4)]
    assert lines_of(out.suppressed) == [("js-eval-dynamic", 1), ("js-eval-dynamic", 3)]
    first, second = out.suppressed
    assert first.properties["suppressedReason"] == "plugin loader"
    assert first.properties["suppressedUntil"] is None
    assert second.properties["suppressedReason"] == "migrating"
    assert second.properties["suppressedUntil"] == "2026-12-31"
    assert out.notices == ()


def test_bare_suppresses_every_rule_and_an_id_only_its_rule(analyzer: OwaspAnalyzer) -> None:
    out = run(
        analyzer,
        "a.js",
        """\
        // prwarden-ignore
        run(eval(a), sink(b));
        // prwarden-ignore: js-test-sink
        run(eval(c), sink(d));
        """,
    )
    assert lines_of(out.suppressed) == [("js-eval-dynamic", 2), ("js-test-sink", 2), ("js-test-sink", 4)]
    assert lines_of(out.findings) == [("js-eval-dynamic", 4)]


def test_trailing_comment_on_the_line_above_does_not_reach_down(analyzer: OwaspAnalyzer) -> None:
    out = run(analyzer, "a.js", "eval(a); // prwarden-ignore\neval(b);\n")
    assert lines_of(out.suppressed) == [("js-eval-dynamic", 1)]
    assert lines_of(out.findings) == [("js-eval-dynamic", 2)]


def test_stacked_comment_lines_pass_the_directive_down(analyzer: OwaspAnalyzer) -> None:
    out = run(
        analyzer,
        "a.js",
        """\
        // prwarden-ignore: js-eval-dynamic reviewed
        // eslint-disable-next-line no-eval
        eval(a);

        // prwarden-ignore

        eval(b);
        """,
    )
    assert lines_of(out.suppressed) == [("js-eval-dynamic", 3)]
    assert lines_of(out.findings) == [("js-eval-dynamic", 7)]  # a blank line breaks the link


def test_multi_line_statement_is_suppressed_above_its_first_line(analyzer: OwaspAnalyzer) -> None:
    out = run(
        analyzer,
        "a.js",
        """\
        // prwarden-ignore: js-eval-dynamic
        const value = eval(
          prefix + input
        );
        """,
    )
    assert lines_of(out.suppressed) == [("js-eval-dynamic", 2)]


def test_jsx_comment_above_the_matched_line_inside_a_statement(analyzer: OwaspAnalyzer) -> None:
    out = run(
        analyzer,
        "src/App.jsx",
        """\
        export const App = ({ code }) => (
          <div>
            {/* prwarden-ignore: js-eval-dynamic trusted */}
            <button onClick={() => eval(code)}>run</button>
          </div>
        );
        """,
    )
    assert lines_of(out.suppressed) == [("js-eval-dynamic", 4)]
    assert out.suppressed[0].properties["suppressedReason"] == "trusted"


def test_block_comment_and_python_comment(analyzer: OwaspAnalyzer) -> None:
    js = run(analyzer, "a.ts", "/* prwarden-ignore */ eval(a);\neval(b); /* prwarden-ignore: js-eval-dynamic */\n")
    assert lines_of(js.suppressed) == [("js-eval-dynamic", 1), ("js-eval-dynamic", 2)]
    py = run(
        analyzer,
        "app.py",
        """\
        # prwarden-ignore: py-eval-test sandboxed
        value = eval(a)
        other = eval(b)  # prwarden-ignore
        last = eval(c)
        """,
    )
    assert lines_of(py.suppressed) == [("py-eval-test", 2), ("py-eval-test", 3)]
    assert lines_of(py.findings) == [("py-eval-test", 4)]


def test_marker_outside_comments_suppresses_nothing(analyzer: OwaspAnalyzer) -> None:
    out = run(
        analyzer,
        "src/A.jsx",
        """\
        const note = "prwarden-ignore";
        eval(a + "prwarden-ignore");
        const A = () => <p>
          prwarden-ignore
          {eval(b)}
        </p>;
        """,
    )
    assert lines_of(out.findings) == [("js-eval-dynamic", 2), ("js-eval-dynamic", 5)]
    assert out.suppressed == ()


# --- expiry and problems ----------------------------------------------------------------------


def test_expired_suppression_reports_and_says_so(analyzer: OwaspAnalyzer) -> None:
    out = run(
        analyzer,
        "a.js",
        """\
        // prwarden-ignore: js-eval-dynamic until 2026-06-14 one more sprint
        eval(a);
        // prwarden-ignore: js-eval-dynamic until 2026-06-15 due today still holds
        eval(b);
        """,
    )
    assert lines_of(out.findings) == [("js-eval-dynamic", 2)]
    assert lines_of(out.suppressed) == [("js-eval-dynamic", 4)]
    (notice,) = out.notices
    assert notice.kind is NoticeKind.SUPPRESSION
    assert (notice.path, notice.line) == ("a.js", 2)
    assert "expired" in notice.message and "2026-06-14" in notice.message
    assert notice.about == out.findings[0].fingerprint
    assert out.findings[0].properties["suppressionExpired"] == "2026-06-14"


def test_today_is_injectable(tmp_path: Path) -> None:
    later = OwaspAnalyzer(write_rules(tmp_path, EVAL_RULE_TEXT), today=lambda: date(2030, 1, 1))
    out = run(later, "a.js", "// prwarden-ignore: js-eval-dynamic until 2026-12-31\neval(b);\n")
    assert lines_of(out.findings) == [("js-eval-dynamic", 2)]


def test_bad_date_and_unknown_rule_say_why_they_did_not_apply(analyzer: OwaspAnalyzer) -> None:
    out = run(
        analyzer,
        "a.js",
        """\
        eval(a); // prwarden-ignore: js-eval-dynamic until tomorrow
        eval(b); // prwarden-ignore: js-eval-dynamc
        """,
    )
    assert lines_of(out.findings) == [("js-eval-dynamic", 1), ("js-eval-dynamic", 2)]
    messages = [(n.line, n.message) for n in out.notices]
    assert "unreadable date 'tomorrow'" in messages[0][1]
    assert messages[1][0] == 2 and "js-eval-dynamc" in messages[1][1]


def test_rule_test_view_ignores_suppressions(analyzer: OwaspAnalyzer) -> None:
    """`prwarden rules test` judges the rule itself: comments do not hide its matches."""
    found, notices = analyzer.scan_text("a.js", "eval(a); // prwarden-ignore\n")
    assert lines_of(found) == [("js-eval-dynamic", 1)]
    assert notices == []
