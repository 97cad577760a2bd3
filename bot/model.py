"""The plain data that crosses PR Warden's layers.

No I/O and no framework here: every layer may import this module and nothing in it imports
another layer. Everything is frozen so a value cannot change halfway through the pipeline.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class Kind(str, enum.Enum):
    """What produced a finding; reports group by it in this order."""

    DRIFT = "drift"
    OWASP = "owasp"
    SCANNER = "scanner"


class Severity(str, enum.Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse; used to compare against the fail level."""
        return _SEVERITY_RANK[self]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Read a severity name given by a user, with an error that lists the choices."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            choices = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown severity {text!r}: choose one of {choices}") from None


_SEVERITY_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}


class FileStatus(str, enum.Enum):
    """GitHub's DiffEntry statuses; `copied`/`changed` are read as modified content."""

    ADDED = "added"
    MODIFIED = "modified"
    RENAMED = "renamed"
    REMOVED = "removed"
    COPIED = "copied"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


class NoticeKind(str, enum.Enum):
    """Why something was not (fully) scanned; each is shown to users, never silently dropped."""

    NOT_SCANNED = "not-scanned"
    PARTIAL = "partial"
    UNPARSEABLE = "unparseable"
    SKIPPED = "skipped"
    SUPPRESSION = "suppression"
    """A `prwarden-ignore` comment that did not apply (expired, bad date, unknown rule)."""


@dataclass(frozen=True)
class Notice:
    """Something the scan could not do, with the reason a person can act on."""

    kind: NoticeKind
    message: str
    path: str | None = None
    line: int | None = None
    about: str | None = None
    """Fingerprint of the finding this notice is about (an expired suppression): the pipeline
    keeps the notice only when that finding is reported, so unchanged code stays quiet."""


@dataclass(frozen=True)
class ChangedFile:
    """One file a change touches, with the new-side lines it adds or changes."""

    path: str
    status: FileStatus
    changed_lines: frozenset[int]
    """1-based line numbers on the new side that the change adds or modifies."""
    previous_path: str | None = None
    """The old path of a renamed file."""
    patch_missing: bool = False
    """GitHub sent no patch (binary or very large): lines must come from a local diff."""
    deletions: int | None = None
    """Lines the change deletes from this file, when the source knows (None: unknown)."""


@dataclass(frozen=True)
class ChangeSet:
    """What a source says changed: the files, plus what it could not list."""

    files: tuple[ChangedFile, ...]
    notices: tuple[Notice, ...] = ()
    partial: bool = False


@dataclass(frozen=True)
class ScannedFile:
    """A changed file with its new-side text, as analyzers see it."""

    changed: ChangedFile
    text: str
    """New-side content decoded as UTF-8 (undecodable bytes replaced)."""
    old_text: str | None = None
    """Base-side content where the analyzer needs it (renames, moved code)."""

    @property
    def path(self) -> str:
        return self.changed.path


SHORT_ID_CHARS = 8
"""Fingerprint prefix the reports show and users type in `/prwarden ignore <id> <reason>`."""


def short_id(fingerprint: str) -> str:
    """A finding's id as people see it."""
    return fingerprint[:SHORT_ID_CHARS]


@dataclass(frozen=True)
class Finding:
    """One thing the bot reports, located on the new side of the change."""

    kind: Kind
    rule_id: str
    title: str
    """For OWASP findings the Top 10 2021 category, e.g. "A03:2021 – Injection"."""
    message: str
    path: str
    start_line: int
    end_line: int
    severity: Severity
    cwe: tuple[str, ...] = ()
    """CWE ids as "CWE-95"."""
    owasp: str | None = None
    """OWASP Top 10 2021 id, e.g. "A03:2021"."""
    snippet: str = ""
    """Normalised code the finding is about; feeds the fingerprint instead of line numbers."""
    properties: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    """The kind's own fields (drift: ecosystem, package, spec, ...)."""
    occurrence: int = 0
    """How many findings of the same rule with the same normalised code come before this one in
    the file: tells a second copy of a statement from the first without using line numbers."""

    @property
    def fingerprint(self) -> str:
        """Stable across unrelated edits: rule + path + normalised code (+ occurrence), never the
        line number."""
        return self.fingerprint_at(self.path)

    def fingerprint_at(self, path: str) -> str:
        """The fingerprint this finding would have at `path`: a renamed file's findings are
        compared with the base under the old path."""
        text = " ".join(self.snippet.split()) if self.snippet else self.message
        # Occurrence 0 adds nothing, so fingerprints of single findings never changed meaning.
        suffix = f"\0{self.occurrence}" if self.occurrence else ""
        key = f"{self.rule_id}\0{path}\0{text}{suffix}"
        return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:16]

    def to_json(self) -> dict[str, Any]:
        """The documented JSON form (annotation raw_details, `--format json`)."""
        return {
            "kind": self.kind.value,
            "rule": self.rule_id,
            "title": self.title,
            "message": self.message,
            "path": self.path,
            "startLine": self.start_line,
            "endLine": self.end_line,
            "severity": self.severity.value,
            "cwe": list(self.cwe),
            "owasp": self.owasp,
            "fingerprint": self.fingerprint,
            "properties": dict(self.properties),
        }

    def to_json_text(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True)


class ScannerState(str, enum.Enum):
    OK = "ok"
    UNAVAILABLE = "unavailable"
    FAILED = "failed"


@dataclass(frozen=True)
class ScannerStatus:
    name: str
    state: ScannerState
    version: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class ScanResult:
    """Everything one scan produced; reporters turn it into output and decide nothing."""

    findings: tuple[Finding, ...] = ()
    suppressed: tuple[Finding, ...] = ()
    notices: tuple[Notice, ...] = ()
    scanners: tuple[ScannerStatus, ...] = ()
    files_scanned: int = 0
    partial: bool = False
    """True when the change was larger than the source could list (GitHub's 3000-file cap)."""
    seconds: float = 0.0
    preexisting: tuple[Finding, ...] = ()
    """Findings on changed lines whose code the base already had (moved or re-indented): counted
    in the summary, never annotated, never failing the check."""

    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), key=lambda s: s.rank, default=None)

    def fails(self, fail_on: Severity) -> bool:
        """The gate: any finding at or above the fail level. Drift below `high` never counts, so
        a low fail level (`PRWARDEN_FAIL_ON=medium`) does not turn versions into failures: only
        a repository's `drift.fail_majors` makes drift `high` (docs/configuration.md)."""
        return any(
            f.severity.at_least(fail_on) and (f.kind is not Kind.DRIFT or f.severity.at_least(Severity.HIGH))
            for f in self.findings
        )
