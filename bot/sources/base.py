"""Where a change comes from: a GitHub pull request or a local git repository.

A source answers two questions, what changed (`changes`) and what a file holds at one side
(`read`), so the pipeline is the same for the bot and the CLI.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Sequence

from bot.model import ChangeSet


class Side(str, enum.Enum):
    BASE = "base"
    """The merge base the diff is computed against (three-dot, as GitHub does)."""
    HEAD = "head"


class FileTooLarge(Exception):
    """A file is over the byte cap the pipeline asked for."""


class Source(ABC):
    @abstractmethod
    async def changes(self) -> ChangeSet:
        """The changed files with their changed new-side lines."""

    @abstractmethod
    async def read(self, path: str, side: Side, *, cap: int) -> bytes | None:
        """A file's bytes at one side, None if it does not exist there; FileTooLarge above `cap`."""

    async def prefetch(self, paths: Sequence[str], side: Side, *, cap: int) -> None:
        """Read many files at once ahead of `read`, where the source can batch (local git does
        it in one process instead of one per file). By default each `read` fetches its own."""
        return None
