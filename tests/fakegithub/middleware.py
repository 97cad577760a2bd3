"""The outer ASGI layer: recording, fault injection, rate limits, common headers.

Why a raw ASGI layer and not a starlette middleware: it must be able to drop a connection
without any response (``Fault.reset``), replay the request body after recording it, and see the
final status and body of every response for recording and response-schema self-checks.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import secrets
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import auth, limits, openapi
from .errors import JSON_CONTENT_TYPE
from .faults import Fault
from .ratelimit import Bucket, RateLimiter

if TYPE_CHECKING:
    from .fake import FakeGitHub, RecordedRequest

_REPOSITORIES_ALIAS = re.compile(r"^/repositories/(\d+)(/.*)?$")
DEFAULT_API_VERSION = "2022-11-28"


class FakeGitHubMiddleware:
    """Wraps the starlette app; see the module docstring."""

    def __init__(self, app: ASGIApp, fake: FakeGitHub) -> None:
        self.app = app
        self.fake = fake
        self.limiter = RateLimiter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from .fake import RecordedRequest

        fake = self.fake
        body = await _read_body(receive)
        raw_path: str = scope["path"]
        path = self._canonical_path(raw_path)
        scope = dict(scope, path=path, raw_path=path.encode())
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        kind, installation_id, bucket_key, limit, credential = self._identify(headers.get("authorization"))
        record = RecordedRequest(
            method=scope["method"],
            path=path,
            query=dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)),
            headers=_redact(headers),
            json=_maybe_json(body),
            body=body,
            started_at=time.time(),
            auth=kind,
            installation_id=installation_id,
        )
        fake.requests.append(record)
        try:
            await self._serve(scope, body, send, record, bucket_key, limit, credential, headers)
        finally:
            record.finished_at = time.time()

    async def _serve(
        self,
        scope: Scope,
        body: bytes,
        send: Send,
        record: RecordedRequest,
        bucket_key: str,
        limit: int,
        credential: str | None,
        headers: dict[str, str],
    ) -> None:
        fake = self.fake
        fault = fake.faults.take(record.method, record.path)
        if fault is not None:
            record.fault = fault.kind
            if fault.kind == "delay":
                await asyncio.sleep(fault.seconds)
            elif fault.kind == "reset":
                await _drop_connection(send)
                return
            else:
                bucket = self.limiter.peek(bucket_key, limit, fake.now())
                await self._answer_fault(fault, send, record, bucket, credential)
                return
        if record.path == "/rate_limit":  # free, as on GitHub
            allowed, bucket = True, self.limiter.peek(bucket_key, limit, fake.now())
        else:
            allowed, bucket = self.limiter.hit(bucket_key, limit, fake.now())
        common = self._common_headers(bucket, headers)
        if not allowed:
            who = f"installation ID {record.installation_id}" if record.installation_id else "127.0.0.1"
            await _send_json(
                send,
                403,
                {
                    "message": f"API rate limit exceeded for {who}.",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
                    "status": "403",
                },
                common,
                record,
            )
            return
        version = headers.get("x-github-api-version")
        if version is not None and version not in fake.supported_api_versions:
            await _send_json(
                send,
                400,
                {"message": f"Invalid API version '{version}'.", "documentation_url": limits.DOCS, "status": "400"},
                common,
                record,
            )
            return
        await self._call_app(scope, body, send, record, common)

    async def _call_app(
        self, scope: Scope, body: bytes, send: Send, record: RecordedRequest, common: dict[str, str]
    ) -> None:
        sent_body = False
        chunks: list[bytes] = []
        is_json = False

        async def replay() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        async def send_wrapper(message: Message) -> None:
            nonlocal is_json
            if message["type"] == "http.response.start":
                record.status = message["status"]
                present = {k.decode("latin-1").lower() for k, _ in message.get("headers", [])}
                extra = [(k.encode(), v.encode()) for k, v in common.items() if k not in present]
                message = dict(message, headers=list(message.get("headers", [])) + extra)
                is_json = any(
                    k.lower() == b"content-type" and v.startswith(b"application/json") for k, v in message["headers"]
                )
            elif message["type"] == "http.response.body" and is_json:
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, replay, send_wrapper)
        if is_json and record.status is not None and 200 <= record.status < 300 and self.fake.validate_responses:
            self._self_check(record, b"".join(chunks))

    def _self_check(self, record: RecordedRequest, payload: bytes) -> None:
        """Validate the fake's own 2xx JSON against GitHub's response schema (fake bugs only)."""
        try:
            document = json.loads(payload)
            problems = openapi.description().validate_response(record.method, record.path, record.status or 0, document)
        except Exception as exc:  # noqa: BLE001 - a self-check must never break serving
            problems = [f"self-check crashed: {exc!r}"]
        for problem in problems:
            self.fake.response_violations.append(f"{record.method} {record.path} -> {record.status}: {problem}")

    async def _answer_fault(
        self, fault: Fault, send: Send, record: RecordedRequest, bucket: Bucket, credential: str | None
    ) -> None:
        fake = self.fake
        headers = self._common_headers(bucket, {})
        if fault.kind == "primary_rate_limit":
            reset_at = math.ceil(fake.now()) + fault.reset_in  # never earlier than asked
            headers.update(
                {
                    "x-ratelimit-remaining": "0",
                    "x-ratelimit-used": str(bucket.limit),
                    "x-ratelimit-reset": str(reset_at),
                }
            )
            who = f"installation ID {record.installation_id}" if record.installation_id else "127.0.0.1"
            payload: Any = {
                "message": f"API rate limit exceeded for {who}.",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
                "status": str(fault.status_code),
            }
            await _send_json(send, fault.status_code, payload, headers, record)
            return
        if fault.kind == "revoke_token":
            if credential:
                fake.tokens.revoke(credential)
            payload = {"message": "Bad credentials", "documentation_url": limits.DOCS, "status": "401"}
            await _send_json(send, 401, payload, headers, record)
            return
        headers.update({k.lower(): v for k, v in fault.headers.items()})
        await _send_json(send, fault.status_code, fault.default_body(), headers, record)

    def _common_headers(self, bucket: Bucket, request_headers: dict[str, str]) -> dict[str, str]:
        headers = bucket.headers()
        headers["x-github-request-id"] = secrets.token_hex(8).upper()
        headers["x-github-api-version-selected"] = request_headers.get("x-github-api-version", DEFAULT_API_VERSION)
        headers["x-github-media-type"] = "github.v3; format=json"
        return headers

    def _canonical_path(self, path: str) -> str:
        """``/repositories/{id}/...`` (used by GitHub's Link headers) -> ``/repos/{owner}/{repo}/...``."""
        match = _REPOSITORIES_ALIAS.match(path)
        if match:
            repo = self.fake.repo_by_id(int(match.group(1)))
            if repo is not None:
                return f"/repos/{repo.full_name}{match.group(2) or ''}"
        return path

    def _identify(self, authorization: str | None) -> tuple[str | None, int | None, str, int, str | None]:
        """(auth kind, installation id, rate-limit bucket key, limit, credential)."""
        fake = self.fake
        scheme, credential = auth.parse_authorization(authorization)
        if credential is None:
            return None, None, "anon", limits.RATE_LIMIT_UNAUTHENTICATED, None
        if scheme == "bearer" and auth.looks_like_jwt(credential):
            return "jwt", None, "app", fake.rate_limit, credential
        token = fake.tokens.get(credential)
        if token is not None:
            return "installation", token.installation_id, f"token:{credential}", fake.rate_limit, credential
        return "unknown", None, "anon", limits.RATE_LIMIT_UNAUTHENTICATED, credential


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send_json(send: Send, status: int, payload: Any, headers: dict[str, str], record: RecordedRequest) -> None:
    record.status = status
    data = json.dumps(payload).encode()
    raw_headers = [(k.encode(), v.encode()) for k, v in headers.items() if k.lower() != "content-type"]
    raw_headers += [(b"content-type", JSON_CONTENT_TYPE.encode()), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": data})


async def _drop_connection(send: Send) -> None:
    """Close the TCP connection without a response.

    uvicorn's ``send`` is a bound method of its per-request cycle object, which holds the
    transport; aborting it closes the socket with nothing written.  If that internal detail
    ever changes, fall back to starting a response and never finishing it (the client then
    sees a truncated response instead of none).
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is not None:
        transport.abort()
        cycle.disconnected = True  # type: ignore[union-attr]
        await asyncio.sleep(0)
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
    raise ConnectionAbortedError("Fault.reset(): connection dropped")


def _maybe_json(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def _redact(headers: dict[str, str]) -> dict[str, str]:
    out = dict(headers)
    if "authorization" in out:
        out["authorization"] = out["authorization"].split(" ", 1)[0]
    return out
