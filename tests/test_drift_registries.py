"""Registry clients against real registries on 127.0.0.1 (tests/registries/): Verdaccio for npm,
pypiserver (HTML), devpi (PEP 691 JSON) and our small index (yanks, PEP 700, ETags), with a
proxy in between wherever a test counts requests or needs latency and outages."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from bot.drift.cache import CacheEntry, CacheKey, DiskCache, Freshness, MemoryCache, TieredCache
from bot.drift.model import Ecosystem, PackageInfo, PackageNotFound, RegistryUnavailable
from bot.drift.registries.base import RetryBudget, UnreadableAnswer, retry_delay
from bot.drift.registries.npm import (
    NPM_ACCEPT,
    NpmRegistry,
    npm_config_from_env,
    npm_registry_from_env,
    parse_packument,
    read_npmrc,
)
from bot.drift.registries.pypi import (
    SIMPLE_ACCEPT,
    PyPIRegistry,
    parse_simple_html,
    parse_simple_json,
    pypi_registry_from_env,
)
from tests.registries.fixtures import IndexServer, NpmServer
from tests.registries.proxy import LatencyProxy

T = TypeVar("T")
ProxyFactory = Callable[..., LatencyProxy]

FAST = RetryBudget(attempts=3, total_seconds=1.5, connect_timeout=0.5, read_timeout=0.5, base_delay=0.05, max_delay=0.2)
"""A small budget so outage tests take about a second and a half."""
SLACK = 1.0
"""Scheduling allowance on top of a budget, for a loaded CI machine."""


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


class Clock:
    """Wall clock the tests move forward, to age cache entries without sleeping."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def npm(url: str, home: Path, **options: Any) -> NpmRegistry:
    registry = npm_registry_from_env({"NPM_CONFIG_REGISTRY": url, "HOME": str(home)}, **options)
    assert registry is not None
    return registry


def pypi(url: str, **options: Any) -> PyPIRegistry:
    registry = pypi_registry_from_env({"PIP_INDEX_URL": url}, **options)
    assert registry is not None
    return registry


# ----------------------------------------------------------------------------- npm (Verdaccio)


def test_npm_latest_is_the_latest_dist_tag_not_a_prerelease(npm_registry_server: NpmServer, tmp_path: Path) -> None:
    info = run(npm(npm_registry_server.url, tmp_path).package("vitest"))
    assert info == PackageInfo(
        Ecosystem.NPM, "vitest", "4.0.18", ("0.34.6", "1.6.1", "2.1.9", "3.2.4", "4.0.18", "5.0.0-beta.1"), frozenset()
    )


def test_npm_scoped_names_are_encoded_as_npm_sends_them(
    npm_registry_server: NpmServer, tmp_path: Path, latency_proxy: ProxyFactory
) -> None:
    proxy = latency_proxy(npm_registry_server.url)
    info = run(npm(proxy.via(npm_registry_server.url), tmp_path).package("@types/node"))
    assert (info.latest, info.versions) == ("25.2.3", ("20.19.9", "22.15.29", "25.2.3"))
    [exchange] = proxy.exchanges
    assert (exchange.target, exchange.status) == ("/@types%2fnode", 200)
    assert exchange.headers["accept"] == NPM_ACCEPT


def test_npm_deprecated_versions(npm_registry_server: NpmServer, tmp_path: Path) -> None:
    answers = run(npm(npm_registry_server.url, tmp_path).packages(["left-pad", "@acme/widgets", "next"]))
    assert answers["left-pad"] == PackageInfo(
        Ecosystem.NPM, "left-pad", "1.3.0", ("1.0.0", "1.1.3", "1.3.0"), frozenset({"1.0.0", "1.1.3"})
    )
    # @acme/widgets 1.0.0 was published by the real `npm publish`, the later versions over HTTP
    assert answers["@acme/widgets"] == PackageInfo(
        Ecosystem.NPM, "@acme/widgets", "2.0.0", ("1.0.0", "1.1.0", "2.0.0"), frozenset({"1.0.0"})
    )
    assert answers["next"] == PackageInfo(Ecosystem.NPM, "next", "16.1.6", ("14.2.35", "15.5.9", "16.1.6"))


