"""The pipeline: source -> changed files -> analyzers -> findings on changed lines only.

A finding on changed lines is new unless the base version of the file (the old path of a
renamed file) already has the same code: then the change only moved or re-indented it, and it
is counted as pre-existing instead of reported.

Shared by the bot (GitHub pull request source) and the CLI (local git source). Network reads run
concurrently on the event loop. Analysis is CPU-bound and holds the GIL: small changes run in a
thread, large ones in an `AnalysisPool` process when the caller provides one, so the web
intake stays responsive.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.analysis import Analyzer, AnalyzerOutput, Stage
from bot.diff.local import DiffTooLarge, changed_lines_between
from bot.model import (
    ChangedFile,
    FileStatus,
    Finding,
    Kind,
    Notice,
    NoticeKind,
    ScannedFile,
    ScanResult,
)
from bot.sources.base import FileTooLarge, Side, Source

if TYPE_CHECKING:  # the pool (multiprocessing, pickle) is only imported by those who make one
    from bot.analysis_pool import AnalysisPool


@dataclass(frozen=True)
class ScanLimits:
    max_file_bytes: int = 2 * 1024 * 1024
    """Files above this are reported "not scanned" instead of read (bounds memory and time)."""
    concurrent_reads: int = 4
    pool_from_bytes: int = 200 * 1024
    """Smaller changes are analysed in a thread of this process: shipping them to a worker
    process costs more than analysing them (~50 ms for 200 KB), and that short a GIL hold is
    what the web loop can absorb."""


BINARY_SNIFF_BYTES = 8000
"""git's own heuristic: a NUL byte in the first 8000 bytes means binary."""


def default_analyzers() -> list[Analyzer]:
    """What a scan runs unless told otherwise. Adding an analyzer kind is one line here."""
    from bot.owasp.engine import OwaspAnalyzer

    return [OwaspAnalyzer()]


def default_stages(env: Mapping[str, str], data_dir: str | os.PathLike[str]) -> list[Stage]:
    """What runs beside the analyzers: drift, with registries from the environment."""
    from bot.drift.stage import drift_stage_from_env

    return [drift_stage_from_env(env, data_dir)]


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
    return [output for _, output in analyze_each(files, analyzers)]


def analyze_each(files: Sequence[ScannedFile], analyzers: Sequence[Analyzer]) -> list[tuple[int, AnalyzerOutput]]:
    """(index of the analyzer, its output), for each analyzer that wants any of the files."""
    outputs = []
    for index, analyzer in enumerate(analyzers):
        mine = [f for f in files if analyzer.wants(f.path)]
        if mine:
            outputs.append((index, analyzer.analyze(mine)))
    return outputs


def _only_inserted(changed: ChangedFile, found: Sequence[Finding]) -> bool:
    """True when the base version cannot turn a finding into a pre-existing one, so it need not
    be read: the change only inserts lines (nothing deleted, so nothing moved within the file),
    and every finding on changed lines lies wholly on inserted lines (no old statement grew).
    Such findings are new code; identical old copies stay on unchanged lines and are matched
    there (see split_preexisting)."""
    if changed.deletions != 0 or changed.status is FileStatus.RENAMED:
        return False
    lines = changed.changed_lines
    touching = [f for f in found if on_changed_lines(f, lines)]
    return all(all(n in lines for n in range(f.start_line, f.end_line + 1)) for f in touching)


def _identity(finding: Finding) -> tuple[str, str, str]:
    """What makes two findings the same code wherever they sit: the fingerprint's parts without
    the path (the caller pairs a file with its base) and without the occurrence (counted)."""
    text = " ".join(finding.snippet.split()) if finding.snippet else finding.message
    return finding.kind.value, finding.rule_id, text


def split_preexisting(
    findings: Sequence[Finding],
    suppressed: Sequence[Finding],
    base: Sequence[Finding],
    changed: frozenset[int],
) -> tuple[list[Finding], list[Finding]]:
    """(new, pre-existing) among one file's `findings` on changed lines.

    `findings` and `suppressed` are the head file's findings on every line, `base` all of the
    base file's (reported or not: suppression decides reporting, not whether code existed).
    Identical statements are told apart by count, which is what the fingerprint's occurrence
    index stands for: copies on unchanged lines account for the base's copies first; copies the
    base has left over are matched, in document order, by copies on changed lines, which the
    change therefore only moved or re-indented. A copy beyond the base's count is new, wherever
    it was inserted. Findings wholly on unchanged lines are in neither list.
    """
    left = Counter(_identity(f) for f in base)
    items = [(f, False) for f in findings] + [(f, True) for f in suppressed]
    touched: list[tuple[Finding, bool]] = []
    for finding, silenced in items:
        if on_changed_lines(finding, changed):
            touched.append((finding, silenced))
            continue
        key = _identity(finding)
        if left[key] > 0:
            left[key] -= 1
    fresh: list[Finding] = []
    moved: list[Finding] = []
    for finding, silenced in sorted(touched, key=lambda item: (item[0].start_line, item[0].occurrence)):
        key = _identity(finding)
        known = left[key] > 0
        if known:
            left[key] -= 1
        if not silenced:
            (moved if known else fresh).append(finding)
    return fresh, moved


