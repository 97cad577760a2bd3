"""Running test servers as subprocesses: a free port, readiness, teardown."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import httpx

START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_ready(url: str, proc: subprocess.Popen[bytes], log_path: Path, timeout: float = START_TIMEOUT_S) -> None:
    """Poll `url` until it answers 2xx-4xx; fail early with the log if the process exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the server exited ({proc.returncode}):\n{tail(log_path)}")
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} not ready after {timeout} s:\n{tail(log_path)}")


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def tail(path: Path, limit: int = 4000) -> str:
    """The end of a server log, for an error message."""
    try:
        return path.read_text(errors="replace")[-limit:]
    except OSError:
        return "(no log)"
