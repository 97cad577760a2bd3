"""Runs PR Warden's real ASGI app under uvicorn on 127.0.0.1, in a thread, for end-to-end tests."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import uvicorn

from bot.analysis_pool import AnalysisPool
from bot.config import Settings
from bot.github.client import GitHubApp
from bot.github.retry import RetryPolicy
from bot.queue import JobQueue
from bot.web.app import create_app
from bot.worker import Worker

FAST_RETRIES = RetryPolicy(max_attempts=5, base_delay=0.05, max_backoff=0.5, max_sleep_in_call=5.0)


def test_worker(settings: Settings, policy: RetryPolicy = FAST_RETRIES) -> Callable[[JobQueue, asyncio.Event], Any]:
    """The embedded worker with short backoffs, so fault-injection tests finish quickly; with
    `settings.analysis_process`, large changes are analysed in a helper process as in production."""

    async def start(queue: JobQueue, stop: asyncio.Event) -> None:
        assert settings.app_id and settings.private_key
        github = GitHubApp(app_id=settings.app_id, private_key=settings.private_key, api_url=settings.api_url, policy=policy, timeout=5.0)
        pool = AnalysisPool(processes=1) if settings.analysis_process else None
        try:
            await Worker(queue, github, settings, retry_base=0.2, pool=pool).run(stop)
        finally:
            if pool is not None:
                await asyncio.to_thread(pool.close)

    return start


class BotServer:
    def __init__(self, settings: Settings, *, worker: bool = True) -> None:
        self.settings = settings
        self.app = create_app(settings, start_worker=test_worker(settings) if worker else None)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="on", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def webhook_url(self) -> str:
        return self.url + "/api/github/webhooks"

    def __enter__(self) -> BotServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("PR Warden did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._sock.close()


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.02) -> Any:
    """Poll until `predicate()` is truthy; the tests' only way to wait on the worker."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
