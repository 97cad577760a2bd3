"""Analysis in worker processes: both cores for large changes, and no GIL shared with a web loop.

tree-sitter parses and matches while holding the GIL, so threads neither run two files at once
nor keep a busy analysis from stalling the event loop next to it. Each worker process loads the
default analyzers once (rules, compiled queries) and analyses the files it is sent. Files are
split by language, so each process compiles only its own languages' combined queries.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from bot.analysis import AnalyzerOutput
from bot.model import ScannedFile

_ANALYZERS: list | None = None  # one set per worker process, built by _start


def _start() -> None:
    global _ANALYZERS
    from bot.scan import default_analyzers

    _ANALYZERS = default_analyzers()


def _ready() -> bool:
    return _ANALYZERS is not None


def _analyze(files: list[ScannedFile]) -> list[tuple[int, AnalyzerOutput]]:
    from bot.scan import analyze_each

    assert _ANALYZERS is not None
    return analyze_each(files, _ANALYZERS)


def _language_key(path: str) -> str:
    return path.rsplit(".", 1)[-1].lower() if "." in path else ""


def split_by_language(files: Sequence[ScannedFile], parts: int) -> list[list[ScannedFile]]:
    """`parts` groups of whole languages, balanced by bytes (largest language first)."""
    by_language: dict[str, list[ScannedFile]] = {}
    for file in files:
        by_language.setdefault(_language_key(file.path), []).append(file)
    groups: list[list[ScannedFile]] = [[] for _ in range(max(1, parts))]
    sizes = [0] * len(groups)
    for _, members in sorted(by_language.items(), key=lambda kv: -sum(len(f.text) for f in kv[1])):
        smallest = sizes.index(min(sizes))
        groups[smallest].extend(members)
        sizes[smallest] += sum(len(f.text) for f in members)
    return [group for group in groups if group]


@dataclass
class AnalysisPool:
    """A pool of analysis processes; worth it from a few hundred files on (start-up ~0.3 s)."""

    processes: int = 2

    def __post_init__(self) -> None:
        # spawn, not fork: the parent may hold threads (SQLite writer, event loop) and locks.
        context = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(self.processes, mp_context=context, initializer=_start)
        # Start every process now, so their start-up overlaps the caller's git and I/O work.
        self._warm = [self._pool.submit(_ready) for _ in range(self.processes)]

    async def analyze(self, files: Sequence[ScannedFile]) -> list[tuple[int, AnalyzerOutput]]:
        loop = asyncio.get_running_loop()
        chunks = split_by_language(files, self.processes)
        results = await asyncio.gather(*(loop.run_in_executor(self._pool, _analyze, chunk) for chunk in chunks))
        merged: dict[int, AnalyzerOutput] = {}
        for result in results:
            for index, output in result:
                seen = merged.get(index)
                merged[index] = output if seen is None else AnalyzerOutput(
                    findings=seen.findings + output.findings,
                    suppressed=seen.suppressed + output.suppressed,
                    notices=seen.notices + output.notices,
                    scanners=seen.scanners + output.scanners,
                )
        return sorted(merged.items())

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
