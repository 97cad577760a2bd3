"""Events to jobs, declared per (event, action): intake is a dispatcher, not an if-chain.

Handlers are pure functions of the payload: they return the jobs to enqueue, or nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class JobSpec:
    kind: str
    key: str
    """Coalescing key: a second job with the same key while the first waits is not added."""
    payload: Mapping[str, Any] = field(default_factory=dict)


Handler = Callable[[Mapping[str, Any]], list[JobSpec]]


class Router:
    def __init__(self) -> None:
        self._handlers: dict[tuple[str, str | None], list[Handler]] = {}

    def on(self, event: str, *actions: str) -> Callable[[Handler], Handler]:
        """Register a handler for an event and some of its actions (none: every action)."""

        def register(handler: Handler) -> Handler:
            for action in actions or (None,):
                self._handlers.setdefault((event, action), []).append(handler)
            return handler

        return register

    def handles(self, event: str, action: str | None) -> bool:
        return (event, action) in self._handlers or (event, None) in self._handlers

    def dispatch(self, event: str, payload: Mapping[str, Any]) -> list[JobSpec]:
        action = payload.get("action") if isinstance(payload.get("action"), str) else None
        jobs: list[JobSpec] = []
        for key in ((event, action), (event, None)):
            for handler in self._handlers.get(key, []):
                jobs.extend(handler(payload))
        return jobs
