"""SQLiteQueue: the promises web/ and worker.py rely on (dedupe, coalescing, leases, durability)."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.queue import (
    DELIVERY_RETENTION_SECONDS,
    Enqueued,
    JobNotFound,
    QueueClosed,
    SQLiteQueue,
    open_queue,
)

ROOT = Path(__file__).resolve().parents[1]


def async_test(fn: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Run an async test body with asyncio.run (no pytest-asyncio), bounded so a hang fails."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(asyncio.wait_for(fn(*args, **kwargs), 60))

    return wrapper


class Clock:
    """A settable clock so lease and retry tests do not sleep."""

    def __init__(self, t: float = 1_700_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


async def drain(q: SQLiteQueue) -> list[Any]:
    jobs = []
    while (job := await q.claim()) is not None:
        jobs.append(job)
        await q.complete(job.id)
    return jobs


# ------------------------------------------------------------------------- delivery dedupe


@async_test
async def test_duplicate_delivery_id_stores_nothing(tmp_path: Path) -> None:
    async with SQLiteQueue(tmp_path / "q.sqlite3") as q:
        assert await q.enqueue("scan", "r#1@a", {"n": 1}, delivery_id="d1") is Enqueued.ACCEPTED
        # Same delivery, even with another key: GitHub redelivered it, do nothing.
        assert await q.enqueue("scan", "r#2@b", {"n": 2}, delivery_id="d1") is Enqueued.DUPLICATE_DELIVERY
        assert (await q.stats())["pending"] == 1
        jobs = await drain(q)
        assert [j.key for j in jobs] == ["r#1@a"]
        # Still remembered after the job finished.
        assert await q.enqueue("scan", "r#1@a", {"n": 1}, delivery_id="d1") is Enqueued.DUPLICATE_DELIVERY
        assert await q.claim() is None


@async_test
async def test_delivery_ids_are_forgotten_after_the_retention_window(tmp_path: Path) -> None:
    clock = Clock()
    async with SQLiteQueue(tmp_path / "q.sqlite3", clock=clock) as q:
        assert await q.enqueue("scan", "k", {}, delivery_id="d1") is Enqueued.ACCEPTED
        await drain(q)
        clock.t += DELIVERY_RETENTION_SECONDS - 60
        assert await q.enqueue("scan", "k", {}, delivery_id="d1") is Enqueued.DUPLICATE_DELIVERY
        clock.t += 120
        assert await q.enqueue("scan", "k", {}, delivery_id="d1") is Enqueued.ACCEPTED
        assert (await q.stats())["deliveries"] == 1


# ------------------------------------------------------------------------------ coalescing


@async_test
async def test_same_key_coalesces_while_pending_and_records_the_delivery(tmp_path: Path) -> None:
    async with SQLiteQueue(tmp_path / "q.sqlite3") as q:
        assert await q.enqueue("scan", "o/r#12@abc", {"v": 1}, delivery_id="d1") is Enqueued.ACCEPTED
        assert await q.enqueue("scan", "o/r#12@abc", {"v": 2}, delivery_id="d2") is Enqueued.COALESCED
        assert await q.enqueue("scan", "o/r#12@abc", {"v": 3}) is Enqueued.COALESCED
        # The coalesced delivery id was recorded, so its redelivery is a duplicate.
        assert await q.enqueue("scan", "o/r#12@abc", {"v": 2}, delivery_id="d2") is Enqueued.DUPLICATE_DELIVERY
        assert await q.stats() == {"pending": 1, "leased": 0, "dead": 0, "deliveries": 2}
        jobs = await drain(q)
        assert [j.payload for j in jobs] == [{"v": 1}]


@async_test
async def test_same_key_is_a_new_job_once_the_first_was_claimed(tmp_path: Path) -> None:
    async with SQLiteQueue(tmp_path / "q.sqlite3") as q:
        await q.enqueue("scan", "o/r#12@abc", {"v": 1}, delivery_id="d1")
        first = await q.claim()
        assert first is not None
        # The running scan may have read stale state: a later request must run again.
        assert await q.enqueue("scan", "o/r#12@abc", {"v": 2}, delivery_id="d2") is Enqueued.ACCEPTED
        assert await q.enqueue("scan", "o/r#12@abc", {"v": 3}, delivery_id="d3") is Enqueued.COALESCED
        second = await q.claim()
        assert second is not None and second.id != first.id and second.payload == {"v": 2}
        assert await q.stats() == {"pending": 0, "leased": 2, "dead": 0, "deliveries": 3}


@async_test
async def test_claims_oldest_first_with_the_stored_fields(tmp_path: Path) -> None:
    clock = Clock()
    async with SQLiteQueue(tmp_path / "q.sqlite3", clock=clock) as q:
        for i in range(5):
            await q.enqueue("scan", f"k{i}", {"i": i, "nested": {"s": "é"}})
            clock.t += 1
        jobs = await drain(q)
        assert [j.payload["i"] for j in jobs] == [0, 1, 2, 3, 4]
        assert jobs[0].kind == "scan" and jobs[0].key == "k0" and jobs[0].attempts == 0
        assert jobs[0].payload["nested"] == {"s": "é"}
        assert jobs[0].created_at == pytest.approx(clock.t - 5)
        assert len(jobs[0].id) == 32 and len({j.id for j in jobs}) == 5


@async_test
async def test_a_delayed_job_waits_and_a_claim_can_ask_for_kinds(tmp_path: Path) -> None:
    clock = Clock()
    async with SQLiteQueue(tmp_path / "q.sqlite3", clock=clock) as q:
        await q.enqueue("scan", "later", {"n": 1}, delay_seconds=3.0)
        await q.enqueue("scan", "now", {"n": 2})
        await q.enqueue("command", "cmd", {"n": 3})
        # Only commands: the older scan is passed over.
        command = await q.claim(kinds=("command", "rerun"))
        assert command is not None and command.key == "cmd"
        assert await q.claim(kinds=("rerun",)) is None
        ready = await q.claim()
        assert ready is not None and ready.key == "now"
        assert await q.claim() is None, "the delayed job is not runnable yet"
        clock.t += 3.0
        later = await q.claim()
        assert later is not None and later.key == "later" and later.payload == {"n": 1}


# ------------------------------------------------------------------------ leases and retries


@async_test
async def test_expired_lease_makes_the_job_runnable_again(tmp_path: Path) -> None:
    clock = Clock()
    async with SQLiteQueue(tmp_path / "q.sqlite3", clock=clock) as q:
        await q.enqueue("scan", "k", {"v": 1})
        job = await q.claim(lease_seconds=60)
        assert job is not None and job.attempts == 0
        clock.t += 59
        assert await q.claim() is None
        clock.t += 2
        again = await q.claim(lease_seconds=60)
        assert again is not None and again.id == job.id and again.attempts == 1
        assert again.payload == {"v": 1}


@async_test
async def test_extend_keeps_the_lease(tmp_path: Path) -> None:
    clock = Clock()
    async with SQLiteQueue(tmp_path / "q.sqlite3", clock=clock) as q:
        await q.enqueue("scan", "k", {})
        job = await q.claim(lease_seconds=60)
        assert job is not None
        clock.t += 50
        await q.extend(job.id, lease_seconds=60)
        clock.t += 50  # 100 s after the claim: the original lease would have expired
        assert await q.claim() is None
        clock.t += 11
        assert (await q.claim()) is not None


@async_test
async def test_a_lost_lease_is_reported_and_does_not_touch_the_new_holder(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "q.sqlite3"
    async with SQLiteQueue(path, clock=clock) as a, SQLiteQueue(path, clock=clock) as b:
        await a.enqueue("scan", "k", {})
        job = await a.claim(lease_seconds=10)
        assert job is not None
        clock.t += 11
        taken = await b.claim(lease_seconds=600)
        assert taken is not None and taken.id == job.id
        with pytest.raises(JobNotFound):
            await a.extend(job.id, lease_seconds=60)
        with pytest.raises(JobNotFound):
            await a.retry(job.id, delay_seconds=0, error="late")
        await a.complete(job.id)  # idempotent no-op for a lease we no longer hold
        assert (await b.stats())["leased"] == 1
        await b.complete(job.id)
        assert await b.stats() == {"pending": 0, "leased": 0, "dead": 0, "deliveries": 0}


@async_test
async def test_retry_delay_is_honoured(tmp_path: Path) -> None:
    clock = Clock()
    async with SQLiteQueue(tmp_path / "q.sqlite3", clock=clock) as q:
        await q.enqueue("scan", "k", {"v": 1})
        job = await q.claim()
        assert job is not None
        await q.retry(job.id, delay_seconds=30, error="rate limited")
        assert (await q.stats())["pending"] == 1
        assert await q.claim() is None
        clock.t += 29.5
        assert await q.claim() is None
        clock.t += 0.5
        again = await q.claim()
        assert again is not None and again.id == job.id and again.attempts == 1


@async_test
async def test_retried_job_coalesces_with_the_key_pending_meanwhile(tmp_path: Path) -> None:
    async with SQLiteQueue(tmp_path / "q.sqlite3") as q:
        await q.enqueue("scan", "k", {"v": 1})
        first = await q.claim()
        assert first is not None
        assert await q.enqueue("scan", "k", {"v": 2}) is Enqueued.ACCEPTED
        await q.retry(first.id, delay_seconds=0, error="transient")
        assert (await q.stats())["pending"] == 1
        jobs = await drain(q)
        assert [j.payload for j in jobs] == [{"v": 2}]


@async_test
async def test_fail_dead_letters_the_job(tmp_path: Path) -> None:
    clock = Clock()
    async with SQLiteQueue(tmp_path / "q.sqlite3", clock=clock) as q:
        await q.enqueue("scan", "k", {"v": 1})
        job = await q.claim(lease_seconds=10)
        assert job is not None
        await q.fail(job.id, error="unparseable payload")
        clock.t += 3600
        assert await q.claim() is None
        assert await q.stats() == {"pending": 0, "leased": 0, "dead": 1, "deliveries": 0}
        [(dead, error)] = await q.dead_letters()
        assert dead.id == job.id and dead.payload == {"v": 1} and error == "unparseable payload"
        with pytest.raises(JobNotFound):
            await q.retry(job.id, delay_seconds=0, error="x")
        # A dead job does not swallow new work for its key.
        assert await q.enqueue("scan", "k", {"v": 2}) is Enqueued.ACCEPTED


# ------------------------------------------------------------------------------ durability


@async_test
async def test_accepted_job_survives_reopen(tmp_path: Path) -> None:
    q = open_queue(tmp_path / "data" / "nested")
    assert await q.enqueue("scan", "k", {"v": 1}, delivery_id="d1") is Enqueued.ACCEPTED
    await q.close()
    assert (tmp_path / "data" / "nested" / "queue.sqlite3").is_file()
    with sqlite3.connect(tmp_path / "data" / "nested" / "queue.sqlite3") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    async with open_queue(tmp_path / "data" / "nested") as q2:
        assert await q2.enqueue("scan", "k2", {}, delivery_id="d1") is Enqueued.DUPLICATE_DELIVERY
        job = await q2.claim()
        assert job is not None and job.payload == {"v": 1}


@async_test
async def test_lease_of_a_closed_queue_is_runnable_at_once_after_reopen(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    q = SQLiteQueue(path)
    await q.enqueue("scan", "k", {"v": 1})
    job = await q.claim(lease_seconds=3600)  # "crash": never completed
    assert job is not None
    await q.close()
    async with SQLiteQueue(path) as q2:
        again = await q2.claim()
        assert again is not None and again.id == job.id and again.attempts == 1


@async_test
async def test_lease_of_a_live_queue_is_not_stolen_by_a_new_one(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "q.sqlite3"
    async with SQLiteQueue(path, clock=clock) as worker:
        await worker.enqueue("scan", "k", {})
        job = await worker.claim(lease_seconds=600)
        assert job is not None
        # A second process (say, a restarted web server) opens the same file: the worker still
        # runs the scan, so its lease stands until it expires.
        async with SQLiteQueue(path, clock=clock, reap_interval=0) as web:
            assert await web.claim() is None
            clock.t += 601
            assert (await web.claim()) is not None


_CHILD = textwrap.dedent(
    """
    import asyncio, sys, time
    from pathlib import Path
    from bot.queue import SQLiteQueue

    async def main(path, mode):
        q = SQLiteQueue(Path(path))
        if mode == "one":
            await q.enqueue("scan", "claimed", {"v": 1}, delivery_id="d1")
            await q.enqueue("scan", "waiting", {"v": 2}, delivery_id="d2")
            job = await q.claim(lease_seconds=3600)
            print("ready", job.key, flush=True)
        else:
            async def one(i):
                await q.enqueue("scan", f"k{i}", {"i": i}, delivery_id=f"d{i}")
                print(i, flush=True)
            i = 0
            while True:
                await asyncio.gather(*(one(i + j) for j in range(200)))
                i += 200
        time.sleep(3600)  # blocked, holding everything, until SIGKILL

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