def test_npm_unknown_package_is_not_found(
    npm_registry_server: NpmServer, tmp_path: Path, latency_proxy: ProxyFactory
) -> None:
    proxy = latency_proxy(npm_registry_server.url)
    registry = npm(proxy.via(npm_registry_server.url), tmp_path)
    answers = run(registry.packages(["no-such-package-here", "@acme/no-such-thing", "../../etc/passwd", "vitest"]))
    for name in ("no-such-package-here", "@acme/no-such-thing"):
        assert isinstance(answers[name], PackageNotFound)
        assert str(answers[name]) == f"{name} not found in npm registry"
    assert isinstance(answers["../../etc/passwd"], PackageNotFound)
    assert isinstance(answers["vitest"], PackageInfo)
    assert sorted(e.status or 0 for e in proxy.exchanges) == [200, 404, 404]  # no request for the bad name


def test_npm_token_from_npmrc_is_sent_as_bearer(
    npm_registry_server: NpmServer, tmp_path: Path, latency_proxy: ProxyFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = npm_registry_server.token
    proxy = latency_proxy(npm_registry_server.url)
    project = tmp_path / "repo"
    project.mkdir()
    (project / ".npmrc").write_text(
        f"registry={proxy.url}/\n//{proxy.host}:{proxy.port}/:_authToken=${{NPM_TOKEN}}\n"
    )
    registry = npm_registry_from_env({"HOME": str(tmp_path), "NPM_TOKEN": token}, [project / ".npmrc"])
    assert registry is not None and token not in repr(registry)

    info = run(registry.package("@private/secret-sauce"))
    assert (info.latest, info.versions) == ("2.0.0", ("1.0.0", "2.0.0"))
    assert proxy.exchanges[-1].headers["authorization"] == f"Bearer {token}"

    anonymous = npm(proxy.via(npm_registry_server.url), tmp_path)
    with pytest.raises(RegistryUnavailable) as refused:
        run(anonymous.package("@private/secret-sauce"))
    assert "refused (HTTP 401)" in str(refused.value)
    assert "authorization" not in proxy.exchanges[-1].headers
    assert token not in caplog.text


def test_npm_keeps_connections_alive(npm_registry_server: NpmServer, tmp_path: Path, latency_proxy: ProxyFactory) -> None:
    proxy = latency_proxy(npm_registry_server.url)
    registry = npm(proxy.via(npm_registry_server.url), tmp_path, cache=MemoryCache(max_entries=0))

    async def one_by_one() -> None:
        for name in ("vitest", "next", "left-pad", "@types/node", "@acme/widgets"):
            await registry.package(name)
        await registry.aclose()

    run(one_by_one())
    assert proxy.count("GET", 200) == 5
    assert proxy.connections == 1


# ----------------------------------------------------------------------------- npm configuration


def test_npm_not_configured_is_none(tmp_path: Path) -> None:
    assert npm_registry_from_env({"HOME": str(tmp_path)}) is None
    assert npm_registry_from_env({}) is None
    (tmp_path / ".npmrc").write_text("//127.0.0.1:9/:_authToken=abc\n")  # a token alone names no registry
    assert npm_registry_from_env({"HOME": str(tmp_path)}) is None


def test_npm_registry_setting_precedence(tmp_path: Path) -> None:
    home, project = tmp_path / "home", tmp_path / "project"
    home.mkdir()
    project.mkdir()
    (home / ".npmrc").write_text("registry=http://127.0.0.1:1/home\n")
    (project / ".npmrc").write_text("registry = http://127.0.0.1:2/project/\n")
    env = {"HOME": str(home)}
    assert npm_registry_from_env(env).url == "http://127.0.0.1:1/home/"  # type: ignore[union-attr]
    assert npm_registry_from_env(env, [project / ".npmrc"]).url == "http://127.0.0.1:2/project/"  # type: ignore[union-attr]
    for name in ("NPM_CONFIG_REGISTRY", "npm_config_registry"):
        configured = npm_registry_from_env({**env, name: "http://127.0.0.1:3"}, [project / ".npmrc"])
        assert configured is not None and configured.url == "http://127.0.0.1:3/"
    userconfig = tmp_path / "custom-npmrc"
    userconfig.write_text("registry=http://127.0.0.1:4/\n")
    assert npm_registry_from_env({**env, "npm_config_userconfig": str(userconfig)}).url == "http://127.0.0.1:4/"  # type: ignore[union-attr]


def test_npmrc_credentials_and_scopes(tmp_path: Path) -> None:
    rc = tmp_path / ".npmrc"
    rc.write_text(
        textwrap.dedent(
            """\
            ; comment
            registry=http://127.0.0.1:7/npm/default/
            @acme:registry=http://127.0.0.1:8/
            //127.0.0.1:7/:_authToken=${TOKEN_A}
            //127.0.0.1:8/:username=ci
            //127.0.0.1:8/:_password=c2VjcmV0
            //127.0.0.1:9/:_authToken=${UNSET_VARIABLE}
            """
        )
    )
    config = npm_config_from_env({"TOKEN_A": "tok-a"}, [rc])
    assert config is not None
    registry = NpmRegistry(config)
    # the host-level token covers a registry below it (npm walks the path up)
    assert registry.request_headers(registry.package_url("vitest"))["Authorization"] == "Bearer tok-a"
    assert registry.package_url("@acme/widgets") == "http://127.0.0.1:8/@acme%2fwidgets"
    assert registry.request_headers(registry.package_url("@acme/widgets"))["Authorization"] == "Basic Y2k6c2VjcmV0"
    assert "//127.0.0.1:9/" not in config.credentials
    assert "tok-a" not in repr(config) and "tok-a" not in repr(registry)

    # npm still accepts credentials in the registry URL: basic auth, and a URL without them
    with_userinfo = npm_registry_from_env({"npm_config_registry": "http://ci:p%40ss@127.0.0.1:6/npm"})
    assert with_userinfo is not None and with_userinfo.url == "http://127.0.0.1:6/npm/"
    assert with_userinfo.request_headers(with_userinfo.package_url("x"))["Authorization"] == "Basic Y2k6cEBzcw=="


def test_read_npmrc_expands_environment() -> None:
    text = 'a=${X}\nb="${X}-quoted"\nc=\\${X}\nd=${MISSING?}\ne=${MISSING}\n[section]\n'
    assert read_npmrc(text, {"X": "1"}) == {"a": "1", "b": "1-quoted", "c": "${X}", "d": ""}


# ----------------------------------------------------------------------------- PyPI indexes

DEMO_WITHOUT_YANKS = PackageInfo(
    Ecosystem.PYPI, "demo-lib", "2.1.0", ("1.0.0", "1.5.0", "2.0.0", "2.1.0", "3.0.0rc1", "3.1.0.dev1")
)
DEMO_WITH_YANKS = PackageInfo(Ecosystem.PYPI, "demo-lib", "2.0.0", ("1.0.0", "1.5.0", "2.0.0", "3.0.0rc1", "3.1.0.dev1"))


def test_pypi_html_index_with_basic_auth(pypiserver_index: IndexServer) -> None:
    """pypiserver speaks HTML only; the credentials ride in PIP_INDEX_URL, percent-encoded."""
    registry = pypi(pypiserver_index.url_with_credentials)
    assert registry.url == pypiserver_index.url
    assert pypiserver_index.password and pypiserver_index.password not in repr(registry)
    # 3.0.0rc1 and 3.1.0.dev1 are newer but not latest; demo_lib-latest.tar.gz is skipped
    assert run(registry.package("demo-lib")) == DEMO_WITHOUT_YANKS


def test_pypi_wrong_credentials_are_refused_without_echoing_them(pypiserver_index: IndexServer) -> None:
    wrong = IndexServer(pypiserver_index.url, 0.0, "reader", "not-the-password")
    with pytest.raises(RegistryUnavailable) as refused:
        run(pypi(wrong.url_with_credentials).package("demo-lib"))
    assert "refused (HTTP 403)" in str(refused.value)  # pypiserver: 401 without credentials, 403 with wrong ones
    assert "not-the-password" not in str(refused.value)
    with pytest.raises(RegistryUnavailable, match=r"refused \(HTTP 401\)"):
        run(pypi(pypiserver_index.url).package("demo-lib"))


def test_pypi_json_and_html_indexes_agree(pypiserver_index: IndexServer, devpi_index: IndexServer) -> None:
    answer = httpx.get(devpi_index.url + "demo-lib/", headers={"Accept": SIMPLE_ACCEPT})
    assert answer.headers["content-type"].startswith("application/vnd.pypi.simple.v1+json")
    names = ["demo-lib", "Friendly.Bard", "partly-yanked", "no-such-project"]
    from_html = run(pypi(pypiserver_index.url_with_credentials).packages(names))
    from_json = run(pypi(devpi_index.url).packages(names))
    assert from_json["demo-lib"] == from_html["demo-lib"] == DEMO_WITHOUT_YANKS
    assert from_json["Friendly.Bard"] == from_html["Friendly.Bard"] == PackageInfo(
        Ecosystem.PYPI, "Friendly.Bard", "1.0.0", ("0.9", "1.0.0")
    )
    assert from_json["partly-yanked"] == from_html["partly-yanked"]
    assert isinstance(from_json["no-such-project"], PackageNotFound)
    assert isinstance(from_html["no-such-project"], PackageNotFound)
    assert str(from_json["no-such-project"]) == "no-such-project not found in PyPI index"


def test_pypi_yanked_versions_are_excluded_in_json_and_html(
    simple_index: tuple[IndexServer, IndexServer, IndexServer],
) -> None:
    """Only our index can mark yanks (pypiserver has no PEP 592, devpi none on private indexes)."""
    answers = [run(pypi(root.url).packages(["demo-lib", "partly-yanked"])) for root in simple_index]
    for answer in answers:  # PEP 700 `versions`, JSON from file names, HTML with data-yanked
        assert answer["demo-lib"] == DEMO_WITH_YANKS
        # 1.0.0 has a yanked sdist but a wheel that is not: not yanked; 1.1.0 is
        assert answer["partly-yanked"] == PackageInfo(Ecosystem.PYPI, "partly-yanked", "1.0.0", ("1.0.0",))


def test_pypi_names_are_normalized_in_the_url(
    simple_index: tuple[IndexServer, IndexServer, IndexServer], latency_proxy: ProxyFactory
) -> None:
    root = simple_index[0]
    proxy = latency_proxy(root.url)
    registry = pypi(proxy.via(root.url), cache=MemoryCache(max_entries=0))
    for spelling in ("Friendly_Bard", "friendly.bard", "FRIENDLY-BARD"):
        info = run(registry.package(spelling))
        assert (info.name, info.latest, info.versions) == (spelling, "1.0.0", ("0.9", "1.0.0"))
    assert {e.target for e in proxy.exchanges} == {"/simple/friendly-bard/"}
    with pytest.raises(PackageNotFound):
        run(registry.package("not a name!"))


def test_pypi_not_configured_is_none() -> None:
    assert pypi_registry_from_env({}) is None
    assert pypi_registry_from_env({"PIP_INDEX_URL": ""}) is None
    assert pypi_registry_from_env({"PIP_INDEX_URL": "file:///srv/simple"}) is None
    lower = pypi_registry_from_env({"pip_index_url": "http://127.0.0.1:5/simple"})
    assert lower is not None and lower.url == "http://127.0.0.1:5/simple/"


# ----------------------------------------------------------------------------- caching


def test_fresh_answer_makes_no_request(npm_registry_server: NpmServer, tmp_path: Path, latency_proxy: ProxyFactory) -> None:
    proxy = latency_proxy(npm_registry_server.url)
    registry = npm(proxy.via(npm_registry_server.url), tmp_path)
    first = run(registry.package("vitest"))
    second = run(registry.package("vitest"))
    assert first == second
    assert proxy.count() == 1


def test_stale_npm_answer_is_revalidated_with_etag(
    npm_registry_server: NpmServer, tmp_path: Path, latency_proxy: ProxyFactory
) -> None:
    clock = Clock()
    proxy = latency_proxy(npm_registry_server.url)
    registry = npm(proxy.via(npm_registry_server.url), tmp_path, clock=clock, freshness=Freshness(ttl=60))
    first = run(registry.package("next"))
    clock.now += 61
    assert run(registry.package("next")) == first
    revalidation = proxy.exchanges[-1]
    assert revalidation.status == 304 and "if-none-match" in revalidation.headers
    clock.now += 30  # the 304 made the answer fresh again
    run(registry.package("next"))
    assert [e.status for e in proxy.exchanges] == [200, 304]


def test_stale_pypi_answer_is_revalidated_with_etag(
    simple_index: tuple[IndexServer, IndexServer, IndexServer], latency_proxy: ProxyFactory
) -> None:
    clock = Clock()
    root = simple_index[0]
    proxy = latency_proxy(root.url)
    registry = pypi(proxy.via(root.url), clock=clock)
    first = run(registry.package("demo-lib"))
    clock.now += 3601  # the default TTL is an hour
    assert run(registry.package("demo-lib")) == first
    assert [e.status for e in proxy.exchanges] == [200, 304]
    assert proxy.exchanges[1].headers["if-modified-since"]


def test_not_found_is_cached_briefly(npm_registry_server: NpmServer, tmp_path: Path, latency_proxy: ProxyFactory) -> None:
    clock = Clock()
    proxy = latency_proxy(npm_registry_server.url)
    registry = npm(proxy.via(npm_registry_server.url), tmp_path, clock=clock)
    for _ in range(2):
        with pytest.raises(PackageNotFound):
            run(registry.package("not-published-yet"))
    assert proxy.count() == 1
    clock.now += 601
    with pytest.raises(PackageNotFound):
        run(registry.package("not-published-yet"))
    assert proxy.count() == 2


def test_disk_cache_survives_a_new_process(
    npm_registry_server: NpmServer, tmp_path: Path, latency_proxy: ProxyFactory
) -> None:
    proxy = latency_proxy(npm_registry_server.url)
    url = proxy.via(npm_registry_server.url)
    data_dir = tmp_path / "data"
    child = textwrap.dedent(
        f"""
        import asyncio, json
        from bot.drift.cache import DiskCache
        from bot.drift.registries.npm import npm_registry_from_env
        registry = npm_registry_from_env({{"NPM_CONFIG_REGISTRY": {url!r}}}, cache=DiskCache({str(data_dir)!r}))
        info = asyncio.run(registry.package("@types/node"))
        print(json.dumps([info.latest, list(info.versions)]))
        """
    )
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(out.stdout) == ["25.2.3", ["20.19.9", "22.15.29", "25.2.3"]]
    assert proxy.count() == 1

    cache = TieredCache(MemoryCache(), DiskCache(data_dir))
    info = run(npm(url, tmp_path, cache=cache).package("@types/node"))
    assert (info.latest, info.versions) == ("25.2.3", ("20.19.9", "22.15.29", "25.2.3"))
    assert proxy.count() == 1  # answered from the other process's file
    assert len(cache.memory) == 1  # type: ignore[arg-type]
    assert len(DiskCache(data_dir)) == 1


def test_cache_keys_name_the_registry_and_never_the_token(
    npm_registry_server: NpmServer, tmp_path: Path, latency_proxy: ProxyFactory
) -> None:
    token = npm_registry_server.token
    (tmp_path / ".npmrc").write_text(f"{npm_registry_server.url.removeprefix('http:')}:_authToken={token}\n")
    disk = DiskCache(tmp_path / "data")
    registry = npm(npm_registry_server.url, tmp_path, cache=disk)
    run(registry.package("@private/secret-sauce"))
    assert len(disk) == 1
    stored = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("registry-cache.sqlite3*"))  # the WAL too
    assert token.encode() not in stored and npm_registry_server.url.encode() in stored

    proxy = latency_proxy(npm_registry_server.url)  # another URL: another registry, its own entries
    other = npm(proxy.via(npm_registry_server.url), tmp_path, cache=disk)
    with pytest.raises(RegistryUnavailable):  # no token for the proxy's host:port
        run(other.package("@private/secret-sauce"))
    assert proxy.count() == 1


