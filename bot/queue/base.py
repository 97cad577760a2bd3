"""The job queue contract shared by the embedded (SQLite) and the distributed (Redis/saq) backends.

Why an interface: web/ must only know "store the job durably, then answer GitHub fast"; worker.py
must only know "claim, heartbeat, finish". Which engine keeps the jobs is a deployment choice made
in `open_queue()`, so both backends must honour the semantics written down here, and the tests of
one backend describe what the other must do too.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass
from types import TracebackType
from typing import Any

#: How long a delivery id is remembered. GitHub redelivers on request or retry within days, not
#: weeks; a week bounds the table while covering manual redeliveries from the App settings page.
DELIVERY_RETENTION_SECONDS: float = 7 * 24 * 3600.0


@dataclass(frozen=True)
class Job:
    """One unit of work as a worker sees it; immutable so a handler cannot corrupt queue state."""

    id: str  # uuid hex
    kind: str  # e.g. "scan"
    key: str  # coalescing key, e.g. "octo-org/hello#12@<head sha>"
    payload: dict[str, Any]  # JSON-serialisable
    attempts: int  # how many times it was claimed before this claim (0 on the first run)
    created_at: float  # epoch seconds when it was enqueued


class Enqueued(str, enum.Enum):
    """What enqueue did; web/ answers 2xx in every case but logs and counts the difference."""

    ACCEPTED = "accepted"
    DUPLICATE_DELIVERY = "duplicate-delivery"
    COALESCED = "coalesced"


class QueueError(Exception):
    """Base of the queue's own errors, so callers can catch the layer's failures in one place."""


class QueueClosed(QueueError, RuntimeError):
    """Raised for calls after close(): a job silently dropped at shutdown would be lost work."""


class JobNotFound(QueueError, LookupError):
    """retry/fail/extend on a job this queue does not hold a live lease on.

    The usual cause is a lease that expired (the job may already run elsewhere): the worker should
    stop working on it rather than publish stale results.
    """


class JobQueue(ABC):
    """A durable, at-least-once job queue with delivery dedupe and per-key coalescing.

    Semantics every backend keeps:
    - enqueue is durable before it returns (the webhook is acknowledged after it);
    - a job runs at least once: a lease that is not completed in time makes it runnable again;
    - at most one *pending* job per key; once claimed, a new enqueue with that key is a new job
      (the running scan may already have read stale state);
    - delivery ids are remembered for DELIVERY_RETENTION_SECONDS, even for coalesced deliveries.
    """

    enqueues: int = 0
    """Enqueue calls made through this instance (any outcome). The in-process worker reads its
    rate as intake pressure and runs fewer scans at once while webhooks pour in."""

    @abstractmethod
    async def enqueue(
        self,
        kind: str,
        key: str,
        payload: dict[str, Any],
        *,
        delivery_id: str | None = None,
        delay_seconds: float = 0.0,
    ) -> Enqueued:
        """Store a job durably, or say why not. It becomes runnable `delay_seconds` from now.

        delivery_id seen before (within the retention window) -> DUPLICATE_DELIVERY, nothing stored;
        a pending job with the same key -> COALESCED (delivery id still recorded), no second job;
        otherwise the job is committed before this returns -> ACCEPTED.
        """

    @abstractmethod
    async def claim(self, *, lease_seconds: float = 600, kinds: tuple[str, ...] = ()) -> Job | None:
        """Lease the job that has been runnable longest, or None; of `kinds` only, if given.

        Runnable: pending and past its retry delay, or leased with an expired lease (its worker
        died). Claiming counts an attempt; Job.attempts is the count before this claim.
        """

    @abstractmethod
    async def complete(self, job_id: str) -> None:
        """Forget a finished job. Idempotent: completing an unknown or lost job is a no-op."""

    @abstractmethod
    async def retry(self, job_id: str, *, delay_seconds: float, error: str) -> None:
        """Put a leased job back, runnable after delay_seconds. Raises JobNotFound without a lease.

        If another job with the same key became pending meanwhile, that one covers the work and
        this one is dropped (one pending job per key).
        """

    @abstractmethod
    async def fail(self, job_id: str, *, error: str) -> None:
        """Dead-letter a leased job: never run again, kept for inspection. JobNotFound without a lease."""

    @abstractmethod
    async def extend(self, job_id: str, *, lease_seconds: float) -> None:
        """Heartbeat: lease now+lease_seconds. JobNotFound means the lease was lost; stop work."""

    @abstractmethod
    async def wait(self, timeout: float) -> None:
        """Sleep up to timeout, returning early once a job was accepted in this process.

        A wake-up that happened while nobody waited is kept, so claim-then-wait never misses one.
        Jobs enqueued by other processes are found by the timeout (polling).
        """

    @abstractmethod
    async def stats(self) -> dict[str, int]:
        """Counts for metrics and /readyz: pending, leased, dead, deliveries (within retention)."""

    @abstractmethod
    async def close(self) -> None:
        """Finish queued writes and release resources; later calls raise QueueClosed."""

    async def __aenter__(self) -> JobQueue:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
