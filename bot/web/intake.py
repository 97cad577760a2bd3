"""The webhook intake as a bare ASGI app: the one hot path of the web process.

Order (shared/github-facts.md §6.4): size cap -> signature over the raw bytes -> headers ->
parse -> route -> durable enqueue (deduplicated by delivery id) -> answer. No scan runs here.
It is served outside starlette's middleware and router (see `app.py`), so it catches its own
errors and always answers.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson
from starlette.responses import JSONResponse, PlainTextResponse, Response

from bot.queue import Enqueued, JobQueue
from bot.web.events import BadPayload, router
from bot.web.signature import verify

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

MAX_PAYLOAD_BYTES = 25 * 1024 * 1024
"""GitHub does not deliver payloads over 25 MB (docs, "Webhook events and payloads")."""

# Answers rendered once: the hot path should not serialise JSON for every delivery.
IGNORED = Response(b'{"status":"ignored"}', status_code=200, media_type="application/json")
QUEUED = {
    outcome: Response(f'{{"status":"{outcome.value}"}}'.encode(), status_code=202, media_type="application/json")
    for outcome in Enqueued
}


def _error(status: int, message: str) -> Response:
    return JSONResponse({"message": message}, status_code=status)


class TooLarge(Exception):
    pass


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            raise TooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionError("client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class WebhookIntake:
    """`POST /api/github/webhooks`. `queue()` returns the open queue (set at start-up)."""

    def __init__(self, secret: str | None, queue: Callable[[], JobQueue | None], unconfigured: str | None) -> None:
        self.secret = secret
        self.queue = queue
        self.unconfigured = unconfigured
        """The setup help to answer with (503) while the App is not configured."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            response = await self.handle(scope, receive)
        except ConnectionError:
            return
        except Exception:  # answer, never drop the connection: GitHub records a failed delivery
            log.exception("webhook intake failed")
            response = _error(500, "internal error; the delivery was not queued")
        await response(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive) -> Response:
        if self.unconfigured is not None:
            return PlainTextResponse(self.unconfigured, status_code=503)
        try:
            body = await read_body(scope, receive, MAX_PAYLOAD_BYTES)
        except TooLarge:
            return _error(413, f"payload over {MAX_PAYLOAD_BYTES} bytes")
        headers = {name: value for name, value in scope["headers"] if name.startswith(b"x-")}
        signature = headers.get(b"x-hub-signature-256")
        if not signature:
            return _error(401, "missing X-Hub-Signature-256")
        assert self.secret is not None
        if not verify(self.secret, body, signature.decode("latin-1")):
            return _error(401, "signature does not match")
        event = headers.get(b"x-github-event", b"").decode("latin-1")
        delivery = headers.get(b"x-github-delivery", b"").decode("latin-1")
        if not event or not delivery:
            return _error(400, "missing X-GitHub-Event or X-GitHub-Delivery")
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return _error(400, "body is not valid JSON")
        if not isinstance(payload, dict):
            return _error(400, "body is not a JSON object")
        try:
            jobs = router.dispatch(event, payload)
        except BadPayload as exc:
            return _error(400, str(exc))
        if not jobs:
            return IGNORED
        queue = self.queue()
        if queue is None:
            return _error(503, "starting up")
        outcomes = []
        for index, job in enumerate(jobs):
            delivery_key = delivery if index == 0 else f"{delivery}/{index}"
            outcomes.append(await queue.enqueue(job.kind, job.key, dict(job.payload), delivery_id=delivery_key))
        if len(outcomes) == 1:
            return QUEUED[outcomes[0]]
        return JSONResponse({"status": [o.value for o in outcomes]}, status_code=202)
