"""yarn.lock, classic (v1, its own indented format) and berry (2+, YAML with `__metadata`).

Both map descriptors, the `name@range` strings package.json files wrote, to one resolution each:
classic `lodash@^4.17.20, lodash@^4.17.21:` with `version "4.17.21"`; berry
`"lodash@npm:^4.17.20, lodash@npm:^4.17.21":` with `resolution: "lodash@npm:4.17.21"`. Aliases
keep the alias in the descriptor: `"string-width-cjs@npm:string-width@^4.2.0"`.

A descriptor resolves to the same version whichever workspace declares it, so the importer does
not take part in the look-up; a dependency whose spec changed without the lockfile being
regenerated has no descriptor and is not locked (None).
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from bot.drift.lockfiles.pnpm_lock import load_yaml
from bot.drift.model import Dependency, Ecosystem, Lockfile, ManifestError

NAMES: tuple[str, ...] = ("yarn.lock",)
ECOSYSTEM = Ecosystem.NPM
MANIFEST = "package.json"
"""The manifest this lockfile locks: it gives the current version to that file only."""

_CONFLICT_MARKERS: tuple[str, ...] = ("<<<<<<<", "=======", ">>>>>>>")


def matches(path: str) -> bool:
    return posixpath.basename(path) in NAMES


@dataclass(frozen=True)
class YarnLock(Lockfile):
    path: str
    descriptors: Mapping[str, str | None]
    """Descriptor as written in the lockfile ("lodash@^4.17.21", "lodash@npm:^4.17.21") ->
    resolved version."""
    berry: bool = False
    ecosystem: Ecosystem = Ecosystem.NPM

    def workspace_folders(self) -> tuple[str, ...]:
        """Berry records each workspace as `name@workspace:folder` (classic records none)."""
        folders = set()
        for descriptor in self.descriptors:
            _, marker, folder = descriptor.rpartition("@workspace:")
            if marker and folder not in ("", "."):
                folders.add(folder)
        return tuple(sorted(folders))

    def resolve(self, importer: str, dependency: Dependency) -> str | None:
        for descriptor in descriptors_for(dependency):
            if descriptor in self.descriptors:
                return self.descriptors[descriptor]
        return None


def descriptors_for(dependency: Dependency) -> tuple[str, ...]:
    """The descriptors yarn writes for a package.json entry: classic keeps the range as written,
    berry prefixes registry ranges with "npm:"; an alias is `key@npm:name@range` in both."""
    if dependency.key != dependency.name:
        target = f"{dependency.name}@{dependency.spec}" if dependency.spec else dependency.name
        return (f"{dependency.key}@npm:{target}",)
    return (f"{dependency.name}@{dependency.spec}", f"{dependency.name}@npm:{dependency.spec}")


def parse(path: str, text: str) -> YarnLock:
    text = text.removeprefix("\ufeff")
    if _is_berry(text):
        return YarnLock(path, _berry_descriptors(path, text), berry=True)
    return YarnLock(path, _classic_descriptors(path, text))


def _is_berry(text: str) -> bool:
    """Berry writes `__metadata:` as its first key, after a comment header."""
    for line in _lines(text):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return stripped.startswith(("__metadata:", '"__metadata":'))
    return False


def _lines(text: str) -> Iterator[str]:
    start = 0
    while start <= len(text):
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end]
        start = end + 1


def _berry_descriptors(path: str, text: str) -> dict[str, str | None]:
    data = load_yaml(path, text)
    if not isinstance(data, dict):
        raise ManifestError(path, "yarn lockfile is not a YAML mapping", 1)
    descriptors: dict[str, str | None] = {}
    for key, entry in data.items():
        if key == "__metadata" or not isinstance(entry, dict):
            continue
        version = _berry_version(entry)
        for descriptor in str(key).split(","):
            descriptors[descriptor.strip()] = version
    return descriptors


def _berry_version(entry: Mapping[str, Any]) -> str | None:
    """From `resolution: "real@npm:1.2.3"`, which names the real package even for an alias;
    else the `version` field (patch: and workspace entries)."""
    resolution = entry.get("resolution")
    if isinstance(resolution, str):
        at = resolution.find("@npm:", 1)
        if at >= 0:
            return resolution[at + len("@npm:") :]
    version = entry.get("version")
    return version if isinstance(version, str) else None


def _classic_descriptors(path: str, text: str) -> dict[str, str | None]:
    """Yarn 1's format: an entry is an unindented `descriptor, descriptor:` line followed by
    indented fields; only each entry's two-space `version` field is needed."""
    descriptors: dict[str, str | None] = {}
    current: list[str] = []
    for number, raw in enumerate(_lines(text), start=1):
        line = raw.rstrip("\r")
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if line.startswith(_CONFLICT_MARKERS):
            raise ManifestError(path, "unresolved merge conflict in yarn.lock", number)
        if not line[0].isspace():
            if not stripped.endswith(":"):
                raise ManifestError(path, f"expected an entry header ending in ':', got {stripped[:60]!r}", number)
            current = _header_descriptors(path, stripped[:-1], number)
            for descriptor in current:
                descriptors.setdefault(descriptor, None)
        elif line.startswith("  version ") and current:
            version = _classic_value(path, stripped[len("version") :].strip(), number)
            for descriptor in current:
                descriptors[descriptor] = version
    return descriptors


def _header_descriptors(path: str, header: str, line: int) -> list[str]:
    """Splits `"@babel/core@^7.0.0", lodash@^4:` at commas outside quotes; quoted parts are JSON
    strings (yarn writes them with JSON.stringify)."""
    parts: list[str] = []
    start, in_quotes, escaped = 0, False, False
    for i, c in enumerate(header):
        if escaped:
            escaped = False
        elif c == "\\" and in_quotes:
            escaped = True
        elif c == '"':
            in_quotes = not in_quotes
        elif c == "," and not in_quotes:
            parts.append(header[start:i])
            start = i + 1
    if in_quotes:
        raise ManifestError(path, "unterminated quoted string in entry header", line)
    parts.append(header[start:])
    descriptors = [_classic_value(path, part.strip(), line) for part in parts]
    if any(not descriptor for descriptor in descriptors):
        raise ManifestError(path, "empty descriptor in entry header", line)
    return descriptors


def _classic_value(path: str, value: str, line: int) -> str:
    if not value.startswith('"'):
        return value
    try:
        decoded = json.loads(value)
    except json.JSONDecodeError:
        raise ManifestError(path, f"bad quoted string {value[:60]!r}", line) from None
    if not isinstance(decoded, str):
        raise ManifestError(path, f"bad quoted string {value[:60]!r}", line)
    return decoded
