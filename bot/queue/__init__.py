"""Job queue layer: web/ enqueues durably and returns; worker.py claims and finishes jobs.

`open_queue()` is the one place that picks a backend, so the rest of the code only sees JobQueue.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .base import (
    DELIVERY_RETENTION_SECONDS,
    Enqueued,
    Job,
    JobNotFound,
    JobQueue,
    QueueClosed,
    QueueError,
)
from .sqlite import SQLiteQueue

__all__ = [
    "DELIVERY_RETENTION_SECONDS",
    "Enqueued",
    "Job",
    "JobNotFound",
    "JobQueue",
    "QueueClosed",
    "QueueError",
    "SQLiteQueue",
    "open_queue",
]

QUEUE_FILENAME = "queue.sqlite3"


def open_queue(data_dir: Path | str, **options: Any) -> JobQueue:
    """The embedded durable queue at data_dir/queue.sqlite3 (options go to SQLiteQueue)."""
    return SQLiteQueue(Path(data_dir) / QUEUE_FILENAME, **options)
