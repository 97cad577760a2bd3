"""How far behind a dependency is: pure version arithmetic, no I/O.

The reference version is the lockfile's resolved version when there is one ("current"), else
the lowest version the manifest's spec admits ("spec"). Majors behind is
major(latest) - major(reference), 0.x counting as major 0 (so ^0.34.6 against 4.0.18 is 4).

npm ranges are read by node-semver (a port of npm's own semver, including ^ ~ x-ranges, ||
and hyphen ranges); Python specs by packaging (PEP 440).
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Sequence
from dataclasses import dataclass

import nodesemver
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from bot.drift.model import Ecosystem

MAX_SPEC_CHARS = 256
"""Specs come from pull requests; node-semver parses with regular expressions, so a spec is
bounded before it reaches them (real specs are a few dozen characters)."""


class UnreadableVersion(ValueError):
    """A spec or version the ecosystem's own rules cannot read ("latest", "next", garbage)."""


class Reference(str, enum.Enum):
    CURRENT = "current"
    """The lockfile's resolved version."""
    SPEC = "spec"
    """The lowest version the manifest's spec admits."""


@dataclass(frozen=True)
class Behind:
    reference: Reference
    version: str
    """The version counted from: the locked one, or the lowest the spec admits."""
    latest: str
    majors: int


def major(ecosystem: Ecosystem, version: str) -> int:
    """The major number of a published version; 0.x is major 0."""
    if ecosystem is Ecosystem.NPM:
        parsed = _npm_version(version)
        return int(parsed.major)
    return _pep440(version).release[0]


def behind(
    ecosystem: Ecosystem,
    spec: str,
    current: str | None,
    latest: str,
    versions: Sequence[str] = (),
) -> Behind | None:
    """How many majors `latest` is ahead of the dependency, or None when that cannot be said.

    Without a lockfile, a spec that admits `latest` itself (`*`, `>=1`, a bare Python name) is
    not behind: nothing in the manifest holds the project back. `versions` (the registry's) is
    only needed for a spec with no lower bound (`<3`): its lowest admitted published version.
    """
    if current:
        return Behind(Reference.CURRENT, current, latest, max(0, major(ecosystem, latest) - major(ecosystem, current)))
    if ecosystem is Ecosystem.NPM:
        lowest = _npm_lowest(spec, latest, versions)
    else:
        lowest = _pep440_lowest(spec, latest, versions)
    if lowest is None:
        return None
    return Behind(Reference.SPEC, lowest, latest, max(0, major(ecosystem, latest) - major(ecosystem, lowest)))


@functools.lru_cache(maxsize=8192)
def _npm_version(text: str) -> nodesemver.SemVer:
    """Cached: node-semver parses with regular expressions, ~50 us a call; a 300-dependency
    manifest would otherwise spend most of a warm scan here."""
    if len(text) > MAX_SPEC_CHARS:
        raise UnreadableVersion(f"version longer than {MAX_SPEC_CHARS} characters")
    try:
        return nodesemver.make_semver(text.strip().lstrip("v="), loose=True)
    except (ValueError, TypeError) as exc:
        raise UnreadableVersion(f"not a semver version: {text!r}") from exc


@functools.lru_cache(maxsize=8192)
def _npm_range(spec: str) -> nodesemver.Range:
    if len(spec) > MAX_SPEC_CHARS:
        raise UnreadableVersion(f"spec longer than {MAX_SPEC_CHARS} characters")
    text = spec.strip() or "*"
    try:
        return nodesemver.make_range(text, loose=True)
    except (ValueError, TypeError) as exc:
        raise UnreadableVersion(f"not an npm version range: {spec!r}") from exc


@functools.lru_cache(maxsize=8192)
def _npm_admits(spec: str, version: str) -> bool:
    """Cached: a range test costs ~25 us, and a scan asks it per dependency for the finding and
    for both sides' workspace shares, and again on every rescan of the same pull request."""
    return bool(_npm_range(spec).test(_npm_version(version)))


def _npm_lowest(spec: str, latest: str, versions: Sequence[str]) -> str | None:
    """The lowest version `spec` admits, as npm's `semver.minVersion` computes it (from the
    range's own comparators, so no version list is needed), or None if it admits `latest`."""
    if spec.strip() == "latest":
        return None  # the dist-tag itself
    if _npm_admits(spec, latest):
        return None
    bounds = _npm_range(spec)
    lows: list[nodesemver.SemVer] = []
    for comparators in bounds.set:
        floors = [
            c.semver
            for c in comparators
            if c.operator in (">=", ">", "", "=") and isinstance(c.semver, nodesemver.SemVer)
        ]
        if floors:
            lows.append(max(floors, key=_semver_key))
            continue
        # Only upper bounds (`<3`): the lowest published version it admits.
        admitted = nodesemver.min_satisfying(list(versions), spec, loose=True) if versions else None
        if admitted is not None:
            lows.append(nodesemver.make_semver(admitted, loose=True))
    if not lows:
        return None
    lowest = min(lows, key=_semver_key)
    return f"{lowest.major}.{lowest.minor}.{lowest.patch}"


def _semver_key(version: nodesemver.SemVer) -> tuple[int, int, int]:
    return int(version.major), int(version.minor), int(version.patch)


def _pep440(text: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion as exc:
        raise UnreadableVersion(f"not a PEP 440 version: {text!r}") from exc


def _pep440_lowest(spec: str, latest: str, versions: Sequence[str]) -> str | None:
    """The lowest version a PEP 440 specifier set admits, or None if it admits `latest`."""
    if len(spec) > MAX_SPEC_CHARS:
        raise UnreadableVersion(f"spec longer than {MAX_SPEC_CHARS} characters")
    try:
        specifiers = SpecifierSet(spec.strip())
    except InvalidSpecifier as exc:
        raise UnreadableVersion(f"not a PEP 440 specifier: {spec!r}") from exc
    if specifiers.contains(_pep440(latest), prereleases=True):
        return None
    lows: list[Version] = []
    for specifier in specifiers:
        if specifier.operator in (">=", ">", "==", "~=", "==="):
            text = specifier.version.removesuffix(".*")
            try:
                lows.append(Version(text))
            except InvalidVersion:
                continue
    if lows:
        return str(max(lows))
    admitted = sorted(v for v in _readable(versions) if specifiers.contains(v, prereleases=False))
    return str(admitted[0]) if admitted else None


def _readable(versions: Sequence[str]) -> list[Version]:
    out = []
    for text in versions:
        try:
            out.append(Version(text))
        except InvalidVersion:
            continue
    return out
