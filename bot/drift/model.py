"""The plain data of dependency drift: what a manifest declares, what a lockfile pins, what a
registry says is latest. No I/O here; parsers, registries and the stage all speak these types.
"""

from __future__ import annotations

import enum
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field


_PEP503_SEPARATORS = re.compile(r"[-_.]+")


def pypi_name(name: str) -> str:
    """A Python project name normalized as PEP 503 says (`Foo.Bar_baz` -> `foo-bar-baz`): how
    indexes, lockfiles and pip compare names. packaging's `canonicalize_name` does the same; this
    one spares an npm-only scan importing packaging (~10 ms of a CLI start)."""
    return _PEP503_SEPARATORS.sub("-", name).lower()


class Ecosystem(str, enum.Enum):
    NPM = "npm"
    PYPI = "pypi"


class ManifestError(Exception):
    """A manifest or lockfile that does not parse. Becomes a notice naming file and line; the
    rest of the scan goes on."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")
        self.path = path
        self.message = message
        self.line = line


@dataclass(frozen=True)
class Dependency:
    """One dependency as a manifest declares it.

    `key` is what identifies the declaration inside its manifest (the npm key, which for an alias
    `"v4": "npm:vitest@^4"` is `v4`; the normalised PEP 503 name for Python), so base and head can
    be compared; `name` is what the registry knows it as.
    """

    ecosystem: Ecosystem
    key: str
    name: str
    spec: str
    """The version spec as written, for the message: "^0.34.6", ">=2.0,<3", "" for none."""
    line: int
    """1-based line of the declaration in the manifest."""
    group: str
    """Where it is declared: "dependencies", "devDependencies", "project.dependencies",
    "project.optional-dependencies.docs", "dependency-groups.test", "tool.poetry.dependencies",
    "requirements", ..."""
    outside: str | None = None
    """Why the registry cannot answer for it (git, file:, link:, workspace:, URL, local path),
    or None for an ordinary registry dependency."""


@dataclass(frozen=True)
class Include:
    """A file a manifest pulls in: requirements `-r` (its dependencies are this manifest's too)
    or `-c` (a constraints file: it pins versions and declares nothing)."""

    target: str
    """As written, relative to the including file's folder."""
    line: int
    constraints: bool = False


@dataclass(frozen=True)
class Manifest:
    path: str
    ecosystem: Ecosystem
    dependencies: tuple[Dependency, ...]
    name: str | None = None
    """The package's own name (npm `name`, PEP 621 `project.name`, Poetry's `name`)."""
    name_line: int | None = None
    workspaces: tuple[str, ...] = ()
    """Workspace globs relative to the manifest's folder (npm/yarn `workspaces`)."""
    includes: tuple[Include, ...] = ()
    """Other files this one pulls in (requirements `-r`/`-c`)."""
    problems: tuple[ManifestError, ...] = ()
    """Entries that did not parse (a bad requirement line, a section that is not a table): the
    rest of the file is still read, and each problem becomes a notice with its own line."""


class Lockfile(ABC):
    """A parsed lockfile: the version it resolved a manifest's dependency to."""

    path: str
    ecosystem: Ecosystem

    @abstractmethod
    def resolve(self, importer: str, dependency: Dependency) -> str | None:
        """The locked version of `dependency` as declared by the manifest in folder `importer`
        (relative to the lockfile's folder, "" for the same folder), None if not locked."""

    def workspace_folders(self) -> tuple[str, ...]:
        """Folders (relative to the lockfile's) of the workspace packages it locks, where the
        format records them: a lockfile-only change re-checks their manifests too."""
        return ()


@dataclass(frozen=True)
class PackageInfo:
    """What a registry says about a package, reduced to what drift needs."""

    ecosystem: Ecosystem
    name: str
    latest: str | None
    """npm: dist-tags.latest; PyPI: highest version that is neither a pre-release nor yanked."""
    versions: tuple[str, ...] = ()
    """Every published version (PyPI: yanked ones excluded), for the lowest version a spec admits."""
    deprecated: frozenset[str] = field(default_factory=frozenset)


class PackageNotFound(Exception):
    """The registry answered and does not know the package (a notice, not an outage)."""


class RegistryUnavailable(Exception):
    """The registry is not configured, or did not answer after retries (a scanner state)."""
