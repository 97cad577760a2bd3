"""How registry lookups speak HTTP (bot/drift/registries/transport.py), against small real
HTTP/1.1 servers on 127.0.0.1 that misbehave in the ways a lookup must handle: TLS with a
certificate the client does or does not trust, keep-alive connections the server drops while
idle, chunked, compressed and oversized answers, a server that never answers, redirects and
proxies. The registry behaviour on top (retries, caching, outages) is tested against Verdaccio
and PyPI indexes in test_drift_registries.py, which run on this transport too."""

from __future__ import annotations

import asyncio
import datetime
import gzip
import hashlib
import ipaddress
import ssl
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpcore
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bot.drift.model import RegistryUnavailable
from bot.drift.registries.base import RetryBudget
from bot.drift.registries.npm import npm_registry_from_env
from bot.drift.registries.transport import (
    AnswerTooLarge,
    AsyncioBackend,
    Lane,
    LookupFailed,
    LookupTimeout,
    Timeouts,
    proxy_configured,
)

TIMEOUTS = Timeouts(connect=2.0, read=5.0)
MB = 1024 * 1024
Handler = Callable[[bytes, asyncio.StreamWriter], Awaitable[bool]]
"""Answers one request (its head); returns whether to keep the connection open."""


@dataclass
class Server:
    port: int
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)

    def url(self, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}/"


@asynccontextmanager
async def serve(handler: Handler, tls: ssl.SSLContext | None = None) -> AsyncIterator[Server]:
    """A minimal HTTP/1.1 server: reads request heads (GETs, no bodies), lets `handler` answer."""
    state = Server(0)

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                state.requests.append(head)
                if not await handler(head, writer):
                    break
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(on_connection, "127.0.0.1", 0, ssl=tls)
    state.port = server.sockets[0].getsockname()[1]
    try:
        yield state
    finally:
        server.close()
        await server.wait_closed()


def answer(body: bytes, *headers: str) -> bytes:
    lines = ["HTTP/1.1 200 OK", f"Content-Length: {len(body)}", "Content-Type: application/json", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


# -- TLS -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Certificates:
    ca_pem: bytes
    server: ssl.SSLContext


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A throwaway CA and a certificate for localhost and 127.0.0.1 it signed."""
    folder = tmp_path_factory.mktemp("tls")
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "PR Warden test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_file, key_file = folder / "server.pem", folder / "server.key"
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    return Certificates(ca.public_bytes(serialization.Encoding.PEM), server)


async def ok_json(head: bytes, writer: asyncio.StreamWriter) -> bool:
    writer.write(answer(b'{"ok": true}'))
    await writer.drain()
    return True


def lane(url: str, **options: object) -> Lane:
    """A lane as a registry makes one, with no proxy from the test's environment."""
    return Lane(url, 4, options.pop("timeouts", TIMEOUTS), "prwarden-test", env={}, **options)  # type: ignore[arg-type]


async def get(url: str, max_bytes: int = 32 * MB, **options: object) -> bytes:
    one = lane(url, **options)
    try:
        answer = await one.get(url, {}, max_bytes=max_bytes)
        assert answer.status == 200
        return answer.body
    finally:
        await one.aclose()


async def ok_json(head: bytes, writer: asyncio.StreamWriter) -> bool:
    writer.write(answer(b'{"ok": true}'))
    await writer.drain()
    return True


def test_tls_with_a_trusted_certificate(certificates: Certificates) -> None:
    async def scenario() -> None:
        trusting = ssl.create_default_context(cadata=certificates.ca_pem.decode())
        async with serve(ok_json, tls=certificates.server) as server:
            assert await get(server.url("https"), tls=trusting) == b'{"ok": true}'
            # By name: the name is sent (SNI) and checked against the certificate.
            assert await get(server.url("https").replace("127.0.0.1", "localhost"), tls=trusting) == b'{"ok": true}'
            # A name the certificate does not hold is refused (the network layer's own check).
            stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port, timeout=2.0)
            with pytest.raises(httpcore.ConnectError, match="certificate not trusted: Hostname mismatch"):
                await stream.start_tls(trusting, server_hostname="registry.example", timeout=2.0)

    asyncio.run(scenario())