def _spawn(path: Path, mode: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


@async_test
async def test_sigkilled_process_loses_no_accepted_job_and_no_lease(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    child = _spawn(path, "one")
    try:
        line = await asyncio.to_thread(child.stdout.readline)  # type: ignore[union-attr]
        assert line.strip() == "ready claimed", child.stderr.read() if not line else line  # type: ignore[union-attr]
        os.kill(child.pid, signal.SIGKILL)
        await asyncio.to_thread(child.wait)
    finally:
        if child.poll() is None:
            child.kill()
    async with SQLiteQueue(path) as q:
        # The killed process held a one-hour lease on the first job; it died, so no one holds it.
        claimed = [await q.claim(), await q.claim()]
        attempts = {job.key: job.attempts for job in claimed if job is not None}
        assert attempts == {"claimed": 1, "waiting": 0}
        assert await q.enqueue("scan", "x", {}, delivery_id="d2") is Enqueued.DUPLICATE_DELIVERY


@async_test
async def test_sigkill_mid_burst_keeps_every_acknowledged_enqueue(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    child = _spawn(path, "burst")
    try:
        acked: list[int] = []
        while len(acked) < 1000:
            line = await asyncio.to_thread(child.stdout.readline)  # type: ignore[union-attr]
            assert line, child.stderr.read()  # type: ignore[union-attr]
            acked.append(int(line))
        os.kill(child.pid, signal.SIGKILL)
        rest, _ = await asyncio.to_thread(child.communicate)
        acked += [int(x) for x in rest.split()]
    finally:
        if child.poll() is None:
            child.kill()
    async with SQLiteQueue(path) as q:
        stored = {job.payload["i"] for job in await drain(q)}
    assert set(acked) <= stored, sorted(set(acked) - stored)[:10]


# ---------------------------------------------------------------------------- concurrency


@async_test
async def test_concurrent_enqueues_are_stored_exactly_once(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    n = 1000
    async with SQLiteQueue(path) as a, SQLiteQueue(path) as b:
        calls = []
        for i in range(n):
            # Per key: a delivery, its redelivery, and a second delivery (e.g. a /rescan).
            calls += [(f"o/r#{i}@sha", f"d{i}"), (f"o/r#{i}@sha", f"d{i}"), (f"o/r#{i}@sha", f"e{i}")]
        random.Random(7).shuffle(calls)
        # Two queue instances = two connections on one file, as with separate processes.
        results = await asyncio.gather(
            *((a if idx % 2 else b).enqueue("scan", key, {"key": key}, delivery_id=d)
              for idx, (key, d) in enumerate(calls))
        )
        by_key: dict[str, list[Enqueued]] = {}
        for (key, _), result in zip(calls, results):
            by_key.setdefault(key, []).append(result)
        assert len(by_key) == n
        for outcomes in by_key.values():
            assert sorted(outcomes) == sorted(
                [Enqueued.ACCEPTED, Enqueued.COALESCED, Enqueued.DUPLICATE_DELIVERY]
            )
        assert await a.stats() == {"pending": n, "leased": 0, "dead": 0, "deliveries": 2 * n}
        jobs = await drain(a)
        assert sorted(j.key for j in jobs) == sorted(by_key)


# ---------------------------------------------------------------------------------- wait()


@async_test
async def test_wait_wakes_up_on_enqueue(tmp_path: Path) -> None:
    async with SQLiteQueue(tmp_path / "q.sqlite3") as q:
        waiter = asyncio.create_task(q.wait(30))
        await asyncio.sleep(0.05)
        assert not waiter.done()
        t = time.monotonic()
        await q.enqueue("scan", "k", {})
        await asyncio.wait_for(waiter, 2)
        assert time.monotonic() - t < 1


@async_test
async def test_wait_keeps_a_wakeup_that_came_before_it_and_times_out_otherwise(tmp_path: Path) -> None:
    async with SQLiteQueue(tmp_path / "q.sqlite3") as q:
        await q.enqueue("scan", "k", {})  # arrives between a worker's empty claim and its wait
        t = time.monotonic()
        await q.wait(30)
        assert time.monotonic() - t < 1
        # Consumed: the next wait sleeps its full timeout; a coalesced enqueue is no new job.
        await q.enqueue("scan", "k", {})
        t = time.monotonic()
        await q.wait(0.2)
        assert time.monotonic() - t >= 0.19


# ----------------------------------------------------------------------------------- misc


@async_test
async def test_bad_payload_fails_its_caller_only_and_closed_queue_refuses(tmp_path: Path) -> None:
    q = SQLiteQueue(tmp_path / "q.sqlite3")
    with pytest.raises(TypeError):
        await q.enqueue("scan", "k", {"x": object()})
    with pytest.raises(ValueError):
        await q.enqueue("scan", "k", {"x": float("nan")})
    assert await q.enqueue("scan", "k", {"ok": True}) is Enqueued.ACCEPTED
    await q.close()
    await q.close()  # idempotent
    with pytest.raises(QueueClosed):
        await q.enqueue("scan", "k2", {})
    with sqlite3.connect(tmp_path / "q.sqlite3") as conn:
        rows = conn.execute("SELECT payload FROM jobs").fetchall()
    assert [json.loads(r[0]) for r in rows] == [{"ok": True}]
