"""Takes jobs off the queue, scans, reports. Owns the retry policy for whole jobs.

A job that cannot finish now (GitHub down, rate limited) goes back on the queue with a delay; a
job that fails for good still completes its check run, saying why, so no run stays in progress.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.analysis import Analyzer, Stage
from bot.analysis_pool import AnalysisPool
from bot.config import Settings
from bot.commands import ALLOWED_PERMISSIONS, HELP, REFUSED, Command, parse_command
from bot.drift.assess import RULE_BEHIND, RULE_SUMMARY
from bot.drift.stage import DriftStage
from bot.github import conversation
from bot.github.client import BodyTooLarge, GitHubApp, InstallationClient
from bot.github.errors import GitHubError, InstallationSuspended, RetryLater
from bot.model import ChangedFile, Finding, Kind, ScanResult, Severity
from bot.queue import Job, JobNotFound, JobQueue
from bot.repo_config import CONFIG_PATH, MAX_CONFIG_BYTES, RepoConfig, apply_repo_config, parse_repo_config
from bot.report.checkrun import RESCAN_ACTION, CheckOutput, CheckRunPublisher, check_name, failure_output, render, superseded_output
from bot.report.comment import SummaryCommentPublisher, render_comment
from bot.report.review import ReviewPublisher, plan_review
from bot.state import PullHead, SQLiteStateStore, StateStore, Triage
from bot.web.events import COMMAND, RERUN, SCAN, scan_job
from bot.scan import ScanLimits, default_analyzers, default_stages, run_scan
from bot.sources.github_pr import GitHubPullSource

log = logging.getLogger(__name__)

MAX_JOB_ATTEMPTS = 4
JOB_RETRY_BASE_SECONDS = 30.0
LEASE_SECONDS = 600.0
RESCAN_GATHER_SECONDS = 3.0
"""A `/prwarden rescan` waits this long before it starts: every command until it starts joins
it, so several comments a few seconds apart make one scan."""
RESCAN_CLAIM_STALE_SECONDS = 900.0
"""A claimed rescan that has not started after this long is presumed lost: the next command
queues a new one rather than waiting on it forever."""
REFUSAL_REPLY_SECONDS = 3600.0
"""A person without write access gets the polite reply once per PR in this long; later
commands get a "confused" reaction only."""
HEAD_WATCH_SECONDS = 1.0
"""How often a running scan checks whether a newer head of its PR has started scanning."""
MAX_PULLS_PER_RERUN = 10
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
        state: StateStore | None = None,
    ) -> None:
        """`pool`: analyse in worker processes (the default analyzers), off the web process's GIL.
        `stages`: drift and the like; by default from the environment (registries)."""
        self.pool = pool
        self.stages = list(stages) if stages is not None else default_stages(os.environ, settings.data_dir)
        self.state: StateStore = state if state is not None else SQLiteStateStore(Path(settings.data_dir) / "state.sqlite3")
        self._locks: dict[tuple[str, int], asyncio.Lock] = {}
        self._handlers: dict[str, Callable[..., Awaitable[None]]] = {SCAN: self.scan, COMMAND: self.command, RERUN: self.rerun}
        self._sampled_at, self._sampled_count, self._rate = time.monotonic(), 0, 0.0
        self.queue = queue
        self.github = github
        self.settings = settings
        self.analyzers = list(analyzers) if analyzers is not None else default_analyzers()
        self.limits = limits or ScanLimits()
        self.retry_base = retry_base

    async def run(self, stop: asyncio.Event) -> None:
        """Run `settings.workers` job loops until `stop` is set, plus one for commands and re-runs
        only: those are a few quick API calls (the 👀 comes "at once"), and must not wait behind
        long scans that hold every other loop."""
        loops = [self._loop(stop, index) for index in range(self.settings.workers)]
        await asyncio.gather(*loops, self._loop(stop, -1, kinds=(COMMAND, RERUN)))

    async def _loop(self, stop: asyncio.Event, index: int, kinds: tuple[str, ...] = ()) -> None:
        while not stop.is_set():
            if index > 0 and self._intake_busy():
                await asyncio.sleep(0.25)
                continue
            job = await self.queue.claim(lease_seconds=LEASE_SECONDS, kinds=kinds)
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
            handler = self._handlers.get(job.kind)
            if handler is not None:
                await handler(job, final=attempt >= MAX_JOB_ATTEMPTS)
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
        """Scan one head of one PR: check run, summary comment, review comments, reactions.

        A scan of a head that is no longer the PR's head (a newer push, or deliveries out of
        order) completes its run as cancelled, makes sure the real head is queued, and never
        touches the comment: the PR's real head is what ends up reported."""
        p: dict[str, Any] = job.payload
        repo, number, head_sha = str(p["repo"]), int(p["number"]), str(p["head_sha"])
        installation_id = int(p["installation_id"])
        client = self.github.installation(installation_id)
        only = frozenset(Kind(k) for k in p.get("kinds") or ())
        if p.get("reason") == "rescan":
            # Commands from now on are not covered by this scan (it may read the triage and take
            # the waiting reactions before they are recorded): they must claim another one.
            claimed = await self.state.rescan_started(repo, number)
            if claimed is not None:  # every command that joined, e.g. "drift" and "owasp"
                only = frozenset(Kind(k) for k in claimed)
        async with client.session():
            await self.state.remember_head(PullHead(repo, head_sha, number, str(p["base_sha"]), installation_id))
            publisher = CheckRunPublisher(client, repo, check_name(only))
            pr = await conversation.pull(client, repo, number)
            if await self._superseded(job, client, publisher, pr):
                return
            run_id, already_sent = await publisher.start(head_sha, external_id=job.id, resume=job.attempts > 0)
            output: CheckOutput
            config = RepoConfig()
            result: ScanResult | None = None
            accepted: list[tuple[Finding, str, str]] = []
            changed: dict[str, ChangedFile] = {}
            try:
                config, problems, warnings = await self._repo_config(client, repo, str((pr.get("base") or {}).get("ref") or p["base_sha"]))
                source = GitHubPullSource(client, repo, number, head_sha, str(p["base_sha"]), changed_files=p.get("changed_files"))
                analyzers = [a for a in self.analyzers if config.kind_enabled(a.kind) and (not only or a.kind in only)]
                stages = [s for s in self._stages_for(config) if config.kind_enabled(s.kind) and (not only or s.kind in only)]
                # The pool's processes run the default analyzers: only a scan of all of them can use it.
                pool = self.pool if analyzers == self.analyzers else None
                scanned = await self._unless_superseded(
                    run_scan(source, analyzers, self.limits, pool=pool, stages=stages), client, repo, number, head_sha
                )
                result = apply_repo_config(scanned, config)
                result, accepted = _split_accepted(result, await self.state.accepted(repo))
                changed = {f.path: f for f in (await source.changes()).files}
                output = render(
                    result, fail_on=config.fail_on, config_problems=problems, config_warnings=warnings, accepted=accepted, only=only
                )
            except _Superseded as exc:
                # A newer head of this PR is being scanned already: stop here, mid-scan.
                await publisher.complete(run_id, superseded_output(exc.head_sha), already_sent=already_sent)
                return
            except InstallationSuspended:
                raise
            except GitHubError as exc:
                if not final and _retryable(exc):
                    raise
                output = failure_output(str(exc))
            except Exception as exc:
                log.exception("scan of %s@%s crashed", repo, head_sha)
                output = failure_output(f"internal error: {exc!r}")
            newer = _head_of(await conversation.pull(client, repo, number))
            if newer != head_sha:
                await publisher.complete(run_id, superseded_output(newer), already_sent=already_sent)
                return
            await publisher.complete(run_id, output, already_sent=already_sent)
            if result is None:
                # The scan failed for good (its run says why): the commands that asked for it
                # get "confused" instead of waiting for a rocket that would never come.
                for comment_id in await self.state.take_reactions(repo, number):
                    await conversation.react(client, repo, comment_id, "confused")
                return
            if only:
                # A rescan of one kind (`/prwarden rescan drift`) reports on its own check run; the
                # summary comment covers every kind, so it would call the others "fixed".
                config = replace(config, comment=False)
            else:
                await self.state.remember_reported(repo, number, (f.fingerprint for f in result.findings))
            await self._converse(client, repo, number, head_sha, result, accepted, config, changed)

    async def _unless_superseded(
        self, scan: Awaitable[ScanResult], client: InstallationClient, repo: str, number: int, head_sha: str
    ) -> ScanResult:
        """`scan`'s result, unless a newer head of the PR starts scanning meanwhile (another job
        remembers it): then the scan is cancelled and `_Superseded` raised. A remembered head
        that GitHub does not confirm (deliveries out of order) lets the scan go on."""
        task = asyncio.ensure_future(scan)
        try:
            checked: str | None = head_sha
            while True:
                done, _ = await asyncio.wait({task}, timeout=HEAD_WATCH_SECONDS)
                if done:
                    return task.result()
                newest = await self.state.newest_head(repo, number)
                if newest is None or newest == checked:
                    continue
                checked = newest
                real = _head_of(await conversation.pull(client, repo, number))
                if real and real != head_sha:
                    log.info("scan of %s#%d@%s: superseded by %s, stopping", repo, number, head_sha[:12], real[:12])
                    raise _Superseded(real)
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _superseded(self, job: Job, client: InstallationClient, publisher: CheckRunPublisher, pr: dict[str, Any]) -> bool:
        p = job.payload
        real = _head_of(pr)
        if real == str(p["head_sha"]) or not real:
            return False
        run_id, sent = await publisher.start(str(p["head_sha"]), external_id=job.id, resume=job.attempts > 0)
        await publisher.complete(run_id, superseded_output(real), already_sent=sent)
        if str(pr.get("state", "open")) == "open":
            base = str((pr.get("base") or {}).get("sha") or p["base_sha"])
            spec = scan_job(str(p["repo"]), int(p["number"]), real, base, int(p["installation_id"]), "superseded")
            await self.queue.enqueue(spec.kind, spec.key, spec.payload)
        return True

    async def _repo_config(
        self, client: InstallationClient, repo: str, base_ref: str
    ) -> tuple[RepoConfig, list[tuple[int, str]], list[tuple[int, str]]]:
        """`.github/prwarden.yml` from the base branch: a PR cannot relax its own gate. Returns
        the config, its errors and its warnings, each as (line, message)."""
        try:
            data = await client.read_bounded(f"/repos/{repo}/contents/{CONFIG_PATH}", params={"ref": base_ref}, cap=MAX_CONFIG_BYTES + 1)
        except BodyTooLarge:
            data = b"x" * (MAX_CONFIG_BYTES + 1)
        text = None if data is None else data.decode("utf-8", errors="replace")
        parsed = parse_repo_config(text, default_fail_on=self.settings.fail_on, known_rules=self._known_rules())
        problems = [(e.line, e.message) for e in parsed.errors]
        warnings = [(w.line, w.message) for w in parsed.warnings]
        return parsed.config, problems, warnings

    def _known_rules(self) -> frozenset[str]:
        ids = {RULE_BEHIND, RULE_SUMMARY}
        for analyzer in self.analyzers:
            ids.update(getattr(rule, "id", "") for rule in getattr(analyzer, "rules", ()))
        return frozenset(i for i in ids if i)

    def _stages_for(self, config: RepoConfig) -> list[Stage]:
        out: list[Stage] = []
        for stage in self.stages:
            if isinstance(stage, DriftStage):
                stage = stage.with_thresholds(config.thresholds())
            out.append(stage)
        return out

    async def _converse(
        self,
        client: InstallationClient,
        repo: str,
        number: int,
        head_sha: str,
        result: ScanResult,
        accepted: list[tuple[Finding, str, str]],
        config: RepoConfig,
        changed: Mapping[str, ChangedFile],
    ) -> None:
        """The PR conversation after a scan: the summary comment, review comments, and the
        "rocket" on the commands that asked for it."""
        async with self._pr_lock(repo, number):
            if _head_of(await conversation.pull(client, repo, number)) != head_sha:
                # Pushed to since this scan's last check: the newer head's scan reports (and
                # brings the rockets); writing now could overwrite what it already wrote.
                return
            if config.comment:
                comments = SummaryCommentPublisher(client, repo, self.settings.app_id)
                previous = await comments.previous(number)
                rendered = render_comment(result, repo=repo, head_sha=head_sha, previous=previous, fail_on=config.fail_on or Severity.CRITICAL, accepted=accepted)
                await comments.publish(number, rendered.body)
            if config.review_comments:
                await self._review(client, repo, number, head_sha, result, changed)
            for comment_id in await self.state.take_reactions(repo, number):
                await conversation.react(client, repo, comment_id, "rocket")

    async def _review(
        self, client: InstallationClient, repo: str, number: int, head_sha: str, result: ScanResult, changed: Mapping[str, ChangedFile]
    ) -> None:
        """One review with a comment per new finding on a line of the diff (`review_comments:
        true`); findings commented on by an earlier scan are not commented again."""
        publisher = ReviewPublisher(client, repo)
        # GitHub's own list too: the state store may be new (a moved or lost data directory).
        already = await self.state.reviewed(repo, number) | await publisher.commented(number)
        plan = plan_review(result.findings, changed, already)
        if not plan.comments:
            return
        summary = f"PR Warden: {len(plan.comments)} finding{'s' if len(plan.comments) != 1 else ''} on lines this pull request changes."
        if await publisher.post(number, head_sha, plan, summary=summary):
            await self.state.mark_reviewed(repo, number, plan.fingerprints)

    def _pr_lock(self, repo: str, number: int) -> asyncio.Lock:
        return self._locks.setdefault((repo, number), asyncio.Lock())

    async def command(self, job: Job, *, final: bool) -> None:
        """`/prwarden ...` from a PR comment: eyes at once, then the work, then rocket."""
        p = job.payload
        repo, number, comment_id, login = str(p["repo"]), int(p["number"]), int(p["comment_id"]), str(p["login"])
        client = self.github.installation(int(p["installation_id"]))
        async with client.session():
            if await conversation.permission(client, repo, login) not in ALLOWED_PERMISSIONS:
                # Once an hour per person and PR: anyone who can comment could otherwise make the
                # bot post a reply per comment.
                if await self.state.first_refusal(repo, number, login, now=time.time(), window_seconds=REFUSAL_REPLY_SECONDS):
                    await conversation.reply(client, repo, number, REFUSED)
                else:
                    await conversation.react(client, repo, comment_id, "confused")
                return
            await conversation.react(client, repo, comment_id, "eyes")
            command = parse_command(str(p["command"]))
            if command.problem:
                await conversation.reply(client, repo, number, f"`/prwarden`: {command.problem}.\n\n{HELP}")
                return
            if command.name == "help":
                await conversation.reply(client, repo, number, HELP)
                await conversation.react(client, repo, comment_id, "rocket")
                return
            if command.name == "ignore":
                if not await self._ignore(client, repo, number, login, command):
                    return
            await self.state.await_reaction(repo, number, comment_id)
            kinds = frozenset(k.value for k in command.kinds)
            if not await self.state.claim_rescan(repo, number, kinds, now=time.time(), stale_seconds=RESCAN_CLAIM_STALE_SECONDS):
                return  # a queued rescan covers this one (widened to its kinds); its end brings the rocket
            pr = await conversation.pull(client, repo, number)
            spec = scan_job(repo, number, _head_of(pr), str(pr["base"]["sha"]), int(p["installation_id"]), "rescan")
            payload = {**spec.payload, "kinds": sorted(kinds)}
            await self.queue.enqueue(spec.kind, f"{spec.key}!rescan", payload, delay_seconds=RESCAN_GATHER_SECONDS)

    async def _ignore(self, client: InstallationClient, repo: str, number: int, login: str, command: Command) -> bool:
        """Ids resolve against what the latest scan of this PR reported (the check run and the
        summary comment show them), and the comment's own state for scans before that record."""
        known = await self.state.reported(repo, number)
        if not known:  # a PR last scanned before the store kept this, or with nothing reported
            previous = await SummaryCommentPublisher(client, repo, self.settings.app_id).previous(number)
            known = set(previous.fingerprints()) if previous else set()
        matches = sorted({f for f in known if f.startswith(command.finding_id)})
        if len(matches) != 1:
            why = "no finding reported on this pull request has" if not matches else "more than one finding has"
            await conversation.reply(client, repo, number, f"`/prwarden ignore`: {why} the id `{command.finding_id}`.")
            return False
        await self.state.accept(Triage(repo, matches[0], login, command.reason, time.time()))
        return True

    async def rerun(self, job: Job, *, final: bool) -> None:
        """GitHub's "Re-run" buttons and our "Rescan" action: a new run on the same head."""
        p = job.payload
        if p.get("app_id") is not None and str(p["app_id"]) != str(self.settings.app_id):
            return  # another app's check run or suite
        if p["reason"] == "requested_action" and p.get("identifier") != RESCAN_ACTION["identifier"]:
            return
        repo, head_sha = str(p["repo"]), str(p["head_sha"])
        pulls = list(p.get("pulls") or [])
        if not pulls:
            known = await self.state.pull_for_head(repo, head_sha)  # fork PRs: GitHub sends none
            if known is None:
                log.warning("re-run of %s@%s: no pull request known for that head", repo, head_sha)
                return
            pulls = [{"number": known.number, "base_sha": known.base_sha}]
        for item in pulls[:MAX_PULLS_PER_RERUN]:
            spec = scan_job(repo, int(item["number"]), head_sha, str(item["base_sha"]), int(p["installation_id"]), "rerun")
            await self.queue.enqueue(spec.kind, f"{spec.key}!rerun:{job.id}", spec.payload)


class _Superseded(Exception):
    def __init__(self, head_sha: str) -> None:
        super().__init__(head_sha)
        self.head_sha = head_sha


def _head_of(pr: dict[str, Any]) -> str:
    return str((pr.get("head") or {}).get("sha") or "")


def _split_accepted(result: ScanResult, decisions: dict[str, Triage]) -> tuple[ScanResult, list[tuple[Finding, str, str]]]:
    """Findings triaged with `/prwarden ignore` leave the report and are listed as accepted."""
    if not decisions:
        return result, []
    kept = [f for f in result.findings if f.fingerprint not in decisions]
    accepted = [(f, decisions[f.fingerprint].who, decisions[f.fingerprint].why) for f in result.findings if f.fingerprint in decisions]
    return replace(result, findings=tuple(kept)), accepted


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
