"""Primary rate-limit accounting per credential, and the ``x-ratelimit-*`` headers.

Why: the bot must read these headers (and pause at ``remaining: 0``) rather than guess;
the fake counts every request per token so tests can exhaust a budget deterministically.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from . import limits


@dataclass
class Bucket:
    limit: int
    used: int
    reset_at: int

    def headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(max(0, self.limit - self.used)),
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-reset": str(self.reset_at),
            "x-ratelimit-resource": "core",
        }


class RateLimiter:
    """One bucket per key (a token, "app" for JWT calls, "anon" otherwise)."""

    def __init__(self) -> None:
        self._buckets: dict[str, Bucket] = {}
        self._lock = threading.Lock()

    def _bucket(self, key: str, limit: int, now: float) -> Bucket:
        bucket = self._buckets.get(key)
        if bucket is None or now >= bucket.reset_at:
            bucket = Bucket(limit, 0, int(now) + limits.RATE_LIMIT_WINDOW_SECONDS)
            self._buckets[key] = bucket
        bucket.limit = limit
        return bucket

    def peek(self, key: str, limit: int, now: float) -> Bucket:
        with self._lock:
            bucket = self._bucket(key, limit, now)
            return Bucket(bucket.limit, bucket.used, bucket.reset_at)

    def hit(self, key: str, limit: int, now: float) -> tuple[bool, Bucket]:
        """Count one request; returns (allowed, snapshot after counting)."""
        with self._lock:
            bucket = self._bucket(key, limit, now)
            if bucket.used >= bucket.limit:
                return False, Bucket(bucket.limit, bucket.used, bucket.reset_at)
            bucket.used += 1
            return True, Bucket(bucket.limit, bucket.used, bucket.reset_at)
