"""What every package registry client shares: caching, retries, a bound on concurrency, pooled
keep-alive HTTP connections, and failing fast when the registry is down.

A subclass says only what is registry-specific: the URL of a package, the request headers
(format negotiation, auth) and how to read an answer (`_parse`, a pure function of the body).

Retries follow the ideas of `bot/github/retry.py`, scaled down for a lookup that a scan waits
on: timeouts, connection errors, 5xx and 429 are retried with jittered backoff, a few times
within a total budget of seconds; then the registry is `RegistryUnavailable`. Within one
`packages()` call, the first lookup that finds the registry down cancels the others, which
answer from the cache if they can and are unavailable otherwise.

Credentials live in request headers only: URLs (cache keys, log lines, messages) never hold them.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import ClassVar, Self

from bot.drift.cache import CacheEntry, CacheKey, Freshness, MemoryCache, RegistryCache
from bot.drift.model import Ecosystem, PackageInfo, PackageNotFound, RegistryUnavailable
from bot.drift.registries.transport import AnswerTooLarge, Lane, LookupFailed, LookupTimeout, Reply, Timeouts

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 32
"""Lookups in flight per registry; also the number of keep-alive connections."""
LANE_CONNECTIONS = 4
"""Connections per lane. httpcore's pool does work quadratic in its connections on every
request (it re-checks each connection's state, with a poll() each): one pool of 32 spent ~3.6 ms
of CPU per lookup here, eight pools of 4 spend ~0.7 ms (bench/README.md, "drift")."""
PARSE_IN_THREAD_BYTES = 256 * 1024
"""Bodies above this are parsed off the event loop (a big packument takes ~100 ms to parse)."""
USER_AGENT = "prwarden (drift)"

Answer = PackageInfo | PackageNotFound | RegistryUnavailable


@dataclass(frozen=True)
class RetryBudget:
    """How hard one lookup tries before the registry counts as unavailable."""

    attempts: int = 3
    """Attempts in all, the first included."""
    total_seconds: float = 10.0
    """Bound on one lookup, attempts and waits included (queueing for a slot excluded)."""
    connect_timeout: float = 3.0
    read_timeout: float = 5.0
    """Between two bytes of the answer; the whole answer is bounded by `total_seconds`."""
    base_delay: float = 0.25
    max_delay: float = 2.0

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with half jitter; `attempt` counts from 1."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


def is_retryable(status: int | None) -> bool:
    """None is a timeout or connection error. 501/505 say "never", other 5xx "not now"."""
    return status is None or status == 429 or (status >= 500 and status not in (501, 505))


def retry_delay(
    budget: RetryBudget, attempt: int, *, status: int | None, headers: Mapping[str, str], elapsed: float
) -> float | None:
    """Seconds to wait before attempt `attempt + 1`, or None to stop. Pure."""
    if not is_retryable(status) or attempt >= budget.attempts:
        return None
    delay = budget.backoff(attempt)
    if status == 429 or status == 503:
        asked = retry_after(headers, now=time.time())
        if asked is not None:
            delay = max(delay, asked)
    if elapsed + delay >= budget.total_seconds:
        return None  # the registry asks for longer than a scan can wait
    return delay


def retry_after(headers: Mapping[str, str], *, now: float) -> float | None:
    """`Retry-After` in seconds (delta-seconds or an HTTP date), None when absent or unreadable."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


class RegistryDown(RegistryUnavailable):
    """The registry did not answer usefully after retries: every lookup would fail the same way."""


class UnreadableAnswer(ValueError):
    """Raised by `_parse` for a body that is not what the registry's protocol promises."""


@dataclass
class _LoopState:
    """The lanes and the slot semaphore belong to one event loop."""

    loop: asyncio.AbstractEventLoop
    lanes: list[Lane]
    slots: asyncio.Semaphore

    @contextlib.contextmanager
    def lane(self) -> Iterator[Lane]:
        """The least busy lane (the first on ties, so one-at-a-time lookups share one
        connection). Call holding a slot: then a lane with a free connection always exists."""
        lane = min(self.lanes, key=lambda candidate: candidate.in_flight)
        lane.in_flight += 1
        try:
            yield lane
        finally:
            lane.in_flight -= 1


class Registry(ABC):
    """A package registry as drift sees it: name -> `PackageInfo`."""

    ecosystem: ClassVar[Ecosystem]
    label: ClassVar[str]
    """How messages name it: "npm registry: unavailable", "left-pad not found in npm registry"."""
    max_body_bytes: ClassVar[int] = 32 * 1024 * 1024

    def __init__(
        self,
        *,
        cache: RegistryCache | None = None,
        freshness: Freshness | None = None,
        retry: RetryBudget | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.cache: RegistryCache = cache if cache is not None else MemoryCache()
        self.freshness = freshness or Freshness()
        self.retry = retry or RetryBudget()
        self.concurrency = max(1, concurrency)
        self.clock = clock
        self._state: _LoopState | None = None

    # -- what a subclass says ----------------------------------------------------------------

    @property
    @abstractmethod
    def url(self) -> str:
        """The registry's base URL, without credentials (safe to show)."""

    @abstractmethod
    def package_url(self, name: str) -> str:
        """Where `name` is described, without credentials. Raises PackageNotFound for a name the
        registry cannot hold (so no request is made for it)."""

    @abstractmethod
    def request_headers(self, url: str) -> dict[str, str]:
        """Accept and Authorization headers for a request to `url`."""

    @abstractmethod
    def parse(self, name: str, content_type: str, body: bytes) -> PackageInfo:
        """The answer in `body`. Pure; raises UnreadableAnswer."""

    # -- lookups -----------------------------------------------------------------------------

    async def package(self, name: str) -> PackageInfo:
        """What the registry says about `name`; PackageNotFound or RegistryUnavailable otherwise."""
        try:
            return await self._lookup(name, on_down=None)
        finally:
            with contextlib.suppress(Exception):  # a broken cache is a miss next time
                await self.cache.flush()

    async def packages(self, names: Iterable[str]) -> dict[str, Answer]:
        """Every name's answer (a failure is a value). The cache is read for all names at once;
        the rest are fetched concurrently under the bound, and once one lookup finds the
        registry down, the others stop waiting on it."""
        unique = list(dict.fromkeys(names))
        answers: dict[str, Answer] = {}
        keys: dict[str, CacheKey] = {}
        for name in unique:
            try:
                keys[name] = CacheKey(self.ecosystem, self.package_url(name))
            except PackageNotFound as exc:
                answers[name] = exc
        cached = await self._cache_get_many(keys.values())
        now = self.clock()
        tasks: dict[str, asyncio.Task[PackageInfo]] = {}
        down: list[RegistryDown] = []

        def on_down(exc: RegistryDown) -> None:
            if down:
                return
            down.append(exc)
            current = asyncio.current_task()
            pending = [t for t in tasks.values() if t is not current and not t.done()]
            if pending:
                log.warning("%s: down; %d pending lookups answered from the cache or failed", self.label, len(pending))
            for task in pending:
                task.cancel()

        for name, key in keys.items():
            entry = cached.get(key)
            if entry is not None and self.freshness.is_fresh(entry, now):
                answers[name] = entry.info if entry.info is not None else self._not_found(name)
            else:
                tasks[name] = asyncio.create_task(self._refresh(name, key, entry, on_down))
        if tasks:
            await asyncio.gather(*tasks.values(), return_exceptions=True)
            try:
                await self.cache.flush()
            except Exception as exc:  # a broken cache is a miss next time, never a failed scan
                log.warning("%s: cache flush failed (%s)", self.label, type(exc).__name__)

        for name, task in tasks.items():
            if task.cancelled():
                answers[name] = self._answer_while_down(name, cached.get(keys[name]), down[0] if down else None)
                continue
            exc = task.exception()
            if exc is None:
                answers[name] = task.result()
            elif isinstance(exc, (PackageNotFound, RegistryUnavailable)):
                answers[name] = exc
            else:
                raise exc
        return {name: answers[name] for name in unique}

    async def aclose(self) -> None:
        """Close the connections (only possible from the loop that opened them)."""
        state, self._state = self._state, None
        if state is not None and state.loop is asyncio.get_running_loop():
            for lane in state.lanes:
                await lane.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- internals ---------------------------------------------------------------------------

    async def _lookup(self, name: str, on_down: Callable[[RegistryDown], None] | None) -> PackageInfo:
        key = CacheKey(self.ecosystem, self.package_url(name))
        entry = await self._cache_get(key)
        if entry is not None and self.freshness.is_fresh(entry, self.clock()):
            return self._unpack(name, entry)
        return await self._refresh(name, key, entry, on_down)

    async def _refresh(
        self, name: str, key: CacheKey, entry: CacheEntry | None, on_down: Callable[[RegistryDown], None] | None
    ) -> PackageInfo:
        """Ask the registry (revalidating `entry` if there is one) and keep the answer."""
        try:
            fresh = await self._fetch(name, key.url, entry)
        except RegistryDown as exc:
            if on_down is not None:
                on_down(exc)
            if entry is not None and entry.info is not None and self.freshness.usable_when_down(entry, self.clock()):
                log.info("%s: down, answering %s from a cached answer", self.label, name)
                return entry.info
            raise
        await self._cache_put(key, fresh)
        return self._unpack(name, fresh)

    async def _cache_get(self, key: CacheKey) -> CacheEntry | None:
        """A cache is an optimisation: one that fails (full disk, Redis gone) is a miss."""
        try:
            return await self.cache.get(key)
        except Exception as exc:  # noqa: BLE001 - any cache backend's failure
            log.warning("%s: cache read failed (%s): asking the registry", self.label, type(exc).__name__)
            return None

    async def _cache_put(self, key: CacheKey, entry: CacheEntry) -> None:
        try:
            await self.cache.put(key, entry)
        except Exception as exc:  # noqa: BLE001 - any cache backend's failure
            log.warning("%s: cache write failed (%s): answer not kept", self.label, type(exc).__name__)

    async def _cache_get_many(self, keys: Iterable[CacheKey]) -> dict[CacheKey, CacheEntry]:
        try:
            return await self.cache.get_many(keys)
        except Exception as exc:  # noqa: BLE001 - any cache backend's failure
            log.warning("%s: cache read failed (%s): asking the registry", self.label, type(exc).__name__)
            return {}

    def _answer_while_down(self, name: str, entry: CacheEntry | None, down: RegistryDown | None) -> Answer:
        """A lookup cancelled because the registry is down: a cached answer, or the outage."""
        if entry is not None and self.freshness.usable_when_down(entry, self.clock()):
            return entry.info if entry.info is not None else self._not_found(name)
        return RegistryDown(str(down)) if down is not None else RegistryDown(f"{self.label}: unavailable")

    def _not_found(self, name: str) -> PackageNotFound:
        return PackageNotFound(f"{name} not found in {self.label}")

    def _unpack(self, name: str, entry: CacheEntry) -> PackageInfo:
        if entry.info is None:
            raise self._not_found(name)
        return entry.info

    def _loop_state(self) -> _LoopState:
        """The lanes for the running loop. A registry outlives scans, and scans may run on
        different loops (tests, worker processes): a connection is never used across loops."""
        loop = asyncio.get_running_loop()
        if self._state is None or self._state.loop is not loop:
            per_lane = min(LANE_CONNECTIONS, self.concurrency)
            timeouts = Timeouts(connect=self.retry.connect_timeout, read=self.retry.read_timeout)
            lanes = [Lane(self.url, per_lane, timeouts, USER_AGENT) for _ in range(-(-self.concurrency // per_lane))]
            self._state = _LoopState(loop, lanes, asyncio.Semaphore(self.concurrency))
        return self._state

    async def _fetch(self, name: str, url: str, stale: CacheEntry | None) -> CacheEntry:
        """Ask the registry, with retries; a 304 refreshes `stale`."""
        state = self._loop_state()
        headers = self.request_headers(url)
        if stale is not None and stale.info is not None:
            if stale.etag:
                headers["If-None-Match"] = stale.etag
            if stale.last_modified:
                headers["If-Modified-Since"] = stale.last_modified
        async with state.slots:
            started = time.monotonic()
            attempt = 0
            while True:
                attempt += 1
                remaining = self.retry.total_seconds - (time.monotonic() - started)
                status: int | None = None
                answer_headers: Mapping[str, str] = {}
                try:
                    async with asyncio.timeout(max(0.0, remaining)):
                        with state.lane() as lane:
                            answer = await lane.get(url, headers, max_bytes=self.max_body_bytes)
                except (TimeoutError, LookupTimeout):
                    reason = "timed out"
                except LookupFailed as exc:
                    reason = exc.reason
                except AnswerTooLarge:
                    raise RegistryUnavailable(
                        f"{self.label}: the answer for {name} is larger than {self.max_body_bytes // (1024 * 1024)} MB"
                    ) from None
                else:
                    status, answer_headers = answer.status, answer.headers
                    outcome = await self._outcome(name, answer, stale)
                    if outcome is not None:
                        return outcome
                    reason = f"HTTP {status}"
                elapsed = time.monotonic() - started
                delay = retry_delay(self.retry, attempt, status=status, headers=answer_headers, elapsed=elapsed)
                if delay is None:
                    if is_retryable(status):
                        log.warning("%s: %s for %s after %d attempts in %.1f s", self.label, reason, url, attempt, elapsed)
                        raise RegistryDown(f"{self.label}: unavailable ({reason} after {attempt} attempts)")
                    raise RegistryUnavailable(f"{self.label}: unexpected answer for {name} ({reason})")
                log.debug("%s: %s for %s, retrying in %.2f s", self.label, reason, url, delay)
                await asyncio.sleep(delay)

    async def _outcome(self, name: str, answer: Reply, stale: CacheEntry | None) -> CacheEntry | None:
        """The entry an answer makes, None for one to retry or report; raises for refusals."""
        now = self.clock()
        status, headers, body = answer.status, answer.headers, answer.body
        content_type = headers.get("content-type", "")
        if status == 200:
            try:
                if len(body) > PARSE_IN_THREAD_BYTES:
                    info = await asyncio.to_thread(self.parse, name, content_type, body)
                else:
                    info = self.parse(name, content_type, body)
            except UnreadableAnswer as exc:
                raise RegistryUnavailable(f"{self.label}: unreadable answer for {name} ({exc})") from None
            return CacheEntry(info, now, headers.get("etag"), headers.get("last-modified"))
        if status == 304 and stale is not None and stale.info is not None:
            return stale.refreshed(now)
        if status in (404, 410):
            return CacheEntry(None, now)
        if status in (401, 403):
            raise RegistryUnavailable(f"{self.label}: access to {name} refused (HTTP {status}); check the credentials")
        return None
