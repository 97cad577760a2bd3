"""Analysis in worker processes: both cores for large changes, and no GIL shared with a web loop.

tree-sitter parses and matches while holding the GIL, so threads neither run two files at once
nor keep a busy analysis from stalling the event loop next to it.

- `AnalysisPool` (the bot's worker): spawned processes, each loading the default analyzers once
  (rules, compiled queries) and analysing the files it is sent. Files are split by grammar and a
  grammar stays with its process, so each process compiles only its own languages' queries.
- `ForkedAnalysisPool` (`prwarden scan` on a large change): processes forked from the CLI after
  it loaded the analyzers, handed the head files before the diff is ready, in chunks balanced
  between them as results come back.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import gc
import multiprocessing
import queue
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from bot.analysis import Analyzer, AnalyzerOutput
from bot.model import FileStatus, ScannedFile
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


# --- forked analysis processes for `prwarden scan` ---------------------------------------------


def _file_outputs(analyzers: Sequence[Analyzer], files: Sequence[tuple[str, str]]) -> list[list[tuple[int, AnalyzerOutput]]]:
    """Per file, (analyzer index, output) of each per-file analyzer (one with `scan_files`)
    that wants it: what `analyze_each` gives for that file alone."""
    results: list[list[tuple[int, AnalyzerOutput]]] = [[] for _ in files]
    for index, analyzer in enumerate(analyzers):
        scan_files = getattr(analyzer, "scan_files", None)
        if scan_files is None:
            continue
        mine = [i for i, (path, _) in enumerate(files) if analyzer.wants(path)]
        for i, scanned in zip(mine, scan_files([files[i] for i in mine])):
            results[i].append(
                (index, AnalyzerOutput(findings=tuple(scanned.findings), suppressed=tuple(scanned.suppressed), notices=tuple(scanned.notices)))
            )
    return results


def _serve(conn: Connection, analyzers: Sequence[Analyzer]) -> None:
    """A forked worker: answer each (kind, payload) message until None or the pipe closes."""
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        kind, payload = message
        try:
            if kind == "files":
                started = time.process_time()
                compiled = sum(getattr(a, "compile_seconds", 0.0) for a in analyzers)
                outputs = _file_outputs(analyzers, payload)
                compiled = sum(getattr(a, "compile_seconds", 0.0) for a in analyzers) - compiled
                reply: tuple[bool, object] = (True, (outputs, time.process_time() - started, compiled))
            else:
                from bot.scan import analyze_each

                files, indices = payload
                runs = analyze_each(files, [analyzers[i] for i in indices])
                reply = (True, [(indices[position], output) for position, output in runs])
        except BaseException:  # noqa: BLE001 - reported to the parent, which raises it
            reply = (False, traceback.format_exc())
        conn.send(reply)


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    pending: collections.deque[concurrent.futures.Future[object]] = field(default_factory=collections.deque)
    """Futures of the messages sent, in order: replies come back in the same order."""
    outbox: queue.SimpleQueue[tuple[str, object] | None] = field(default_factory=queue.SimpleQueue)
    """Messages for the sender thread, so a large message to a busy worker never blocks."""
    languages: set[str] = field(default_factory=set)
    """Languages this worker has analysed, so has compiled patterns for."""


@dataclass
class _Cost:
    """What a language has cost so far: seconds per byte of text, and its compiling."""

    size: int = 0
    seconds: float = 0.0
    compile: float = 0.0

    def add(self, size: int, cpu: float, compiled: float) -> None:
        self.size += size
        self.seconds += max(cpu - compiled, 0.0)
        self.compile = max(self.compile, compiled)

    def waiting(self, size: int) -> float:
        return size * self.seconds / self.size if self.size else 0.0


@dataclass
class _Chunk:
    language: str
    files: list[tuple[str, str]]
    size: int
    future: concurrent.futures.Future[object] = field(default_factory=concurrent.futures.Future)


CHUNK_BYTES = 64 * 1024
"""Files are handed out in chunks of about this much text of one language, each to the first
worker free for it, so both finish at nearly the same time whatever a language costs."""

IN_FLIGHT = 2
"""Chunks a worker holds at once: the next one is already there when it finishes one."""

SECONDS_PER_BYTE = 0.5e-6
COMPILE_SECONDS = 0.1
"""What a language is taken to cost until a chunk of it has been analysed: parsing, matching
and conditions per byte of text, and compiling its patterns (bench/README.md, scan speed)."""



class ForkedAnalysisPool:
    """Analysis processes forked from `prwarden scan` once it has loaded its analyzers (no
    imports or rule loading again, unlike spawned ones), started before any thread exists.

    `speculate` hands them the head files as soon as they are read, before the diff with line
    numbers is ready: a per-file analyzer's (`scan_files`) result for a file depends only on its
    path and text, so when the pipeline later asks `analyze` for that file with that text, the
    answer is there or on its way. Files go out in chunks of one language; a worker keeps to the
    languages it has compiled patterns for, and takes another's only when enough of it waits."""

    def __init__(self, analyzers: Sequence[Analyzer], processes: int = 2) -> None:
        if threading.active_count() > 1:
            raise RuntimeError("ForkedAnalysisPool must be started before any thread")
        self.analyzers = list(analyzers)
        context = multiprocessing.get_context("fork")
        self._workers: list[_Worker] = []
        # What exists now is inherited, not garbage: the workers' collections skip it (and so do
        # not touch, and copy, its pages). This process goes on collecting as before.
        gc.freeze()
        try:
            for _ in range(processes):
                parent, child = context.Pipe()
                process = context.Process(target=_serve, args=(child, self.analyzers), daemon=True)
                process.start()
                child.close()
                self._workers.append(_Worker(process, parent))
        finally:
            gc.unfreeze()
        self._broken: str | None = None
        self._results: dict[tuple[str, str], tuple[_Chunk, int]] = {}
        """(path, text) -> (its chunk, its position in the chunk)."""
        self._waiting: dict[str, collections.deque[_Chunk]] = {}
        self._chunk_of: dict[int, _Chunk] = {}
        self._costs: dict[str, _Cost] = {}
        self._lock = threading.Lock()
        for worker in self._workers:
            threading.Thread(target=self._read_replies, args=(worker,), name="analysis-reader", daemon=True).start()
            threading.Thread(target=self._send_messages, args=(worker,), name="analysis-sender", daemon=True).start()

    @staticmethod
    def _send_messages(worker: _Worker) -> None:
        while True:
            message = worker.outbox.get()
            try:
                worker.conn.send(message)
            except OSError:
                return
            if message is None:
                return

    def _read_replies(self, worker: _Worker) -> None:
        while True:
            try:
                ok, value = worker.conn.recv()
            except (EOFError, OSError):
                self._fail("an analysis process ended unexpectedly")
                return
            with self._lock:
                if not worker.pending:
                    continue  # the pool failed meanwhile: its futures are answered
                future = worker.pending.popleft()
                chunk = self._chunk_of.pop(id(future), None)
                if ok and chunk is not None:
                    _outputs, cpu, compiled = value  # type: ignore[misc]
                    self._costs.setdefault(chunk.language, _Cost()).add(chunk.size, cpu, compiled)
                    value = _outputs
                self._dispatch()
            if future.done():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(RuntimeError(f"analysis failed in a worker process:\n{value}"))

    def _fail(self, reason: str) -> None:
        """A worker is gone (or the pool closed): whatever waits on the pool fails now rather
        than waiting forever; the pool answers nothing more."""
        with self._lock:
            if self._broken is None:
                self._broken = reason
            futures = [f for w in self._workers for f in w.pending]
            futures += [c.future for chunks in self._waiting.values() for c in chunks]
            for worker in self._workers:
                worker.pending.clear()
            self._waiting.clear()
        for future in futures:
            if not future.done():
                future.set_exception(RuntimeError(reason))

    def _check(self) -> None:
        if self._broken is not None:
            raise RuntimeError(self._broken)

    def _send(self, worker: _Worker, message: tuple[str, object], future: concurrent.futures.Future[object]) -> None:
        """Queue a message; the caller holds the lock."""
        worker.pending.append(future)
        worker.outbox.put(message)

    def _next_chunk(self, worker: _Worker) -> _Chunk | None:
        """The language this worker already has with most waiting; else a language nobody has
        started; else another worker's language when what waits of it takes longer to analyse
        than compiling it here (both workers then finish sooner than one alone)."""
        waiting = {lang: sum(c.size for c in chunks) for lang, chunks in self._waiting.items() if chunks}
        if not waiting:
            return None
        started = set().union(*(w.languages for w in self._workers))
        known = [c for c in self._costs.values() if c.size]
        # Until a language's first chunk is back, judge it by the others (or by typical costs).
        rate = sum(c.seconds for c in known) / sum(c.size for c in known) if known else SECONDS_PER_BYTE
        compile_guess = max((c.compile for c in known), default=COMPILE_SECONDS)

        def worth_sharing(language: str) -> bool:
            cost = self._costs.get(language)
            if cost is not None and cost.size:
                return cost.waiting(waiting[language]) > cost.compile
            return waiting[language] * rate > compile_guess

        for choices in (
            [lang for lang in waiting if lang in worker.languages],
            [lang for lang in waiting if lang not in started],
            [lang for lang in waiting if worth_sharing(lang)],
        ):
            if choices:
                language = max(choices, key=lambda lang: waiting[lang])
                worker.languages.add(language)
                return self._waiting[language].popleft()
        return None

    def _dispatch(self) -> None:
        """Hand waiting chunks to workers with room; the caller holds the lock."""
        progress = True
        while progress:
            progress = False
            for worker in sorted(self._workers, key=lambda w: len(w.pending)):
                if len(worker.pending) < IN_FLIGHT:
                    chunk = self._next_chunk(worker)
                    if chunk is not None:
                        self._chunk_of[id(chunk.future)] = chunk
                        self._send(worker, ("files", chunk.files), chunk.future)
                        progress = True

    def speculate(self, files: Sequence[tuple[str, str]]) -> None:
        """Start analysing (path, text) pairs now; `analyze` picks the results up."""
        self._check()
        with self._lock:
            fresh = [f for f in dict.fromkeys(files) if f not in self._results]
            by_language: dict[str, list[tuple[str, str]]] = {}
            for file in fresh:
                by_language.setdefault(language_for_path(file[0]) or "", []).append(file)
            for language, members in by_language.items():
                chunk: list[tuple[str, str]] = []
                size = 0
                for file in members:
                    chunk.append(file)
                    size += len(file[1])
                    if size >= CHUNK_BYTES or file is members[-1]:
                        queued = _Chunk(language, chunk, size)
                        for position, member in enumerate(chunk):
                            self._results[member] = (queued, position)
                        self._waiting.setdefault(language, collections.deque()).append(queued)
                        chunk, size = [], 0
            self._dispatch()

    async def analyze(self, files: Sequence[ScannedFile]) -> list[tuple[int, AnalyzerOutput]]:
        """What `analyze_each(files, analyzers)` returns, from speculated results where the
        text is the one speculated on, the rest analysed now."""
        self._check()
        per_file = [i for i, a in enumerate(self.analyzers) if hasattr(a, "scan_files")]
        others = [i for i in range(len(self.analyzers)) if i not in per_file]
        live = [f for f in files if f.changed.status is not FileStatus.REMOVED]
        missing = [(f.path, f.text) for f in live if (f.path, f.text) not in self._results]
        if missing:
            self.speculate(missing)
        chunks = {id(c): c for c in (self._results[(f.path, f.text)][0] for f in live)}
        rest: concurrent.futures.Future[object] | None = None
        if others:
            rest = concurrent.futures.Future()
            with self._lock:
                worker = min(self._workers, key=lambda w: len(w.pending))
                self._send(worker, ("analyze", (list(files), others)), rest)
        await asyncio.gather(*(asyncio.wrap_future(c.future) for c in chunks.values()))
        merged: dict[int, list[AnalyzerOutput]] = {}
        for index in per_file:
            if any(self.analyzers[index].wants(f.path) for f in files):
                merged[index] = []
        for f in live:
            chunk, position = self._results[(f.path, f.text)]
            for index, output in chunk.future.result()[position]:  # type: ignore[index]
                merged[index].append(output)
        outputs = [
            (
                index,
                AnalyzerOutput(
                    findings=tuple(x for o in parts for x in o.findings),
                    suppressed=tuple(x for o in parts for x in o.suppressed),
                    notices=tuple(x for o in parts for x in o.notices),
                    scanners=tuple(x for o in parts for x in o.scanners),
                ),
            )
            for index, parts in merged.items()
        ]
        if rest is not None:
            outputs.extend(await asyncio.wrap_future(rest))  # type: ignore[arg-type]
        return sorted(outputs, key=lambda pair: pair[0])

    def close(self) -> None:
        with self._lock:
            self._broken = self._broken or "the analysis pool is closed"
        for worker in self._workers:
            worker.outbox.put(None)
        for worker in self._workers:
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.terminate()
                worker.process.join()
            worker.conn.close()
