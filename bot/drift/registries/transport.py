"""How registry lookups speak HTTP: one GET at a time per connection, on httpcore's connection
pool and HTTP/1.1 over plain asyncio; httpx's client for what that does not do.

Why not httpx's client for every lookup: a cold drift scan makes hundreds of small requests at
once, and on a small machine the client's CPU competes with everything else, the registry
included. Measured against a local registry (bench/README.md, "Drift"):
- httpx's own transport reaches the socket through anyio (a cancel scope per read and write,
  typed-attribute lookups, a `poll()` per pooled connection per request to see whether it went
  stale); here asyncio reads eagerly, so staleness is a flag. httpcore lets the network layer
  be swapped (`network_backend`): HTTP parsing, pooling, keep-alive and TLS set-up stay
  httpcore's.
- the client's send path (URL merging, auth and redirect steps, a cookie-jar pass per answer)
  cost a fifth of a lookup's CPU for nothing a lookup uses, and importing httpx ~35 ms of a
  `prwarden scan` start.

httpx's client (imported only then) takes over where it knows more: when the environment names
a proxy (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, with `NO_PROXY`), every lookup goes through
it; a redirect is followed by it, which drops credentials when the origin changes. Cookies are
never kept. TLS is verified with the trust httpx uses by default, made once per process and
only for an https registry. Failures of either path are `LookupFailed` with a short reason
that quotes no URL.
"""

from __future__ import annotations

import asyncio
import functools
import http.cookiejar
import os
import ssl
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpcore

if TYPE_CHECKING:
    import httpx

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")
"""Read case-insensitively, as httpx (and curl) do."""
READ_BUFFER_BYTES = 1024 * 1024
"""Received bytes held per connection before reading pauses until httpcore takes them."""
ACCEPT_ENCODING = "gzip, deflate"
"""What lookups can decode (abbreviated packuments of popular packages compress 5-10x)."""
REDIRECTS = (301, 302, 303, 307, 308)


class LookupFailed(Exception):
    """The exchange failed: no usable HTTP answer. `reason` is short and quotes no URL."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LookupTimeout(LookupFailed):
    """Connecting, sending or waiting for the answer took longer than its timeout."""


class AnswerTooLarge(Exception):
    """The (decoded) body is over the caller's bound; reading stopped there."""


@dataclass(frozen=True)
class Timeouts:
    connect: float
    read: float
    """Between two bytes of the answer (and for sending the request)."""


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    """Lower-cased names; a repeated header's values joined with ", "."""
    body: bytes
    """Read only for a 200, decoded (gzip, deflate)."""


def proxy_configured(env: Mapping[str, str]) -> bool:
    return any(name.lower() in PROXY_VARIABLES and value for name, value in env.items())


