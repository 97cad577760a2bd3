"""Cached registry answers, so a busy bot asks a registry about `react` once an hour, not once a PR.

An entry holds the parsed answer (a `PackageInfo`, or None for "not found") with the validators
the registry sent (ETag, Last-Modified) and when it was fetched. The registries decide what to do
with an entry (`Freshness`): fresh -> no request; stale -> a conditional request, where a 304
only refreshes `fetched_at`; a registry that is down -> the stale answer, within a limit.

Parsed answers are stored rather than bodies: an abbreviated npm packument runs to megabytes,
its `PackageInfo` to a few kilobytes.

Keys are the request URL without credentials (see `CacheKey`): two registries at different URLs
never share entries, and a token never reaches a file name or a file. A Redis-backed cache is one
more `RegistryCache` subclass using `entry_to_json` / `entry_from_json`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import tempfile
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
"""When the disk cache is full, the oldest entries are removed down to this share of the bound."""

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
    """One JSON file per entry under `<data_dir>/registry-cache/<ecosystem>/<sha256(url)>.json`.

    Survives restarts and is shared by the processes of one host (web, workers, analysis pool).
    Writes go to a temporary file that `os.replace` moves into place, so a reader sees the old
    entry or the new one, never half of one. The entry count is bounded approximately: each
    process counts its own writes and prunes the oldest files (by mtime) when over the bound.
    """

    def __init__(self, data_dir: str | os.PathLike[str], max_entries: int = DISK_MAX_ENTRIES) -> None:
        self.root = Path(data_dir) / "registry-cache"
        self.max_entries = max_entries
        self._count: int | None = None

    def path(self, key: CacheKey) -> Path:
        digest = hashlib.sha256(key.url.encode("utf-8")).hexdigest()
        return self.root / key.ecosystem.value / f"{digest}.json"

    async def get(self, key: CacheKey) -> CacheEntry | None:
        return await asyncio.to_thread(self._read, key)

    async def put(self, key: CacheKey, entry: CacheEntry) -> None:
        await asyncio.to_thread(self._write, key, entry)

    async def get_many(self, keys: Iterable[CacheKey]) -> dict[CacheKey, CacheEntry]:
        """One thread hop for the batch: one per key cost a cold 300-package scan ~0.1 s."""
        return await asyncio.to_thread(self._read_many, list(keys))

    def _read_many(self, keys: list[CacheKey]) -> dict[CacheKey, CacheEntry]:
        found = {}
        for key in keys:
            entry = self._read(key)
            if entry is not None:
                found[key] = entry
        return found

    def _read(self, key: CacheKey) -> CacheEntry | None:
        try:
            data = json.loads(self.path(key).read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("registry cache: unreadable entry %s (%s): ignored", self.path(key).name, type(exc).__name__)
            return None
        return entry_from_json(data, key)

    def write_many(self, entries: dict[CacheKey, CacheEntry]) -> None:
        """Write a batch; a failed write is a lost cache entry, never an error."""
        for key, entry in entries.items():
            try:
                self._write(key, entry)
            except OSError as exc:
                log.warning("registry cache: could not write %s (%s)", self.path(key).name, type(exc).__name__)

    def _write(self, key: CacheKey, entry: CacheEntry) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        existed = target.exists()
        fd, staged = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(json.dumps(entry_to_json(key, entry), separators=(",", ":")).encode("utf-8"))
            os.replace(staged, target)
        except BaseException:
            _unlink(Path(staged))
            raise
        if not existed:
            self._counted_new_file()

    def _counted_new_file(self) -> None:
        if self._count is None:
            self._count = sum(1 for _ in self.root.glob("*/*.json"))
        else:
            self._count += 1
        if self._count > self.max_entries:
            self._prune()

    def _prune(self) -> None:
        files: list[tuple[float, Path]] = []
        for path in self.root.glob("*/*.json"):
            try:
                files.append((path.stat().st_mtime, path))
            except FileNotFoundError:
                continue  # pruned by another process meanwhile
        files.sort()
        keep = int(self.max_entries * DISK_PRUNE_TO)
        for _, path in files[: max(0, len(files) - keep)]:
            _unlink(path)
        self._count = min(len(files), keep)


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
        if pending and isinstance(self.disk, DiskCache):
            await asyncio.to_thread(self.disk.write_many, pending)
        else:
            for key, entry in pending.items():
                await self.disk.put(key, entry)


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


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
