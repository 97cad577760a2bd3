"""The HTTP transport registry lookups use: httpcore's connection pool and HTTP/1.1 over plain
asyncio, without anyio in between.

Why: a cold drift scan makes hundreds of small requests at once, and the client's CPU per
request adds up (on a small machine it competes with everything else). httpx's own transport
reaches the socket through anyio: a cancel scope per read and write, typed-attribute lookups,
and a `poll()` per pooled connection per request to see whether it went stale. Here asyncio
reads eagerly, so staleness is a flag. 300 lookups cost 0.33-0.38 s of CPU instead of
0.40-0.45 s (bench/README.md, "Drift"). httpcore lets the network layer be swapped (`network_backend`), so
HTTP parsing, pooling, keep-alive and TLS set-up stay httpcore's, and the client stays httpx
(redirects, headers, decoding, errors).

Kept as httpx does it:
- proxies: when the environment names one, lookups use httpx's own transport, which honours it
  (`registry_transport` returns None then);
- TLS: verified, with the trust store httpx uses (certifi), made once per process and only when
  an https connection is made;
- errors: httpcore's exceptions become httpx's, the ones `Registry` handles.
"""

from __future__ import annotations

import asyncio
import functools
import http.cookiejar
import os
import ssl
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from typing import Any

import httpcore
import httpx

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")
"""Read case-insensitively, as httpx (and curl) do."""
READ_BUFFER_BYTES = 1024 * 1024
"""Received bytes held per connection before reading pauses until httpcore takes them."""

_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    # Most specific first: the first match wins.
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


def httpx_error(exc: Exception) -> Exception:
    """httpx's exception for one of httpcore's (others are returned unchanged)."""
    for source, target in _ERRORS:
        if isinstance(exc, source):
            return target(str(exc))
    return exc


def proxy_configured(env: Mapping[str, str]) -> bool:
    return any(name.lower() in PROXY_VARIABLES and value for name, value in env.items())


class NoCookies(http.cookiejar.CookieJar):
    """A registry lookup is not a session: cookies a registry sets are neither kept nor sent.
    (httpx reads every answer's headers into a cookie jar otherwise: bench/README.md, "Drift".)"""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def add_cookie_header(self, request: Any) -> None:
        return None


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default trust (certifi, or SSL_CERT_FILE / SSL_CERT_DIR when set), made once per
    process: loading a CA bundle costs ~30 ms."""
    return httpx.create_ssl_context()


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


class _Body(httpx.AsyncByteStream):
    def __init__(self, stream: AsyncIterable[bytes]) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for part in self._stream:
                yield part
        except (httpcore.ProtocolError, httpcore.NetworkError, httpcore.TimeoutException) as exc:
            raise httpx_error(exc) from exc

    async def aclose(self) -> None:
        closer = getattr(self._stream, "aclose", None)
        if closer is not None:
            await closer()


class RegistryTransport(httpx.AsyncBaseTransport):
    """httpcore's pool on `AsyncioBackend`, for one registry client."""

    def __init__(self, limits: httpx.Limits, *, ssl_context: ssl.SSLContext | None) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=AsyncioBackend(),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        try:
            response = await self._pool.handle_async_request(core_request)
        except (httpcore.ProtocolError, httpcore.NetworkError, httpcore.TimeoutException, httpcore.UnsupportedProtocol) as exc:
            raise httpx_error(exc) from exc
        assert isinstance(response.stream, AsyncIterable)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Body(response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


def registry_transport(url: str, limits: httpx.Limits, env: Mapping[str, str] | None = None) -> RegistryTransport | None:
    """The lean transport for a registry at `url`; None (use httpx's own) when a proxy is set."""
    if proxy_configured(os.environ if env is None else env):
        return None
    # Without a context httpcore makes a verified one (certifi) per TLS connection: fine for the
    # rare http registry that redirects to https, too slow for an https registry.
    return RegistryTransport(limits, ssl_context=tls_context() if url.lower().startswith("https:") else None)

