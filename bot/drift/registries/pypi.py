"""Python package indexes through the simple repository API, as pip reads them.

One request per project, negotiating the format: PEP 691 JSON where the index speaks it
(devpi, PyPI, most proxies), the PEP 503 HTML page otherwise (pypiserver, static mirrors).
Versions come from the PEP 700 `versions` list when the index sends one, else from the file
names (wheels and sdists, parsed as pip does). A version is yanked (PEP 592) only when every
one of its files is, and the latest is the highest version that is neither a pre-release, a
development release nor yanked.

The index comes from `PIP_INDEX_URL`; credentials in its userinfo are sent as basic auth and
stripped from the URL that is shown, logged and used as a cache key.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit, urlunsplit

import orjson

from bot.drift.model import Ecosystem, PackageInfo, PackageNotFound, pypi_name
from bot.drift.registries.base import Registry, UnreadableAnswer

if TYPE_CHECKING:
    from packaging.version import Version

log = logging.getLogger(__name__)

SIMPLE_ACCEPT = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.2, text/html; q=0.01"
"""pip's Accept header: JSON preferred, HTML accepted, so one request serves either kind of index."""
JSON_TYPES = ("application/vnd.pypi.simple.v1+json", "application/vnd.pypi.simple.latest+json", "application/json")
HTML_TYPES = ("text/html", "application/vnd.pypi.simple.v1+html", "application/vnd.pypi.simple.latest+html")
MAX_FILES = 100_000
"""The largest projects have some tens of thousands of files; more means a broken or hostile page."""
SDIST_SUFFIXES = (".tar.gz", ".zip")
"""The sdist formats pip installs (PEP 625 keeps .tar.gz; .zip is legacy)."""

_PROJECT_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
"""PEP 508 names."""


@dataclass(frozen=True)
class DistFile:
    filename: str
    yanked: bool = False


class PyPIRegistry(Registry):
    ecosystem = Ecosystem.PYPI
    label = "PyPI index"

    def __init__(self, index_url: str, *, username: str | None = None, password: str | None = None, **options: Any) -> None:
        """`index_url` is the simple API root (".../simple/"); credentials go apart from it."""
        super().__init__(**options)
        self._index = index_url if index_url.endswith("/") else index_url + "/"
        self._authorization: str | None = None
        if username is not None:
            pair = f"{username}:{password or ''}".encode()
            self._authorization = "Basic " + base64.b64encode(pair).decode("ascii")

    def __repr__(self) -> str:
        return f"PyPIRegistry({self._index!r}, auth={'yes' if self._authorization else 'no'})"

    @property
    def url(self) -> str:
        return self._index

    def package_url(self, name: str) -> str:
        if not _PROJECT_NAME.match(name):
            raise PackageNotFound(f"{name!r} is not a Python project name")
        return f"{self._index}{pypi_name(name)}/"

    def request_headers(self, url: str) -> dict[str, str]:
        headers = {"Accept": SIMPLE_ACCEPT}
        if self._authorization is not None:
            headers["Authorization"] = self._authorization
        return headers

    def parse(self, name: str, content_type: str, body: bytes) -> PackageInfo:
        kind = content_type.split(";", 1)[0].strip().lower()
        if kind in JSON_TYPES or (kind not in HTML_TYPES and body.lstrip()[:1] == b"{"):
            try:
                document = orjson.loads(body)
            except orjson.JSONDecodeError:
                raise UnreadableAnswer("not JSON") from None
            return parse_simple_json(name, document)
        return parse_simple_html(name, body.decode("utf-8", errors="replace"))


