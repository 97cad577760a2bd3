"""A small HTTP/1.1 forwarding proxy that injects latency and outages in front of a real server.

Why HTTP-aware rather than a byte pipe: tests count *requests* (not connections) behind a
keep-alive client, read the headers a client sent (conditional requests, Authorization), and see
the status each request got; and it can answer a few requests itself (503, 429) to exercise
retries while the real server stays healthy.

It runs its own event loop in a daemon thread, so synchronous tests and benchmarks can use it:

    with LatencyProxy("127.0.0.1", registry_port, delay_s=0.05) as proxy:
        ...  # point the client at proxy.via(registry_url)
        assert proxy.count("GET") == 1

Modes: "forward" (default); "hang" (read the request, never answer, until `stop()`); "reset"
(abort each new connection at once). For "connection refused", stop the proxy and keep its URL.
Request bodies are supported with Content-Length only (what registry lookups need).
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

Mode = Literal["forward", "hang", "reset"]

MAX_HEAD_BYTES = 64 * 1024
STOP_TIMEOUT_S = 5.0


@dataclass
class Exchange:
    """One request seen by the proxy and the status it got (None while in flight or unanswered)."""

    method: str
    target: str
    headers: dict[str, str] = field(default_factory=dict)
    """Header names lower-cased."""
    status: int | None = None


class LatencyProxy:
    def __init__(self, target_host: str, target_port: int, delay_s: float = 0.0) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.delay_s = delay_s
        self.mode: Mode = "forward"
        self.exchanges: list[Exchange] = []
        self.connections = 0
        self.host = "127.0.0.1"
        self.port = 0
        self._canned: list[tuple[int, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    # -- control (any thread) ----------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def via(self, url: str) -> str:
        """`url` (same target) routed through the proxy; path and userinfo kept."""
        parts = urlsplit(url)
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@{self.host}:{self.port}" if userinfo else f"{self.host}:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    def start(self) -> LatencyProxy:
        self._thread = threading.Thread(target=self._run, name=f"latency-proxy->{self.target_port}", daemon=True)
        self._thread.start()
        if not self._ready.wait(STOP_TIMEOUT_S) or self._error is not None:
            raise RuntimeError(f"latency proxy did not start: {self._error!r}")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
            self._thread.join(STOP_TIMEOUT_S)
        self._thread = None

    def fail_next(self, count: int, status: int = 503, headers: Mapping[str, str] | None = None) -> None:
        """Answer the next `count` requests with `status` instead of forwarding them."""
        with self._lock:
            self._canned.extend((status, dict(headers or {})) for _ in range(count))

    def clear(self) -> None:
        """Forget the requests seen so far and any answers still queued by `fail_next`."""
        self.exchanges.clear()
        self.connections = 0
        with self._lock:
            self._canned.clear()

    def count(self, method: str | None = None, status: int | None = None) -> int:
        return sum(
            1
            for e in list(self.exchanges)
            if (method is None or e.method == method) and (status is None or e.status == status)
        )

    def __enter__(self) -> LatencyProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- the loop thread ---------------------------------------------------------------------

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
        finally:
            loop.close()

    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        server = await asyncio.start_server(self._handle, self.host, 0, limit=MAX_HEAD_BYTES)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stopping.wait()
            server.close()
            for task in list(self._handlers):
                task.cancel()
            await asyncio.gather(*self._handlers, return_exceptions=True)

    def _take_canned(self) -> tuple[int, dict[str, str]] | None:
        with self._lock:
            return self._canned.pop(0) if self._canned else None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self.connections += 1
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            if self.mode == "reset":
                writer.transport.abort()
                return
            while True:
                head = await _read_head(reader)
                if head is None:
                    return
                request_line, headers = _parse_head(head)
                method, target = request_line.split(" ")[:2]
                length = int(headers.get("content-length", "0") or "0")
                body = await reader.readexactly(length) if length else b""
                exchange = Exchange(method, target, headers)
                self.exchanges.append(exchange)
                if self.mode == "hang":
                    await asyncio.Future()  # until stop() cancels this handler
                if self.delay_s:
                    await asyncio.sleep(self.delay_s)
                canned = self._take_canned()
                if canned is not None:
                    exchange.status = canned[0]
                    writer.write(_canned_response(*canned))
                    await writer.drain()
                    continue
                if upstream is None:
                    upstream = await asyncio.open_connection(self.target_host, self.target_port, limit=MAX_HEAD_BYTES)
                keep_open = await self._forward(head + body, method, exchange, upstream, writer)
                if not keep_open or headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            return
        except asyncio.CancelledError:
            return  # stop() with the connection still open (3.11 logs a cancelled handler as an error)
        finally:
            for stream in (writer, upstream[1] if upstream else None):
                if stream is not None:
                    stream.close()
            self._handlers.discard(task)

    async def _forward(
        self,
        request: bytes,
        method: str,
        exchange: Exchange,
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        writer: asyncio.StreamWriter,
    ) -> bool:
        """Relay one request and its response; False when the connection must close after it."""
        up_reader, up_writer = upstream
        up_writer.write(request)
        await up_writer.drain()
        head = await _read_head(up_reader)
        if head is None:
            raise ConnectionError("upstream closed")
        status_line, headers = _parse_head(head)
        status = int(status_line.split(" ")[1])
        exchange.status = status
        writer.write(head)
        keep_open = headers.get("connection", "").lower() != "close"
        if method == "HEAD" or status in (204, 304) or status < 200:
            pass
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            await _relay_chunked(up_reader, writer)
        elif "content-length" in headers:
            await _relay_exact(up_reader, writer, int(headers["content-length"]))
        else:
            while chunk := await up_reader.read(65536):
                writer.write(chunk)
            keep_open = False
        await writer.drain()
        return keep_open


async def _read_head(reader: asyncio.StreamReader) -> bytes | None:
    """Bytes up to and including the blank line; None at a clean end of stream."""
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None
        raise


def _parse_head(head: bytes) -> tuple[str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return lines[0], headers


async def _relay_exact(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, length: int) -> None:
    while length > 0:
        chunk = await reader.read(min(length, 65536))
        if not chunk:
            raise ConnectionError("upstream closed mid-body")
        writer.write(chunk)
        length -= len(chunk)


async def _relay_chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        size_line = await reader.readuntil(b"\r\n")
        writer.write(size_line)
        size = int(size_line.split(b";")[0].strip(), 16)
        if size == 0:
            while (trailer := await reader.readuntil(b"\r\n")) != b"\r\n":
                writer.write(trailer)
            writer.write(b"\r\n")
            return
        writer.write(await reader.readexactly(size + 2))


def _canned_response(status: int, headers: Mapping[str, str]) -> bytes:
    body = f'{{"error": "injected by the latency proxy ({status})"}}'.encode()
    lines = [f"HTTP/1.1 {status} Injected", "Content-Type: application/json", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def main(argv: list[str] | None = None) -> None:
    """`python -m tests.registries.proxy TARGET_PORT DELAY_S`: a proxy in a process of its own,
    for benchmarks (in a thread, its work would share the measured interpreter's lock). Prints
    its port, then answers lines on stdin: `count [METHOD]` with the requests seen, `clear`
    with "ok". The end of stdin stops it."""
    target_port, delay_s = (argv if argv is not None else sys.argv[1:])[:2]
    with LatencyProxy("127.0.0.1", int(target_port), float(delay_s)) as proxy:
        print(proxy.port, flush=True)
        for line in sys.stdin:
            words = line.split()
            if words[:1] == ["count"]:
                print(proxy.count(words[1] if len(words) > 1 else None), flush=True)
            elif words == ["clear"]:
                proxy.clear()
                print("ok", flush=True)


if __name__ == "__main__":
    main()
