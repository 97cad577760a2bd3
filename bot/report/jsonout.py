"""`prwarden scan --format json`: the scan result as plain JSON data, in a stable order.

Also the one place that defines report order, so the text, JSON and SARIF outputs list
findings, notices and scanners the same way whatever order analyzers ran in.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.model import Finding, Kind, Notice, ScannerStatus, ScanResult

__all__ = [
    "KIND_ORDER",
    "finding_sort_key",
    "notice_to_json",
    "scanner_to_json",
    "sort_findings",
    "sort_notices",
    "sort_scanners",
    "suppressed_reasons",
    "to_json",
]

MAX_REASONS_SHOWN = 5
MAX_REASON_CHARS = 120
NO_REASON = "no reason given"
PREEXISTING_LABEL = "pre-existing (not new in this PR)"

KIND_ORDER: tuple[Kind, ...] = (Kind.DRIFT, Kind.OWASP, Kind.SCANNER)
"""Report sections in this order (ARCHITECTURE.md: drift, then OWASP, then external scanners)."""


def finding_sort_key(finding: Finding) -> tuple[Any, ...]:
    """Kind, path, line, rule; the rest only breaks ties so equal inputs give equal output."""
    return (
        KIND_ORDER.index(finding.kind),
        finding.path,
        finding.start_line,
        finding.rule_id,
        finding.end_line,
        -finding.severity.rank,
        finding.title,
        finding.message,
        finding.snippet,
    )


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=finding_sort_key)


def sort_notices(notices: Iterable[Notice]) -> list[Notice]:
    """Whole-scan notices (no path) first, then by path and line."""
    return sorted(
        notices,
        key=lambda n: (n.path is not None, n.path or "", n.line or 0, n.kind.value, n.message),
    )


def sort_scanners(scanners: Iterable[ScannerStatus]) -> list[ScannerStatus]:
    return sorted(scanners, key=lambda s: (s.name, s.state.value, s.version or "", s.detail))


def suppressed_reasons(findings: Iterable[Finding]) -> list[str]:
    """The distinct reasons suppressions gave, first-seen order, for "N suppressed (...)".

    Empty when none gave one (nothing to add to the count); otherwise findings suppressed
    without a reason show as "no reason given". Bounded: the reasons are repository text.
    """
    reasons: dict[str, None] = {}
    any_given = False
    for finding in findings:
        reason = " ".join(str(finding.properties.get("suppressedReason") or "").split())
        any_given = any_given or bool(reason)
        if len(reason) > MAX_REASON_CHARS:
            reason = reason[: MAX_REASON_CHARS - 1] + "…"
        reasons.setdefault(reason or NO_REASON, None)
    if not any_given:
        return []
    shown = list(reasons)
    if len(shown) > MAX_REASONS_SHOWN:
        shown = shown[:MAX_REASONS_SHOWN] + [f"{len(shown) - MAX_REASONS_SHOWN} more"]
    return shown


def notice_to_json(notice: Notice) -> dict[str, Any]:
    return {"kind": notice.kind.value, "message": notice.message, "path": notice.path, "line": notice.line}


def scanner_to_json(scanner: ScannerStatus) -> dict[str, Any]:
    return {"name": scanner.name, "state": scanner.state.value, "version": scanner.version, "detail": scanner.detail}


def to_json(result: ScanResult) -> dict[str, Any]:
    """The documented JSON form; each finding is `Finding.to_json`, as in annotation raw_details."""
    return {
        "findings": [f.to_json() for f in sort_findings(result.findings)],
        "suppressed": [f.to_json() for f in sort_findings(result.suppressed)],
        "preexisting": [f.to_json() for f in sort_findings(result.preexisting)],
        "notices": [notice_to_json(n) for n in sort_notices(result.notices)],
        "scanners": [scanner_to_json(s) for s in sort_scanners(result.scanners)],
        "partial": result.partial,
        "filesScanned": result.files_scanned,
    }