def test_tls_certificates_are_verified(certificates: Certificates, tmp_path: Path) -> None:
    """The default trust store does not know the test CA: the connection is refused, and an
    https registry serving that certificate is unavailable, not silently trusted."""

    async def scenario() -> None:
        async with serve(ok_json, tls=certificates.server) as server:
            with pytest.raises(LookupFailed, match="connection failed"):
                await get(server.url("https"))

            budget = RetryBudget(attempts=1, total_seconds=2.0, connect_timeout=1.0, read_timeout=1.0)
            registry = npm_registry_from_env({"NPM_CONFIG_REGISTRY": server.url("https"), "HOME": str(tmp_path)}, retry=budget)
            assert registry is not None
            async with registry:
                answers = await registry.packages(["left-pad"])
            assert isinstance(answers["left-pad"], RegistryUnavailable)
            assert "connection failed" in str(answers["left-pad"])
            assert not any(b"GET" in request for request in server.requests)

    asyncio.run(scenario())


# -- connections -----------------------------------------------------------------------------


def test_keep_alive_reuses_one_connection() -> None:
    async def scenario() -> None:
        async with serve(ok_json) as server:
            one = lane(server.url())
            for _ in range(5):
                assert (await one.get(server.url(), {}, max_bytes=MB)).status == 200
            await one.aclose()
            assert len(server.requests) == 5
            assert server.connections == 1

    asyncio.run(scenario())


