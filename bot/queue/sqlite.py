"""The embedded durable queue: one SQLite file in the data dir, no server to run.

Why this design:

* Durability is a commit. The default is WAL with ``synchronous=NORMAL``: a committed job
  survives the process crashing or being killed (the WAL is written before we answer), but the
  last commits may be lost if the machine itself loses power. ``synchronous=FULL`` (setting
  ``PRWARDEN_QUEUE_SYNC=full``) survives power loss at the cost of an fsync on the event loop per
  group of webhooks (0.3-0.5 ms here; far more on slow disks). Commits are grouped either way.
* Enqueue on the event loop. Enqueues gathered during one event-loop iteration are committed in
  one transaction on the loop's own connection, scheduled with ``call_soon``. An earlier design
  handed every write to a thread; under load that thread needed the GIL back after each SQLite
  call and waited for the busy loop to release it, so a batch of 50 took 20 ms (400 us a
  webhook, measured with bench/intake.py). On the loop a batch costs a few microseconds a row
  plus one commit. The loop's connection never waits for a lock (``busy_timeout = 0``): when
  the writer thread holds the write lock, the batch is retried 2 ms later. It never checkpoints
  either; the writer thread folds the WAL back every second.
* Everything else (claim, complete, retry, ...) goes through **one writer thread** that drains a
  ``queue.SimpleQueue`` into one transaction and resolves the callers' futures with one
  ``call_soon_threadsafe`` per batch. Those calls are rare next to webhooks. ``busy_timeout``
  covers other processes (``prwarden serve`` and ``prwarden worker`` may share the file).
* Coalescing is a partial unique index: at most one row per key with state 'pending'.
* Delivery ids live in their own table with the time they were seen; an id older than the
  retention window counts as new (exact), and old rows are pruned hourly (space).

Leases after a restart. A lease records its owner, a random id per open queue. Each owner holds an
exclusive ``flock`` on ``<db>.owners/<owner>.lock`` for as long as it is open; the kernel drops it
when the process dies, even by SIGKILL. On open, and at most every ``reap_interval`` seconds
afterwards, leases whose owner's lock is free are made runnable at once. We deliberately do NOT
expire every lease on open: the file may be shared by a web process and one or more worker
processes, and a web process restarting says nothing about whether a worker still runs a scan.
"The owner is provably gone" is the right condition; where ``fcntl`` is missing (Windows) leases
only expire by time.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import queue as _queue
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .base import (
    DELIVERY_RETENTION_SECONDS,
    Enqueued,
    Job,
    JobNotFound,
    JobQueue,
    QueueClosed,
    QueueError,
)

try:  # POSIX only; without it leases expire by time alone.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["SQLiteQueue"]

SCHEMA_VERSION = 1

# ready_at: for a pending job the time it may run (created_at, or after a retry delay); for a
# leased job the lease expiry. One column lets one partial index answer "what runs next".
_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq        INTEGER PRIMARY KEY,
    id         TEXT    NOT NULL UNIQUE,
    kind       TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    payload    TEXT    NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('pending', 'leased', 'dead')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_at REAL    NOT NULL,
    ready_at   REAL    NOT NULL,
    owner      TEXT,
    last_error TEXT,
    updated_at REAL    NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_pending_key ON jobs (key) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS jobs_runnable ON jobs (ready_at, seq) WHERE state IN ('pending', 'leased');
CREATE INDEX IF NOT EXISTS jobs_lease_owner ON jobs (owner) WHERE state = 'leased';
CREATE TABLE IF NOT EXISTS deliveries (
    id      TEXT PRIMARY KEY,
    seen_at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deliveries_seen ON deliveries (seen_at);
"""

