"""Takes jobs off the queue, scans, reports. Owns the retry policy for whole jobs.

A job that cannot finish now (GitHub down, rate limited) goes back on the queue with a delay; a
job that fails for good still completes its check run, saying why, so no run stays in progress.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Sequence
from typing import Any

from bot.analysis import Analyzer, Stage
from bot.analysis_pool import AnalysisPool
from bot.config import Settings
from bot.github.client import GitHubApp
from bot.github.errors import GitHubError, InstallationSuspended, RetryLater
from bot.queue import Job, JobNotFound, JobQueue
from bot.report.checkrun import CheckOutput, CheckRunPublisher, failure_output, render
from bot.scan import ScanLimits, default_analyzers, default_stages, run_scan
from bot.sources.github_pr import GitHubPullSource

log = logging.getLogger(__name__)

MAX_JOB_ATTEMPTS = 4
JOB_RETRY_BASE_SECONDS = 30.0
LEASE_SECONDS = 600.0
BUSY_INTAKE_PER_SECOND = 200.0
"""Above this many webhooks a second, only one scan runs at a time: acknowledging deliveries
within GitHub's 10 s comes first, scans can wait (bench/README.md, intake)."""


def _retryable(exc: GitHubError) -> bool:
    return exc.status is None or exc.status >= 500 or exc.status in (403, 429)


class Worker:
    def __init__(
        self,
        queue: JobQueue,
        github: GitHubApp,
        settings: Settings,
        analyzers: Sequence[Analyzer] | None = None,
        *,
        limits: ScanLimits | None = None,
        retry_base: float = JOB_RETRY_BASE_SECONDS,
        pool: AnalysisPool | None = None,
        stages: Sequence[Stage] | None = None,
    ) -> None:
        """`pool`: analyse in worker processes (the default analyzers), off the web process's GIL.
        `stages`: drift and the like; by default from the environment (registries)."""
        self.pool = pool
        self.stages = list(stages) if stages is not None else default_stages(os.environ, settings.data_dir)
        self._sampled_at, self._sampled_count, self._rate = time.monotonic(), 0, 0.0
        self.queue = queue
        self.github = github
        self.settings = settings
        self.analyzers = list(analyzers) if analyzers is not None else default_analyzers()
        self.limits = limits or ScanLimits()
        self.retry_base = retry_base

    async def run(self, stop: asyncio.Event) -> None:
        """Run `settings.workers` job loops until `stop` is set."""
        await asyncio.gather(*(self._loop(stop, index) for index in range(self.settings.workers)))

    async def _loop(self, stop: asyncio.Event, index: int) -> None:
        while not stop.is_set():
            if index > 0 and self._intake_busy():
                await asyncio.sleep(0.25)
                continue
            job = await self.queue.claim(lease_seconds=LEASE_SECONDS)
            if job is None:
                await self.queue.wait(timeout=1.0)
                continue
            await self.handle(job)

    def _intake_busy(self) -> bool:
        """Whether webhooks arrive faster than BUSY_INTAKE_PER_SECOND (sampled every 0.5 s)."""
        now = time.monotonic()
        elapsed = now - self._sampled_at
        if elapsed >= 0.5:
            self._rate = (self.queue.enqueues - self._sampled_count) / elapsed
            self._sampled_at, self._sampled_count = now, self.queue.enqueues
        return self._rate > BUSY_INTAKE_PER_SECOND

    async def handle(self, job: Job) -> None:
        try:
            await self._handle(job)
        except JobNotFound:
            # Our lease lapsed and the job went to someone else (or was superseded): nothing to do.
            log.warning("job %s: lease lost before it finished", job.id)

    async def _handle(self, job: Job) -> None:
        attempt = job.attempts + 1
        try:
            if job.kind == "scan":
                await self.scan(job, final=attempt >= MAX_JOB_ATTEMPTS)
            else:
                log.error("unknown job kind %r; dropping job %s", job.kind, job.id)
                await self.queue.fail(job.id, error=f"unknown job kind {job.kind!r}")
                return
        except RetryLater as exc:
            delay = max(1.0, exc.retry_at - time.time())
            log.warning("job %s waits %.0fs: %s", job.id, delay, exc)
            await self.queue.retry(job.id, delay_seconds=delay, error=str(exc))
        except GitHubError as exc:
            if _retryable(exc) and attempt < MAX_JOB_ATTEMPTS:
                delay = self.retry_base * 2 ** (attempt - 1)
                log.warning("job %s failed (%s); retry in %.0fs", job.id, exc, delay)
                await self.queue.retry(job.id, delay_seconds=delay, error=str(exc))
            else:
                log.error("job %s failed for good: %s", job.id, exc)
                await self.queue.fail(job.id, error=str(exc))
        except Exception as exc:  # a bug must not kill the worker loop
            log.exception("job %s crashed", job.id)
            await self.queue.fail(job.id, error=repr(exc))
        else:
            await self.queue.complete(job.id)

    async def scan(self, job: Job, *, final: bool) -> None:
        p: dict[str, Any] = job.payload
        repo, head_sha = str(p["repo"]), str(p["head_sha"])
        client = self.github.installation(int(p["installation_id"]))
        async with client.session():
            publisher = CheckRunPublisher(client, repo)
            run_id, already_sent = await publisher.start(head_sha, external_id=job.id, resume=job.attempts > 0)
            output: CheckOutput
            try:
                source = GitHubPullSource(
                    client, repo, int(p["number"]), head_sha, str(p["base_sha"]), changed_files=p.get("changed_files")
                )
                result = await run_scan(source, self.analyzers, self.limits, pool=self.pool, stages=self.stages)
                output = render(result, fail_on=self.settings.fail_on)
            except InstallationSuspended:
                raise
            except GitHubError as exc:
                if not final and _retryable(exc):
                    raise
                output = failure_output(str(exc))
            except Exception as exc:
                log.exception("scan of %s@%s crashed", repo, head_sha)
                output = failure_output(f"internal error: {exc!r}")
            await publisher.complete(run_id, output, already_sent=already_sent)


def embedded_worker(settings: Settings):  # type: ignore[no-untyped-def]
    """The `start_worker` hook for `create_app`: runs the worker in the web process."""
    assert settings.app_id and settings.private_key

    async def start(queue: JobQueue, stop: asyncio.Event) -> None:
        github = GitHubApp(app_id=settings.app_id, private_key=settings.private_key, api_url=settings.api_url)
        analyzers = await asyncio.to_thread(default_analyzers)
        # Parsing and matching hold the GIL: in this process they would stall the webhook intake
        # for as long as a large pull request takes to analyse.
        pool = AnalysisPool(processes=1) if settings.analysis_process else None
        try:
            await Worker(queue, github, settings, analyzers, pool=pool).run(stop)
        finally:
            if pool is not None:
                await asyncio.to_thread(pool.close)

    return start