def pypi_registry_from_env(env: Mapping[str, str], **options: Any) -> PyPIRegistry | None:
    """The index pip would use (`PIP_INDEX_URL`), or None when it is not set.
    `options` go to `Registry` (cache, freshness, retry, concurrency)."""
    configured = env.get("PIP_INDEX_URL") or env.get("pip_index_url")
    if not configured:
        return None
    parts = urlsplit(configured.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        log.warning("PIP_INDEX_URL is not an http(s) URL: PyPI lookups are off")
        return None
    index, username, password = split_credentials(configured.strip())
    return PyPIRegistry(index, username=username, password=password, **options)


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """`https://user:p%40ss@host/simple` -> (`https://host/simple/`, "user", "p@ss")."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    clean = urlunsplit((parts.scheme, host, path, "", ""))
    username = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return clean, username, password


# -- reading answers (pure) -------------------------------------------------------------------


def parse_simple_json(name: str, document: Any) -> PackageInfo:
    """A PEP 691 project page (with PEP 700's `versions` when present)."""
    if not isinstance(document, dict) or not isinstance(document.get("files", []), list):
        raise UnreadableAnswer("not a PEP 691 project page")
    api_version = str((document.get("meta") or {}).get("api-version", "1.0"))
    if api_version.split(".", 1)[0] != "1":
        raise UnreadableAnswer(f"simple API version {api_version} is not supported")
    raw_files = document.get("files", [])
    if len(raw_files) > MAX_FILES:
        raise UnreadableAnswer(f"more than {MAX_FILES} files")
    files = [
        DistFile(str(item["filename"]), bool(item.get("yanked")))
        for item in raw_files
        if isinstance(item, dict) and isinstance(item.get("filename"), str)
    ]
    listed = document.get("versions")
    return summarize(name, files, [str(v) for v in listed] if isinstance(listed, list) else None)


def parse_simple_html(name: str, text: str) -> PackageInfo:
    """A PEP 503 project page, `data-yanked` (PEP 592) included."""
    parser = _LinkParser()
    parser.feed(text)
    parser.close()
    return summarize(name, parser.files, None)


def summarize(name: str, files: Iterable[DistFile], listed: Iterable[str] | None) -> PackageInfo:
    """Versions, yanks and latest from a project's files (and PEP 700 list, when given)."""
    project = pypi_name(name)
    yank_flags: dict[Version, list[bool]] = {}
    for file in files:
        version = version_of(file.filename, project)
        if version is not None:
            yank_flags.setdefault(version, []).append(file.yanked)
    if listed is not None:
        versions = {v for v in (_version(text) for text in listed) if v is not None}
    else:
        versions = set(yank_flags)
    available = sorted(v for v in versions if not (yank_flags.get(v) and all(yank_flags[v])))
    stable = [v for v in available if not v.is_prerelease and not v.is_devrelease]
    return PackageInfo(
        ecosystem=Ecosystem.PYPI,
        name=name,
        latest=str(stable[-1]) if stable else None,
        versions=tuple(str(v) for v in available),
    )


def version_of(filename: str, project: str) -> Version | None:
    """The version in a wheel or sdist file name of `project` (canonical name), as pip reads
    it; None for other files and names that do not parse. (packaging is imported where
    answers are read: a scan with no Python manifest never loads it.)"""
    from packaging.utils import InvalidSdistFilename, InvalidWheelFilename, parse_sdist_filename, parse_wheel_filename
    from packaging.version import InvalidVersion

    try:
        if filename.endswith(".whl"):
            wheel_name, version, _, _ = parse_wheel_filename(filename)
            return version if wheel_name == project else None
        if filename.endswith(SDIST_SUFFIXES):
            try:
                sdist_name, version = parse_sdist_filename(filename)
            except InvalidSdistFilename:
                return _legacy_sdist_version(filename, project)
            return version if sdist_name == project else _legacy_sdist_version(filename, project)
    except (InvalidWheelFilename, InvalidVersion):
        return None
    return None


def _legacy_sdist_version(filename: str, project: str) -> Version | None:
    """pip's rule for old sdists whose version holds a dash: the name part is the longest
    prefix, up to a dash, that is the project's name."""
    stem = next(filename[: -len(s)] for s in SDIST_SUFFIXES if filename.endswith(s))
    for index, char in enumerate(stem):
        if char == "-" and pypi_name(stem[:index]) == project:
            return _version(stem[index + 1 :])
    return None


def _version(text: str) -> Version | None:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text)
    except InvalidVersion:
        return None


class _LinkParser(HTMLParser):
    """Anchors of a simple page: the file name is the last path segment of `href`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.files: list[DistFile] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "a":
            return
        attributes = dict(attrs)
        href = attributes.get("href")
        if not href:
            return
        filename = unquote(urlsplit(href).path.rsplit("/", 1)[-1])
        if not filename:
            return
        if len(self.files) >= MAX_FILES:
            raise UnreadableAnswer(f"more than {MAX_FILES} files")
        self.files.append(DistFile(filename, "data-yanked" in attributes))
