"""Throughput and event-loop cost of SQLiteQueue.enqueue (a script, not a test: numbers vary by disk).

Run: .venv/bin/python -m bench.queue_enqueue [--n 5000] [--dir DIR] [--synchronous FULL]
Reports, per scenario: wall time, enqueues/s, per-call latency p50/p99/max, event-loop CPU per
enqueue (thread CPU of the loop thread / n: what the web process pays per webhook) and the worst
event-loop lag seen by a 1 ms ticker (how long other requests could be stalled).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bot.queue.sqlite import SQLiteQueue


async def _ticker(lags: list[float], stop: asyncio.Event) -> None:
    """Measures how late a 1 ms sleep wakes up: the event loop's responsiveness."""
    while not stop.is_set():
        t = time.perf_counter()
        await asyncio.sleep(0.001)
        lags.append(time.perf_counter() - t - 0.001)


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


async def _concurrent(q: SQLiteQueue, n: int, tag: str) -> dict[str, float]:
    lat: list[float] = []
    lags: list[float] = []
    stop = asyncio.Event()
    ticker = asyncio.create_task(_ticker(lags, stop))
    await asyncio.sleep(0.01)

    async def one(i: int) -> None:
        t = time.perf_counter()
        await q.enqueue(
            "scan",
            f"octo-org/hello#{i}@{tag}",
            {"installation": 1, "repo": "octo-org/hello", "pr": i, "sha": tag},
            delivery_id=f"{tag}-{i}",
        )
        lat.append(time.perf_counter() - t)

    cpu0, t0 = time.thread_time(), time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    wall, cpu = time.perf_counter() - t0, time.thread_time() - cpu0
    stop.set()
    await ticker
    return {
        "n": n,
        "wall_s": wall,
        "per_s": n / wall,
        "p50_ms": _pct(lat, 0.50) * 1e3,
        "p99_ms": _pct(lat, 0.99) * 1e3,
        "max_ms": max(lat) * 1e3,
        "loop_cpu_us_per_enqueue": cpu / n * 1e6,
        "max_loop_lag_ms": max(lags, default=0.0) * 1e3,
    }


async def _baseline(n: int) -> dict[str, float]:
    """The same gather with a no-op instead of enqueue: the task overhead any handler pays."""
    async def one() -> None:
        await asyncio.sleep(0)

    cpu0, t0 = time.thread_time(), time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    return {"n": n, "wall_s": time.perf_counter() - t0,
            "loop_cpu_us_per_task": (time.thread_time() - cpu0) / n * 1e6}


async def _steady(q: SQLiteQueue, rate: int, seconds: float, tag: str) -> dict[str, float]:
    """Webhooks arriving at a steady rate (as a web server sees them), not all at once."""
    lat: list[float] = []
    lags: list[float] = []
    stop = asyncio.Event()
    ticker = asyncio.create_task(_ticker(lags, stop))
    tasks: list[asyncio.Task[None]] = []

    async def one(i: int) -> None:
        t = time.perf_counter()
        await q.enqueue("scan", f"steady#{i}@{tag}", {"pr": i}, delivery_id=f"{tag}-{i}")
        lat.append(time.perf_counter() - t)

    cpu0, t0 = time.thread_time(), time.perf_counter()
    total = int(rate * seconds)
    sent = 0
    while sent < total:
        due = min(total, int((time.perf_counter() - t0) * rate))
        for i in range(sent, due):
            tasks.append(asyncio.create_task(one(i)))
        sent = due
        await asyncio.sleep(0.0005)
    await asyncio.gather(*tasks)
    wall, cpu = time.perf_counter() - t0, time.thread_time() - cpu0
    stop.set()
    await ticker
    return {
        "rate": rate,
        "n": total,
        "wall_s": wall,
        "p50_ms": _pct(lat, 0.50) * 1e3,
        "p99_ms": _pct(lat, 0.99) * 1e3,
        "max_ms": max(lat) * 1e3,
        "loop_cpu_share": cpu / wall,
        "p99_loop_lag_ms": _pct(lags, 0.99) * 1e3,
        "max_loop_lag_ms": max(lags, default=0.0) * 1e3,
    }


async def _sequential(q: SQLiteQueue, n: int, tag: str) -> dict[str, float]:
    lat = []
    t0 = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        await q.enqueue("scan", f"seq#{i}@{tag}", {"pr": i}, delivery_id=f"{tag}-{i}")
        lat.append(time.perf_counter() - t)
    wall = time.perf_counter() - t0
    return {"n": n, "wall_s": wall, "per_s": n / wall, "p50_ms": statistics.median(lat) * 1e3,
            "p99_ms": _pct(lat, 0.99) * 1e3}


async def _drain(q: SQLiteQueue) -> dict[str, float]:
    t0, n = time.perf_counter(), 0
    while (job := await q.claim()) is not None:
        await q.complete(job.id)
        n += 1
    wall = time.perf_counter() - t0
    return {"n": n, "wall_s": wall, "per_s": n / wall if wall else 0.0}


async def main(n: int, directory: Path, synchronous: str) -> None:
    q = SQLiteQueue(directory / "bench.sqlite3", synchronous=synchronous)
    try:
        await _concurrent(q, 500, "warmup")
        for label, coro in [
            (f"gather {n} concurrent enqueues", _concurrent(q, n, "a")),
            (f"gather {n} concurrent enqueues (again, table not empty)", _concurrent(q, n, "b")),
            (f"gather {4 * n} concurrent enqueues", _concurrent(q, 4 * n, "c")),
            (f"baseline: gather {n} no-op tasks", _baseline(n)),
            ("steady 2000 webhooks/s for 3 s", _steady(q, 2000, 3.0, "r1")),
            ("steady 5000 webhooks/s for 3 s", _steady(q, 5000, 3.0, "r2")),
            ("200 sequential enqueues (one fsync each)", _sequential(q, 200, "s")),
            ("claim+complete, one worker, serial", _drain(q)),
        ]:
            result = await coro
            print(f"{label}: " + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                                          for k, v in result.items()))
        print("stats:", await q.stats())
    finally:
        await q.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--synchronous", default="FULL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        print(f"SQLite file in {tmp}, synchronous={args.synchronous}")
        asyncio.run(main(args.n, Path(tmp), args.synchronous))
