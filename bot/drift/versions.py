"""How far behind a dependency is: pure version arithmetic, no I/O.

The reference version is the lockfile's resolved version when there is one ("current"), else
the lowest version the manifest's spec admits ("spec"). Majors behind is
major(latest) - major(reference), 0.x counting as major 0 (so ^0.34.6 against 4.0.18 is 4).

npm ranges are read by node-semver (a port of npm's own semver, including ^ ~ x-ranges, ||
and hyphen ranges); Python specs by packaging (PEP 440), imported when a Python version is
first read (an npm-only `prwarden scan` never loads it).
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Sequence
from dataclasses import dataclass

from typing import TYPE_CHECKING

import nodesemver

from bot.drift.model import Ecosystem

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

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
    *,
    poetry: bool = False,
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
    elif poetry:
        lowest = _poetry_lowest(spec, latest, versions)
    else:
        lowest = _pep440_lowest(spec, latest, versions)
    if lowest is None:
        return None
    return Behind(Reference.SPEC, lowest, latest, max(0, major(ecosystem, latest) - major(ecosystem, lowest)))


def admits(ecosystem: Ecosystem, spec: str, version: str, *, poetry: bool = False) -> bool:
    """Whether `spec` (as written in a manifest) admits `version`: a lockfile's entry for a
    dependency is its current version only if so. True when either cannot be read (the lockfile
    is then believed), as for an npm dist-tag."""
    try:
        if ecosystem is Ecosystem.NPM:
            return not spec.strip() or spec.strip() == "latest" or _npm_admits(spec, version)
        alternatives = poetry_to_pep440(spec) if poetry else [spec.strip()]
        return any(_pep440_specifiers(a).contains(_pep440(version), prereleases=True) for a in alternatives)
    except UnreadableVersion:
        return True


def is_poetry_group(group: str) -> bool:
    """Declared in a Poetry table (`tool.poetry.dependencies`, `tool.poetry.group.dev.dependencies`):
    its specs are in Poetry's syntax, not PEP 440."""
    return group.startswith("tool.poetry.")


def poetry_to_pep440(spec: str) -> list[str]:
    """Poetry's constraint syntax as PEP 440 specifier sets, one per `||` alternative ("" for no
    constraint): `^1.2` -> `>=1.2,<2`, `^0.2.3` -> `>=0.2.3,<0.3`, `~1.2.3` -> `>=1.2.3,<1.3`,
    a bare `1.2.3` -> `==1.2.3`, `*` -> "". Raises UnreadableVersion.
    (python-poetry.org/docs/dependency-specification/)"""
    if len(spec) > MAX_SPEC_CHARS:
        raise UnreadableVersion(f"spec longer than {MAX_SPEC_CHARS} characters")
    alternatives = []
    for alternative in spec.split("||"):
        parts: list[str] = []
        for raw in alternative.split(","):
            constraint = "".join(raw.split())
            if not constraint or constraint == "*":
                continue
            if constraint.startswith("^"):
                parts.extend(_poetry_range(constraint[1:], caret=True))
            elif constraint.startswith("~") and not constraint.startswith("~="):
                parts.extend(_poetry_range(constraint[1:], caret=False))
            elif constraint[0].isdigit():
                parts.append(f"=={constraint}")
            else:
                parts.append(constraint)  # >=, <, !=, ==, ~=: PEP 440 already
        alternatives.append(",".join(parts))
    return alternatives


def _poetry_range(version: str, *, caret: bool) -> list[str]:
    """`^version` (up to the next change of its first non-zero part) or `~version` (up to the
    next minor, or major when only the major is written) as two PEP 440 bounds."""
    release = _pep440(version).release
    written = min(len(version.split(".")), len(release))
    if caret:
        index = next((i for i, part in enumerate(release[:written]) if part != 0), written - 1)
    else:
        index = 1 if written >= 2 else 0
    upper = [*release[:index], release[index] + 1]
    return [f">={version}", f"<{'.'.join(str(part) for part in upper)}"]


def _poetry_lowest(spec: str, latest: str, versions: Sequence[str]) -> str | None:
    """The lowest version a Poetry constraint admits (over its `||` alternatives), or None if it
    admits `latest`."""
    lows: list[str] = []
    for alternative in poetry_to_pep440(spec):
        if not alternative:
            return None  # `*`: anything
        lowest = _pep440_lowest(alternative, latest, versions)
        if lowest is None:
            return None
        lows.append(lowest)
    return min(lows, key=_pep440) if lows else None


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
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text)
    except InvalidVersion as exc:
        raise UnreadableVersion(f"not a PEP 440 version: {text!r}") from exc


def _pep440_specifiers(spec: str) -> SpecifierSet:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return SpecifierSet(spec.strip())
    except InvalidSpecifier as exc:
        raise UnreadableVersion(f"not a PEP 440 specifier: {spec!r}") from exc


def _pep440_lowest(spec: str, latest: str, versions: Sequence[str]) -> str | None:
    """The lowest version a PEP 440 specifier set admits, or None if it admits `latest`."""
    if len(spec) > MAX_SPEC_CHARS:
        raise UnreadableVersion(f"spec longer than {MAX_SPEC_CHARS} characters")
    specifiers = _pep440_specifiers(spec)
    if specifiers.contains(_pep440(latest), prereleases=True):
        return None
    lows: list[Version] = []
    for specifier in specifiers:
        if specifier.operator in (">=", ">", "==", "~=", "==="):
            text = specifier.version.removesuffix(".*")
            try:
                lows.append(_pep440(text))
            except UnreadableVersion:
                continue
    if lows:
        return str(max(lows))
    admitted = sorted(v for v in _readable(versions) if specifiers.contains(v, prereleases=False))
    return str(admitted[0]) if admitted else None


def _readable(versions: Sequence[str]) -> list[Version]:
    out = []
    for text in versions:
        try:
            out.append(_pep440(text))
        except UnreadableVersion:
            continue
    return out
