"""When to retry a GitHub request and how long to wait: a pure policy, no I/O.

Sources for the rules below: GitHub REST docs, "Rate limits for the REST API" and "Best practices
for using the REST API" (see shared/github-facts.md §5): honour `retry-after`; with
`x-ratelimit-remaining: 0` wait until `x-ratelimit-reset`; a secondary limit without either
header means waiting at least one minute; 404 and 422 are answers, not faults.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

SECONDARY_LIMIT_MIN_WAIT = 60.0
"""GitHub: "wait for at least one minute before retrying" when no header says otherwise."""

RESET_MARGIN = 1.0
"""Clock skew allowance added to `x-ratelimit-reset`, as octokit's throttling plugin does."""


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    """Attempts in all, the first included."""
    base_delay: float = 0.5
    max_backoff: float = 30.0
    max_sleep_in_call: float = 90.0
    """A longer wait is not slept inside the call: the job is re-queued for later."""
    secondary_min_wait: float = SECONDARY_LIMIT_MIN_WAIT

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter; `attempt` counts from 1."""
        ceiling = min(self.max_backoff, self.base_delay * (2 ** (attempt - 1)))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


@dataclass(frozen=True)
class Decision:
    retry: bool
    delay: float = 0.0
    reason: str = ""


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def rate_limit_wait(
    status: int, headers: Mapping[str, str], message: str, *, now: float, policy: RetryPolicy
) -> float | None:
    """Seconds to wait when a 403/429 is a rate limit; None when it is a plain refusal."""
    if status not in (403, 429):
        return None
    retry_after = _float(_header(headers, "retry-after"))
    if retry_after is not None:
        return max(0.0, retry_after)
    if _header(headers, "x-ratelimit-remaining") == "0":
        reset = _float(_header(headers, "x-ratelimit-reset"))
        if reset is not None:
            return max(0.0, reset - now) + RESET_MARGIN
        return policy.secondary_min_wait
    lowered = message.lower()
    if status == 429 or "secondary rate limit" in lowered or "abuse" in lowered or "rate limit" in lowered:
        return policy.secondary_min_wait
    return None


def decide(
    attempt: int,
    *,
    status: int | None,
    headers: Mapping[str, str] | None = None,
    message: str = "",
    now: float,
    policy: RetryPolicy,
) -> Decision:
    """Whether attempt number `attempt` (from 1) should be followed by another.

    `status` is None for a timeout or a connection error: those are retried like a 5xx.
    """
    headers = headers or {}
    if status is not None:
        wait = rate_limit_wait(status, headers, message, now=now, policy=policy)
        if wait is not None:
            # Repeated secondary limits back off further, as GitHub asks.
            if attempt > 1 and _float(_header(headers, "retry-after")) is None:
                wait = max(wait, policy.secondary_min_wait * min(attempt, 4))
            return Decision(attempt < policy.max_attempts, wait, f"rate limited ({status})")
        if status < 500:
            return Decision(False, 0.0, f"client error {status}")
    if attempt >= policy.max_attempts:
        return Decision(False, 0.0, "retries exhausted")
    reason = "no response" if status is None else f"server error {status}"
    return Decision(True, policy.backoff(attempt), reason)