@dataclass(frozen=True)
class _Base:
    """The base-side text a head file is compared with, read under its base path."""

    path: str
    text: str | None
    notice: Notice | None = None


async def _load_base(source: Source, file: ScannedFile, limits: ScanLimits) -> _Base:
    """The base version of a changed file: its old path for a rename, none for an added file.

    A copy has none either: its source file still exists, so code copied to a new path is new
    code at that path (only a rename carries the old path's identity over).
    """
    changed = file.changed
    base_path = changed.previous_path if changed.status is FileStatus.RENAMED and changed.previous_path else changed.path
    if changed.status in (FileStatus.ADDED, FileStatus.COPIED):
        return _Base(base_path, None)
    if file.old_text is not None:
        return _Base(base_path, file.old_text)
    try:
        data = await source.read(base_path, Side.BASE, cap=limits.max_file_bytes)
    except FileTooLarge as exc:
        message = f"base version too large to compare ({exc}): every finding in this file is reported as new"
        return _Base(base_path, None, Notice(NoticeKind.PARTIAL, message, changed.path))
    if data is None or is_binary(data):
        return _Base(base_path, None)
    return _Base(base_path, data.decode("utf-8", errors="replace"))


def _base_findings(
    wanted: Mapping[int, list[tuple[str, ScannedFile]]], runs: Sequence[tuple[int, AnalyzerOutput]]
) -> dict[tuple[int, str], list[Finding]]:
    """(analyzer index, head path) -> every finding that analyzer makes in that file's base."""
    head_paths = {index: {base.path: head for head, base in pairs} for index, pairs in wanted.items()}
    found: dict[tuple[int, str], list[Finding]] = {}
    for index, output in runs:
        for finding in (*output.findings, *output.suppressed):
            head = head_paths.get(index, {}).get(finding.path)
            if head is not None:
                found.setdefault((index, head), []).append(finding)
    return found


# --- findings a change causes elsewhere in the file ---------------------------------------------


@dataclass(frozen=True)
class _Removal:
    """What `_removal_findings` adds to a scan."""

    findings: tuple[Finding, ...] = ()
    suppressed: tuple[Finding, ...] = ()
    notices: tuple[Notice, ...] = ()
    files_scanned: int = 0


REMOVAL_PROPERTY = "reportedBecause"
REMOVAL_REASON = "the change removed code elsewhere in this file that kept this finding away"


def _removal_rule_ids(analyzers: Sequence[Analyzer]) -> frozenset[str]:
    """Rules whose findings depend on the whole file (`report_when_removed` in a condition)."""
    if not any(getattr(analyzer, "rules", ()) for analyzer in analyzers):
        return frozenset()  # no rules, nothing to import (a drift-only `prwarden scan`)
    from bot.owasp.conditions import reports_when_removed

    return frozenset(
        rule.id
        for analyzer in analyzers
        for rule in getattr(analyzer, "rules", ())
        if reports_when_removed(getattr(rule, "conditions", ()))
    )


