"""Analysis in worker processes: both cores for large changes, and no GIL shared with a web loop.

tree-sitter parses and matches while holding the GIL, so threads neither run two files at once
nor keep a busy analysis from stalling the event loop next to it. Each worker process loads the
default analyzers once (rules, compiled queries) and analyses the files it is sent. Files are
split by grammar and a grammar stays with its process, so each process compiles only its own
languages' combined queries.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from bot.analysis import Analyzer, AnalyzerOutput
from bot.model import ScannedFile
from bot.owasp.languages import language_for_path

_ANALYZERS: list[Analyzer] | None = None  # one set per worker process, built by _start


def _start(languages: tuple[str, ...] = ()) -> None:
    """Load the analyzers and compile the queries of the languages this process will get, so
    the compiling overlaps the parent's reading of the files."""
    global _ANALYZERS
    from bot.scan import default_analyzers

    _ANALYZERS = default_analyzers()
    for analyzer in _ANALYZERS:
        warm = getattr(analyzer, "warm", None)
        if warm is not None:
            warm(languages)


def _ready() -> bool:
    return _ANALYZERS is not None


def _analyze(files: list[ScannedFile]) -> list[tuple[int, AnalyzerOutput]]:
    from bot.scan import analyze_each

    assert _ANALYZERS is not None
    return analyze_each(files, _ANALYZERS)


def _language_key(path: str) -> str:
    """The grammar, not the extension: .js, .jsx and .mjs share one compiled query."""
    return language_for_path(path) or ""


@dataclass
class AnalysisPool:
    """Analysis processes, each keeping the languages it was first given (compiling a language's
    combined query costs 0.2-0.4 s, so a language never moves to another process); worth it from
    a few hundred files on (start-up ~0.3 s, overlapped with reading the files)."""

    processes: int = 2
    expected: Mapping[str, int] = field(default_factory=dict)
    """Languages the caller expects, with a weight (e.g. changed lines): they are placed now and
    their queries compiled while the processes start."""

    def __post_init__(self) -> None:
        self._load = [0] * self.processes
        self._slot_of: dict[str, int] = {}
        for language, weight in sorted(self.expected.items(), key=lambda kv: -kv[1]):
            slot = self._slot_of[language] = self._load.index(min(self._load))
            self._load[slot] += weight
        placed = [tuple(lang for lang, s in self._slot_of.items() if s == slot) for slot in range(self.processes)]
        self._load = [0] * self.processes  # from here on, counted in bytes of text
        # spawn, not fork: the parent may hold threads (SQLite writer, event loop) and locks.
        context = multiprocessing.get_context("spawn")
        self._slots = [
            ProcessPoolExecutor(1, mp_context=context, initializer=_start, initargs=(placed[slot],))
            for slot in range(self.processes)
        ]
        # Start every process now, so their start-up overlaps the caller's git and I/O work.
        self._warm = [slot.submit(_ready) for slot in self._slots]

    def _assign(self, files: Sequence[ScannedFile]) -> list[list[ScannedFile]]:
        """Files per slot: known languages go where they went before; new ones, largest first,
        to the slot with the least text so far."""
        by_language: dict[str, list[ScannedFile]] = {}
        for file in files:
            by_language.setdefault(_language_key(file.path), []).append(file)
        groups: list[list[ScannedFile]] = [[] for _ in self._slots]
        for language, members in sorted(by_language.items(), key=lambda kv: -sum(len(f.text) for f in kv[1])):
            slot = self._slot_of.get(language)
            if slot is None:
                slot = self._slot_of[language] = self._load.index(min(self._load))
            groups[slot].extend(members)
            self._load[slot] += sum(len(f.text) for f in members)
        return groups

    async def analyze(self, files: Sequence[ScannedFile]) -> list[tuple[int, AnalyzerOutput]]:
        loop = asyncio.get_running_loop()
        groups = self._assign(files)
        results = await asyncio.gather(
            *(loop.run_in_executor(slot, _analyze, group) for slot, group in zip(self._slots, groups) if group)
        )
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
        for slot in self._slots:
            slot.shutdown(wait=True, cancel_futures=True)
