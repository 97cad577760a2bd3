"""The web front door: webhook intake, health and a status page. Nothing slow happens here.

The intake itself is `intake.py`; this module wires it with health, readiness, the status page
and the lifespan that opens the queue and starts the embedded worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.config import Settings
from bot.queue import JobQueue, open_queue
from bot.web.intake import Receive, Scope, Send, WebhookIntake

log = logging.getLogger(__name__)

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


def create_app(
    settings: Settings,
    *,
    queue: JobQueue | None = None,
    start_worker: Callable[[JobQueue, asyncio.Event], Any] | None = None,
) -> "FastPathApp":
    """Build the ASGI app. `start_worker` runs the embedded worker (an async callable)."""
    state: dict[str, Any] = {"queue": queue}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        own_queue = state["queue"] is None
        if own_queue:
            state["queue"] = open_queue(settings.data_dir, synchronous=settings.queue_sync)
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

    intake = WebhookIntake(
        settings.webhook_secret,
        lambda: state["queue"],
        None if settings.configured else _setup_message(settings),
    )
    pages = Starlette(
        routes=[
            Route(WEBHOOK_PATH, intake, methods=["POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/", home),
        ],
        lifespan=lifespan,
    )
    return FastPathApp(pages, WEBHOOK_PATH, intake)


class FastPathApp:
    """Sends webhook deliveries straight to the intake, everything else through starlette.

    The intake is the only path under load; skipping starlette's middleware stack and router
    for it is a measured share of the intake's budget (bench/README.md). The route is also
    registered in starlette, so method errors and the route table stay as usual.
    """

    def __init__(self, app: Starlette, path: str, intake: WebhookIntake) -> None:
        self.app = app
        self.path = path
        self.intake = intake

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == self.path:
            await self.intake(scope, receive, send)
        else:
            await self.app(scope, receive, send)
