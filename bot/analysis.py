"""The one interface every analyzer (OWASP rules, drift, external scanners) plugs into.

An analyzer is pure: it gets changed files with their text and returns findings. It does no
GitHub or network I/O of its own (drift's registry lookups are handed in by the pipeline), so
the same analyzer serves the bot, the CLI and the tests.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.model import ChangedFile, Finding, Kind, Notice, ScannedFile, ScannerStatus

if TYPE_CHECKING:
    from bot.sources.base import Source


@dataclass(frozen=True)
class AnalyzerOutput:
    findings: tuple[Finding, ...] = ()
    suppressed: tuple[Finding, ...] = ()
    notices: tuple[Notice, ...] = ()
    scanners: tuple[ScannerStatus, ...] = ()


class Analyzer(ABC):
    """Turns changed files into findings; the pipeline keeps those on changed lines."""

    name: str
    kind: Kind

    @abstractmethod
    def wants(self, path: str) -> bool:
        """Whether this analyzer reads files at `path`; lets the pipeline skip fetching others."""

    @abstractmethod
    def analyze(self, files: Sequence[ScannedFile]) -> AnalyzerOutput:
        """Analyze the files this analyzer wants. CPU-bound; called off the event loop."""


class Stage(ABC):
    """An analysis that needs more than the changed files' head text: drift reads both sides of
    manifests, lockfiles outside the diff, and package registries. It decides for itself what
    the change touched, so the pipeline reports its findings as they are (no changed-line
    filter, no pre-existing check) and runs it beside the analyzers, not after them."""

    name: str
    kind: Kind

    @abstractmethod
    def wants(self, path: str) -> bool:
        """Whether a change to `path` can give this stage anything to report: the stage runs
        when one changed file is wanted."""

    @abstractmethod
    async def run(self, source: Source, changes: Sequence[ChangedFile]) -> AnalyzerOutput:
        """Look at the change. It gets every changed file: what it wants, and the others for
        context (drift reads a changed base.txt that a changed requirements.txt includes)."""
