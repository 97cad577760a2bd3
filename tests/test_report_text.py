"""Terminal text and `--format json` output of a scan."""

from __future__ import annotations

import json
import random
from typing import Any

from bot.model import (
    Finding,
    Kind,
    Notice,
    NoticeKind,
    ScannerState,
    ScannerStatus,
    ScanResult,
    Severity,
)
from bot.report.jsonout import KIND_ORDER, sort_findings, to_json
from bot.report.text import to_text
from tests.factories import make_finding


def _finding(**overrides: Any) -> Finding:
    return make_finding(**({"snippet": 'eval(x)'} | overrides))


def _result() -> ScanResult:
    return ScanResult(
        findings=(
            _finding(kind=Kind.SCANNER, rule_id="gitleaks.key", title="Secret", message="A key.", path="a.py",
                     start_line=1, end_line=1, severity=Severity.MEDIUM),
            _finding(),
            _finding(kind=Kind.DRIFT, rule_id="drift-majors-behind", title="Next.js is 3 majors behind",
                     message="next 12.3.4 → 15.1.0", path="package.json", start_line=14, end_line=14,
                     severity=Severity.MEDIUM),
            _finding(path="src/app.js", start_line=3, end_line=5, rule_id="js-new-function", severity=Severity.MEDIUM),
        ),
        notices=(Notice(NoticeKind.NOT_SCANNED, "binary file: not scanned", "logo.png"),),
        scanners=(
            ScannerStatus("semgrep", ScannerState.UNAVAILABLE, None, "not on PATH"),
            ScannerStatus("gitleaks", ScannerState.OK, "8.18.2"),
        ),
        files_scanned=4,
    )


# --- text ------------------------------------------------------------------------------------


def test_sections_come_in_kind_order_with_one_line_per_finding() -> None:
    lines = to_text(_result()).splitlines()
    sections = [line for line in lines if line in {"DRIFT", "OWASP", "SCANNER"}]
    assert sections == ["DRIFT", "OWASP", "SCANNER"]
    owasp = lines[lines.index("OWASP") + 1 : lines.index("SCANNER")]
    assert owasp == [
        "  src/app.js:3-5  MEDIUM  A03:2021 – Injection  eval() runs a string built from request data.  [js-new-function]",
        "  src/app.js:12  HIGH  A03:2021 – Injection  eval() runs a string built from request data.  [js-eval-injection]",
    ]
    drift = lines[lines.index("DRIFT") + 1]
    assert drift == "  package.json:14  MEDIUM  Next.js is 3 majors behind  next 12.3.4 → 15.1.0  [drift-majors-behind]"


def test_notices_and_scanner_states_are_listed() -> None:
    text = to_text(_result())
    assert "NOTICES\n  not-scanned  logo.png  binary file: not scanned" in text
    assert "SCANNERS\n  gitleaks  ok  8.18.2\n  semgrep  unavailable  not on PATH" in text


def test_summary_is_the_last_line() -> None:
    assert to_text(_result()).splitlines()[-1] == "4 findings (1 high, 3 medium), 1 notice"


def test_summary_counts_severities_worst_first_and_pluralises() -> None:
    result = ScanResult(
        findings=(_finding(severity=Severity.LOW), _finding(severity=Severity.CRITICAL, path="b.js")),
        notices=(Notice(NoticeKind.SKIPPED, "x"), Notice(NoticeKind.SKIPPED, "y")),
    )
    assert to_text(result).splitlines()[-1] == "2 findings (1 critical, 1 low), 2 notices"
    single = ScanResult(findings=(_finding(),))
    assert to_text(single).splitlines()[-1] == "1 finding (1 high)"


def test_no_findings() -> None:
    assert to_text(ScanResult()) == "no findings"
    text = to_text(ScanResult(notices=(Notice(NoticeKind.UNPARSEABLE, "syntax error", "a.js", 3),)))
    assert text.splitlines()[-1] == "no findings, 1 notice"
    assert "  unparseable  a.js:3  syntax error" in text
    assert "DRIFT" not in text and "OWASP" not in text


def test_suppressed_findings_are_shown_apart_and_counted() -> None:
    result = ScanResult(findings=(_finding(),), suppressed=(_finding(path="old.js"),))
    lines = to_text(result).splitlines()
    assert lines[lines.index("SUPPRESSED") + 1].startswith("  old.js:12  HIGH")
    assert lines[-1] == "1 finding (1 high), 1 suppressed"
    assert lines.index("OWASP") < lines.index("SUPPRESSED")


