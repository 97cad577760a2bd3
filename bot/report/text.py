"""`prwarden scan` terminal output: one line per finding, grouped by kind, then a summary line.

Everything printed comes from the scanned repository (paths, messages, code), so control
characters are escaped: a crafted file name must not be able to move the cursor or recolour
the terminal of the person running the scan.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from bot.model import Finding, Kind, Notice, NoticeKind, ScanResult, Severity
from bot.report.jsonout import (
    KIND_ORDER,
    PREEXISTING_LABEL,
    sort_findings,
    sort_notices,
    sort_scanners,
    suppressed_reasons,
)

__all__ = ["SECTION_TITLES", "to_text"]

SECTION_TITLES: dict[Kind, str] = {Kind.DRIFT: "DRIFT", Kind.OWASP: "OWASP", Kind.SCANNER: "SCANNER"}

_SEVERITIES_WORST_FIRST: tuple[Severity, ...] = tuple(sorted(Severity, key=lambda s: s.rank, reverse=True))

_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""C0/C1 controls (ESC starts terminal sequences), bidirectional overrides (CVE-2021-42574,
"Trojan Source") and the lone surrogates that undecodable path bytes become; whitespace (tab,
newline, U+2028 ...) is folded into single spaces first."""

_INDENT = "  "
_GAP = "  "


def _clean(text: str) -> str:
    """One line of safe, printable text."""
    return _UNSAFE.sub(_escape, " ".join(text.split()))


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _location(path: str | None, line: int | None) -> str:
    if path is None:
        return ""
    return f"{_clean(path)}:{line}" if line else _clean(path)


def _finding_line(finding: Finding) -> str:
    if finding.start_line < 1:
        where = _clean(finding.path)  # a whole-file finding, e.g. a workspace summary
    elif finding.end_line > finding.start_line:
        where = f"{_clean(finding.path)}:{finding.start_line}-{finding.end_line}"
    else:
        where = f"{_clean(finding.path)}:{finding.start_line}"
    parts = [
        where,
        finding.severity.value.upper(),
        _clean(finding.title),
        _clean(finding.message),
        f"[{_clean(finding.rule_id)}]",
    ]
    return _INDENT + _GAP.join(part for part in parts if part)


def _suppressed_line(finding: Finding) -> str:
    """A suppressed finding with the reason (and expiry) its comment gave."""
    reason = str(finding.properties.get("suppressedReason") or "")
    until = finding.properties.get("suppressedUntil")
    extra = [f"reason: {_clean(reason)}"] if reason else []
    if until:
        extra.append(f"until {_clean(str(until))}")
    return _GAP.join([_finding_line(finding), *extra])


def _notice_line(notice: Notice) -> str:
    parts = [notice.kind.value, _location(notice.path, notice.line), _clean(notice.message)]
    return _INDENT + _GAP.join(part for part in parts if part)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _summary(result: ScanResult, notices: int) -> str:
    if result.findings:
        counts = Counter(f.severity for f in result.findings)
        breakdown = ", ".join(f"{counts[s]} {s.value}" for s in _SEVERITIES_WORST_FIRST if counts[s])
        parts = [f"{_plural(len(result.findings), 'finding')} ({breakdown})"]
    else:
        parts = ["no findings"]
    if result.suppressed:
        reasons = suppressed_reasons(result.suppressed)
        detail = f" ({_clean('; '.join(reasons))})" if reasons else ""
        parts.append(f"{len(result.suppressed)} suppressed{detail}")
    if result.preexisting:
        parts.append(f"{len(result.preexisting)} {PREEXISTING_LABEL}")
    if notices:
        parts.append(_plural(notices, "notice"))
    return ", ".join(parts)


def _section(title: str, lines: Iterable[str]) -> list[str]:
    body = list(lines)
    return [title, *body] if body else []


def to_text(result: ScanResult) -> str:
    """Human output; the last line is always the summary, so scripts can `tail -1`."""
    out: list[str] = []
    findings = sort_findings(result.findings)
    for kind in KIND_ORDER:
        out += _section(SECTION_TITLES[kind], (_finding_line(f) for f in findings if f.kind is kind))
    if result.suppressed:
        out += _section("SUPPRESSED", (_suppressed_line(f) for f in sort_findings(result.suppressed)))
    notice_lines = [_notice_line(n) for n in sort_notices(result.notices)]
    if result.partial and not any(n.kind is NoticeKind.PARTIAL for n in result.notices):
        notice_lines.insert(0, f"{_INDENT}partial  the change was larger than the source could list; only part of it was scanned")
    out += _section("NOTICES", notice_lines)
    scanner_lines = []
    for scanner in sort_scanners(result.scanners):
        parts = [_clean(scanner.name), scanner.state.value, _clean(scanner.version or ""), _clean(scanner.detail)]
        scanner_lines.append(_INDENT + _GAP.join(part for part in parts if part))
    out += _section("SCANNERS", scanner_lines)
    if out:
        out.append("")
    out.append(_summary(result, len(notice_lines)))
    return "\n".join(out)
