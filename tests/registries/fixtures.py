"""Session-scoped pytest fixtures for the real registries (registered in tests/conftest.py).

Each server starts on first use, once per session, with fresh state in a temporary folder, and
is stopped at the end. `latency_proxy` makes per-test proxies in front of any of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from tests.registries.npm_registry import Verdaccio
from tests.registries.proxy import LatencyProxy
from tests.registries.pypi_index import PYPI_FIXTURES, YANKED, Devpi, PypiServer, build_fixture_dists
from tests.registries.simple_index import SimpleIndex, ThreadedServer

__all__ = [
    "NpmServer",
    "IndexServer",
    "npm_registry_server",
    "pypi_dists",
    "pypiserver_index",
    "devpi_index",
    "simple_index",
    "latency_proxy",
]

NPM_USER = ("tester", "correct-horse-battery")
PYPISERVER_USER = ("reader", "p@ss:w/rd%")
"""Characters that must be percent-encoded in a URL's userinfo, on purpose."""


@dataclass(frozen=True)
class NpmServer:
    url: str
    """The registry URL, ending in "/"."""
    token: str
    """A token of a user who may read `@private/*` and publish."""
    startup_seconds: float


@dataclass(frozen=True)
class IndexServer:
    url: str
    """The simple API root, ending in "/", without credentials."""
    startup_seconds: float
    username: str | None = None
    password: str | None = None

    @property
    def url_with_credentials(self) -> str:
        """As a user would put it in PIP_INDEX_URL."""
        if self.username is None:
            return self.url
        parts = urlsplit(self.url)
        userinfo = f"{quote(self.username, safe='')}:{quote(self.password or '', safe='')}"
        return parts._replace(netloc=f"{userinfo}@{parts.netloc}").geturl()


@pytest.fixture(scope="session")
def npm_registry_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NpmServer]:
    """Verdaccio seeded with tests.registries.npm_registry.NPM_FIXTURES."""
    verdaccio = Verdaccio(tmp_path_factory.mktemp("verdaccio")).start()
    try:
        token = verdaccio.add_user(*NPM_USER)
        verdaccio.seed(token)
        yield NpmServer(verdaccio.url, token, verdaccio.startup_seconds)
    finally:
        verdaccio.stop()


@pytest.fixture(scope="session")
def pypi_dists(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder of the fixture wheels and sdists (tests.registries.pypi_index.PYPI_FIXTURES)."""
    folder = tmp_path_factory.mktemp("dists")
    build_fixture_dists(folder)
    return folder


@pytest.fixture(scope="session")
def pypiserver_index(tmp_path_factory: pytest.TempPathFactory, pypi_dists: Path) -> Iterator[IndexServer]:
    """pypiserver (HTML only), every read behind basic auth with PYPISERVER_USER."""
    server = PypiServer(tmp_path_factory.mktemp("pypiserver"), pypi_dists, *PYPISERVER_USER).start()
    try:
        yield IndexServer(server.url, server.startup_seconds, *PYPISERVER_USER)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def devpi_index(tmp_path_factory: pytest.TempPathFactory, pypi_dists: Path) -> Iterator[IndexServer]:
    """devpi-server (PEP 691 JSON), anonymous reads, with every fixture pip could read."""
    devpi = Devpi(tmp_path_factory.mktemp("devpi")).start()
    try:
        for dist in PYPI_FIXTURES:
            if dist.kind != "junk":  # devpi refuses a file whose version does not parse
                devpi.upload(pypi_dists / dist.filename, dist.project, dist.version)
        yield IndexServer(devpi.url, devpi.startup_seconds)
    finally:
        devpi.stop()


@pytest.fixture(scope="session")
def simple_index(pypi_dists: Path) -> Iterator[tuple[IndexServer, IndexServer, IndexServer]]:
    """Our index with yanks, three roots over the same files: JSON API 1.1 (PEP 700
    `versions`), JSON API 1.0, and HTML only."""
    server = ThreadedServer(SimpleIndex(pypi_dists, YANKED).app).start()
    try:
        yield (
            IndexServer(f"{server.url}/simple/", server.startup_seconds),
            IndexServer(f"{server.url}/plain/", server.startup_seconds),
            IndexServer(f"{server.url}/html/", server.startup_seconds),
        )
    finally:
        server.stop()


@pytest.fixture
def latency_proxy() -> Iterator[Callable[..., LatencyProxy]]:
    """`latency_proxy(url, delay_s=0.0)` -> a started proxy to `url`'s host and port (point the
    client at `proxy.via(url)`); stopped after the test."""
    proxies: list[LatencyProxy] = []

    def start(url: str, delay_s: float = 0.0) -> LatencyProxy:
        parts = urlsplit(url)
        proxy = LatencyProxy(parts.hostname or "127.0.0.1", parts.port or 80, delay_s).start()
        proxies.append(proxy)
        return proxy

    yield start
    for proxy in proxies:
        proxy.stop()
