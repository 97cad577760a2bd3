"""uv.lock: [[package]] tables with a `source` saying where each came from.

The project itself and its workspace members are in the lock too (source `editable`, `virtual`
or `workspace`); they are not registry packages and are left out. A name can be locked at
several versions when resolution forks on markers (`resolution-markers`); rather than evaluate
markers, the first entry from a registry is taken, and failing that the first from any other
source (git, url, path). One uv.lock serves a whole workspace with one resolution, so the
importer does not take part in the look-up.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass


from bot.drift.manifests.pyproject_toml import load_toml
from bot.drift.model import Dependency, Ecosystem, Lockfile, ManifestError, pypi_name

NAMES: tuple[str, ...] = ("uv.lock",)
ECOSYSTEM = Ecosystem.PYPI
MANIFEST = "pyproject.toml"
"""The manifest this lockfile locks: it gives the current version to that file only."""

_MEMBER_SOURCES = frozenset({"editable", "virtual", "workspace"})


def matches(path: str) -> bool:
    return posixpath.basename(path) in NAMES


@dataclass(frozen=True)
class UvLock(Lockfile):
    path: str
    versions: Mapping[str, str]
    """PEP 503 name -> locked version."""
    ecosystem: Ecosystem = Ecosystem.PYPI
    members: tuple[str, ...] = ()
    """Folders of the workspace members (editable or virtual sources), the root left out."""

    def workspace_folders(self) -> tuple[str, ...]:
        return self.members

    def resolve(self, importer: str, dependency: Dependency) -> str | None:
        return self.versions.get(pypi_name(dependency.name))


def parse(path: str, text: str) -> UvLock:
    packages = load_toml(path, text).get("package", [])
    if not isinstance(packages, list):
        raise ManifestError(path, "[[package]] is not an array of tables", None)
    from_registry: dict[str, str] = {}
    from_elsewhere: dict[str, str] = {}
    members: set[str] = set()
    for package in packages:
        if not isinstance(package, dict):
            continue
        name, version, source = package.get("name"), package.get("version"), package.get("source")
        kinds = set(source) if isinstance(source, dict) else set()
        if kinds & _MEMBER_SOURCES:
            assert isinstance(source, dict)
            folder = next((source[kind] for kind in _MEMBER_SOURCES if isinstance(source.get(kind), str)), ".")
            if folder not in (".", ""):
                members.add(folder.rstrip("/"))
            continue
        if not isinstance(name, str) or not isinstance(version, str):
            continue
        chosen = from_registry if "registry" in kinds else from_elsewhere
        chosen.setdefault(pypi_name(name), version)
    return UvLock(path, {**from_elsewhere, **from_registry}, members=tuple(sorted(members)))