def test_disk_cache_is_bounded_and_tolerates_bad_entries_and_files(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache = DiskCache(tmp_path, max_entries=10)
    info = PackageInfo(Ecosystem.PYPI, "x", "1.0", ("1.0",))

    async def fill() -> None:
        for index in range(25):
            await cache.put(CacheKey(Ecosystem.PYPI, f"http://127.0.0.1:1/simple/p{index}/"), CacheEntry(info, 1.0))

    run(fill())
    assert 0 < len(cache) <= 10
    newest, oldest = (CacheKey(Ecosystem.PYPI, f"http://127.0.0.1:1/simple/p{i}/") for i in (24, 0))
    assert run(cache.get(newest)) == CacheEntry(info, 1.0)
    assert run(cache.get(oldest)) is None  # pruned first
    assert run(cache.get_many([newest, oldest])) == {newest: CacheEntry(info, 1.0)}

    with sqlite3.connect(cache.path) as db:  # one damaged row: a miss, and the others still read
        db.execute("UPDATE entries SET data = '{not json' WHERE url = ?", (newest.url,))
    db.close()
    assert run(DiskCache(tmp_path).get(newest)) is None
    assert "unreadable entry" in caplog.text

    cache.path.write_bytes(b"not a database at all" * 100)  # a damaged file: set aside, a new one
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"{DiskCache.FILE_NAME}{suffix}").unlink(missing_ok=True)
    fresh = DiskCache(tmp_path)
    assert run(fresh.get(newest)) is None
    run(fresh.put(newest, CacheEntry(info, 2.0)))
    assert run(DiskCache(tmp_path).get(newest)) == CacheEntry(info, 2.0)
    assert (tmp_path / f"{DiskCache.FILE_NAME}.unreadable").exists()