_SQL_DELIVERY = (
    "INSERT INTO deliveries (id, seen_at) VALUES (?, ?) "
    "ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at WHERE deliveries.seen_at < ?"
)
_SQL_INSERT_JOB = (
    "INSERT INTO jobs (id, kind, key, payload, state, attempts, created_at, ready_at, updated_at) "
    "VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?) "
    "ON CONFLICT (key) WHERE state = 'pending' DO NOTHING"
)
_SQL_CLAIM_OF = (
    "UPDATE jobs SET state = 'leased', ready_at = ?, owner = ?, attempts = attempts + 1, "
    "updated_at = ? WHERE seq = (SELECT seq FROM jobs WHERE state IN ('pending', 'leased') "
    "AND ready_at <= ?{kinds} ORDER BY ready_at, seq LIMIT 1) "
    "RETURNING id, kind, key, payload, attempts, created_at"
)
"""`{kinds}`: empty, or ` AND kind IN (?, ...)` for a loop that takes some kinds only."""
_SQL_CLAIM = _SQL_CLAIM_OF.format(kinds="")

_OWNER_RE = re.compile(r"[0-9a-f]{32}")
_STOP = object()
_PRUNE_INTERVAL = 3600.0

# A request to the writer thread: (operation, args, caller's loop, caller's future).
_Op = Callable[..., Any]
_Request = tuple[_Op, tuple[Any, ...], asyncio.AbstractEventLoop, "asyncio.Future[Any]"]


