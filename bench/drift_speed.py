"""Drift speed: a 300-dependency package.json against a local npm registry with 20 ms of
injected latency, cold and warm, and npm-check-updates on the same manifest and registry.

Set-up (not timed): Verdaccio (the tests' own, tests/registries/npm_registry.py) with uplinks
off, seeded with 300 packages of 12 versions each over 4 majors; a LatencyProxy in front of it,
in a process of its own, that holds every request 20 ms before forwarding it; a git repository
whose PR adds a package.json with the 300 dependencies (specs one to three majors behind, or
current).

Measured, in one run:
- PR Warden cold, whole process: `prwarden scan --format json` with NPM_CONFIG_REGISTRY at the
  proxy and an empty PRWARDEN_DATA_DIR (no cache in memory or on disk): median of --runs, each
  with a fresh data folder.
- PR Warden cold, in-process: the drift stage alone with a new registry client and empty cache:
  median of --runs.
- PR Warden warm, in-process: the same stage again with the cache filled (what a rescan of the
  same PR costs in the bot): median of --warm-runs.
- PR Warden warm, whole process: `prwarden scan` with the disk cache of a previous run.
- npm-check-updates (`ncu --jsonUpgraded --registry <proxy> --packageFile <manifest>`), installed
  once into the benchmark cache and run with node: median of --runs.

    .venv/bin/python -m bench.drift_speed [--runs 3] [--warm-runs 20] [--latency-ms 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bot.drift.cache import default_cache
from bot.drift.model import Ecosystem
from bot.drift.registries.npm import npm_registry_from_env
from bot.drift.stage import DriftStage
from bot.scan import run_scan
from bot.sources.local_git import LocalGitSource
from tests.peers import cache_dir
from tests.registries.npm_registry import FixturePackage, Verdaccio

NCU_VERSION = "17.1.14"
"""npm-check-updates, pinned so runs compare the same peer."""
DEPENDENCIES = 300
MAJORS = (1, 2, 3, 4)
MINORS = (0, 1, 2)
ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "drift_speed.json"
GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com", "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com"}


class ProxyProcess:
    """tests/registries/proxy.py's LatencyProxy in a process of its own: the registry's latency
    then costs the measured process nothing, as with a registry across a network (in a thread
    of the bench, its work would share the in-process runs' interpreter lock)."""

    def __init__(self, target_port: int, delay_s: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.registries.proxy", str(target_port), str(delay_s)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.port = int(self._answer())

    def via(self, url: str) -> str:
        """`url` (a registry on 127.0.0.1) routed through the proxy."""
        scheme, _, rest = url.partition("://")
        return f"{scheme}://127.0.0.1:{self.port}/{rest.partition('/')[2]}"

    def count(self, method: str | None = None) -> int:
        return int(self._ask(f"count {method or ''}"))

    def clear(self) -> None:
        self._ask("clear")

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)

    def _ask(self, line: str) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self._answer()

    def _answer(self) -> str:
        assert self.proc.stdout is not None
        answer = self.proc.stdout.readline()
        if not answer:
            raise RuntimeError("the latency proxy process ended")
        return answer.strip()


def fixture_packages() -> list[FixturePackage]:
    versions = tuple(f"{major}.{minor}.0" for major in MAJORS for minor in MINORS)
    latest = versions[-1]
    return [FixturePackage(f"bench-dep-{i:03d}", versions, {"latest": latest}) for i in range(DEPENDENCIES)]


def manifest() -> dict[str, object]:
    """300 dependencies: a quarter each 3, 2, 1 and 0 majors behind, in two groups."""
    deps: dict[str, str] = {}
    dev: dict[str, str] = {}
    for i in range(DEPENDENCIES):
        spec = f"^{MAJORS[i % len(MAJORS)]}.1.0"
        (dev if i % 5 == 0 else deps)[f"bench-dep-{i:03d}"] = spec
    return {"name": "bench-app", "version": "1.0.0", "dependencies": deps, "devDependencies": dev}


def make_repo(root: Path) -> Path:
    repo = root / "repo"
    repo.mkdir()

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=GIT_ENV)

    git("init", "-q", "-b", "main")
    (repo / "package.json").write_text(json.dumps({"name": "bench-app", "version": "1.0.0"}, indent=2) + "\n")
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    git("checkout", "-q", "-b", "pr")
    (repo / "package.json").write_text(json.dumps(manifest(), indent=2) + "\n")
    git("commit", "-q", "-am", "add 300 dependencies")
    return repo


def install_ncu() -> Path:
    home = cache_dir() / f"npm-check-updates-{NCU_VERSION}"
    binary = home / "node_modules" / "npm-check-updates" / "build" / "cli.js"
    if not binary.exists():
        home.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(home), "--no-audit", "--no-fund", f"npm-check-updates@{NCU_VERSION}"], check=True, capture_output=True)
    return binary


