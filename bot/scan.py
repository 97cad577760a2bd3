"""The pipeline: source -> changed files -> analyzers -> findings on changed lines only.

Shared by the bot (GitHub pull request source) and the CLI (local git source). Network reads run
concurrently on the event loop; analysis is CPU-bound and runs in a worker thread so the web
intake stays responsive.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from bot.analysis import Analyzer, AnalyzerOutput
from bot.diff.local import DiffTooLarge, changed_lines_between
from bot.model import ChangedFile, Finding, Notice, NoticeKind, ScannedFile, ScanResult
from bot.sources.base import FileTooLarge, Side, Source


@dataclass(frozen=True)
class ScanLimits:
    max_file_bytes: int = 2 * 1024 * 1024
    """Files above this are reported "not scanned" instead of read (bounds memory and time)."""
    concurrent_reads: int = 4


BINARY_SNIFF_BYTES = 8000
"""git's own heuristic: a NUL byte in the first 8000 bytes means binary."""


def is_binary(data: bytes) -> bool:
    return b"\0" in data[:BINARY_SNIFF_BYTES]


def on_changed_lines(finding: Finding, changed: frozenset[int]) -> bool:
    """A finding counts when any line of its statement is added or changed by the change."""
    return any(line in changed for line in range(finding.start_line, finding.end_line + 1))


async def _load(source: Source, changed: ChangedFile, limits: ScanLimits) -> tuple[ScannedFile | None, Notice | None]:
    try:
        data = await source.read(changed.path, Side.HEAD, cap=limits.max_file_bytes)
    except FileTooLarge as exc:
        return None, Notice(NoticeKind.NOT_SCANNED, f"file too large: {exc}", changed.path)
    if data is None:
        return None, Notice(NoticeKind.NOT_SCANNED, "file not found at the head commit", changed.path)
    if is_binary(data):
        return None, Notice(NoticeKind.NOT_SCANNED, "binary file: not scanned", changed.path)
    text = data.decode("utf-8", errors="replace")
    if not changed.patch_missing:
        return ScannedFile(changed, text), None
    # GitHub sent no patch (a very large diff): diff the two sides here.
    old_path = changed.previous_path or changed.path
    try:
        old = await source.read(old_path, Side.BASE, cap=limits.max_file_bytes)
    except FileTooLarge as exc:
        return None, Notice(NoticeKind.NOT_SCANNED, f"no patch from GitHub and the base version is too large: {exc}", changed.path)
    old_text = "" if old is None else old.decode("utf-8", errors="replace")
    try:
        lines = await asyncio.to_thread(changed_lines_between, old_text, text)
    except DiffTooLarge as exc:
        return None, Notice(NoticeKind.NOT_SCANNED, f"no patch from GitHub and too large to diff: {exc}", changed.path)
    fixed = ChangedFile(changed.path, changed.status, lines, changed.previous_path)
    return ScannedFile(fixed, text, old_text), None


def analyze(files: Sequence[ScannedFile], analyzers: Sequence[Analyzer]) -> list[AnalyzerOutput]:
    """Run every analyzer on the files it wants. Pure and CPU-bound."""
    outputs = []
    for analyzer in analyzers:
        mine = [f for f in files if analyzer.wants(f.path)]
        if mine:
            outputs.append(analyzer.analyze(mine))
    return outputs


async def run_scan(source: Source, analyzers: Sequence[Analyzer], limits: ScanLimits | None = None) -> ScanResult:
    limits = limits or ScanLimits()
    started = time.monotonic()
    changes = await source.changes()
    notices: list[Notice] = list(changes.notices)
    wanted = [f for f in changes.files if (f.changed_lines or f.patch_missing) and any(a.wants(f.path) for a in analyzers)]

    gate = asyncio.Semaphore(limits.concurrent_reads)

    async def load(changed: ChangedFile) -> tuple[ScannedFile | None, Notice | None]:
        async with gate:
            return await _load(source, changed, limits)

    loaded = await asyncio.gather(*(load(f) for f in wanted))
    files = [scanned for scanned, _ in loaded if scanned is not None]
    notices.extend(notice for _, notice in loaded if notice is not None)

    outputs = await asyncio.to_thread(analyze, files, analyzers)
    lines_by_path = {f.path: f.changed.changed_lines for f in files}
    findings: list[Finding] = []
    suppressed: list[Finding] = []
    scanners = []
    for output in outputs:
        findings.extend(f for f in output.findings if on_changed_lines(f, lines_by_path.get(f.path, frozenset())))
        suppressed.extend(f for f in output.suppressed if on_changed_lines(f, lines_by_path.get(f.path, frozenset())))
        notices.extend(output.notices)
        scanners.extend(output.scanners)
    findings.sort(key=lambda f: (list(type(f.kind)).index(f.kind), f.path, f.start_line, f.rule_id))
    return ScanResult(
        findings=tuple(findings),
        suppressed=tuple(suppressed),
        notices=tuple(notices),
        scanners=tuple(scanners),
        files_scanned=len(files),
        partial=changes.partial,
        seconds=time.monotonic() - started,
    )