@contextlib.contextmanager
def _immediate(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction: committed when the block ends, rolled back if it raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _resolve(results: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    """Runs on the caller's loop: one callback per batch instead of one wake-up per request."""
    for fut, ok, value in results:
        if fut.done():  # caller gave up (cancelled); the write itself still happened
            continue
        if ok:
            fut.set_result(value)
        else:
            fut.set_exception(value)


_BUSY_RETRY_SECONDS = 0.002
_CHECKPOINT_SECONDS = 1.0
"""How often the writer thread checkpoints the WAL (the loop's connection never does)."""
"""How soon the loop retries a batch when the writer thread holds the database's write lock."""

class SQLiteQueue(JobQueue):
    """JobQueue on one SQLite file, written by one group-committing thread.

    Opening blocks briefly (schema, WAL switch, owner lock file), so open at startup, not per
    request. All coroutines of one instance must run on one event loop at a time; ``clock`` is
    injectable so tests can move time for leases, retries and delivery retention.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        synchronous: str = "NORMAL",
        busy_timeout_ms: int = 10_000,
        delivery_retention: float = DELIVERY_RETENTION_SECONDS,
        reap_interval: float = 15.0,
        max_batch: int = 2048,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if synchronous.upper() not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
            raise ValueError(f"bad synchronous mode {synchronous!r}")
        self.path = Path(path)
        self._synchronous = synchronous.upper()
        self._busy_timeout_ms = int(busy_timeout_ms)
        self._retention = float(delivery_retention)
        self._reap_interval = float(reap_interval)
        self._max_batch = int(max_batch)
        self._clock = clock
        self._owner = uuid.uuid4().hex
        self._owners_dir = self.path.with_name(self.path.name + ".owners")
        self._owner_fd: int | None = None

        self._requests: _queue.SimpleQueue[Any] = _queue.SimpleQueue()
        self._submit_lock = threading.Lock()
        # Enqueues gathered during one event-loop iteration, committed together on the loop's
        # own connection (see the module docstring: "Enqueue on the event loop").
        self._gathering: list[tuple[tuple[Any, ...], asyncio.Future[Any]]] = []
        self._loop_conn: sqlite3.Connection | None = None
        self._loop_conn_lock = threading.Lock()
        self._closed = False
        self._wakeup: asyncio.Event | None = None
        self._wakeup_loop: asyncio.AbstractEventLoop | None = None
        self._next_prune = 0.0
        self._next_reap = 0.0

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._acquire_owner_lock()
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, name=f"prwarden-queue-{self.path.name}", daemon=True
        )
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            self._closed = True
            self._release_owner_lock()
            raise self._startup_error

    # ---------------------------------------------------------------- public API (event loop)

    async def enqueue(
        self,
        kind: str,
        key: str,
        payload: dict[str, Any],
        *,
        delivery_id: str | None = None,
        delay_seconds: float = 0.0,
    ) -> Enqueued:
        if not isinstance(payload, dict):
            raise TypeError("payload must be a dict")
        self.enqueues += 1
        # Serialise here so a bad payload fails its own caller, never a whole batch.
        data = json.dumps(payload, separators=(",", ":"), allow_nan=False)
        now = self._clock()
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Enqueued] = loop.create_future()
        with self._submit_lock:
            if self._closed:
                raise QueueClosed(f"queue {self.path} is closed")
            if not self._gathering:
                loop.call_soon(self._commit_gathered, loop)
            self._gathering.append(((uuid.uuid4().hex, kind, key, data, delivery_id, now, now + max(0.0, delay_seconds)), fut))
        result = await fut
        if result is Enqueued.ACCEPTED:
            self._event().set()
        return result

    def _loop_connection(self) -> sqlite3.Connection:
        if self._loop_conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=0, check_same_thread=False)
            # Never let SQLite sleep on the event loop: a busy database is retried by call_later.
            conn.execute("PRAGMA busy_timeout = 0")
            conn.execute(f"PRAGMA synchronous = {self._synchronous}")
            # Checkpoints copy the WAL into the database and fsync: the writer thread does them.
            conn.execute("PRAGMA wal_autocheckpoint = 0")
            self._loop_conn = conn
        return self._loop_conn

    def _commit_gathered(self, loop: asyncio.AbstractEventLoop) -> None:
        """Commit every enqueue gathered this iteration in one transaction, on the loop thread."""
        with self._submit_lock:
            batch, self._gathering = self._gathering, []
        if not batch:
            return
        try:
            with self._loop_conn_lock:
                results = self._enqueue_batch(self._loop_connection(), batch)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                # The writer thread holds the write lock for a moment: try again shortly.
                with self._submit_lock:
                    if not self._gathering:
                        loop.call_later(_BUSY_RETRY_SECONDS, self._commit_gathered, loop)
                    self._gathering[:0] = batch
                return
            error = QueueError(f"queue write failed: {exc}")
            error.__cause__ = exc
            results = [(fut, False, error) for _, fut in batch]
        _resolve(results)

    def _enqueue_batch(
        self, conn: sqlite3.Connection, batch: list[tuple[tuple[Any, ...], asyncio.Future[Any]]]
    ) -> list[tuple[asyncio.Future[Any], bool, Any]]:
        now = self._clock()
        with _immediate(conn):
            return [(fut, True, self._op_enqueue(conn, now, *args)) for args, fut in batch]

    async def claim(self, *, lease_seconds: float = 600, kinds: tuple[str, ...] = ()) -> Job | None:
        return await self._submit(self._op_claim, (float(lease_seconds), tuple(kinds)))  # type: ignore[no-any-return]

    async def complete(self, job_id: str) -> None:
        await self._submit(self._op_complete, (job_id,))

    async def retry(self, job_id: str, *, delay_seconds: float, error: str) -> None:
        await self._submit(self._op_retry, (job_id, max(0.0, float(delay_seconds)), error))

    async def fail(self, job_id: str, *, error: str) -> None:
        await self._submit(self._op_fail, (job_id, error))

    async def extend(self, job_id: str, *, lease_seconds: float) -> None:
        await self._submit(self._op_extend, (job_id, float(lease_seconds)))

    async def wait(self, timeout: float) -> None:
        event = self._event()
        if not event.is_set():
            try:
                await asyncio.wait_for(event.wait(), timeout)
            except TimeoutError:
                pass
        event.clear()

    async def stats(self) -> dict[str, int]:
        return await self._submit(self._op_stats, ())  # type: ignore[no-any-return]

    async def dead_letters(self, limit: int = 100) -> list[tuple[Job, str | None]]:
        """Dead-lettered jobs with their last error, newest first (SQLite-only, for inspection)."""
        return await self._submit(self._op_dead_letters, (int(limit),))  # type: ignore[no-any-return]

    async def close(self) -> None:
        with self._submit_lock:
            if self._closed:
                return
            self._closed = True
            pending, self._gathering = self._gathering, []
        if pending:
            # Enqueues still waiting for their loop iteration: commit them before closing.
            with self._loop_conn_lock:
                conn = self._loop_connection()
                conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
                _resolve(self._enqueue_batch(conn, pending))
        with self._submit_lock:
            self._requests.put(_STOP)
        # The thread commits everything queued before the stop marker; join off the loop.
        await asyncio.to_thread(self._thread.join)
        with self._loop_conn_lock:
            if self._loop_conn is not None:
                self._loop_conn.close()
                self._loop_conn = None
        self._release_owner_lock()

    # ------------------------------------------------------------------------ loop helpers

    def _submit(self, op: _Op, args: tuple[Any, ...]) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()
        with self._submit_lock:  # so nothing lands behind the stop marker
            if self._closed:
                raise QueueClosed(f"queue {self.path} is closed")
            self._requests.put([(op, args, loop, fut)])
        return fut

    def _event(self) -> asyncio.Event:
        """The wake-up event of the running loop (a queue may outlive one asyncio.run)."""
        loop = asyncio.get_running_loop()
        if self._wakeup is None or self._wakeup_loop is not loop:
            self._wakeup = asyncio.Event()
            self._wakeup_loop = loop
        return self._wakeup

    # ------------------------------------------------------------------------ owner locks

    def _acquire_owner_lock(self) -> None:
        """Hold <db>.owners/<owner>.lock while open; its release marks our leases as orphaned."""
        if fcntl is None:  # pragma: no cover - Windows
            return
        self._owners_dir.mkdir(parents=True, exist_ok=True)
        path = self._owners_dir / f"{self._owner}.lock"
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            # A sweeper may have unlinked the file between open and flock; a lock on an unlinked
            # inode would let others think we are dead. Retry until the path is our inode.
            try:
                if os.stat(path).st_ino == os.fstat(fd).st_ino:
                    self._owner_fd = fd
                    return
            except FileNotFoundError:
                pass
            os.close(fd)

    def _release_owner_lock(self) -> None:
        if self._owner_fd is None:
            return
        try:
            os.unlink(self._owners_dir / f"{self._owner}.lock")
        except FileNotFoundError:
            pass
        os.close(self._owner_fd)  # closing drops the flock
        self._owner_fd = None

    def _owner_alive(self, owner: str) -> bool:
        """True while the owner's process holds its lock; a dead owner's lock file is removed."""
        if fcntl is None or not _OWNER_RE.fullmatch(owner):  # pragma: no cover - Windows
            return True
        path = self._owners_dir / f"{owner}.lock"
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            return False
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    return True
                raise
            try:
                os.unlink(path)  # while we hold the lock, so nobody mistakes it for a live owner
            except FileNotFoundError:
                pass
            return False
        finally:
            os.close(fd)

    def _sweep_stale_lock_files(self) -> None:
        """Remove lock files of dead owners that held no leases (else they pile up)."""
        if fcntl is None:  # pragma: no cover - Windows
            return
        for entry in self._owners_dir.glob("*.lock"):
            owner = entry.name[: -len(".lock")]
            if owner != self._owner and _OWNER_RE.fullmatch(owner):
                self._owner_alive(owner)

    # -------------------------------------------------------------------- writer thread

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, isolation_level=None, timeout=self._busy_timeout_ms / 1000
        )
        conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise QueueError(f"could not switch {self.path} to WAL (got {mode!r})")
        conn.execute(f"PRAGMA synchronous = {self._synchronous}")
        return conn

    def _startup(self, conn: sqlite3.Connection) -> None:
        with _immediate(conn):
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise QueueError(
                    f"{self.path} has queue schema {version}, newer than this code ({SCHEMA_VERSION})"
                )
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._maintain(conn, self._clock())
        self._sweep_stale_lock_files()

    def _run(self) -> None:
        try:
            conn = self._connect()
            self._startup(conn)
        except BaseException as exc:  # reported to the constructor
            self._startup_error = exc
            self._ready.set()
            return
        self._ready.set()
        requests = self._requests
        last_checkpoint = time.monotonic()
        try:
            while True:
                if time.monotonic() - last_checkpoint >= _CHECKPOINT_SECONDS:
                    # Fold the WAL the event loop appended to back into the file (PASSIVE: it
                    # never waits for, nor blocks, readers and writers).
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                    last_checkpoint = time.monotonic()
                try:
                    first = requests.get(timeout=_CHECKPOINT_SECONDS)
                except _queue.Empty:
                    continue
                stop = first is _STOP
                batch: list[_Request] = [] if stop else list(first)
                while not stop and len(batch) < self._max_batch:
                    try:
                        item = requests.get_nowait()
                    except _queue.Empty:
                        break
                    if item is _STOP:
                        stop = True
                    else:
                        batch.extend(item)
                if batch:
                    self._process(conn, batch)
                if stop:
                    return
        finally:
            conn.close()

    def _process(self, conn: sqlite3.Connection, batch: list[_Request]) -> None:
        """Run a batch in one transaction; if SQLite fails, redo each request on its own."""
        now = self._clock()
        results: list[tuple[asyncio.Future[Any], bool, Any]]
        try:
            results = self._transaction(conn, batch, now)
        except sqlite3.OperationalError as exc:
            # Busy beyond busy_timeout, disk full, I/O error: not one request's fault, and redoing
            # each one alone would multiply the wait. The callers see an error (web answers 5xx
            # and GitHub may redeliver), never a false ACCEPTED.
            error = QueueError(f"queue write failed: {exc}")
            error.__cause__ = exc
            results = [(request[3], False, error) for request in batch]
        except Exception:
            # Something specific to one request (a bug, a corrupt row): isolate it.
            results = []
            for request in batch:
                try:
                    results.extend(self._transaction(conn, [request], now))
                except Exception as exc:
                    error = QueueError(f"queue operation failed: {exc}")
                    error.__cause__ = exc
                    results.append((request[3], False, error))
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
        for request, result in zip(batch, results):
            by_loop.setdefault(request[2], []).append(result)
        for loop, items in by_loop.items():
            try:
                loop.call_soon_threadsafe(_resolve, items)
            except RuntimeError:  # the caller's loop is closed; nobody is waiting
                pass

    def _transaction(
        self, conn: sqlite3.Connection, batch: list[_Request], now: float
    ) -> list[tuple[asyncio.Future[Any], bool, Any]]:
        results: list[tuple[asyncio.Future[Any], bool, Any]] = []
        with _immediate(conn):
            self._maintain(conn, now)
            for op, args, _loop, fut in batch:
                try:
                    results.append((fut, True, op(conn, now, *args)))
                except QueueError as exc:  # raised before the op wrote anything
                    results.append((fut, False, exc))
        return results

    def _maintain(self, conn: sqlite3.Connection, now: float) -> None:
        """Throttled housekeeping inside the current transaction."""
        if now >= self._next_prune:
            conn.execute("DELETE FROM deliveries WHERE seen_at < ?", (now - self._retention,))
            self._next_prune = now + _PRUNE_INTERVAL
        if now >= self._next_reap:
            self._reap(conn, now)
            self._next_reap = now + self._reap_interval

    def _reap(self, conn: sqlite3.Connection, now: float) -> int:
        """Make leases of dead owners runnable now instead of after their expiry."""
        owners = [
            row[0]
            for row in conn.execute(
                "SELECT DISTINCT owner FROM jobs WHERE state = 'leased' AND owner IS NOT NULL "
                "AND owner != ?",
                (self._owner,),
            )
        ]
        reaped = 0
        for owner in owners:
            if not self._owner_alive(owner):
                reaped += conn.execute(
                    "UPDATE jobs SET owner = NULL, ready_at = min(ready_at, ?), updated_at = ? "
                    "WHERE state = 'leased' AND owner = ?",
                    (now, now, owner),
                ).rowcount
        return reaped

    # ---------------------------------------------- operations (writer thread, in a transaction)

    def _op_enqueue(
        self,
        conn: sqlite3.Connection,
        now: float,
        job_id: str,
        kind: str,
        key: str,
        data: str,
        delivery_id: str | None,
        created_at: float,
        ready_at: float,
    ) -> Enqueued:
        if delivery_id is not None:
            # Inserts a new id, or refreshes one older than the window; 0 rows = seen recently.
            cur = conn.execute(_SQL_DELIVERY, (delivery_id, now, now - self._retention))
            if cur.rowcount == 0:
                return Enqueued.DUPLICATE_DELIVERY
        cur = conn.execute(
            _SQL_INSERT_JOB, (job_id, kind, key, data, created_at, ready_at, now)
        )
        return Enqueued.ACCEPTED if cur.rowcount else Enqueued.COALESCED

    def _op_claim(self, conn: sqlite3.Connection, now: float, lease_seconds: float, kinds: tuple[str, ...] = ()) -> Job | None:
        sql = _SQL_CLAIM_OF.format(kinds=f" AND kind IN ({', '.join('?' * len(kinds))})") if kinds else _SQL_CLAIM
        row = conn.execute(sql, (now + lease_seconds, self._owner, now, now, *kinds)).fetchone()
        if row is None:
            return None
        job_id, kind, key, payload, attempts, created_at = row
        return Job(job_id, kind, key, json.loads(payload), attempts - 1, created_at)

    def _op_complete(self, conn: sqlite3.Connection, now: float, job_id: str) -> None:
        conn.execute(
            "DELETE FROM jobs WHERE id = ? AND state = 'leased' AND owner = ?", (job_id, self._owner)
        )

    def _op_retry(
        self, conn: sqlite3.Connection, now: float, job_id: str, delay: float, error: str
    ) -> None:
        try:
            cur = conn.execute(
                "UPDATE jobs SET state = 'pending', ready_at = ?, owner = NULL, last_error = ?, "
                "updated_at = ? WHERE id = ? AND state = 'leased' AND owner = ?",
                (now + delay, error, now, job_id, self._owner),
            )
        except sqlite3.IntegrityError:
            # A job with this key is already pending and will do the same work: drop this one.
            conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
            return
        if cur.rowcount == 0:
            raise JobNotFound(job_id)

    def _op_fail(self, conn: sqlite3.Connection, now: float, job_id: str, error: str) -> None:
        cur = conn.execute(
            "UPDATE jobs SET state = 'dead', owner = NULL, last_error = ?, updated_at = ? "
            "WHERE id = ? AND state = 'leased' AND owner = ?",
            (error, now, job_id, self._owner),
        )
        if cur.rowcount == 0:
            raise JobNotFound(job_id)

    def _op_extend(
        self, conn: sqlite3.Connection, now: float, job_id: str, lease_seconds: float
    ) -> None:
        cur = conn.execute(
            "UPDATE jobs SET ready_at = ?, updated_at = ? "
            "WHERE id = ? AND state = 'leased' AND owner = ?",
            (now + lease_seconds, now, job_id, self._owner),
        )
        if cur.rowcount == 0:
            raise JobNotFound(job_id)

    def _op_stats(self, conn: sqlite3.Connection, now: float) -> dict[str, int]:
        counts = {"pending": 0, "leased": 0, "dead": 0}
        for state, n in conn.execute("SELECT state, count(*) FROM jobs GROUP BY state"):
            counts[state] = n
        counts["deliveries"] = conn.execute(
            "SELECT count(*) FROM deliveries WHERE seen_at >= ?", (now - self._retention,)
        ).fetchone()[0]
        return counts

    def _op_dead_letters(
        self, conn: sqlite3.Connection, now: float, limit: int
    ) -> list[tuple[Job, str | None]]:
        rows = conn.execute(
            "SELECT id, kind, key, payload, attempts, created_at, last_error FROM jobs "
            "WHERE state = 'dead' ORDER BY updated_at DESC, seq DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [
            (Job(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5]), r[6]) for r in rows
        ]