def timed(command: Sequence[str], env: dict[str, str], cwd: Path | None = None) -> tuple[float, str]:
    began = time.perf_counter()
    done = subprocess.run(list(command), env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - began
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{command[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed, done.stdout


def stage_for(registry_url: str, data_dir: Path) -> DriftStage:
    registry = npm_registry_from_env({"NPM_CONFIG_REGISTRY": registry_url}, cache=default_cache(data_dir))
    return DriftStage({Ecosystem.NPM: registry, Ecosystem.PYPI: None})


async def close(stage: DriftStage) -> None:
    for registry in stage.registries.values():
        if registry is not None:
            await registry.aclose()


async def stage_run(stage: DriftStage, source: LocalGitSource) -> tuple[float, int]:
    began = time.perf_counter()
    result = await run_scan(source, [], stages=[stage])
    return time.perf_counter() - began, len(result.findings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warm-runs", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()

    ncu = install_ncu()
    node = shutil.which("node") or "node"
    with tempfile.TemporaryDirectory(prefix="prwarden-drift-bench-") as tmp:
        root = Path(tmp)
        verdaccio = Verdaccio(root / "verdaccio").start()
        try:
            token = verdaccio.add_user("bench", "bench-password-1")
            began = time.perf_counter()
            verdaccio.seed(token, fixture_packages())
            print(f"seeded {DEPENDENCIES} packages in {time.perf_counter() - began:.1f} s", file=sys.stderr)
            proxy = ProxyProcess(verdaccio.port, args.latency_ms / 1000)
            try:
                registry = proxy.via(verdaccio.url)
                repo = make_repo(root)
                results = measure(args, repo, registry, proxy, ncu, node, root)
            finally:
                proxy.stop()
        finally:
            verdaccio.stop()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


def measure(args: argparse.Namespace, repo: Path, registry: str, proxy: ProxyProcess, ncu: Path, node: str, root: Path) -> dict[str, object]:
    base_env = {k: v for k, v in os.environ.items() if not k.lower().startswith("npm_config_")}
    # Byte-compiled modules, as an installed package has them (pip compiles on install), written by
    # the untimed first run; as in bench/scan_speed.py. node compiles ncu's modules on every run
    # either way (no compile cache before Node 22).
    base_env.pop("PYTHONDONTWRITEBYTECODE", None)
    base_env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
    prwarden = [sys.executable, "-m", "bot.cli", "scan", "--repo", str(repo), "--base", "main", "--head", "pr", "--format", "json"]

    def prwarden_run(data_dir: Path) -> tuple[float, int]:
        env = {**base_env, "NPM_CONFIG_REGISTRY": registry, "PRWARDEN_DATA_DIR": str(data_dir)}
        elapsed, out = timed(prwarden, env)
        findings = [f for f in json.loads(out)["findings"] if f["rule"] == "drift-majors-behind"]
        return elapsed, len(findings)

    def ncu_run() -> tuple[float, int]:
        env = {**base_env, "HOME": str(root / "ncu-home")}
        command = [node, str(ncu), "--jsonUpgraded", "--registry", registry, "--packageFile", str(repo / "package.json")]
        elapsed, out = timed(command, env, cwd=repo)
        return elapsed, len(json.loads(out))

    # One untimed run of each: node's and Python's first start read their files from disk.
    prwarden_run(root / "warmup-data")
    ncu_run()
    proxy.clear()

    cold, ncu_times, reported, upgraded = [], [], 0, 0
    for index in range(args.runs):
        elapsed, reported = prwarden_run(root / f"cold-{index}")
        cold.append(elapsed)
        elapsed, upgraded = ncu_run()
        ncu_times.append(elapsed)
    requests_per_cold_run = proxy.count("GET") // (2 * args.runs)
    warm_process, _ = prwarden_run(root / "cold-0")

    async def in_process() -> tuple[list[float], list[float], int]:
        cold_runs, found = [], 0
        for index in range(args.runs):  # each with a new client and an empty cache
            stage = stage_for(registry, root / f"in-process-{index}")
            seconds, found = await stage_run(stage, LocalGitSource(repo, "main", "pr"))
            cold_runs.append(seconds)
            await close(stage)
        stage = stage_for(registry, root / "in-process-0")
        await stage_run(stage, LocalGitSource(repo, "main", "pr"))  # fills this client's memory tier
        proxy.clear()
        warm = [(await stage_run(stage, LocalGitSource(repo, "main", "pr")))[0] for _ in range(args.warm_runs)]
        assert proxy.count() == 0, "a warm run asked the registry"
        await close(stage)
        return cold_runs, warm, found

    cold_in_process_runs, warm, found_in_process = asyncio.run(in_process())
    cold_in_process = statistics.median(cold_in_process_runs)
    cold_median = statistics.median(cold)
    ncu_median = statistics.median(ncu_times)
    return {
        "dependencies": DEPENDENCIES,
        "latency_ms": args.latency_ms,
        "requests_per_cold_run": requests_per_cold_run,
        "prwarden_cold_process_s": [round(t, 3) for t in cold],
        "prwarden_cold_process_median_s": round(cold_median, 3),
        "prwarden_cold_in_process_s": [round(t, 3) for t in cold_in_process_runs],
        "prwarden_cold_in_process_median_s": round(cold_in_process, 3),
        "prwarden_warm_in_process_median_ms": round(statistics.median(warm) * 1000, 1),
        "prwarden_warm_in_process_max_ms": round(max(warm) * 1000, 1),
        "prwarden_warm_process_s": round(warm_process, 3),
        "ncu_s": [round(t, 3) for t in ncu_times],
        "ncu_median_s": round(ncu_median, 3),
        "ratio_ncu_over_prwarden_cold": round(ncu_median / cold_median, 2),
        # The bot's case: a long-running process whose registry cache is cold (a new PR's new
        # dependencies). npm-check-updates has no such mode; its time is always a whole process.
        "ratio_ncu_over_prwarden_cold_in_process": round(ncu_median / cold_in_process, 2),
        "prwarden_reported_behind": reported,
        "prwarden_findings_in_process": found_in_process,
        "ncu_upgrades": upgraded,
    }


if __name__ == "__main__":
    main()