def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    """Servers drop idle keep-alive connections without saying so in advance (Node's default
    keepAliveTimeout is 5 s). The next request must go out on a new connection, not fail."""

    async def answer_then_hang_up(head: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(answer(b'{"ok": true}'))  # no "Connection: close": the client cannot know
        await writer.drain()
        return False

    async def scenario() -> None:
        async with serve(answer_then_hang_up) as server:
            one = lane(server.url())
            for _ in range(3):
                assert (await one.get(server.url(), {}, max_bytes=MB)).status == 200
                await asyncio.sleep(0.05)  # the close reaches the client while it is idle
            await one.aclose()
            assert server.connections == 3

    asyncio.run(scenario())


PAYLOAD = b"".join(hashlib.sha256(str(i).encode()).hexdigest().encode() for i in range(200_000))  # 12.8 MB


def test_a_slow_reader_gets_a_large_answer_whole() -> None:
    """A body far larger than the read buffer, to a reader slower than the server: reading
    pauses at READ_BUFFER_BYTES and resumes (flow control in the network layer)."""

    async def flood(head: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(PAYLOAD)
        await writer.drain()
        return False

    async def scenario() -> None:
        async with serve(flood) as server, asyncio.timeout(30):
            stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port, timeout=2.0)
            await stream.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", timeout=2.0)
            digest, size = hashlib.sha256(), 0
            while data := await stream.read(65536, timeout=5.0):
                digest.update(data)
                size += len(data)
                await asyncio.sleep(0.001)  # a slow reader: the server gets ahead
            await stream.aclose()
            assert size == len(PAYLOAD)
            assert digest.digest() == hashlib.sha256(PAYLOAD).digest()

    asyncio.run(scenario())


def test_chunked_gzip_and_deflate_answers_are_decoded() -> None:
    compressed = gzip.compress(PAYLOAD, compresslevel=1)
    small = b'{"name": "left-pad"}'
    bodies = {
        b"/gzip": (b"gzip", compressed),
        b"/deflate": (b"deflate", zlib.compress(small)),
        b"/raw-deflate": (b"deflate", _raw_deflate(small)),
    }

    async def chunked(head: bytes, writer: asyncio.StreamWriter) -> bool:
        encoding, body = bodies[head.split(b" ")[1]]
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: " + encoding + b"\r\n\r\n")
        for start in range(0, len(body), 70_001):
            piece = body[start : start + 70_001]
            writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True

    async def scenario() -> None:
        async with serve(chunked) as server, asyncio.timeout(30):
            assert hashlib.sha256(await get(server.url() + "gzip")).digest() == hashlib.sha256(PAYLOAD).digest()
            assert await get(server.url() + "deflate") == small
            assert await get(server.url() + "raw-deflate") == small

    asyncio.run(scenario())


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


def test_an_answer_over_the_bound_stops_being_read() -> None:
    """A 64 KB gzip answer that would expand to 64 MB: reading stops at the bound, in
    memory too (the decoder is never asked for more than the bound)."""
    bomb = gzip.compress(b"\0" * (64 * MB), compresslevel=9)

    async def explode(head: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(answer(bomb, "Content-Encoding: gzip"))
        await writer.drain()
        return True

    async def unknown(head: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(answer(b"x", "Content-Encoding: br"))
        await writer.drain()
        return True

    async def scenario() -> None:
        async with serve(explode) as server:
            with pytest.raises(AnswerTooLarge):
                await get(server.url(), max_bytes=MB)
        async with serve(unknown) as server:
            with pytest.raises(LookupFailed, match="encoding not asked for"):
                await get(server.url())

    asyncio.run(scenario())


def test_a_server_that_never_answers_times_out() -> None:
    async def silent(head: bytes, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(30)
        return False

    async def scenario() -> None:
        async with serve(silent) as server:
            began = asyncio.get_running_loop().time()
            with pytest.raises(LookupTimeout):
                await get(server.url(), timeouts=Timeouts(connect=0.3, read=0.3))
            assert asyncio.get_running_loop().time() - began < 2.0

    asyncio.run(scenario())


def test_a_refused_connection_is_a_connect_error() -> None:
    async def scenario() -> None:
        async with serve(ok_json) as server:
            url = server.url()
        with pytest.raises(LookupFailed, match="connection failed"):
            await get(url)

    asyncio.run(scenario())


def test_answers_cookies_are_not_kept_or_sent() -> None:
    """Directly and through httpx's client (which a redirect hands the lookup to)."""

    async def sets_cookie(head: bytes, writer: asyncio.StreamWriter) -> bool:
        if head.startswith(b"GET /moved "):
            writer.write(b"HTTP/1.1 302 Found\r\nLocation: /here\r\nSet-Cookie: hop=1; Path=/\r\nContent-Length: 0\r\n\r\n")
        else:
            writer.write(answer(b"{}", "Set-Cookie: session=abc; Path=/"))
        await writer.drain()
        return True

    async def scenario() -> None:
        async with serve(sets_cookie) as server:
            one = lane(server.url())
            for path in ("here", "here", "moved", "moved"):
                assert (await one.get(server.url() + path, {}, max_bytes=MB)).status == 200
            await one.aclose()
            assert len(server.requests) == 2 + 2 * 3  # a redirect: asked directly, then by httpx twice
            assert not any(b"cookie:" in request.lower() for request in server.requests)

    asyncio.run(scenario())


# -- proxies ---------------------------------------------------------------------------------


def test_proxy_variables_are_read_as_httpx_reads_them() -> None:
    """httpx honours HTTP(S)_PROXY / ALL_PROXY / NO_PROXY: a lane hands its lookups to it then."""
    assert proxy_configured({"HTTPS_PROXY": "http://proxy:3128"})
    assert proxy_configured({"all_proxy": "socks5://proxy:1080"})
    assert not proxy_configured({"HTTPS_PROXY": "", "NO_PROXY": "*"})
    assert not proxy_configured({})


def test_lookups_go_through_a_proxy_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """End to end: with HTTP_PROXY set, the registry's requests reach the proxy (in absolute
    form, as HTTP proxies receive them), not the registry directly."""

    async def proxy(head: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(answer(b'{"name": "left-pad", "dist-tags": {"latest": "1.3.0"}, "versions": {"1.3.0": {}}}'))
        await writer.drain()
        return True

    async def scenario() -> None:
        async with serve(proxy) as server:
            monkeypatch.setenv("HTTP_PROXY", server.url())
            monkeypatch.delenv("NO_PROXY", raising=False)
            monkeypatch.delenv("no_proxy", raising=False)
            registry = npm_registry_from_env({"NPM_CONFIG_REGISTRY": "http://registry.invalid/", "HOME": str(tmp_path)})
            assert registry is not None
            async with registry:
                info = await registry.package("left-pad")
            assert info.latest == "1.3.0"
            assert server.requests and server.requests[0].startswith(b"GET http://registry.invalid/left-pad ")

    asyncio.run(scenario())


# -- lookups on the transport ------------------------------------------------------------------

PACKUMENT = b'{"name": "left-pad", "dist-tags": {"latest": "1.3.0"}, "versions": {"1.3.0": {}}}'


async def look_up(registry_url: str, name: str = "left-pad") -> str | None:
    """`name`'s latest version, as an npm registry at `registry_url` says."""
    registry = npm_registry_from_env({"NPM_CONFIG_REGISTRY": registry_url})
    assert registry is not None
    async with registry:
        return (await registry.package(name)).latest


def test_a_lookup_sends_each_header_once() -> None:
    """The lane's own headers (Accept-Encoding, User-Agent) and the registry's (Accept) go out
    once each."""

    async def ok(head: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(answer(PACKUMENT))
        await writer.drain()
        return True

    async def scenario() -> None:
        async with serve(ok) as server:
            assert await look_up(server.url()) == "1.3.0"
            lines = [line.lower() for line in server.requests[0].decode().split("\r\n")[1:] if line]
            names = [line.partition(":")[0] for line in lines]
            assert sorted(names) == sorted(set(names))
            assert "accept: application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*" in lines
            assert any(line.startswith("user-agent: prwarden") for line in lines)
            assert any(line.startswith("accept-encoding:") and "gzip" in line for line in lines)

    asyncio.run(scenario())


def test_a_registry_redirect_is_followed() -> None:
    """A redirect is followed by httpx's client (which drops credentials across origins), so
    the lookup still gets its answer."""

    async def moved(head: bytes, writer: asyncio.StreamWriter) -> bool:
        if head.startswith(b"GET /left-pad "):
            writer.write(b"HTTP/1.1 301 Moved Permanently\r\nLocation: /mirror/left-pad\r\nContent-Length: 0\r\n\r\n")
        elif head.startswith(b"GET /mirror/left-pad "):
            writer.write(answer(PACKUMENT))
        else:
            writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        return True

    async def scenario() -> None:
        async with serve(moved) as server:
            assert await look_up(server.url()) == "1.3.0"
            assert any(request.startswith(b"GET /mirror/left-pad ") for request in server.requests)

    asyncio.run(scenario())


def test_a_header_value_cannot_smuggle_another_header() -> None:
    """Validators come back from the registry (an ETag): one holding a line break is refused
    before anything is sent, never written as two header lines."""

    async def scenario() -> None:
        async with serve(ok_json) as server:
            one = lane(server.url())
            with pytest.raises(LookupFailed):
                await one.get(server.url(), {"If-None-Match": '"abc"\r\nX-Injected: 1'}, max_bytes=MB)
            with pytest.raises(LookupFailed, match="cannot carry"):
                await one.get(server.url(), {"Authorization": "Bearer \u2603"}, max_bytes=MB)
            await one.aclose()
            assert not any(b"x-injected" in request.lower() for request in server.requests)

    asyncio.run(scenario())
