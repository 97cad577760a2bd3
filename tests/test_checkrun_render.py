"""Check-run output built without a server: conclusion, batches, byte-safe truncation, escaping."""

import json

from bot.model import Finding, Kind, Notice, NoticeKind, ScanResult, Severity
from bot.report.checkrun import MAX_OUTPUT_BYTES, annotation, batches, render, truncate_utf8


def finding(line: int, severity: Severity = Severity.HIGH, path: str = "src/a.js") -> Finding:
    return Finding(
        kind=Kind.OWASP, rule_id="js-eval-dynamic", title="A03:2021 – Injection",
        message="eval() called with dynamic expression", path=path, start_line=line, end_line=line,
        severity=severity, cwe=("CWE-95",), owasp="A03:2021", snippet=f"eval(x{line})",
    )


def test_truncates_by_bytes_not_characters() -> None:
    text = "😀" * 30000  # 30000 characters, 120000 bytes
    cut = truncate_utf8(text, MAX_OUTPUT_BYTES)
    assert len(cut.encode()) <= MAX_OUTPUT_BYTES
    assert "truncated" in cut
    assert truncate_utf8("short", MAX_OUTPUT_BYTES) == "short"


def test_conclusion_follows_fail_level() -> None:
    medium = ScanResult(findings=(finding(3, Severity.MEDIUM),))
    assert render(medium, fail_on=Severity.HIGH).conclusion == "success"
    assert render(medium, fail_on=Severity.MEDIUM).conclusion == "failure"
    assert render(ScanResult(), fail_on=Severity.HIGH).conclusion == "success"


def test_annotation_carries_the_finding_as_json() -> None:
    body = annotation(finding(7))
    assert body["annotation_level"] == "failure" and body["start_line"] == body["end_line"] == 7
    details = json.loads(body["raw_details"])
    assert details["rule"] == "js-eval-dynamic" and details["cwe"] == ["CWE-95"] and details["owasp"] == "A03:2021"


def test_batches_of_fifty() -> None:
    sizes = [len(b) for b in batches([annotation(finding(i)) for i in range(1, 121)])]
    assert sizes == [50, 50, 20]


def test_summary_is_grouped_and_escapes_repository_text() -> None:
    result = ScanResult(
        findings=(finding(1, path="src/<img src=x>@team|x.js"),),
        notices=(Notice(NoticeKind.NOT_SCANNED, "binary file: not scanned", "logo @octo.png"),),
    )
    summary = render(result, fail_on=Severity.HIGH).summary
    assert summary.index("### DRIFT") < summary.index("### OWASP") < summary.index("### SCANNER")
    # Paths only ever appear inside code spans, where markdown renders no HTML and no mentions.
    assert "`src/<img src=x>@team\\|x.js:1`" in summary
    assert "`logo @octo.png`" in summary
    outside_code = summary.split("`")[::2]
    assert not any("<img" in part or "@octo" in part or "@team" in part for part in outside_code)


def test_messages_are_escaped() -> None:
    bad = Finding(
        kind=Kind.DRIFT, rule_id="drift", title="<script>alert(1)</script>", message="ping @org/team | *bold*",
        path="package.json", start_line=1, end_line=1, severity=Severity.LOW,
    )
    summary = render(ScanResult(findings=(bad,)), fail_on=Severity.HIGH).summary
    assert "<script>" not in summary and "@org" not in summary and "\\| \\*bold\\*" in summary
