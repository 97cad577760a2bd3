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
    from bot.analysis import Analyzer
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
    from bot.report.jsonout import to_json
    from bot.report.sarif import to_sarif
    from bot.report.text import to_text
    from bot.scan import default_analyzers
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
    except GitError as exc:
        return _fail(str(exc))
    result = asyncio.run(_run_local_scan(source, default_analyzers()))
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
"""From this many changed files, `prwarden scan` analyses on two processes (their start-up
costs ~0.3 s, which smaller changes do not win back; bench/README.md, scan speed)."""


async def _run_local_scan(source: LocalGitSource, analyzers: Sequence[Analyzer]) -> ScanResult:
    """Large local changes are analysed on two processes; small ones in this one."""
    from bot.analysis_pool import AnalysisPool
    from bot.scan import run_scan

    changes = await source.changes()  # cached by the source; run_scan reuses it
    if len(changes.files) < POOL_FROM_FILES or (os.cpu_count() or 1) < 2:
        return await run_scan(source, analyzers)
    from bot.owasp.languages import language_for_path

    expected: dict[str, int] = {}
    for changed in changes.files:
        language = language_for_path(changed.path)
        if language is not None:
            expected[language] = expected.get(language, 0) + len(changed.changed_lines)
    # The processes start, and compile these languages' queries, while the files are read.
    pool = AnalysisPool(processes=2, expected=expected)
    try:
        return await run_scan(source, analyzers, pool=pool)
    finally:
        pool.close()


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
    args = parser().parse_args(argv)
    level = getattr(args, "log_level", "info").upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # One INFO line per GitHub request is noise at a bot's volume; failures are logged by us.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLevelName(level)))
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