def test_a_failing_cache_is_only_a_miss(npm_registry_server: NpmServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the data directory should be")
    registry = npm(npm_registry_server.url, tmp_path, cache=DiskCache(blocked))
    assert run(registry.package("vitest")).latest == "4.0.18"
    assert "cache write failed (FileExistsError)" in caplog.text


# ----------------------------------------------------------------------------- outages


def test_hanging_registry_is_unavailable_within_the_budget(
    npm_registry_server: NpmServer, tmp_path: Path, latency_proxy: ProxyFactory
) -> None:
    proxy = latency_proxy(npm_registry_server.url)
    proxy.mode = "hang"
    registry = npm(proxy.via(npm_registry_server.url), tmp_path, retry=FAST)
    began = time.monotonic()
    with pytest.raises(RegistryUnavailable) as down:
        run(registry.package("vitest"))
    assert time.monotonic() - began < FAST.total_seconds + SLACK
    assert str(down.value).startswith("npm registry: unavailable (timed out after")


def test_outage_fails_the_other_lookups_fast(
    npm_registry_server: NpmServer, tmp_path: Path, latency_proxy: ProxyFactory
) -> None:
    clock = Clock()
    cache = MemoryCache()
    proxy = latency_proxy(npm_registry_server.url)
    registry = npm(proxy.via(npm_registry_server.url), tmp_path, retry=FAST, concurrency=4, cache=cache, clock=clock)
    vitest = run(registry.package("vitest"))
    clock.now += 7200  # stale: would be revalidated, but may stand in while the registry is down
    proxy.mode = "hang"
    names = ["vitest", *(f"package-{index}" for index in range(40))]
    began = time.monotonic()
    answers = run(registry.packages(names))
    elapsed = time.monotonic() - began
    assert elapsed < FAST.total_seconds + SLACK  # not 40 / 4 budgets
    assert answers["vitest"] == vitest
    down = [a for a in answers.values() if isinstance(a, RegistryUnavailable)]
    assert len(down) == 40
    assert all(str(a).startswith("npm registry: unavailable") for a in down)


def test_server_errors_and_rate_limits_are_retried(
    npm_registry_server: NpmServer, tmp_path: Path, latency_proxy: ProxyFactory
) -> None:
    proxy = latency_proxy(npm_registry_server.url)
    registry = npm(proxy.via(npm_registry_server.url), tmp_path, retry=FAST, cache=MemoryCache(max_entries=0))
    proxy.fail_next(1, 503)
    proxy.fail_next(1, 429, {"Retry-After": "0"})
    assert run(registry.package("vitest")).latest == "4.0.18"
    assert [e.status for e in proxy.exchanges] == [503, 429, 200]

    proxy.clear()
    proxy.fail_next(5, 502)
    with pytest.raises(RegistryUnavailable, match=r"unavailable \(HTTP 502 after 3 attempts\)"):
        run(registry.package("vitest"))
    assert proxy.count() == 3

    proxy.clear()
    proxy.fail_next(1, 429, {"Retry-After": "3600"})  # longer than a scan can wait: give up now
    with pytest.raises(RegistryUnavailable):
        run(registry.package("vitest"))
    assert proxy.count() == 1


def test_not_found_and_refusals_are_not_retried(
    npm_registry_server: NpmServer, tmp_path: Path, latency_proxy: ProxyFactory
) -> None:
    proxy = latency_proxy(npm_registry_server.url)
    registry = npm(proxy.via(npm_registry_server.url), tmp_path, retry=FAST)
    answers = run(registry.packages(["no-such-package-here", "@private/secret-sauce", "vitest"]))
    assert isinstance(answers["no-such-package-here"], PackageNotFound)
    assert isinstance(answers["@private/secret-sauce"], RegistryUnavailable)
    assert isinstance(answers["vitest"], PackageInfo)  # a refusal is not an outage
    assert proxy.count() == 3


def test_refused_and_reset_connections(npm_registry_server: NpmServer, tmp_path: Path, latency_proxy: ProxyFactory) -> None:
    proxy = latency_proxy(npm_registry_server.url)
    proxy.mode = "reset"
    registry = npm(proxy.via(npm_registry_server.url), tmp_path, retry=FAST)
    with pytest.raises(RegistryUnavailable, match="after 3 attempts"):
        run(registry.package("vitest"))

    proxy.stop()
    began = time.monotonic()
    with pytest.raises(RegistryUnavailable, match=r"unavailable \(connection failed after 3 attempts\)"):
        run(registry.package("next"))
    assert time.monotonic() - began < FAST.total_seconds + SLACK


def test_latency_is_absorbed_by_concurrency(npm_registry_server: NpmServer, tmp_path: Path, latency_proxy: ProxyFactory) -> None:
    proxy = latency_proxy(npm_registry_server.url, delay_s=0.2)
    registry = npm(proxy.via(npm_registry_server.url), tmp_path)
    names = ["vitest", "next", "@types/node", "left-pad", "@acme/widgets", "no-such-package-here"]
    began = time.monotonic()
    answers = run(registry.packages(names))
    assert time.monotonic() - began < 0.2 * len(names)
    assert sum(isinstance(a, PackageInfo) for a in answers.values()) == 5


# ----------------------------------------------------------------------------- pure parts


def test_parse_packument_edge_cases() -> None:
    info = parse_packument("p", {"dist-tags": {}, "versions": {"1.0.0": {"deprecated": ""}, "2.0.0": {"deprecated": "x"}}})
    assert (info.latest, info.versions, info.deprecated) == (None, ("1.0.0", "2.0.0"), frozenset({"2.0.0"}))
    with pytest.raises(UnreadableAnswer):
        parse_packument("p", ["not", "an", "object"])
    with pytest.raises(UnreadableAnswer):
        parse_packument("p", {"versions": ["1.0.0"]})


def test_parse_simple_pages() -> None:
    document = {
        "meta": {"api-version": "1.1"},
        "files": [
            {"filename": "p-1.0-py3-none-any.whl", "yanked": False},
            {"filename": "p-2.0.tar.gz", "yanked": "bad"},
            {"filename": "p-3.0a1.tar.gz"},
        ],
        "versions": ["1.0", "2.0", "3.0a1", "0.1"],  # 0.1: listed, no files left: still a version
    }
    assert parse_simple_json("p", document) == PackageInfo(Ecosystem.PYPI, "p", "1.0", ("0.1", "1.0", "3.0a1"))
    with pytest.raises(UnreadableAnswer):
        parse_simple_json("p", {"meta": {"api-version": "2.0"}, "files": []})
    page = """<html><body>
      <a href="https://files.example.invalid/p/p-1.0.tar.gz#sha256=00">p-1.0.tar.gz</a>
      <a href="../p-1.1-py3-none-any.whl" data-yanked>p-1.1-py3-none-any.whl</a>
      <a href="p_legacy-0.5.zip">other project</a>
      <a href="p-not.a.version.tar.gz">junk</a>
      <a>no href</a>
    </body></html>"""
    assert parse_simple_html("p", page) == PackageInfo(Ecosystem.PYPI, "p", "1.0", ("1.0",))


def test_retry_delay_policy() -> None:
    budget = RetryBudget(attempts=3, total_seconds=10, base_delay=0.25, max_delay=2)
    assert retry_delay(budget, 1, status=404, headers={}, elapsed=0) is None
    assert retry_delay(budget, 1, status=401, headers={}, elapsed=0) is None
    assert retry_delay(budget, 3, status=503, headers={}, elapsed=0) is None
    delay = retry_delay(budget, 1, status=None, headers={}, elapsed=0)
    assert delay is not None and 0.125 <= delay <= 0.25
    assert retry_delay(budget, 1, status=429, headers={"Retry-After": "4"}, elapsed=0) == 4
    assert retry_delay(budget, 1, status=429, headers={"retry-after": "60"}, elapsed=0) is None
    assert retry_delay(budget, 2, status=500, headers={}, elapsed=9.9) is None