def test_partial_scan_is_a_notice() -> None:
    text = to_text(ScanResult(partial=True))
    assert "only part of it was scanned" in text
    assert text.splitlines()[-1] == "no findings, 1 notice"


def test_whole_file_finding_has_no_line_number() -> None:
    text = to_text(ScanResult(findings=(_finding(kind=Kind.DRIFT, path="package.json", start_line=0, end_line=0),)))
    assert "  package.json  HIGH" in text
    assert "package.json:0" not in text


def test_repository_text_cannot_control_the_terminal() -> None:
    evil = _finding(
        path="src/\x1b[2Jevil\u202e.js",
        message="line one\nline two\r\x07bell",
        title="A03:2021 – Injection\x9b31m",
    )
    text = to_text(ScanResult(findings=(evil,), notices=(Notice(NoticeKind.SKIPPED, "x\x1b]0;title\x07", "p\udce9.js"),)))
    assert not any(ord(ch) < 0x20 and ch != "\n" for ch in text)
    assert "\x9b" not in text and "\u202e" not in text and "\udce9" not in text
    assert "\\x1b[2Jevil\\u202e.js" in text
    assert "line one line two \\x07bell" in text
    text.encode("utf-8")  # printable on a UTF-8 terminal
    assert len(text.splitlines()) == len(to_text(ScanResult(findings=(_finding(),), notices=(Notice(NoticeKind.SKIPPED, "x"),))).splitlines())


# --- json ------------------------------------------------------------------------------------


def test_json_shape() -> None:
    result = ScanResult(
        findings=(_finding(),),
        suppressed=(_finding(path="old.js"),),
        notices=(Notice(NoticeKind.UNPARSEABLE, "syntax error", "a.js", 3),),
        scanners=(ScannerStatus("semgrep", ScannerState.FAILED, "1.0", "exit 2"),),
        files_scanned=3,
        partial=True,
        preexisting=(_finding(path="moved.js"),),
    )
    data = to_json(result)
    assert data == {
        "findings": [result.findings[0].to_json()],
        "suppressed": [result.suppressed[0].to_json()],
        "preexisting": [result.preexisting[0].to_json()],
        "notices": [{"kind": "unparseable", "message": "syntax error", "path": "a.js", "line": 3}],
        "scanners": [{"name": "semgrep", "state": "failed", "version": "1.0", "detail": "exit 2"}],
        "partial": True,
        "filesScanned": 3,
    }
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data


def test_json_orders_by_kind_then_path_line_rule() -> None:
    data = to_json(_result())
    keys = [(f["kind"], f["path"], f["startLine"], f["rule"]) for f in data["findings"]]
    assert keys == [
        ("drift", "package.json", 14, "drift-majors-behind"),
        ("owasp", "src/app.js", 3, "js-new-function"),
        ("owasp", "src/app.js", 12, "js-eval-injection"),
        ("scanner", "a.py", 1, "gitleaks.key"),
    ]
    assert [s["name"] for s in data["scanners"]] == ["gitleaks", "semgrep"]


def test_outputs_do_not_depend_on_input_order() -> None:
    result = _result()
    expected_json = to_json(result)
    expected_text = to_text(result)
    rng = random.Random(3)
    for _ in range(5):
        findings = list(result.findings)
        scanners = list(result.scanners)
        rng.shuffle(findings)
        rng.shuffle(scanners)
        shuffled = ScanResult(findings=tuple(findings), notices=result.notices, scanners=tuple(scanners),
                              files_scanned=result.files_scanned)
        assert to_json(shuffled) == expected_json
        assert to_text(shuffled) == expected_text


def test_sort_findings_uses_kind_order_before_path() -> None:
    findings = [_finding(kind=kind, path=path) for kind in Kind for path in ("z.js", "a.js")]
    ordered = sort_findings(findings)
    assert [f.kind for f in ordered] == [k for k in KIND_ORDER for _ in range(2)]
    assert [f.path for f in ordered[:2]] == ["a.js", "z.js"]
    assert KIND_ORDER == (Kind.DRIFT, Kind.OWASP, Kind.SCANNER)
