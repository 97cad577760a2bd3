"""The web front door: webhook intake, health and a status page. Nothing slow happens here.

Intake order (shared/github-facts.md §6.4): size cap -> signature over the raw bytes -> parse ->
route -> durable enqueue (deduplicated by delivery id) -> answer. Scans run in the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.config import Settings
from bot.queue import JobQueue, open_queue
from bot.web.events import BadPayload, router
from bot.web.signature import verify

log = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 25 * 1024 * 1024
"""GitHub does not deliver payloads over 25 MB (docs, "Webhook events and payloads")."""

WEBHOOK_PATH = "/api/github/webhooks"

SETUP_HELP = """\
PR Warden is running, but it is not connected to a GitHub App yet.

Missing settings: {missing}

To register the App:
  1. Create a GitHub App from the manifest in app.yml (Settings -> Developer settings ->
     GitHub Apps -> New GitHub App, copying its events and permissions; or POST the manifest
     through GitHub's App-manifest flow). Set the webhook URL to https://<this host>{path}.
  2. Generate a private key and a webhook secret for the App.
  3. Start PR Warden with APP_ID, PRIVATE_KEY_PATH (or PRIVATE_KEY) and WEBHOOK_SECRET set,
     and GITHUB_API_URL for GitHub Enterprise Server.

Webhooks are answered with 503 until then.
"""


def _setup_message(settings: Settings) -> str:
    return SETUP_HELP.format(missing=", ".join(settings.missing), path=WEBHOOK_PATH)


class PayloadTooLarge(Exception):
    pass


async def _read_bounded(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status)


def create_app(
    settings: Settings,
    *,
    queue: JobQueue | None = None,
    start_worker: Callable[[JobQueue, asyncio.Event], Any] | None = None,
) -> Starlette:
    """Build the ASGI app. `start_worker` runs the embedded worker (an async callable)."""
    state: dict[str, Any] = {"queue": queue}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        own_queue = state["queue"] is None
        if own_queue:
            state["queue"] = open_queue(settings.data_dir)
        stop = asyncio.Event()
        task = None
        if start_worker is not None and settings.configured and settings.run_worker:
            task = asyncio.create_task(start_worker(state["queue"], stop), name="prwarden-worker")
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(task, timeout=30)
            if own_queue:
                await state["queue"].close()

    async def webhook(request: Request) -> Response:
        if not settings.configured:
            return PlainTextResponse(_setup_message(settings), status_code=503)
        try:
            body = await _read_bounded(request, MAX_PAYLOAD_BYTES)
        except PayloadTooLarge:
            return _error(413, f"payload over {MAX_PAYLOAD_BYTES} bytes")
        signature = request.headers.get("x-hub-signature-256")
        if not signature:
            return _error(401, "missing X-Hub-Signature-256")
        assert settings.webhook_secret is not None
        if not verify(settings.webhook_secret, body, signature):
            return _error(401, "signature does not match")
        event = request.headers.get("x-github-event")
        delivery = request.headers.get("x-github-delivery")
        if not event or not delivery:
            return _error(400, "missing X-GitHub-Event or X-GitHub-Delivery")
        try:
            payload = json.loads(body)
        except ValueError:
            return _error(400, "body is not valid JSON")
        if not isinstance(payload, dict):
            return _error(400, "body is not a JSON object")
        try:
            jobs = router.dispatch(event, payload)
        except BadPayload as exc:
            return _error(400, str(exc))
        if not jobs:
            return JSONResponse({"status": "ignored", "event": event, "action": payload.get("action")}, status_code=200)
        outcomes = []
        for index, job in enumerate(jobs):
            delivery_key = delivery if index == 0 else f"{delivery}/{index}"
            outcome = await state["queue"].enqueue(job.kind, job.key, dict(job.payload), delivery_id=delivery_key)
            outcomes.append(outcome.value)
        return JSONResponse({"status": outcomes[0] if len(outcomes) == 1 else outcomes}, status_code=202)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        if not settings.configured:
            return JSONResponse({"status": "not configured", "missing": settings.missing}, status_code=503)
        if state["queue"] is None:
            return JSONResponse({"status": "starting"}, status_code=503)
        return JSONResponse({"status": "ready", "queue": await state["queue"].stats()})

    async def home(request: Request) -> Response:
        if not settings.configured:
            return PlainTextResponse(_setup_message(settings))
        return PlainTextResponse(
            f"PR Warden is running for App {settings.app_id} against {settings.api_url}.\n"
            f"Webhooks: POST {WEBHOOK_PATH}. Health: /healthz, readiness: /readyz.\n"
        )

    return Starlette(
        routes=[
            Route(WEBHOOK_PATH, webhook, methods=["POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/", home),
        ],
        lifespan=lifespan,
    )
