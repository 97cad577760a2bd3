"""npm's package-lock.json and npm-shrinkwrap.json, lockfileVersion 1, 2 and 3.

Versions 2 and 3 list every installed folder under "packages" ("node_modules/x",
"packages/a/node_modules/x", the workspace folder "packages/a" itself); version 1 has a nested
"dependencies" tree instead, which is flattened here into the same folder paths so that one
lookup, Node's own, serves all three.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.drift.manifests.package_json import load_json
from bot.drift.model import Dependency, Ecosystem, Lockfile, ManifestError

NAMES: tuple[str, ...] = ("npm-shrinkwrap.json", "package-lock.json")
"""In npm's order of precedence: with both present, npm installs from the shrinkwrap."""
ECOSYSTEM = Ecosystem.NPM
MANIFEST = "package.json"
"""The manifest this lockfile locks: it gives the current version to that file only."""

_MAX_V1_ENTRIES = 200_000
"""Bound on the v1 tree walk; a lockfile capped by the caller holds far fewer."""


def matches(path: str) -> bool:
    return posixpath.basename(path) in NAMES


@dataclass(frozen=True)
class PackageLock(Lockfile):
    path: str
    versions: Mapping[str, str]
    """Installed folder ("node_modules/x", "packages/a/node_modules/@s/y") -> version."""
    ecosystem: Ecosystem = Ecosystem.NPM
    workspaces: tuple[str, ...] = ()
    """Folders of the workspace packages (v2/v3 `packages` keys outside node_modules), with a
    version or not: a private package often has none."""

    def workspace_folders(self) -> tuple[str, ...]:
        return self.workspaces

    def resolve(self, importer: str, dependency: Dependency) -> str | None:
        """Node's lookup from the importer's folder: its own node_modules, then each parent's, up
        to the root. The key, not the name, is the folder an alias is installed in."""
        folder = importer.strip("/").removeprefix("./")
        folder = "" if folder == "." else folder
        while True:
            location = f"{folder}/node_modules/{dependency.key}" if folder else f"node_modules/{dependency.key}"
            version = self.versions.get(location)
            if version is not None:
                return version
            parent = posixpath.dirname(folder)
            if not folder or parent == folder:
                return None
            folder = parent


def parse(path: str, text: str) -> PackageLock:
    data = load_json(path, text)
    if not isinstance(data, dict):
        raise ManifestError(path, "lockfile is not a JSON object", 1)
    packages = data.get("packages")
    if isinstance(packages, dict):
        return PackageLock(path, _from_packages(packages), workspaces=_workspaces(packages))
    dependencies = data.get("dependencies")
    if isinstance(dependencies, dict):
        return PackageLock(path, _from_tree(dependencies))
    if "packages" in data or "dependencies" in data:
        raise ManifestError(path, '"packages" / "dependencies" is not an object', None)
    return PackageLock(path, {})


def _from_packages(packages: Mapping[str, Any]) -> dict[str, str]:
    """v2/v3. A `"link": true` entry (a workspace member or a file: dependency installed as a
    symlink) takes the version of the folder it points to."""
    versions: dict[str, str] = {}
    for location, entry in packages.items():
        if not isinstance(entry, dict):
            continue
        if entry.get("link") is True:
            target = packages.get(entry.get("resolved", ""))
            entry = target if isinstance(target, dict) else {}
        version = entry.get("version")
        if isinstance(version, str):
            versions[location] = version
    return versions


def _workspaces(packages: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(
        sorted(
            location
            for location, entry in packages.items()
            if location and isinstance(entry, dict) and not location.startswith("node_modules/") and "/node_modules/" not in location
        )
    )


def _from_tree(dependencies: Mapping[str, Any]) -> dict[str, str]:
    """v1: {name: {version, dependencies: {...nested...}}}, walked iteratively into folders.
    An alias is recorded as "npm:real@1.2.3"; the version is what follows the last "@"."""
    versions: dict[str, str] = {}
    pending: list[tuple[str, Mapping[str, Any]]] = [("", dependencies)]
    while pending and len(versions) < _MAX_V1_ENTRIES:
        prefix, level = pending.pop()
        for name, entry in level.items():
            if not isinstance(entry, dict):
                continue
            location = f"{prefix}node_modules/{name}"
            version = entry.get("version")
            if isinstance(version, str):
                versions[location] = _v1_version(version)
            nested = entry.get("dependencies")
            if isinstance(nested, dict):
                pending.append((f"{location}/", nested))
    return versions


def _v1_version(version: str) -> str:
    if version.startswith("npm:"):
        at = version.rfind("@")
        return version[at + 1 :] if at > len("npm:") else version
    return version
