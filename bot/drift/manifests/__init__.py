"""Manifest parsers, one module per file format, chosen by file name.

Each format module is pure (text in, Manifest out) and exposes `matches(path) -> bool` and
`parse(path, text) -> Manifest`; adding a format is adding a module and a line in FORMATS.
"""

from __future__ import annotations

from typing import Protocol

from bot.drift.manifests import package_json, pyproject_toml, requirements_txt
from bot.drift.model import Manifest


class ManifestFormat(Protocol):
    def matches(self, path: str) -> bool: ...

    def parse(self, path: str, text: str) -> Manifest: ...


FORMATS: tuple[ManifestFormat, ...] = (package_json, pyproject_toml, requirements_txt)


def format_for(path: str) -> ManifestFormat | None:
    """The format that reads `path` (repo-relative, "/"-separated), None if none does."""
    for manifest_format in FORMATS:
        if manifest_format.matches(path):
            return manifest_format
    return None


def is_manifest(path: str) -> bool:
    return format_for(path) is not None


def parse_manifest(path: str, text: str) -> Manifest:
    """Raises ManifestError for a file that does not parse, ValueError for a path no format
    reads (callers ask is_manifest first: that is a bug, not a notice)."""
    manifest_format = format_for(path)
    if manifest_format is None:
        raise ValueError(f"not a manifest: {path}")
    return manifest_format.parse(path, text)


def parse_included(including: str, path: str, text: str) -> Manifest:
    """`path`, a file the manifest `including` pulls in (requirements `-r`), read in the
    including file's format whatever its own name (base.txt, dev.in)."""
    manifest_format = format_for(including)
    if manifest_format is None:
        raise ValueError(f"not a manifest: {including}")
    return manifest_format.parse(path, text)
