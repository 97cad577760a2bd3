"""The registry lookups' HTTP transport (bot/drift/registries/transport.py) against small real
HTTP/1.1 servers on 127.0.0.1 that misbehave in the ways the transport must handle: TLS with
a certificate the client does or does not trust, keep-alive connections the server drops while
idle, chunked and large answers, a server that never answers. The registry behaviour on top
(retries, caching, outages) is tested against Verdaccio and PyPI indexes in
test_drift_registries.py, which run on this transport too."""

from __future__ import annotations

import asyncio
import datetime
import gzip
import hashlib
import ipaddress
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bot.drift.model import RegistryUnavailable
from bot.drift.registries.base import RetryBudget
from bot.drift.registries.npm import npm_registry_from_env
from bot.drift.registries.transport import NoCookies, RegistryTransport, proxy_configured, registry_transport

LIMITS = httpx.Limits(max_connections=4, max_keepalive_connections=4, keepalive_expiry=30.0)
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


async def get(transport: RegistryTransport, url: str, **options: object) -> httpx.Response:
    async with httpx.AsyncClient(transport=transport, cookies=NoCookies(), **options) as client:  # type: ignore[arg-type]
        return await client.get(url)


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


def test_tls_with_a_trusted_certificate(certificates: Certificates) -> None:
    async def scenario() -> None:
        trusting = ssl.create_default_context(cadata=certificates.ca_pem.decode())
        async with serve(ok_json, tls=certificates.server) as server:
            transport = RegistryTransport(LIMITS, ssl_context=trusting)
            response = await get(transport, server.url("https"))
            assert response.status_code == 200
            assert response.json() == {"ok": True}
            # By name: the name is sent (SNI) and checked against the certificate.
            response = await get(transport, server.url("https").replace("127.0.0.1", "localhost"))
            assert response.json() == {"ok": True}
            async with httpx.AsyncClient(transport=RegistryTransport(LIMITS, ssl_context=trusting)) as client:
                with pytest.raises(httpx.ConnectError, match="certificate not trusted: Hostname mismatch"):
                    await client.get(server.url("https"), extensions={"sni_hostname": "registry.example"})

    asyncio.run(scenario())


def test_tls_certificates_are_verified(certificates: Certificates, tmp_path: Path) -> None:
    """The default trust store does not know the test CA: the connection is refused, and an
    https registry serving that certificate is unavailable, not silently trusted."""

    async def scenario() -> None:
        async with serve(ok_json, tls=certificates.server) as server:
            transport = registry_transport(server.url("https"), LIMITS, env={})
            assert transport is not None
            with pytest.raises(httpx.ConnectError, match="certificate not trusted"):
                await get(transport, server.url("https"))

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
            async with httpx.AsyncClient(transport=RegistryTransport(LIMITS, ssl_context=None)) as client:
                for _ in range(5):
                    assert (await client.get(server.url())).status_code == 200
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
            async with httpx.AsyncClient(transport=RegistryTransport(LIMITS, ssl_context=None)) as client:
                for _ in range(3):
                    assert (await client.get(server.url())).status_code == 200
                    await asyncio.sleep(0.05)  # the close reaches the client while it is idle
            assert server.connections == 3

    asyncio.run(scenario())


