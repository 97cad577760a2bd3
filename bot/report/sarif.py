"""`prwarden scan --format sarif`: a SARIF 2.1.0 log for GitHub code scanning and SARIF viewers.

One run, one rule per distinct rule id. Every result carries its CWE and OWASP tags and the
kind's own properties (ARCHITECTURE.md, "Front doors and contracts"); what could not be
scanned goes to the invocation's tool execution notifications so it is never silently lost.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from bot.model import Finding, Notice, NoticeKind, ScannerStatus, ScanResult, Severity
from bot.report.jsonout import (
    scanner_to_json,
    sort_findings,
    sort_notices,
    sort_scanners,
)

__all__ = [
    "FINGERPRINT_KEY",
    "INFORMATION_URI",
    "NOTICE_TO_SARIF_LEVEL",
    "SARIF_SCHEMA_URI",
    "SARIF_VERSION",
    "SECURITY_SEVERITY",
    "SEVERITY_TO_SARIF_LEVEL",
    "SRCROOT",
    "TOOL_NAME",
    "artifact_uri",
    "to_sarif",
]

SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
"""The OASIS SARIF 2.1.0 errata 01 schema: the `id` of the official schema document."""
SARIF_VERSION = "2.1.0"

TOOL_NAME = "PR Warden"
INFORMATION_URI = "https://github.com/prwarden/prwarden"

SRCROOT = "%SRCROOT%"
"""The uriBaseId GitHub code scanning resolves to the repository root (GitHub docs, "SARIF
support for code scanning")."""

FINGERPRINT_KEY = "prwarden/v1"
"""partialFingerprints key; bump the version if Finding.fingerprint ever changes meaning."""

SEVERITY_TO_SARIF_LEVEL: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
"""SARIF 2.1.0 §3.27.10 levels; `error` is what code scanning's default merge gate fails on."""

SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
"""`properties.security-severity` as GitHub code scanning reads it: a number in a string, bucketed
over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 3.9 or less low (GitHub docs, "SARIF support
for code scanning", reportingDescriptor object). Each value sits inside its bucket; GitHub has no
info bucket, so info is 0.0, the bottom of low."""

NOTICE_TO_SARIF_LEVEL: dict[NoticeKind, str] = {
    NoticeKind.NOT_SCANNED: "warning",
    NoticeKind.PARTIAL: "warning",
    NoticeKind.UNPARSEABLE: "warning",
    NoticeKind.SKIPPED: "note",
    NoticeKind.SUPPRESSION: "warning",
}
"""Something that should have been scanned and was not is a warning; a deliberate skip a note."""

_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
"""The regular expression semver.org publishes for Semantic Versioning 2.0.0: semanticVersion
must be one, and a PEP 440 version such as 0.1.0.dev1 is not."""

_PARTIAL_MESSAGE = "The change was larger than the source could list; only part of it was scanned."


def artifact_uri(path: str) -> str:
    """A repository-relative path as a relative URI reference (RFC 3986), percent-encoded UTF-8.

    Spaces, ``#``, ``%`` and non-ASCII must be escaped for `uri` to be a URI at all; a path
    that was not valid UTF-8 (surrogate-escaped by the source) keeps its original bytes.
    """
    return quote(path.encode("utf-8", errors="surrogateescape"), safe="/")


def _plain(value: Any) -> Any:
    """JSON-ready copy: tuples and sets become lists (sets sorted), enums their values."""
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(item) for item in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _unique(items: Iterable[str]) -> list[str]:
    """First occurrence order; SARIF property-bag tags must be unique (schema: uniqueItems)."""
    return list(dict.fromkeys(items))


def _tags(finding: Finding) -> list[str]:
    owasp = [f"OWASP-{finding.owasp}"] if finding.owasp else []
    return _unique(["security", finding.kind.value, *finding.cwe, *owasp])


def _region(start: int | None, end: int | None) -> dict[str, int] | None:
    """SARIF lines start at 1; a file-level finding (line 0) is placed on line 1."""
    if start is None:
        return None
    first = max(start, 1)
    return {"startLine": first, "endLine": max(end or first, first)}


def _location(path: str, start: int | None, end: int | None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(path), "uriBaseId": SRCROOT}}
    region = _region(start, end)
    if region is not None:
        physical["region"] = region
    return {"physicalLocation": physical}


