"""Cached registry answers, so a busy bot asks a registry about `react` once an hour, not once a PR.

An entry holds the parsed answer (a `PackageInfo`, or None for "not found") with the validators
the registry sent (ETag, Last-Modified) and when it was fetched. The registries decide what to do
with an entry (`Freshness`): fresh -> no request; stale -> a conditional request, where a 304
only refreshes `fetched_at`; a registry that is down -> the stale answer, within a limit.

Parsed answers are stored rather than bodies: an abbreviated npm packument runs to megabytes,
its `PackageInfo` to a few kilobytes.

Keys are the request URL without credentials (see `CacheKey`): two registries at different URLs
never share entries, and a token never reaches the cache file. A Redis-backed cache is one
more `RegistryCache` subclass using `entry_to_json` / `entry_from_json`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple

from bot.drift.model import Ecosystem, PackageInfo

log = logging.getLogger(__name__)

DEFAULT_TTL = 3600.0
"""An hour: drift is about majors, which move over months; an hour-old `latest` is good enough."""
DEFAULT_NOT_FOUND_TTL = 600.0
"""A "not found" may be a package published a minute ago: keep that answer only briefly."""
DEFAULT_STALE_IF_ERROR = 7 * 24 * 3600.0
"""How old an answer may be and still be used while its registry is down."""

MEMORY_MAX_ENTRIES = 10_000
DISK_MAX_ENTRIES = 20_000
"""Entries are a few KB (a package with 3,000 versions is ~60 KB): ~100 MB at worst."""
DISK_PRUNE_TO = 0.9
"""When the disk cache is full, the entries written longest ago are removed down to this share
of the bound."""

ENTRY_FORMAT = 1
"""Bumped when the stored JSON changes; entries of another format are misses."""


class CacheKey(NamedTuple):
    ecosystem: Ecosystem
    url: str
    """The request URL without credentials: it names the registry, so it is part of the key."""


@dataclass(frozen=True)
class CacheEntry:
    info: PackageInfo | None
    """The parsed answer; None records that the registry said the package does not exist."""
    fetched_at: float
    """Wall-clock time (`time.time()`) of the last answer, a 304 included: entries outlive
    processes, so a monotonic clock would not do."""
    etag: str | None = None
    last_modified: str | None = None

    def refreshed(self, now: float) -> CacheEntry:
        return replace(self, fetched_at=now)


@dataclass(frozen=True)
class Freshness:
    """How long an entry answers without asking the registry."""

    ttl: float = DEFAULT_TTL
    not_found_ttl: float = DEFAULT_NOT_FOUND_TTL
    stale_if_error: float = DEFAULT_STALE_IF_ERROR

    def is_fresh(self, entry: CacheEntry, now: float) -> bool:
        limit = self.ttl if entry.info is not None else self.not_found_ttl
        return 0 <= now - entry.fetched_at < limit

    def usable_when_down(self, entry: CacheEntry, now: float) -> bool:
        return now - entry.fetched_at < self.stale_if_error


class RegistryCache(ABC):
    """Where registries keep answers. Async so that a networked store (Redis) fits."""

    @abstractmethod
    async def get(self, key: CacheKey) -> CacheEntry | None: ...

    @abstractmethod
    async def put(self, key: CacheKey, entry: CacheEntry) -> None: ...

    async def get_many(self, keys: Iterable[CacheKey]) -> dict[CacheKey, CacheEntry]:
        """The entries held for `keys` (misses left out). A store with a per-call cost (a
        thread hop, a round trip) answers a whole scan's keys in one."""
        found: dict[CacheKey, CacheEntry] = {}
        for key in keys:
            entry = await self.get(key)
            if entry is not None:
                found[key] = entry
        return found

    async def put_many(self, entries: dict[CacheKey, CacheEntry]) -> None:
        """Store a batch; a store with a per-call cost writes it in one."""
        for key, entry in entries.items():
            await self.put(key, entry)

    async def flush(self) -> None:
        """Write out what `put` deferred; registries call it once a batch of lookups is done."""
        return None


