"""Webhook acknowledgement under load: PR Warden's intake against a bare starlette endpoint.

Both run as their own uvicorn process on 127.0.0.1 with the same settings; wrk (Debian's package)
sends signed pull_request deliveries with unique delivery ids from 100 connections. PR Warden runs
as `prwarden serve` with its embedded SQLite queue and in-process worker, connected to the fake
GitHub from tests/ serving a real 20-file pull request, so the scans the deliveries start run
while the intake is measured.

    .venv/bin/python -m bench.intake [--seconds 15] [--connections 100]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bot.web.signature import sign
from tests.fakegithub import FakeGitHub

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SECRET = "bench-secret"
INSTALLATION = 4711


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("installing wrk from Debian's packages ...", file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=False, capture_output=True)
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "update"], check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, capture_output=True)
    return shutil.which("wrk") or "wrk"


def wait_ready(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def start(command: list[str], env: dict[str, str], port: int, probe: str, log: Path) -> subprocess.Popen[bytes]:
    # Logs go to a file: an unread pipe fills up and blocks the server's writes to stderr.
    with log.open("ab") as sink:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=sink, stderr=sink)
    wait_ready(f"http://127.0.0.1:{port}{probe}")
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def run_wrk(wrk: str, port: int, seconds: int, connections: int, env: dict[str, str]) -> dict[str, Any]:
    command = [
        wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency",
        "-s", str(ROOT / "bench" / "webhook.lua"), f"http://127.0.0.1:{port}",
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    line = next(l for l in done.stdout.splitlines() if l.startswith("PRW_RESULT "))
    result = json.loads(line.removeprefix("PRW_RESULT "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def twenty_file_pull(fake: FakeGitHub) -> tuple[Any, Any]:
    repo = fake.create_repo("octo-org/bench", installation_id=INSTALLATION)
    repo.commit({f"src/m{i}.js": f"export const v{i} = {i};\n" for i in range(20)}, branch="main", message="base")
    repo.branch("feature", "main")
    changed = {f"src/m{i}.js": f"export const v{i} = {i};\nexport function f{i}(x) {{ return eval(x); }}\n" for i in range(20)}
    repo.commit(changed, branch="feature", message="change 20 files")
    return repo, repo.open_pull(base="main", head="feature")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--no-worker", action="store_true", help="intake only (diagnosis)")
    parser.add_argument("--profile", help="record PR Warden with py-spy (raw format) into this file")
    args = parser.parse_args()
    wrk = ensure_wrk()
    RESULTS.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "PRIVATE_KEY", "WEBHOOK_"))}

    with tempfile.TemporaryDirectory(prefix="prwarden-bench-") as tmp, FakeGitHub(app_id=777, tmp_path=Path(tmp) / "github") as fake:
        fake.add_installation(INSTALLATION)
        fake.validate_responses = False  # the fake's own self-checks are test-only overhead
        repo, pr = twenty_file_pull(fake)
        body = json.dumps(fake.pull_request_payload(repo, pr, action="synchronize", installation_id=INSTALLATION)).encode()
        body_path = Path(tmp) / "payload.json"
        body_path.write_bytes(body)
        wrk_env = {**os.environ, "PRW_BODY": str(body_path), "PRW_SIG": sign(SECRET, body)}

        results: dict[str, Any] = {"payload_bytes": len(body), "connections": args.connections, "seconds": args.seconds}

        port = free_port()
        bare = start([python, "-m", "uvicorn", "bench.bare_app:app", "--host", "127.0.0.1", "--port", str(port),
                      "--log-level", "warning", "--no-access-log"], base_env, port, "/", RESULTS / "bare.log")
        try:
            run_wrk(wrk, port, args.warmup, args.connections, {**wrk_env, "PRW_RUN": "warm-bare"})
            results["bare"] = run_wrk(wrk, port, args.seconds, args.connections, {**wrk_env, "PRW_RUN": "bare"})
        finally:
            stop(bare)

        port = free_port()
        bot_env = {
            **base_env, "APP_ID": str(fake.app_id), "PRIVATE_KEY": fake.private_key_pem, "WEBHOOK_SECRET": SECRET,
            "GITHUB_API_URL": fake.url, "PRWARDEN_DATA_DIR": str(Path(tmp) / "data"), "HOST": "127.0.0.1", "PORT": str(port),
            "PRWARDEN_EMBEDDED_WORKER": "0" if args.no_worker else "1",
            **({"PRWARDEN_WORKERS": os.environ["BENCH_WORKERS"]} if "BENCH_WORKERS" in os.environ else {}),
        }
        command = [str(Path(python).parent / "prwarden"), "serve", "--log-level", "warning"]
        if args.profile:
            command = ["py-spy", "record", "-f", "raw", "-r", "200", "-o", args.profile, "--", *command]
        bot = start(command, bot_env, port, "/healthz", RESULTS / "prwarden.log")
        try:
            run_wrk(wrk, port, args.warmup, args.connections, {**wrk_env, "PRW_RUN": "warm-bot"})
            before = sum(1 for r in fake.check_runs.values() if r.status == "completed")
            results["prwarden"] = run_wrk(wrk, port, args.seconds, args.connections, {**wrk_env, "PRW_RUN": "bot"})
            results["prwarden"]["scans_completed_during_run"] = sum(1 for r in fake.check_runs.values() if r.status == "completed") - before
        finally:
            stop(bot)

    bare_r, bot_r = results["bare"], results["prwarden"]
    results["p99_ratio"] = bot_r["p99_us"] / bare_r["p99_us"]
    results["rps_ratio"] = bot_r["rps"] / bare_r["rps"]
    (RESULTS / "intake.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"payload {results['payload_bytes']} bytes, {args.connections} connections, {args.seconds}s each")
    print(f"{'':>10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, r in (("bare", bare_r), ("prwarden", bot_r)):
        print(f"{name:>10} {r['rps']:9.0f} {r['p50_us'] / 1000:8.1f} {r['p99_us'] / 1000:8.1f} {r['socket_errors'] + r['non2xx']:7d}")
    print(f"p99 ratio {results['p99_ratio']:.2f} (target <= 2), req/s ratio {results['rps_ratio']:.2f} (target >= 0.5); "
          f"scans completed during the run: {bot_r['scans_completed_during_run']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
