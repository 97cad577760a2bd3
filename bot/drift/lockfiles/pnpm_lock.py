"""pnpm-lock.yaml, lockfileVersion 5.x, 6.0 and 9.0.

Each project folder is an importer ("." for the root) listing its direct dependencies with the
version pnpm resolved. The shapes differ by version:
- 5.x: `name: 1.2.3_react@18.2.0` (peers after "_"), aliases `/real/1.2.3`; a single-project
  file has top-level `dependencies` instead of `importers`.
- 6.0: `name: {specifier, version: 1.2.3(react@18.2.0)}`, aliases `/real@1.2.3`.
- 9.0: as 6.0, always with `importers`, aliases `real@1.2.3`.
A `link:` or `file:` version is a local folder, not a registry version: None.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from bot.drift.model import Dependency, Ecosystem, Lockfile, ManifestError

NAMES: tuple[str, ...] = ("pnpm-lock.yaml",)
ECOSYSTEM = Ecosystem.NPM
MANIFEST = "package.json"
"""The manifest this lockfile locks: it gives the current version to that file only."""

SECTIONS: tuple[str, ...] = ("dependencies", "devDependencies", "optionalDependencies")

_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's loader when PyYAML was built with it: lockfiles run to megabytes."""


def matches(path: str) -> bool:
    return posixpath.basename(path) in NAMES


@dataclass(frozen=True)
class PnpmLock(Lockfile):
    path: str
    importers: Mapping[str, Mapping[str, Mapping[str, str | None]]]
    """Importer folder -> section -> dependency key -> resolved version (None: local link)."""
    ecosystem: Ecosystem = Ecosystem.NPM

    def workspace_folders(self) -> tuple[str, ...]:
        return tuple(sorted(k.removeprefix("./") for k in self.importers if k not in (".", "")))

    def resolve(self, importer: str, dependency: Dependency) -> str | None:
        """Looks in the section the manifest declares it in first (a name can sit in two)."""
        sections = self.importers.get(_importer_key(importer), {})
        order = (dependency.group, *SECTIONS) if dependency.group in SECTIONS else SECTIONS
        for section in order:
            versions = sections.get(section, {})
            if dependency.key in versions:
                return versions[dependency.key]
        return None


def parse(path: str, text: str) -> PnpmLock:
    data = load_yaml(path, text)
    if not isinstance(data, dict):
        raise ManifestError(path, "pnpm lockfile is not a YAML mapping", 1)
    major = str(data.get("lockfileVersion", "")).split(".", 1)[0]
    v5 = major == "5"
    importers = data.get("importers")
    if not isinstance(importers, dict):
        importers = {".": data}
    return PnpmLock(
        path,
        {
            _importer_key(str(folder)): _sections(entry, v5)
            for folder, entry in importers.items()
            if isinstance(entry, dict)
        },
    )


def load_yaml(path: str, text: str) -> Any:
    """The last YAML document, with the line of a syntax error. pnpm 10 can write its own
    tool dependencies as a first document before the project's lockfile."""
    try:
        documents = list(yaml.load_all(text, Loader=_LOADER))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = error.problem or error.context or "invalid YAML"
        raise ManifestError(path, f"invalid YAML: {message}", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as error:
        raise ManifestError(path, f"invalid YAML: {error}", None) from None
    except RecursionError:
        raise ManifestError(path, "invalid YAML: nested too deeply", None) from None
    return documents[-1] if documents else None


def _importer_key(folder: str) -> str:
    folder = folder.strip("/").removeprefix("./")
    return folder or "."


def _sections(entry: Mapping[str, Any], v5: bool) -> dict[str, dict[str, str | None]]:
    sections: dict[str, dict[str, str | None]] = {}
    for section in SECTIONS:
        declared = entry.get(section)
        if not isinstance(declared, dict):
            continue
        versions: dict[str, str | None] = {}
        for key, value in declared.items():
            if isinstance(value, dict):
                value = value.get("version")
            versions[str(key)] = locked_version(value, v5) if isinstance(value, str) else None
        sections[section] = versions
    return sections


def locked_version(value: str, v5: bool) -> str | None:
    """The plain version in one of pnpm's version fields: peer suffixes and alias prefixes
    dropped; None for a local link or anything that is not a version (git commits, tarballs)."""
    if value.startswith(("link:", "file:")):
        return None
    value = value.split("(", 1)[0]
    if v5:
        value = value.split("_", 1)[0]
    value = value.removeprefix("/")
    at = value.find("@", 1)
    if at >= 0:
        value = value[at + 1 :]
    elif "/" in value:
        value = value[value.rfind("/") + 1 :]
    return value if value[:1].isdigit() and "." in value else None
