r"""Fault injection: scripted failures consumed one per matching request, in order.

Why: the bot's resilience (retries, back-off, re-minting, timeouts) can only be tested if the
server misbehaves on cue.  ``fake.inject("GET", r"/pulls/\d+/files", Fault.status(502),
Fault.status(502))`` fails the next two matching requests and then serves normally.

Patterns are applied with ``re.search`` to the request path without the query string, after
``/repositories/{id}/...`` aliases are rewritten to ``/repos/{owner}/{repo}/...``.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

FaultKind = Literal["status", "primary_rate_limit", "delay", "reset", "revoke_token"]

SECONDARY_RATE_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID."
)
_REASONS = {
    400: "Bad Request",
    401: "Bad credentials",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    422: "Validation Failed",
    429: "Too Many Requests",
    500: "Server Error",
    502: "Server Error",
    503: "Service Unavailable",
    504: (
        "We couldn't respond to your request in time. Sorry about that. Please try resubmitting your request "
        "and contact us if the problem persists."
    ),
}


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour.  Build with the class methods, not the constructor."""

    kind: FaultKind
    status_code: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    seconds: float = 0.0
    reset_in: int = 0

    @classmethod
    def status(cls, code: int, *, headers: dict[str, str] | None = None, json: Any = None) -> Fault:
        """Answer ``code`` with ``json`` (default: GitHub-style message) instead of serving."""
        return cls("status", status_code=code, headers=dict(headers or {}), json=json)

    @classmethod
    def secondary_rate_limit(cls, retry_after: int | None = 60, code: int = 403) -> Fault:
        """GitHub's secondary limit: 403/429 with the "secondary rate limit" message."""
        headers = {"retry-after": str(retry_after)} if retry_after is not None else {}
        return cls.status(code, headers=headers, json={"message": SECONDARY_RATE_LIMIT_MESSAGE})

    @classmethod
    def primary_rate_limit(cls, reset_in: int = 60, code: int = 403) -> Fault:
        """Primary limit exhausted: ``x-ratelimit-remaining: 0`` and a reset ``reset_in`` s ahead."""
        return cls("primary_rate_limit", status_code=code, reset_in=reset_in)

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Sleep, then answer normally: exercises client timeouts."""
        return cls("delay", seconds=seconds)

    @classmethod
    def reset(cls) -> Fault:
        """Drop the connection without any response."""
        return cls("reset")

    @classmethod
    def revoke_token(cls) -> Fault:
        """Invalidate the presented installation token and answer 401 Bad credentials."""
        return cls("revoke_token", status_code=401)

    def default_body(self) -> Any:
        if self.json is not None:
            return self.json
        return {"message": _REASONS.get(self.status_code, "Error"), "documentation_url": "https://docs.github.com/rest"}


@dataclass
class _Rule:
    method: str
    pattern: re.Pattern[str]
    faults: list[Fault]


class FaultPlan:
    """Ordered rules; the first rule with faults left that matches the request supplies one."""

    def __init__(self) -> None:
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()

    def add(self, method: str, path_regex: str, faults: tuple[Fault, ...]) -> None:
        if not faults:
            raise ValueError("inject() needs at least one Fault")
        with self._lock:
            self._rules.append(_Rule(method.upper(), re.compile(path_regex), list(faults)))

    def take(self, method: str, path: str) -> Fault | None:
        """Consume the next fault for ``METHOD path`` (``re.search``: anchor with ``^``/``$`` for exact)."""
        with self._lock:
            for rule in self._rules:
                if rule.faults and rule.method in ("*", method.upper()) and rule.pattern.search(path):
                    return rule.faults.pop(0)
        return None

    def pending(self) -> int:
        """Faults not yet consumed (tests can assert a scenario used them all)."""
        with self._lock:
            return sum(len(rule.faults) for rule in self._rules)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
