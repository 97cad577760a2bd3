"""poetry.lock: one [[package]] table per locked distribution, keyed here by PEP 503 name.

One poetry.lock serves one pyproject.toml (Poetry has no workspaces), so the importer does not
take part in the look-up. When a name is locked more than once (different markers or sources)
the first entry is kept.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass


from bot.drift.manifests.pyproject_toml import load_toml
from bot.drift.model import Dependency, Ecosystem, Lockfile, ManifestError, pypi_name

NAMES: tuple[str, ...] = ("poetry.lock",)
ECOSYSTEM = Ecosystem.PYPI
MANIFEST = "pyproject.toml"
"""The manifest this lockfile locks: it gives the current version to that file only."""


def matches(path: str) -> bool:
    return posixpath.basename(path) in NAMES


@dataclass(frozen=True)
class PoetryLock(Lockfile):
    path: str
    versions: Mapping[str, str]
    """PEP 503 name -> locked version."""
    ecosystem: Ecosystem = Ecosystem.PYPI

    def resolve(self, importer: str, dependency: Dependency) -> str | None:
        return self.versions.get(pypi_name(dependency.name))


def parse(path: str, text: str) -> PoetryLock:
    packages = load_toml(path, text).get("package", [])
    if not isinstance(packages, list):
        raise ManifestError(path, "[[package]] is not an array of tables", None)
    versions: dict[str, str] = {}
    for package in packages:
        if not isinstance(package, dict):
            continue
        name, version = package.get("name"), package.get("version")
        if isinstance(name, str) and isinstance(version, str):
            versions.setdefault(pypi_name(name), version)
    return PoetryLock(path, versions)
