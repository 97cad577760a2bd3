"""Under a webhook storm the in-process worker runs one scan at a time, so intake comes first."""

from __future__ import annotations

import time
from pathlib import Path

from bot.config import Settings
from bot.queue import open_queue
from bot.worker import BUSY_INTAKE_PER_SECOND, Worker


def test_intake_pressure_follows_the_enqueue_rate(tmp_path: Path) -> None:
    queue = open_queue(tmp_path)
    try:
        worker = Worker(queue, github=None, settings=Settings(workers=2), analyzers=[])  # type: ignore[arg-type]
        assert not worker._intake_busy()
        worker._sampled_at -= 1.0  # one second of storm
        queue.enqueues += int(BUSY_INTAKE_PER_SECOND * 2)
        assert worker._intake_busy()
        worker._sampled_at = time.monotonic() - 1.0  # then a quiet second
        assert not worker._intake_busy()
    finally:
        import asyncio

        asyncio.run(queue.close())
