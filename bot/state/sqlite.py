"""The embedded state store: one SQLite file beside the queue (`state.sqlite3`).

Writes are rare (a few per scan), so each call runs in a thread on its own short transaction;
WAL lets the web and worker processes share the file.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from bot.state.base import PullHead, StateStore, Triage

T = TypeVar("T")

HEAD_RETENTION_SECONDS = 90 * 24 * 3600
"""Fork check suites can be re-run long after the push; older heads are pruned."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pull_heads (
    repo TEXT NOT NULL, head_sha TEXT NOT NULL, number INTEGER NOT NULL, base_sha TEXT NOT NULL,
    installation_id INTEGER NOT NULL, seen_at REAL NOT NULL,
    PRIMARY KEY (repo, head_sha, number)
);
CREATE TABLE IF NOT EXISTS triage (
    repo TEXT NOT NULL, fingerprint TEXT NOT NULL, who TEXT NOT NULL, why TEXT NOT NULL, at REAL NOT NULL,
    PRIMARY KEY (repo, fingerprint)
);
CREATE TABLE IF NOT EXISTS awaiting_reaction (
    repo TEXT NOT NULL, number INTEGER NOT NULL, comment_id INTEGER NOT NULL,
    PRIMARY KEY (repo, number, comment_id)
);
CREATE TABLE IF NOT EXISTS rescan_claims (
    repo TEXT NOT NULL, number INTEGER NOT NULL, at REAL NOT NULL, kinds TEXT NOT NULL,
    PRIMARY KEY (repo, number)
);
CREATE TABLE IF NOT EXISTS refusals (
    repo TEXT NOT NULL, number INTEGER NOT NULL, login TEXT NOT NULL, at REAL NOT NULL,
    PRIMARY KEY (repo, number, login)
);
CREATE TABLE IF NOT EXISTS reported (
    repo TEXT NOT NULL, number INTEGER NOT NULL, fingerprint TEXT NOT NULL,
    PRIMARY KEY (repo, number, fingerprint)
);
CREATE TABLE IF NOT EXISTS reviewed (
    repo TEXT NOT NULL, number INTEGER NOT NULL, fingerprint TEXT NOT NULL,
    PRIMARY KEY (repo, number, fingerprint)
);
"""


class SQLiteStateStore(StateStore):
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._opened_lock = threading.Lock()
        with self._connect() as db:
            db.executescript(_SCHEMA)
            db.execute("DELETE FROM pull_heads WHERE seen_at < ?", (time.time() - HEAD_RETENTION_SECONDS,))

    def _connect(self) -> sqlite3.Connection:
        """One connection per thread (calls run in `asyncio.to_thread` workers); all are
        remembered so `close` releases them."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=10.0, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
            with self._opened_lock:
                self._opened.append(db)
        return db

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def call() -> T:
            db = self._connect()
            with db:
                return work(db)

        return await asyncio.to_thread(call)

    async def remember_head(self, head: PullHead) -> None:
        await self._run(
            lambda db: db.execute(
                "INSERT OR REPLACE INTO pull_heads VALUES (?, ?, ?, ?, ?, ?)",
                (head.repo, head.head_sha, head.number, head.base_sha, head.installation_id, time.time()),
            )
        )

    async def pull_for_head(self, repo: str, head_sha: str) -> PullHead | None:
        row = await self._run(
            lambda db: db.execute(
                "SELECT number, base_sha, installation_id FROM pull_heads WHERE repo = ? AND head_sha = ? ORDER BY seen_at DESC LIMIT 1",
                (repo, head_sha),
            ).fetchone()
        )
        return PullHead(repo, head_sha, int(row[0]), str(row[1]), int(row[2])) if row else None

    async def newest_head(self, repo: str, number: int) -> str | None:
        row = await self._run(
            lambda db: db.execute(
                "SELECT head_sha FROM pull_heads WHERE repo = ? AND number = ? ORDER BY seen_at DESC LIMIT 1", (repo, number)
            ).fetchone()
        )
        return str(row[0]) if row else None

    async def accept(self, triage: Triage) -> None:
        await self._run(
            lambda db: db.execute(
                "INSERT OR REPLACE INTO triage VALUES (?, ?, ?, ?, ?)",
                (triage.repo, triage.fingerprint, triage.who, triage.why, triage.at),
            )
        )

    async def accepted(self, repo: str) -> dict[str, Triage]:
        rows = await self._run(lambda db: db.execute("SELECT fingerprint, who, why, at FROM triage WHERE repo = ?", (repo,)).fetchall())
        return {str(r[0]): Triage(repo, str(r[0]), str(r[1]), str(r[2]), float(r[3])) for r in rows}

    async def await_reaction(self, repo: str, number: int, comment_id: int) -> None:
        await self._run(lambda db: db.execute("INSERT OR IGNORE INTO awaiting_reaction VALUES (?, ?, ?)", (repo, number, comment_id)))

    async def take_reactions(self, repo: str, number: int) -> list[int]:
        def take(db: sqlite3.Connection) -> list[int]:
            rows = db.execute("SELECT comment_id FROM awaiting_reaction WHERE repo = ? AND number = ? ORDER BY comment_id", (repo, number)).fetchall()
            db.execute("DELETE FROM awaiting_reaction WHERE repo = ? AND number = ?", (repo, number))
            return [int(r[0]) for r in rows]

        return await self._run(take)

    async def claim_rescan(self, repo: str, number: int, kinds: frozenset[str], *, now: float, stale_seconds: float) -> bool:
        def claim(db: sqlite3.Connection) -> bool:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT at, kinds FROM rescan_claims WHERE repo = ? AND number = ?", (repo, number)).fetchone()
            if row is not None and now - float(row[0]) < stale_seconds:
                open_kinds = _kinds(str(row[1]))
                wider = frozenset() if not open_kinds or not kinds else open_kinds | kinds
                db.execute("UPDATE rescan_claims SET kinds = ? WHERE repo = ? AND number = ?", (",".join(sorted(wider)), repo, number))
                return False
            db.execute("INSERT OR REPLACE INTO rescan_claims VALUES (?, ?, ?, ?)", (repo, number, now, ",".join(sorted(kinds))))
            return True

        return await self._run(claim)

    async def rescan_started(self, repo: str, number: int) -> frozenset[str] | None:
        def start(db: sqlite3.Connection) -> frozenset[str] | None:
            db.execute("BEGIN IMMEDIATE")  # a command widening the claim meanwhile must not be lost
            row = db.execute("SELECT kinds FROM rescan_claims WHERE repo = ? AND number = ?", (repo, number)).fetchone()
            db.execute("DELETE FROM rescan_claims WHERE repo = ? AND number = ?", (repo, number))
            return _kinds(str(row[0])) if row else None

        return await self._run(start)

    async def remember_reported(self, repo: str, number: int, fingerprints: Iterable[str]) -> None:
        items = [(repo, number, f) for f in set(fingerprints)]

        def replace_all(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM reported WHERE repo = ? AND number = ?", (repo, number))
            db.executemany("INSERT INTO reported VALUES (?, ?, ?)", items)

        await self._run(replace_all)

    async def reported(self, repo: str, number: int) -> set[str]:
        rows = await self._run(lambda db: db.execute("SELECT fingerprint FROM reported WHERE repo = ? AND number = ?", (repo, number)).fetchall())
        return {str(r[0]) for r in rows}

    async def first_refusal(self, repo: str, number: int, login: str, *, now: float, window_seconds: float) -> bool:
        def note(db: sqlite3.Connection) -> bool:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT at FROM refusals WHERE repo = ? AND number = ? AND login = ?", (repo, number, login)).fetchone()
            if row is not None and now - float(row[0]) < window_seconds:
                return False
            db.execute("INSERT OR REPLACE INTO refusals VALUES (?, ?, ?, ?)", (repo, number, login, now))
            return True

        return await self._run(note)

    async def reviewed(self, repo: str, number: int) -> set[str]:
        rows = await self._run(lambda db: db.execute("SELECT fingerprint FROM reviewed WHERE repo = ? AND number = ?", (repo, number)).fetchall())
        return {str(r[0]) for r in rows}

    async def mark_reviewed(self, repo: str, number: int, fingerprints: Iterable[str]) -> None:
        items = [(repo, number, f) for f in fingerprints]
        await self._run(lambda db: db.executemany("INSERT OR IGNORE INTO reviewed VALUES (?, ?, ?)", items))

    async def close(self) -> None:
        with self._opened_lock:
            opened, self._opened = self._opened, []
        for db in opened:
            db.close()
        self._local = threading.local()


def _kinds(text: str) -> frozenset[str]:
    return frozenset(k for k in text.split(",") if k)
