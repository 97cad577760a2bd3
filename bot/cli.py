"""`prwarden`: serve | worker | scan | rules list | rules test.

Exit codes: 0 fine, 1 findings at or above the fail level (scan) or failing rule tests,
2 usage or setup errors with a message on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot import __version__
from bot.model import ScanResult, Severity

if TYPE_CHECKING:
    from bot.analysis import Analyzer, Stage
    from bot.analysis_pool import ForkedAnalysisPool
    from bot.sources.local_git import LocalGitSource

EXIT_FINDINGS = 1
EXIT_USAGE = 2


def _fail(message: str) -> int:
    print(f"prwarden: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def settle_garbage_collector() -> None:
    """Keep full garbage collections from pausing the intake.

    githubkit's pydantic models make a large, long-lived heap at import; every webhook allocates
    thousands of short-lived objects (the parsed payload), which triggers full collections that
    walk that whole heap: 20-40 ms pauses that set the p99 (bench/README.md). Freezing what
    start-up built and raising the gen-0 threshold keeps collections short and rare.
    """
    import gc

    import bot.worker  # noqa: F401  (import the worker's modules before freezing)
    from bot.owasp import engine  # noqa: F401

    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 100)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from bot.config import SettingsError, load_settings
    from bot.web.app import create_app
    from bot.worker import embedded_worker

    try:
        settings = load_settings()
    except SettingsError as exc:
        return _fail(str(exc))
    host = args.host or settings.host
    port = args.port or settings.port
    if not settings.configured:
        print(f"prwarden: not configured yet (missing {', '.join(settings.missing)}); open http://{host}:{port}/ for setup help", file=sys.stderr)
    worker = embedded_worker(settings) if settings.configured else None
    app = create_app(settings, start_worker=worker)
    settle_garbage_collector()
    uvicorn.run(app, host=host, port=port, log_level=args.log_level, access_log=False)
    return 0


def _worker(args: argparse.Namespace) -> int:
    from bot.config import SettingsError, load_settings
    from bot.queue import open_queue
    from bot.worker import embedded_worker

    try:
        settings = load_settings()
    except SettingsError as exc:
        return _fail(str(exc))
    if not settings.configured:
        return _fail(f"missing settings: {', '.join(settings.missing)}")

    async def main() -> None:
        queue = open_queue(settings.data_dir, synchronous=settings.queue_sync)
        try:
            await embedded_worker(settings)(queue, asyncio.Event())
        finally:
            await queue.close()

    asyncio.run(main())
    return 0


def _scan(args: argparse.Namespace) -> int:
    from bot.sources.local_git import GitError, LocalGitSource

    try:
        fail_on = Severity.parse(args.fail_on)
    except ValueError as exc:
        return _fail(f"--fail-on: {exc}")
    repo = Path(args.repo)
    if not (repo / ".git").exists() and not (repo / "HEAD").exists():
        return _fail(f"--repo {repo}: not a git repository")
    try:
        source = LocalGitSource(repo, args.base, args.head)
        large = _start_git_work(source)  # git works in the background from here
    except GitError as exc:
        return _fail(str(exc))
    from bot.report.jsonout import to_json
    from bot.report.sarif import to_sarif
    from bot.report.text import to_text
    from bot.scan import default_analyzers

    analyzers = default_analyzers() if _reads_source(source) else []
    pool = _fork_pool(analyzers) if large else None
    try:
        if large:
            _hand_over(source, analyzers, pool)
        result = asyncio.run(_run_local_scan(source, analyzers, pool))
    finally:
        if pool is not None:
            pool.close()
    if args.format == "sarif":
        text = json.dumps(to_sarif(result, tool_version=__version__), indent=2, ensure_ascii=False)
    elif args.format == "json":
        text = json.dumps(to_json(result), indent=2, ensure_ascii=False)
    else:
        text = to_text(result)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return EXIT_FINDINGS if result.fails(fail_on) else 0


POOL_FROM_FILES = 300
"""From this many changed files, `prwarden scan` analyses on two processes (bench/README.md,
scan speed); smaller changes take longer to hand over than to analyse here."""


def _reads_source(source: LocalGitSource) -> bool:
    """Whether a changed file is in a language the rules read. A change of manifests alone then
    skips loading the rule pack: a third of the start-up of a drift-only `prwarden scan`."""
    from bot.owasp.languages import language_for_path

    return any(language_for_path(e.path) for e in source.listing())


def _start_git_work(source: LocalGitSource) -> bool:
    """Start git computing the diff in the background: it runs on another core while this
    process loads the rules or the registry clients (~0.1 s of imports). For a large change
    (sized by `git diff --raw`, ~10 ms), also start it reading the head files of the languages
    the rules read. True when the change is large."""
    if (os.cpu_count() or 1) < 2:
        return False
    listed = source.listing()
    if len(listed) < POOL_FROM_FILES:
        source.start_changes()
        return False
    from bot.owasp.languages import language_for_path

    # Reading first: the analysis processes wait for the files; the diff is needed later.
    source.start_reading([e for e in listed if language_for_path(e.path)])
    source.start_changes()
    return True


def _fork_pool(analyzers: Sequence[Analyzer]) -> ForkedAnalysisPool | None:
    """Two analysis processes, forked now: after the analyzers are loaded (they inherit them)
    and before any thread or event loop exists."""
    import threading

    if threading.active_count() > 1:
        return None  # forking next to other threads is unsafe; analyse in this process
    from bot.analysis_pool import ForkedAnalysisPool

    return ForkedAnalysisPool(analyzers, processes=2)


def _hand_over(source: LocalGitSource, analyzers: Sequence[Analyzer], pool: ForkedAnalysisPool | None) -> None:
    """Collect the head files `_start_git_work` had git read and, with a pool, start its
    processes on them right away: before the event loop, the diff with line numbers and
    anything else, since the analysis is what takes longest."""
    from bot.scan import ScanLimits, is_binary

    # With the cap the pipeline reads with; `read` then hands them out.
    read = source.finish_reading(cap=ScanLimits().max_file_bytes)
    if pool is None:
        return
    per_file = [a for a in analyzers if hasattr(a, "scan_files")]
    # The text exactly as the pipeline decodes it: a result is only reused for equal text.
    pool.speculate(
        [
            (path, data.decode("utf-8", errors="replace"))
            for path, data in read.items()
            if any(a.wants(path) for a in per_file) and not is_binary(data)
        ]
    )


async def _run_local_scan(
    source: LocalGitSource, analyzers: Sequence[Analyzer], pool: ForkedAnalysisPool | None = None
) -> ScanResult:
    """Scan a local change; with `pool`, large: its processes analyse the files, most of them
    already started by `_hand_over`."""
    from bot.scan import run_scan

    stages = _local_stages(source)
    return await run_scan(source, analyzers, pool=pool, stages=stages)  # type: ignore[arg-type]


def _local_stages(source: LocalGitSource) -> list[Stage]:
    """Drift, only when the change touches a manifest or lockfile (the registry clients are not
    even imported otherwise). Its cache lives in $PRWARDEN_DATA_DIR, else the user's cache."""
    from bot.drift.lockfiles import is_lockfile
    from bot.drift.manifests import is_manifest

    if not any(is_manifest(e.path) or is_lockfile(e.path) for e in source.listing()):
        return []
    from bot.scan import default_stages

    data_dir = os.environ.get("PRWARDEN_DATA_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "prwarden")
    return default_stages(os.environ, data_dir)


def _rules_list(args: argparse.Namespace) -> int:
    from bot.owasp.ruletest import catalogue

    for rule in catalogue():
        print(f"{rule['id']:<32} {rule['severity']:<8} {','.join(rule['cwe']):<10} {rule['title']}  [{', '.join(rule['languages'])}]")
    return 0


def _rules_test(args: argparse.Namespace) -> int:
    from bot.owasp.ruletest import run_all

    failed = 0
    for outcome in run_all():
        failed += not outcome.passed
        print(f"{'ok  ' if outcome.passed else 'FAIL'} {outcome.describe()}")
    return 1 if failed else 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="prwarden", description="Pull-request security and dependency-drift bot.")
    top.add_argument("--version", action="version", version=f"prwarden {__version__}")
    sub = top.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the GitHub App (webhooks + embedded worker)")
    serve.add_argument("--host", help="default: $HOST or 0.0.0.0")
    serve.add_argument("--port", type=int, help="default: $PORT or 3000")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.set_defaults(run=_serve)

    worker = sub.add_parser("worker", help="run only the worker against the queue")
    worker.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    worker.set_defaults(run=_worker)

    scan = sub.add_parser("scan", help="scan a local git change (HEAD vs the merge base of BASE and HEAD)")
    scan.add_argument("--repo", default=".", help="git repository (default: .)")
    scan.add_argument("--base", required=True, help="base revision, e.g. origin/main")
    scan.add_argument("--head", default="HEAD", help="head revision (default: HEAD)")
    scan.add_argument("--format", choices=["text", "json", "sarif"], default="text")
    scan.add_argument("--output", help="write here instead of stdout")
    scan.add_argument("--fail-on", default="high", help="exit 1 when a finding is at or above this severity (default: high)")
    scan.set_defaults(run=_scan)

    rules = sub.add_parser("rules", help="the rule catalogue")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True)
    rules_sub.add_parser("list", help="print the rules").set_defaults(run=_rules_list)
    rules_sub.add_parser("test", help="run every rule against its annotated test file").set_defaults(run=_rules_test)
    return top


def main(argv: list[str] | None = None) -> int:
    """Run one command and return its exit code (tests call this in-process)."""
    return _run(parser().parse_args(argv))


def console_entry() -> None:
    """The `prwarden` program. After `scan`, the process ends without the interpreter's
    teardown: freeing every object and module took ~40 ms, 6% of a cold drift scan
    (bench/README.md, "Drift"); mypy ends the same way (`mypy.util.hard_exit`). Nothing is lost:
    output is flushed here, threads were joined by `asyncio.run`, and the registry cache's
    SQLite transactions were committed when each batch was written."""
    args = parser().parse_args()
    code = _run(args)
    if args.command != "scan":
        sys.exit(code)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _run(args: argparse.Namespace) -> int:
    level = getattr(args, "log_level", "info").upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # One INFO line per GitHub request is noise at a bot's volume; failures are logged by us.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLevelName(level)))
    return int(args.run(args))


if __name__ == "__main__":
    console_entry()
