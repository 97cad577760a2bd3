"""The one interface every analyzer (OWASP rules, drift, external scanners) plugs into.

An analyzer is pure: it gets changed files with their text and returns findings. It does no
GitHub or network I/O of its own (drift's registry lookups are handed in by the pipeline), so
the same analyzer serves the bot, the CLI and the tests.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from bot.model import Finding, Kind, Notice, ScannedFile, ScannerStatus


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