class MemoryCache(RegistryCache):
    """A per-process LRU; the first tier, and the default when nothing else is configured."""

    def __init__(self, max_entries: int = MEMORY_MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[CacheKey, CacheEntry] = OrderedDict()

    async def get(self, key: CacheKey) -> CacheEntry | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    async def get_many(self, keys: Iterable[CacheKey]) -> dict[CacheKey, CacheEntry]:
        found = {key: entry for key in keys if (entry := self._entries.get(key)) is not None}
        for key in found:
            self._entries.move_to_end(key)
        return found

    async def put(self, key: CacheKey, entry: CacheEntry) -> None:
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class DiskCache(RegistryCache):
    """Entries in one SQLite file, `<data_dir>/registry-cache.sqlite3`, as JSON rows.

    Survives restarts and is shared by the processes of one host (web, workers, analysis pool):
    SQLite's write-ahead log lets them read while one writes, and a batch of answers is one
    transaction. (One file per entry, as before, cost a cold 300-package scan ~50 ms of file
    creation, and a warm one 300 opens.) The entry count is bounded: a write that takes it over
    the bound removes the entries written longest ago. A file that is not a database is set
    aside (`.unreadable`) and a new one started: a cache is never a reason to fail a scan.
    """

    FILE_NAME = "registry-cache.sqlite3"

    def __init__(self, data_dir: str | os.PathLike[str], max_entries: int = DISK_MAX_ENTRIES) -> None:
        self.path = Path(data_dir) / self.FILE_NAME
        self.max_entries = max_entries
        self._local = threading.local()
        self._lock = threading.Lock()

    async def get(self, key: CacheKey) -> CacheEntry | None:
        return (await self.get_many([key])).get(key)

    async def get_many(self, keys: Iterable[CacheKey]) -> dict[CacheKey, CacheEntry]:
        """One thread hop and one query per ecosystem for the batch."""
        return await asyncio.to_thread(self.read_many, list(keys))

    async def put(self, key: CacheKey, entry: CacheEntry) -> None:
        await self.put_many({key: entry})

    async def put_many(self, entries: dict[CacheKey, CacheEntry]) -> None:
        """One thread hop and one transaction for the batch."""
        await asyncio.to_thread(self.write_many, entries)

    def read_many(self, keys: list[CacheKey]) -> dict[CacheKey, CacheEntry]:
        if not keys or not self.path.exists():
            return {}
        db = self._db()
        found: dict[CacheKey, CacheEntry] = {}
        by_ecosystem: dict[Ecosystem, list[str]] = {}
        for key in keys:
            by_ecosystem.setdefault(key.ecosystem, []).append(key.url)
        for ecosystem, urls in by_ecosystem.items():
            for start in range(0, len(urls), _QUERY_PARAMETERS):
                chunk = urls[start : start + _QUERY_PARAMETERS]
                rows = db.execute(
                    f"SELECT url, data FROM entries WHERE ecosystem = ? AND url IN ({','.join('?' * len(chunk))})",
                    (ecosystem.value, *chunk),
                )
                for url, data in rows:
                    key = CacheKey(ecosystem, url)
                    try:
                        entry = entry_from_json(json.loads(data), key)
                    except ValueError:
                        entry = None
                    if entry is None:
                        log.warning("registry cache: unreadable entry for %s: ignored", url)
                        continue
                    found[key] = entry
        return found

    def write_many(self, entries: dict[CacheKey, CacheEntry]) -> None:
        """Store a batch in one transaction, then keep the bound."""
        if not entries:
            return
        db = self._db()
        now = time.time()
        rows = [
            (key.ecosystem.value, key.url, now, json.dumps(entry_to_json(key, entry), separators=(",", ":")))
            for key, entry in entries.items()
        ]
        with db:
            db.executemany("INSERT OR REPLACE INTO entries (ecosystem, url, stored_at, data) VALUES (?, ?, ?, ?)", rows)
            (count,) = db.execute("SELECT count(*) FROM entries").fetchone()
            if count > self.max_entries:
                surplus = count - int(self.max_entries * DISK_PRUNE_TO)
                db.execute(
                    "DELETE FROM entries WHERE (ecosystem, url) IN "
                    "(SELECT ecosystem, url FROM entries ORDER BY stored_at LIMIT ?)",
                    (surplus,),
                )

    def __len__(self) -> int:
        if not self.path.exists():
            return 0
        (count,) = self._db().execute("SELECT count(*) FROM entries").fetchone()
        return int(count)

    def _db(self) -> sqlite3.Connection:
        """This thread's connection (asyncio.to_thread runs on a pool of threads)."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            with self._lock:  # two threads setting up one file
                db = self._open()
            self._local.db = db
        return db

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return _connect(self.path)
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise
            aside = self.path.with_name(self.path.name + ".unreadable")
            log.warning("registry cache: %s is not a usable database (%s): moved to %s", self.path.name, exc, aside.name)
            with contextlib.suppress(FileNotFoundError):
                os.replace(self.path, aside)
            for suffix in ("-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{self.path}{suffix}")
            return _connect(self.path)


_QUERY_PARAMETERS = 500
"""URLs per query: SQLite allows 999 parameters in older builds."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    ecosystem TEXT NOT NULL,
    url TEXT NOT NULL,
    stored_at REAL NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (ecosystem, url)
) WITHOUT ROWID;
"""


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=10.0, check_same_thread=False)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
    except sqlite3.Error:
        db.close()
        raise
    return db


class TieredCache(RegistryCache):
    """Memory first, then disk; a disk hit is copied into memory."""

    def __init__(self, memory: RegistryCache, disk: RegistryCache) -> None:
        self.memory = memory
        self.disk = disk
        self._pending: dict[CacheKey, CacheEntry] = {}

    async def get(self, key: CacheKey) -> CacheEntry | None:
        entry = await self.memory.get(key)
        if entry is None:
            entry = await self.disk.get(key)
            if entry is not None:
                await self.memory.put(key, entry)
        return entry

    async def get_many(self, keys: Iterable[CacheKey]) -> dict[CacheKey, CacheEntry]:
        keys = list(keys)
        found = await self.memory.get_many(keys)
        missing = [key for key in keys if key not in found]
        if missing:
            from_disk = await self.disk.get_many(missing)
            for key, entry in from_disk.items():
                await self.memory.put(key, entry)
            found.update(from_disk)
        return found

    async def put(self, key: CacheKey, entry: CacheEntry) -> None:
        """Memory now; disk at `flush`, in one thread hop for the whole batch (one hop per
        answer cost a cold 300-package lookup ~0.5 s of event-loop and GIL contention)."""
        await self.memory.put(key, entry)
        self._pending[key] = entry

    async def flush(self) -> None:
        pending, self._pending = self._pending, {}
        if pending:
            await self.disk.put_many(pending)


def default_cache(data_dir: str | os.PathLike[str]) -> TieredCache:
    """The cache a deployment uses: per-process memory over the shared data directory."""
    return TieredCache(MemoryCache(), DiskCache(data_dir))


def entry_to_json(key: CacheKey, entry: CacheEntry) -> dict[str, Any]:
    info = entry.info
    return {
        "format": ENTRY_FORMAT,
        "ecosystem": key.ecosystem.value,
        "url": key.url,
        "fetched_at": entry.fetched_at,
        "etag": entry.etag,
        "last_modified": entry.last_modified,
        "info": None
        if info is None
        else {
            "name": info.name,
            "latest": info.latest,
            "versions": list(info.versions),
            "deprecated": sorted(info.deprecated),
        },
    }


def entry_from_json(data: Any, key: CacheKey) -> CacheEntry | None:
    """The entry stored in `data` if it is one for `key` in the current format, else None."""
    try:
        if data["format"] != ENTRY_FORMAT or data["url"] != key.url or data["ecosystem"] != key.ecosystem.value:
            return None
        raw = data["info"]
        info = None
        if raw is not None:
            info = PackageInfo(
                ecosystem=key.ecosystem,
                name=str(raw["name"]),
                latest=None if raw["latest"] is None else str(raw["latest"]),
                versions=tuple(str(v) for v in raw["versions"]),
                deprecated=frozenset(str(v) for v in raw["deprecated"]),
            )
        return CacheEntry(
            info=info,
            fetched_at=float(data["fetched_at"]),
            etag=_text_or_none(data.get("etag")),
            last_modified=_text_or_none(data.get("last_modified")),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None

