"""Lockfile parsers, one module per file format, chosen by file name.

Each format module is pure and exposes `NAMES` (its file names), `ECOSYSTEM`, `MANIFEST` (the
manifest file name it locks), `matches(path)`
and `parse(path, text) -> Lockfile`; adding a format is adding a module and a line in FORMATS.
"""

from __future__ import annotations

from typing import Protocol

from bot.drift.lockfiles import package_lock, pnpm_lock, poetry_lock, uv_lock, yarn_lock
from bot.drift.model import Ecosystem, Lockfile


class LockfileFormat(Protocol):
    @property
    def NAMES(self) -> tuple[str, ...]: ...  # noqa: N802 - a module constant

    @property
    def ECOSYSTEM(self) -> Ecosystem: ...  # noqa: N802 - a module constant

    @property
    def MANIFEST(self) -> str: ...  # noqa: N802 - a module constant

    def matches(self, path: str) -> bool: ...

    def parse(self, path: str, text: str) -> Lockfile: ...


FORMATS: tuple[LockfileFormat, ...] = (package_lock, pnpm_lock, yarn_lock, poetry_lock, uv_lock)


def _names_by_manifest() -> dict[str, tuple[str, ...]]:
    names: dict[str, tuple[str, ...]] = {}
    for lockfile_format in FORMATS:
        names[lockfile_format.MANIFEST] = names.get(lockfile_format.MANIFEST, ()) + lockfile_format.NAMES
    return names


LOCKFILE_NAMES: dict[str, tuple[str, ...]] = _names_by_manifest()
"""By manifest file name, the lockfiles that lock it, to look for beside it (first found wins).
A requirements file has none: poetry.lock and uv.lock lock pyproject.toml, not it."""


def format_for(path: str) -> LockfileFormat | None:
    for lockfile_format in FORMATS:
        if lockfile_format.matches(path):
            return lockfile_format
    return None


def is_lockfile(path: str) -> bool:
    return format_for(path) is not None


def parse_lockfile(path: str, text: str) -> Lockfile:
    """Raises ManifestError for a file that does not parse, ValueError for a path no format
    reads."""
    lockfile_format = format_for(path)
    if lockfile_format is None:
        raise ValueError(f"not a lockfile: {path}")
    return lockfile_format.parse(path, text)