async def _removal_findings(
    source: Source,
    changes: Sequence[ChangedFile],
    files: Sequence[ScannedFile],
    runs: Sequence[tuple[int, AnalyzerOutput]],
    analyzers: Sequence[Analyzer],
    limits: ScanLimits,
    gate: asyncio.Semaphore,
    analyze: Callable[[Sequence[ScannedFile]], Awaitable[list[tuple[int, AnalyzerOutput]]]],
) -> _Removal:
    """Findings of whole-file rules (Express without Helmet) on unchanged lines that the change
    caused by removing code elsewhere: reported when the base version of the file (the old path
    of a rename) does not have them. Every other finding on an unchanged line stays unreported.

    Files whose change only deletes lines have no changed lines and were not read; they are read
    and analysed here. A file's base is read only when its head has such a finding."""
    rule_ids = _removal_rule_ids(analyzers)
    if not rule_ids:
        return _Removal()
    deleting = [  # the pipeline read only files with changed lines (or no patch)
        f
        for f in changes
        if not f.changed_lines
        and not f.patch_missing
        and f.status in (FileStatus.MODIFIED, FileStatus.RENAMED)
        and f.deletions != 0  # None: the source does not say
        and any(a.wants(f.path) for a in analyzers)
    ]
    notices: list[Notice] = []
    extra: list[ScannedFile] = []
    if deleting:
        await source.prefetch([f.path for f in deleting], Side.HEAD, cap=limits.max_file_bytes)

        async def load(changed: ChangedFile) -> tuple[ScannedFile | None, Notice | None]:
            async with gate:
                return await _load(source, changed, limits)

        for scanned, notice in await asyncio.gather(*(load(f) for f in deleting)):
            if scanned is not None:
                extra.append(scanned)
            elif notice is not None:
                notices.append(notice)
    extra_runs = await analyze(extra) if extra else []
    all_runs = [*runs, *extra_runs]
    by_path = {f.path: f for f in (*files, *extra)}
    # Head findings of those rules, per analyzer and file: (finding, suppressed).
    head: dict[tuple[int, str], list[tuple[Finding, bool]]] = {}
    for index, output in all_runs:
        for silenced, found in ((False, output.findings), (True, output.suppressed)):
            for finding in found:
                if finding.rule_id in rule_ids and finding.path in by_path:
                    head.setdefault((index, finding.path), []).append((finding, silenced))
    candidates = sorted(
        {
            path
            for (_, path), items in head.items()
            if any(not on_changed_lines(f, by_path[path].changed.changed_lines) for f, _ in items)
        }
    )
    if not candidates:
        return _Removal(notices=tuple(notices), files_scanned=len(extra))

    async def load_base(path: str) -> _Base:
        async with gate:
            return await _load_base(source, by_path[path], limits)

    bases = dict(zip(candidates, await asyncio.gather(*(load_base(p) for p in candidates))))
    base_files = {  # no base (an added or copied file, or one too large to read): not reported
        path: ScannedFile(ChangedFile(base.path, FileStatus.MODIFIED, frozenset()), base.text)
        for path, base in bases.items()
        if base.text is not None
    }
    if not base_files:
        return _Removal(notices=tuple(notices), files_scanned=len(extra))
    wanted = {index: [(path, base_files[path]) for path in base_files] for index, _ in all_runs}
    base_found = _base_findings(wanted, await analyze(list(base_files.values())))
    findings: list[Finding] = []
    suppressed: list[Finding] = []
    for (index, path), items in head.items():
        if path not in base_files:
            continue
        changed = by_path[path].changed.changed_lines
        left = Counter(_identity(f) for f in base_found.get((index, path), ()) if f.rule_id in rule_ids)
        # Copies on changed lines are the pipeline's usual business; they are matched after
        # the unchanged ones, so the base's copies account for unchanged lines first.
        for finding, silenced in sorted(items, key=lambda item: (item[0].start_line, item[0].occurrence)):
            if on_changed_lines(finding, changed):
                continue
            key = _identity(finding)
            if left[key] > 0:
                left[key] -= 1
                continue
            marked = replace(finding, properties={**finding.properties, REMOVAL_PROPERTY: REMOVAL_REASON})
            (suppressed if silenced else findings).append(marked)
    # Files read only here: their notices matter only about a finding reported (an expired
    # suppression); those of the pipeline's own files are its business.
    reported = {f.fingerprint for f in findings}
    notices.extend(n for _, output in extra_runs for n in output.notices if n.about in reported)
    return _Removal(tuple(findings), tuple(suppressed), tuple(notices), len(extra))