class NoCookies(http.cookiejar.CookieJar):
    """A registry lookup is not a session: cookies a registry sets are neither kept nor sent
    (for the httpx client, which would read every answer's headers into its jar otherwise)."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def add_cookie_header(self, request: Any) -> None:
        return None


@functools.cache
def tls_context() -> ssl.SSLContext:
    """What httpx trusts by default (httpx `_config.create_ssl_context`): `SSL_CERT_FILE` or
    `SSL_CERT_DIR` when set, else certifi's bundle. Made once per process: loading a CA bundle
    costs ~30 ms."""
    if os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    if os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


class _Buffered(asyncio.Protocol):
    """A connection's received bytes, its end, and flow control both ways."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        """The transport reading for us; after a TLS upgrade, the TLS one."""
        self.buffer = bytearray()
        self.eof = False
        self.error: BaseException | None = None
        self._paused = False
        self._readable: asyncio.Future[None] | None = None
        self._writable: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > READ_BUFFER_BYTES and not self._paused and self.transport is not None:
            self.transport.pause_reading()  # a fast server waits for us, memory stays bounded
            self._paused = True
        self._wake_reader()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake_reader()
        return False  # close our side too: HTTP/1.1 never half-closes

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.error = exc
        self._wake_reader()
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)

    def pause_writing(self) -> None:
        if self._writable is None or self._writable.done():
            self._writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)

    def take(self, max_bytes: int) -> bytes:
        """Up to `max_bytes` of what was received (the caller checked there is some)."""
        if len(self.buffer) <= max_bytes:
            data = bytes(self.buffer)
            self.buffer.clear()
        else:
            data = bytes(self.buffer[:max_bytes])
            del self.buffer[:max_bytes]
        if self._paused and len(self.buffer) <= READ_BUFFER_BYTES and self.transport is not None:
            self.transport.resume_reading()
            self._paused = False
        return data

    async def readable(self) -> None:
        """Until data or the end arrives."""
        while not self.buffer and not self.eof:
            self._readable = asyncio.get_running_loop().create_future()
            try:
                await self._readable
            finally:
                self._readable = None

    async def writable(self) -> None:
        """Until the transport's write buffer is below its high-water mark."""
        if self._writable is not None and not self._writable.done():
            await self._writable

    def _wake_reader(self) -> None:
        if self._readable is not None and not self._readable.done():
            self._readable.set_result(None)


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One TCP (or TLS) connection as httpcore wants it, on an asyncio transport."""

    def __init__(self, transport: asyncio.Transport, protocol: _Buffered) -> None:
        self._transport = transport
        self._protocol = protocol

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        protocol = self._protocol
        if not protocol.buffer and not protocol.eof:
            try:
                async with asyncio.timeout(timeout):
                    await protocol.readable()
            except TimeoutError:
                raise httpcore.ReadTimeout("timed out waiting for the answer") from None
        if protocol.buffer:
            return protocol.take(max_bytes)
        if protocol.error is not None:
            raise httpcore.ReadError(f"connection lost ({type(protocol.error).__name__})")
        return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        if self._transport.is_closing():
            raise httpcore.WriteError("connection closed")
        self._transport.write(buffer)
        try:
            async with asyncio.timeout(timeout):
                await self._protocol.writable()
        except TimeoutError:
            raise httpcore.WriteTimeout("timed out sending the request") from None

    async def aclose(self) -> None:
        self._transport.close()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> AsyncioStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(self._transport, self._protocol, ssl_context, server_hostname=server_hostname)
        except TimeoutError:
            self._transport.close()
            raise httpcore.ConnectTimeout("timed out in the TLS handshake") from None
        except (OSError, ssl.SSLError) as exc:
            self._transport.close()
            raise httpcore.ConnectError(f"TLS handshake failed ({_reason(exc)})") from exc
        if transport is None:  # the connection closed during the handshake
            raise httpcore.ConnectError("TLS handshake failed (connection closed)")
        assert isinstance(transport, asyncio.Transport)
        self._protocol.transport = transport
        return AsyncioStream(transport, self._protocol)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # Data or the end of an idle keep-alive connection has arrived: httpcore then drops
            # it from the pool. asyncio reads eagerly, so no poll() is needed to know.
            return bool(self._protocol.buffer) or self._protocol.eof
        if info == "ssl_object":
            return self._transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info == "server_addr":
            return self._transport.get_extra_info("peername")
        if info == "socket":
            return self._transport.get_extra_info("socket")
        return None


def _reason(exc: BaseException) -> str:
    """Why a connection failed, without the exception's text beyond the OS or TLS reason."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate not trusted: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return exc.reason or type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return type(exc).__name__


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[tuple[Any, ...]] | None = None,
    ) -> AsyncioStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport, protocol = await loop.create_connection(
                    _Buffered, host, port, local_addr=(local_address, 0) if local_address else None
                )
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"timed out connecting to {host}:{port}") from None
        except OSError as exc:
            raise httpcore.ConnectError(f"could not connect to {host}:{port} ({_reason(exc)})") from exc
        sock = transport.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        assert isinstance(transport, asyncio.Transport)
        return AsyncioStream(transport, protocol)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> AsyncioStream:
        raise httpcore.ConnectError("unix sockets are not used for registries")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class Lane:
    """A few keep-alive connections to one registry, and how many lookups use them now."""

    def __init__(
        self,
        url: str,
        max_connections: int,
        timeouts: Timeouts,
        user_agent: str,
        env: Mapping[str, str] | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """`url` is the registry's (its scheme decides whether TLS is set up); `env` is where
        proxies are read (the process's by default); `tls` replaces the default trust."""
        self.in_flight = 0
        self._timeouts = timeouts
        self._extensions = {"timeout": {"connect": timeouts.connect, "read": timeouts.read, "write": timeouts.read, "pool": timeouts.read}}
        self._headers = [(b"Accept-Encoding", ACCEPT_ENCODING.encode()), (b"User-Agent", user_agent.encode())]
        self._max_connections = max_connections
        self._pool: httpcore.AsyncConnectionPool | None = None
        if not proxy_configured(os.environ if env is None else env):
            self._pool = httpcore.AsyncConnectionPool(
                ssl_context=(tls or tls_context()) if url.lower().startswith("https:") else None,
                max_connections=max_connections,
                max_keepalive_connections=max_connections,
                keepalive_expiry=30.0,
                network_backend=AsyncioBackend(),
            )
        self._tls = tls
        self._client: httpx.AsyncClient | None = None

    async def get(self, url: str, headers: Mapping[str, str], *, max_bytes: int) -> Reply:
        """One GET of `url` with `headers` (Accept, Authorization, validators). Raises
        LookupFailed, LookupTimeout, AnswerTooLarge."""
        if self._pool is None:
            return await self._via_httpx(url, headers, max_bytes)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise LookupFailed("not an http(s) URL")
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            # Header values as HTTP/1.1 carries them (an ETag comes back byte for byte); h11
            # refuses line breaks and other bytes a header cannot hold.
            own = [(name.encode("ascii"), value.encode("latin-1")) for name, value in headers.items()]
        except UnicodeEncodeError:
            raise LookupFailed("a request header that HTTP cannot carry") from None
        request = httpcore.Request(
            b"GET",
            httpcore.URL(scheme=parts.scheme.encode(), host=_ascii(parts.hostname), port=parts.port, target=target.encode()),
            headers=[(b"Host", _ascii(parts.netloc)), *self._headers, *own],
            extensions=self._extensions,
        )
        try:
            response = await self._pool.handle_async_request(request)
            try:
                answer_headers = _headers(response.headers)
                redirected = response.status in REDIRECTS and "location" in answer_headers
                body = b""
                if response.status == 200:
                    body = await _read_body(response.stream, answer_headers.get("content-encoding", ""), max_bytes)  # type: ignore[arg-type]
            finally:
                await response.aclose()
        except httpcore.TimeoutException:
            raise LookupTimeout("timed out") from None
        except (httpcore.ProtocolError, httpcore.NetworkError, httpcore.UnsupportedProtocol) as exc:
            raise LookupFailed(_failure(exc, httpcore.ConnectError, httpcore.RemoteProtocolError)) from exc
        if redirected:
            return await self._via_httpx(url, headers, max_bytes)
        return Reply(response.status, answer_headers, body)

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
        if self._client is not None:
            await self._client.aclose()

    async def _via_httpx(self, url: str, headers: Mapping[str, str], max_bytes: int) -> Reply:
        """The same GET through httpx's client: behind a proxy, or to follow a redirect."""
        import httpx

        if self._client is None:
            limits = httpx.Limits(max_connections=self._max_connections, max_keepalive_connections=self._max_connections, keepalive_expiry=30.0)
            self._client = httpx.AsyncClient(
                limits=limits,
                timeout=httpx.Timeout(self._timeouts.read, connect=self._timeouts.connect),
                follow_redirects=True,
                headers={k.decode(): v.decode() for k, v in self._headers},
                cookies=NoCookies(),
                verify=self._tls or tls_context(),
            )
        try:
            async with self._client.stream("GET", url, headers=headers) as response:
                # httpx has decoded the body already: read it under the same bound.
                body = await _read_body(response.aiter_bytes(), "", max_bytes) if response.status_code == 200 else b""
                return Reply(response.status_code, {k: v for k, v in response.headers.items()}, body)
        except httpx.TimeoutException:
            raise LookupTimeout("timed out") from None
        except httpx.DecodingError:
            raise LookupFailed("an answer that does not decode") from None
        except httpx.TransportError as exc:
            raise LookupFailed(_failure(exc, httpx.ConnectError, httpx.RemoteProtocolError)) from exc


def _ascii(text: str) -> bytes:
    """A host (or host:port) for the wire: IDNA-encoded when it is not ASCII."""
    return text.encode() if text.isascii() else text.encode("idna")


def _headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in raw:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


async def _read_body(stream: Any, encoding: str, max_bytes: int) -> bytes:
    """The body decoded, stopping (AnswerTooLarge) once it is over `max_bytes`: a small
    compressed answer cannot expand past the bound in memory."""
    decoder = _decoder(encoding.strip().lower())
    chunks: list[bytes] = []
    size = 0
    async for chunk in stream:
        if decoder is not None:
            try:
                chunk = decoder.decompress(chunk, max_bytes - size + 1)
            except zlib.error:
                raise LookupFailed("an answer that does not decode") from None
            if decoder.unconsumed_tail:
                raise AnswerTooLarge
        size += len(chunk)
        if size > max_bytes:
            raise AnswerTooLarge
        chunks.append(chunk)
    if decoder is not None:
        try:
            chunks.append(decoder.flush())
        except zlib.error:
            raise LookupFailed("an answer that does not decode") from None
        if size + len(chunks[-1]) > max_bytes:
            raise AnswerTooLarge
    return b"".join(chunks)


def _decoder(encoding: str) -> Any:
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(zlib.MAX_WBITS | 16)
    if encoding == "deflate":
        return _Deflate()
    raise LookupFailed(f"an answer in an encoding not asked for ({encoding[:20]})")


class _Deflate:
    """HTTP "deflate" is zlib-wrapped by the standard, raw in some servers: either is read, as
    httpx and browsers do."""

    def __init__(self) -> None:
        self._inner = zlib.decompressobj()
        self._started = False

    @property
    def unconsumed_tail(self) -> bytes:
        return self._inner.unconsumed_tail

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if not self._started:
            self._started = True
            try:
                return self._inner.decompress(data, max_length)
            except zlib.error:
                self._inner = zlib.decompressobj(-zlib.MAX_WBITS)
        return self._inner.decompress(data, max_length)

    def flush(self) -> bytes:
        return self._inner.flush()


def _failure(exc: Exception, connect_error: type[Exception], closed_early: type[Exception]) -> str:
    """A short reason for httpcore's or httpx's transport error (given their classes for a
    failed connect and an answer cut short), quoting no URL."""
    if isinstance(exc, connect_error):
        return "connection failed"
    if isinstance(exc, closed_early):
        return "connection closed mid-answer"
    return f"connection error ({type(exc).__name__})"
