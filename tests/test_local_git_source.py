"""LocalGitSource reads git objects, in bulk where it can, with the same answers either way."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import pytest

from bot.sources.base import FileTooLarge, Side
from bot.sources.local_git import LocalGitSource

ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e"}
FILES = {"a.js": b"eval(x)\n", "dir/café b.ts": b"let y = 1;\n", "big.js": b"x" * 5000, "empty.js": b"", "glob[1]*.js": b"literal\n", "dup.js": b"eval(x)\n"}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=ENV)


@pytest.fixture
def source(tmp_path: Path) -> LocalGitSource:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "old.js").write_text("old\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "base")
    for name, data in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "head")
    return LocalGitSource(tmp_path, "HEAD~1", "HEAD")


async def read_all(source: LocalGitSource, prefetch: bool) -> dict[str, object]:
    paths = [*FILES, "missing.js"]
    if prefetch:
        await source.prefetch(paths, Side.HEAD, cap=1000)
    answers: dict[str, object] = {}
    for path in paths:
        try:
            answers[path] = await source.read(path, Side.HEAD, cap=1000)
        except FileTooLarge:
            answers[path] = "too large"
    answers["old.js@base"] = await source.read("old.js", Side.BASE, cap=1000)
    return answers


def test_prefetched_reads_equal_single_reads(source: LocalGitSource) -> None:
    bulk = asyncio.run(read_all(source, prefetch=True))
    single = asyncio.run(read_all(source, prefetch=False))
    assert bulk == single
    assert bulk["a.js"] == b"eval(x)\n" and bulk["empty.js"] == b""
    assert bulk["big.js"] == "too large" and bulk["missing.js"] is None
    assert bulk["dir/café b.ts"] == b"let y = 1;\n" and bulk["old.js@base"] == b"old\n"
    assert bulk["glob[1]*.js"] == b"literal\n" and bulk["dup.js"] == bulk["a.js"]