async def run_scan(
    source: Source,
    analyzers: Sequence[Analyzer],
    limits: ScanLimits | None = None,
    *,
    pool: AnalysisPool | None = None,
    stages: Sequence[Stage] = (),
) -> ScanResult:
    """Scan a change. With `pool`, head files are analysed in its processes, which run the
    default analyzers (so `analyzers` must be those too). `stages` (drift) run alongside."""
    limits = limits or ScanLimits()
    started = time.monotonic()
    changes = await source.changes()
    notices: list[Notice] = list(changes.notices)
    staged = [
        asyncio.ensure_future(stage.run(source, changes.files))
        for stage in stages
        if any(stage.wants(f.path) for f in changes.files)
    ]
    wanted = [f for f in changes.files if (f.changed_lines or f.patch_missing) and any(a.wants(f.path) for a in analyzers)]

    gate = asyncio.Semaphore(limits.concurrent_reads)

    async def load(changed: ChangedFile) -> tuple[ScannedFile | None, Notice | None]:
        async with gate:
            return await _load(source, changed, limits)

    await source.prefetch([f.path for f in wanted], Side.HEAD, cap=limits.max_file_bytes)
    loaded = await asyncio.gather(*(load(f) for f in wanted))
    files = [scanned for scanned, _ in loaded if scanned is not None]
    notices.extend(notice for _, notice in loaded if notice is not None)

    if pool is not None and sum(len(f.text) for f in files) < limits.pool_from_bytes:
        pool = None

    async def analyze(batch: Sequence[ScannedFile]) -> list[tuple[int, AnalyzerOutput]]:
        if pool is not None:
            return await pool.analyze(batch)
        return await asyncio.to_thread(analyze_each, batch, analyzers)

    runs = await analyze(files)
    by_path = {f.path: f for f in files}
    lines_by_path = {f.path: f.changed.changed_lines for f in files}

    # Per analyzer and file: everything found, and whether anything of it is on changed lines.
    per_file: dict[tuple[int, str], tuple[list[Finding], list[Finding]]] = {}
    for index, output in runs:
        for finding in output.findings:
            per_file.setdefault((index, finding.path), ([], []))[0].append(finding)
        for finding in output.suppressed:
            per_file.setdefault((index, finding.path), ([], []))[1].append(finding)
    needs_base = sorted(
        {
            path
            for (_, path), (found, _) in per_file.items()
            if path in by_path
            and any(on_changed_lines(f, lines_by_path[path]) for f in found)
            and not _only_inserted(by_path[path].changed, found)
        }
    )

    # The base side, only for files with something to report: reading and parsing it is the
    # price of telling moved code from new code, so files without findings never pay it.
    async def load_base(path: str) -> _Base:
        async with gate:
            return await _load_base(source, by_path[path], limits)

    base_paths = [by_path[p].changed.previous_path or p for p in needs_base]
    await source.prefetch(base_paths, Side.BASE, cap=limits.max_file_bytes)
    bases = dict(zip(needs_base, await asyncio.gather(*(load_base(p) for p in needs_base))))
    notices.extend(base.notice for base in bases.values() if base.notice is not None)
    base_work: dict[int, list[tuple[str, ScannedFile]]] = {}
    for (index, path), (found, _) in per_file.items():
        base = bases.get(path)
        if base is None or base.text is None:
            continue
        if not any(on_changed_lines(f, lines_by_path[path]) for f in found):
            continue
        base_file = ScannedFile(ChangedFile(base.path, FileStatus.MODIFIED, frozenset()), base.text)
        base_work.setdefault(index, []).append((path, base_file))
    base_findings: dict[tuple[int, str], list[Finding]] = {}
    if base_work:
        base_files = list({base.path: base for pairs in base_work.values() for _, base in pairs}.values())
        base_findings = _base_findings(base_work, await analyze(base_files))

    findings: list[Finding] = []
    suppressed: list[Finding] = []
    preexisting: list[Finding] = []
    scanners = []
    for (index, path), (found, silenced) in per_file.items():
        changed = lines_by_path.get(path, frozenset())
        fresh, moved = split_preexisting(found, silenced, base_findings.get((index, path), ()), changed)
        findings.extend(fresh)
        preexisting.extend(moved)
        suppressed.extend(f for f in silenced if on_changed_lines(f, changed))
    removal = await _removal_findings(source, changes.files, files, runs, analyzers, limits, gate, analyze)
    findings.extend(removal.findings)
    suppressed.extend(removal.suppressed)
    notices.extend(removal.notices)
    stage_outputs = await asyncio.gather(*staged)
    for output in stage_outputs:
        findings.extend(output.findings)
    reported = {f.fingerprint for f in findings}
    for output in [*(o for _, o in runs), *stage_outputs]:
        # A notice about one finding (an expired suppression) only matters if it is reported.
        notices.extend(n for n in output.notices if n.about is None or n.about in reported)
        scanners.extend(output.scanners)
    order = list(Kind)
    findings.sort(key=lambda f: (order.index(f.kind), f.path, f.start_line, f.rule_id))
    preexisting.sort(key=lambda f: (order.index(f.kind), f.path, f.start_line, f.rule_id))
    suppressed.sort(key=lambda f: (order.index(f.kind), f.path, f.start_line, f.rule_id))
    return ScanResult(
        findings=tuple(findings),
        suppressed=tuple(suppressed),
        notices=tuple(notices),
        scanners=tuple(scanners),
        files_scanned=len(files) + removal.files_scanned,
        partial=changes.partial,
        seconds=time.monotonic() - started,
        preexisting=tuple(preexisting),
    )