def test_chunked_gzip_and_large_answers_arrive_whole() -> None:
    """A body far larger than the read buffer, gzip-encoded, sent in chunks of uneven size to a
    reader slower than the server: reading pauses at READ_BUFFER_BYTES and resumes."""
    payload = b"".join(hashlib.sha256(str(i).encode()).hexdigest().encode() for i in range(200_000))  # 12.8 MB
    compressed = gzip.compress(payload, compresslevel=1)

    async def chunked(head: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n")
        for start in range(0, len(compressed), 70_001):
            piece = compressed[start : start + 70_001]
            writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True

    async def scenario() -> None:
        async with serve(chunked) as server, asyncio.timeout(30):
            async with httpx.AsyncClient(transport=RegistryTransport(LIMITS, ssl_context=None)) as client:
                async with client.stream("GET", server.url()) as response:
                    assert response.status_code == 200
                    digest = hashlib.sha256()
                    async for part in response.aiter_bytes():
                        digest.update(part)
                        await asyncio.sleep(0.001)  # a slow reader: the server gets ahead
            assert digest.digest() == hashlib.sha256(payload).digest()

    asyncio.run(scenario())


def test_a_server_that_never_answers_times_out() -> None:
    async def silent(head: bytes, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(30)
        return False

    async def scenario() -> None:
        async with serve(silent) as server:
            began = asyncio.get_running_loop().time()
            with pytest.raises(httpx.ReadTimeout):
                await get(RegistryTransport(LIMITS, ssl_context=None), server.url(), timeout=0.3)
            assert asyncio.get_running_loop().time() - began < 2.0

    asyncio.run(scenario())


def test_a_refused_connection_is_a_connect_error() -> None:
    async def scenario() -> None:
        async with serve(ok_json) as server:
            url = server.url()
        with pytest.raises(httpx.ConnectError, match="could not connect"):
            await get(RegistryTransport(LIMITS, ssl_context=None), url)

    asyncio.run(scenario())


def test_answers_cookies_are_not_kept_or_sent() -> None:
    async def sets_cookie(head: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(answer(b"{}", "Set-Cookie: session=abc; Path=/"))
        await writer.drain()
        return True

    async def scenario() -> None:
        async with serve(sets_cookie) as server:
            async with httpx.AsyncClient(transport=RegistryTransport(LIMITS, ssl_context=None), cookies=NoCookies()) as client:
                await client.get(server.url())
                await client.get(server.url())
            assert not any(b"cookie:" in request.lower() for request in server.requests)

    asyncio.run(scenario())


# -- proxies ---------------------------------------------------------------------------------


def test_a_configured_proxy_hands_lookups_to_httpx_own_transport() -> None:
    """httpx honours HTTP(S)_PROXY / ALL_PROXY / NO_PROXY only on its own transports."""
    assert proxy_configured({"HTTPS_PROXY": "http://proxy:3128"})
    assert proxy_configured({"all_proxy": "socks5://proxy:1080"})
    assert not proxy_configured({"HTTPS_PROXY": "", "NO_PROXY": "*"})
    assert registry_transport("https://registry.example/", LIMITS, env={"http_proxy": "http://proxy:3128"}) is None
    assert isinstance(registry_transport("http://127.0.0.1:1/", LIMITS, env={}), RegistryTransport)


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


def test_a_lookup_sends_each_header_once() -> None:
    """Lookups go straight to the transport (not through the client's send path): the client's
    default headers and the registry's own are merged, not sent twice."""

    async def ok(head: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(answer(PACKUMENT))
        await writer.drain()
        return True

    async def scenario() -> None:
        async with serve(ok) as server:
            registry = npm_registry_from_env({"NPM_CONFIG_REGISTRY": server.url()})
            assert registry is not None
            async with registry:
                info = await registry.package("left-pad")
            assert info.latest == "1.3.0"
            lines = [line.lower() for line in server.requests[0].decode().split("\r\n")[1:] if line]
            names = [line.partition(":")[0] for line in lines]
            assert sorted(names) == sorted(set(names))
            assert "accept: application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*" in lines
            assert any(line.startswith("user-agent: prwarden") for line in lines)
            assert any(line.startswith("accept-encoding:") and "gzip" in line for line in lines)

    asyncio.run(scenario())


def test_a_registry_redirect_is_followed() -> None:
    """A redirect is followed by the client (which drops credentials across origins), so the
    lookup still gets its answer."""

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
            registry = npm_registry_from_env({"NPM_CONFIG_REGISTRY": server.url()})
            assert registry is not None
            async with registry:
                info = await registry.package("left-pad")
            assert info.latest == "1.3.0"
            assert any(request.startswith(b"GET /mirror/left-pad ") for request in server.requests)

    asyncio.run(scenario())