def _rules(findings: list[Finding]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """One descriptor per rule id, in first-seen order, and each id's index into the list.

    GitHub reads security-severity from the rule only, so a rule whose findings differ in
    severity is described by its worst one.
    """
    by_rule: dict[str, list[Finding]] = {}
    for finding in findings:
        by_rule.setdefault(finding.rule_id, []).append(finding)
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for rule_id, group in by_rule.items():
        first = group[0]
        worst = max((f.severity for f in group), key=lambda s: s.rank)
        tags = _unique(tag for f in group for tag in _tags(f))
        index[rule_id] = len(rules)
        rules.append(
            {
                "id": rule_id,
                "name": rule_id,
                "shortDescription": {"text": first.title or rule_id},
                "fullDescription": {"text": first.message or first.title or rule_id},
                "defaultConfiguration": {"level": SEVERITY_TO_SARIF_LEVEL[worst]},
                "properties": {"tags": tags, "security-severity": SECURITY_SEVERITY[worst]},
            }
        )
    return rules, index


def _result(finding: Finding, rule_index: int, *, suppressed: bool) -> dict[str, Any]:
    # The kind's own properties first, so they can never overwrite the documented keys.
    properties: dict[str, Any] = _plain(dict(finding.properties))
    properties.update(
        {
            "tags": _tags(finding),
            "kind": finding.kind.value,
            "severity": finding.severity.value,
            "title": finding.title,
        }
    )
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": SEVERITY_TO_SARIF_LEVEL[finding.severity],
        "message": {"text": finding.message or finding.title or finding.rule_id},
        "locations": [_location(finding.path, finding.start_line, finding.end_line)],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": properties,
    }
    if suppressed:
        # Suppressions are comments in the scanned source (owasp/ layer): SARIF's "inSource".
        suppression: dict[str, Any] = {"kind": "inSource"}
        reason = finding.properties.get("suppressedReason")
        if reason:
            suppression["justification"] = str(reason)
        result["suppressions"] = [suppression]
    return result


def _notification(notice: Notice) -> dict[str, Any]:
    notification: dict[str, Any] = {
        "level": NOTICE_TO_SARIF_LEVEL.get(notice.kind, "warning"),
        "message": {"text": notice.message or notice.kind.value},
        "descriptor": {"id": notice.kind.value},
    }
    if notice.path is not None:
        notification["locations"] = [_location(notice.path, notice.line, notice.line)]
    return notification


def _notifications(result: ScanResult) -> list[dict[str, Any]]:
    notifications = [_notification(n) for n in sort_notices(result.notices)]
    if result.partial and not any(n.kind is NoticeKind.PARTIAL for n in result.notices):
        notifications.insert(0, _notification(Notice(NoticeKind.PARTIAL, _PARTIAL_MESSAGE)))
    # The schema requires unique notifications; two equal notices say nothing more than one.
    unique: list[dict[str, Any]] = []
    for notification in notifications:
        if notification not in unique:
            unique.append(notification)
    return unique


def _scanners(scanners: Iterable[ScannerStatus]) -> list[dict[str, Any]]:
    return [scanner_to_json(s) for s in sort_scanners(scanners)]


def to_sarif(result: ScanResult, *, tool_version: str) -> dict[str, Any]:
    """The scan as a SARIF 2.1.0 log (a dict ready for `json.dumps`).

    Suppressed findings are included with a `suppressions` entry, the SARIF way to say "found
    and deliberately silenced"; viewers and code scanning hide them by default.
    """
    findings = sort_findings(result.findings)
    suppressed = sort_findings(result.suppressed)
    rules, rule_index = _rules([*findings, *suppressed])
    driver: dict[str, Any] = {
        "name": TOOL_NAME,
        "informationUri": INFORMATION_URI,
        "version": tool_version,
    }
    if _SEMVER.match(tool_version):
        driver["semanticVersion"] = tool_version
    driver["rules"] = rules
    results = [_result(f, rule_index[f.rule_id], suppressed=False) for f in findings]
    results += [_result(f, rule_index[f.rule_id], suppressed=True) for f in suppressed]
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "invocations": [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": _notifications(result),
            }
        ],
        "results": results,
        "properties": {
            "scanners": _scanners(result.scanners),
            "partial": result.partial,
            "filesScanned": result.files_scanned,
            # Not results: code scanning would raise alerts for code the change did not add.
            "preexisting": len(result.preexisting),
        },
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}
