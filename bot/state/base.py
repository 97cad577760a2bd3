"""The state store interface: small, durable facts keyed by repository and pull request.

Kept apart from the job queue: the queue is about work to do, this about what was decided or
seen. An embedded SQLite store is the default; a shared store (Postgres, Redis) for several
worker machines is one more implementation of this interface.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class PullHead:
    """Which pull request a head commit belongs to, as pull_request events told us."""

    repo: str
    head_sha: str
    number: int
    base_sha: str
    installation_id: int


@dataclass(frozen=True)
class Triage:
    """A `/prwarden ignore` decision: this finding (by fingerprint) is accepted in this repo."""

    repo: str
    fingerprint: str
    who: str
    why: str
    at: float


class StateStore(ABC):
    @abstractmethod
    async def remember_head(self, head: PullHead) -> None:
        """Record (or refresh) a PR's head commit."""

    @abstractmethod
    async def pull_for_head(self, repo: str, head_sha: str) -> PullHead | None:
        """The PR whose head was `head_sha`, most recently seen first."""

    @abstractmethod
    async def newest_head(self, repo: str, number: int) -> str | None:
        """The head most recently remembered for this PR (a running scan of another head asks
        GitHub whether it was superseded)."""

    @abstractmethod
    async def accept(self, triage: Triage) -> None:
        """Record a triage decision (a later one for the same finding replaces it)."""

    @abstractmethod
    async def accepted(self, repo: str) -> dict[str, Triage]:
        """Fingerprint -> decision, for every accepted finding of the repository."""

    @abstractmethod
    async def await_reaction(self, repo: str, number: int, comment_id: int) -> None:
        """A command comment that gets a "rocket" when the next scan of its PR completes."""

    @abstractmethod
    async def take_reactions(self, repo: str, number: int) -> list[int]:
        """The comment ids waiting on this PR, forgotten as they are returned."""

    @abstractmethod
    async def claim_rescan(self, repo: str, number: int, kinds: frozenset[str], *, now: float, stale_seconds: float) -> bool:
        """True (and recorded) when this command must queue a rescan; False when a rescan of
        this PR is already queued and not started (claimed less than `stale_seconds` ago): that
        one covers this command too, its kinds widened to `kinds` (empty = every kind)."""

    @abstractmethod
    async def rescan_started(self, repo: str, number: int) -> frozenset[str] | None:
        """The claimed rescan of this PR begins: the kinds its commands asked for (empty = all),
        None when no claim is open. Commands after this claim a scan of their own."""

    @abstractmethod
    async def remember_reported(self, repo: str, number: int, fingerprints: Iterable[str]) -> None:
        """The findings the latest full scan of this PR reported (what `/prwarden ignore` ids
        resolve against, also when the summary comment is off)."""

    @abstractmethod
    async def reported(self, repo: str, number: int) -> set[str]:
        """Fingerprints remembered by `remember_reported`."""

    @abstractmethod
    async def first_refusal(self, repo: str, number: int, login: str, *, now: float, window_seconds: float) -> bool:
        """True (and recorded) unless `login` was refused on this PR within the window."""

    @abstractmethod
    async def reviewed(self, repo: str, number: int) -> set[str]:
        """Fingerprints already posted as review comments on this PR."""

    @abstractmethod
    async def mark_reviewed(self, repo: str, number: int, fingerprints: Iterable[str]) -> None:
        """Remember review comments sent, so a later scan does not comment them again."""

    @abstractmethod
    async def close(self) -> None: ...
