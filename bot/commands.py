"""`/prwarden` commands in pull request comments, parsed. Pure: the worker acts on them.

    /prwarden rescan [drift|owasp|scanners]
    /prwarden ignore <finding-id> <reason>
    /prwarden help
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.model import Kind

ALLOWED_PERMISSIONS = frozenset({"admin", "write"})
"""The collaborator-permission API's `permission` field; maintain reads as write there."""
MAX_REASON_CHARS = 500

HELP = """\
**PR Warden commands** (for people with write access to this repository):

- `/prwarden rescan`: scan this pull request again. `/prwarden rescan drift`, `owasp` or `scanners` runs one kind, on a run of its own (`PR Warden (DRIFT only)`) that never decides the merge gate.
- `/prwarden ignore <finding-id> <reason>`: accept a finding in this repository (ids are in the summary comment and the check run); later scans list it as accepted instead of reporting it.
- `/prwarden help`: this message."""

_KIND_WORDS = {"drift": Kind.DRIFT, "owasp": Kind.OWASP, "scanner": Kind.SCANNER, "scanners": Kind.SCANNER}

REFUSED = "Sorry, only people with write access to this repository can run `/prwarden` commands."


@dataclass(frozen=True)
class Command:
    name: str
    """rescan, ignore, help, or unknown."""
    kinds: frozenset[Kind] = frozenset()
    """For rescan: the kinds to scan (empty: all)."""
    finding_id: str = ""
    reason: str = ""
    problem: str = ""
    """Why the command cannot run as written, for the reply."""


def parse_command(line: str) -> Command:
    """The first line of a comment that starts with /prwarden."""
    words = line.split()
    if not words or words[0].lower() != "/prwarden":
        return Command("unknown", problem="not a /prwarden command")
    if len(words) == 1 or words[1].lower() == "help":
        return Command("help")
    verb = words[1].lower()
    if verb == "rescan":
        kinds: set[Kind] = set()
        for word in words[2:]:
            kind = _KIND_WORDS.get(word.lower())
            if kind is None:
                return Command("rescan", problem=f"unknown kind {word[:40]!r}: use drift, owasp or scanners")
            kinds.add(kind)
        return Command("rescan", kinds=frozenset(kinds))
    if verb == "ignore":
        if len(words) < 4:
            return Command("ignore", problem="usage: `/prwarden ignore <finding-id> <reason>`")
        finding_id = words[2].strip("`").lower()
        if not (4 <= len(finding_id) <= 16) or any(c not in "0123456789abcdef" for c in finding_id):
            return Command("ignore", problem="a finding id is the 8-character id shown in the summary comment")
        return Command("ignore", finding_id=finding_id, reason=" ".join(words[3:])[:MAX_REASON_CHARS])
    return Command("unknown", problem=f"unknown command {words[1][:40]!r}")
