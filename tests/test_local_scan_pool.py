"""`prwarden scan` on a large change: git listing and reading ahead in the background, analysis in
forked processes started on the head files before the diff is ready. Same answers as the plain
path, whatever the order things finish in."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import cli
from bot.analysis_pool import ForkedAnalysisPool
from bot.model import ChangedFile, FileStatus, ScannedFile
from bot.report.jsonout import to_json
from bot.scan import analyze_each, default_analyzers, run_scan
from bot.sources.base import FileTooLarge, Side
from bot.sources.local_git import LocalGitSource

ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e"}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=ENV).stdout


def write(repo: Path, files: dict[str, str | bytes]) -> None:
    for name, data in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode())


def scanned(path: str, text: str, status: FileStatus = FileStatus.MODIFIED) -> ScannedFile:
    return ScannedFile(ChangedFile(path, status, frozenset({1, 2})), text)


# --- the pool ------------------------------------------------------------------------------------


def key(runs: list) -> list:  # type: ignore[type-arg]
    return sorted(
        (index, kind, item.path, getattr(item, "start_line", 0), getattr(item, "rule_id", ""), getattr(item, "message", ""))
        for index, output in runs
        for kind, items in (("f", output.findings), ("s", output.suppressed), ("n", output.notices))
        for item in items
    )


def in_fresh_process(check) -> None:  # type: ignore[no-untyped-def]
    """Run `check` in a new interpreter: the pool forks, which it only does without threads,
    and the test process may have some (servers of other tests)."""
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as fresh:
        fresh.submit(check).result(timeout=120)


def _pool_answers_as_analyze_each() -> None:
    analyzers = default_analyzers()
    head = [
        scanned("src/a.js", "const a = 1;\neval(req.query.code);\n"),
        scanned("src/b.ts", "const b: string = x;\nnew Function(body as string);\n"),
        scanned("src/c.py", "import os\neval(user_input)\n"),
        scanned("src/d.tsx", "export const D = (p: any) => <div dangerouslySetInnerHTML={{ __html: p.html }} />;\n"),
        scanned("src/e.js", "function (\n"),  # a syntax error, no rule words: not parsed, no notice
        scanned("src/gone.js", "eval(x);\n", FileStatus.REMOVED),
        scanned("README.md", "eval(x)\n"),
    ]
    # The base version of a file has the same path and other text: it must not get head results.
    base = [scanned("src/a.js", "const a = 1;\n"), scanned("src/b.ts", "new Function(body as string);\n")]
    pool = ForkedAnalysisPool(analyzers, processes=2)
    try:
        pool.speculate([(f.path, f.text) for f in head[:3]])  # d.tsx and the rest are asked later

        async def both():  # type: ignore[no-untyped-def]
            return await pool.analyze(head), await pool.analyze(base), await pool.analyze([])

        on_head, on_base, on_nothing = asyncio.run(both())
    finally:
        pool.close()
    assert key(on_head) == key(analyze_each(head, analyzers))
    assert key(on_base) == key(analyze_each(base, analyzers))
    assert on_nothing == analyze_each([], analyzers) == []
    assert len(key(on_head)) >= 4 and len(key(on_base)) == 1


def test_forked_pool_answers_as_analyze_each_and_tells_same_paths_apart() -> None:
    in_fresh_process(_pool_answers_as_analyze_each)


def _dead_worker_fails_the_scan() -> None:
    pool = ForkedAnalysisPool(default_analyzers(), processes=2)
    try:
        for worker in pool._workers:
            worker.process.kill()
            worker.process.join()
        files = [scanned(f"src/f{i}.js", f"eval(x{i});\n" * 2000) for i in range(20)]
        with pytest.raises(RuntimeError, match="ended unexpectedly"):
            asyncio.run(asyncio.wait_for(pool.analyze(files), timeout=30))
    finally:
        pool.close()


def test_a_worker_that_dies_fails_the_scan_instead_of_hanging_it() -> None:
    in_fresh_process(_dead_worker_fails_the_scan)


def test_forked_pool_refuses_to_fork_beside_threads() -> None:
    import threading

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        with pytest.raises(RuntimeError, match="before any thread"):
            ForkedAnalysisPool(default_analyzers())
        assert cli._fork_pool(default_analyzers()) is None
    finally:
        stop.set()
        thread.join()


# --- reading ahead -------------------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write(repo, {"keep.js": "const k = 1;\n", "old.js": "line 1\nline 2\nline 3\nline 4\nline 5\n", "edit.js": "a;\nb;\n", "gone.js": "x\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "old.js").rename(repo / "moved.js")
    (repo / "gone.js").unlink()
    write(
        repo,
        {
            "edit.js": "a;\neval(req.body.x);\nb;\n",
            "new.js": "eval(x);\n",
            "big.js": "x" * 5000,
            "bin.js": b"\0\1\2",
            "dir/café b.ts": "let y = 1;\nlet z = 2;",  # no newline at the end
            "empty.js": "",
            "marked.js": "eval(y);\n",  # binary by attribute
            ".gitattributes": "marked.js -diff\n",
            "tab\tname.js": "eval(z);\n",
        },
    )
    os.symlink("new.js", repo / "link.js")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "feature")
    return repo


def test_listing_is_what_the_diff_lists(repo: Path) -> None:
    source = LocalGitSource(repo, "main", "feature")
    listed = {e.path: e.status for e in source.listing()}
    assert listed == {
        "edit.js": "M", "moved.js": "R", "new.js": "A", "big.js": "A", "bin.js": "A", "dir/café b.ts": "A", "link.js": "A",
        "empty.js": "A", "marked.js": "A", ".gitattributes": "A", "tab\tname.js": "A",
    }
    changes = asyncio.run(source.changes())
    assert {f.path for f in changes.files} | {n.path for n in changes.notices} == set(listed)


def test_reading_ahead_answers_as_reading_one_by_one(repo: Path) -> None:
    ahead = LocalGitSource(repo, "main", "feature")
    ahead.start_changes()
    ahead.start_reading(ahead.listing())
    read = ahead.finish_reading(cap=1000)
    plain = LocalGitSource(repo, "main", "feature")

    async def answers(source: LocalGitSource) -> dict[str, object]:
        out: dict[str, object] = {"changes": await source.changes()}
        for entry in plain.listing():
            try:
                out[entry.path] = await source.read(entry.path, Side.HEAD, cap=1000)
            except FileTooLarge:
                out[entry.path] = "too large"
        return out

    assert asyncio.run(answers(ahead)) == asyncio.run(answers(plain))
    assert read["new.js"] == b"eval(x);\n" and read["link.js"] == b"new.js" and "big.js" not in read


# --- the whole command ---------------------------------------------------------------------------


def test_large_change_scans_as_a_small_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Over POOL_FROM_FILES changed files: read ahead, forked analysis, speculative results, the
    same JSON as the in-process path (pre-existing findings and a rename included)."""
    repo = tmp_path / "big"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    base = {f"src/m{i}.js": f"const v{i} = {i};\neval(oldInput{i});\n" for i in range(150)}
    base["lib/moved.ts"] = "export const m = 1;\nnew Function(body);\n"
    write(repo, base)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "feature")
    head: dict[str, str | bytes] = {f"src/m{i}.js": f"const v{i} = {i};\neval(oldInput{i});\neval(req.query.c{i});\n" for i in range(150)}
    head.update({f"web/c{i}.tsx": f"export const C{i} = (p: any) => <div dangerouslySetInnerHTML={{{{ __html: p.h{i} }}}} />;\n" for i in range(120)})
    head.update({f"py/s{i}.py": f"import pickle\npickle.loads(request.data{i})\n" for i in range(40)})
    write(repo, head)
    (repo / "lib/moved.ts").rename(repo / "lib/renamed.ts")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "feature")
    assert len(LocalGitSource(repo, "main", "feature").listing()) >= cli.POOL_FROM_FILES

    out = tmp_path / "large.json"
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "scan", "--repo", str(repo), "--base", "main", "--head", "feature", "--format", "json", "--output", str(out)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stderr
    large = json.loads(out.read_text())

    plain = asyncio.run(run_scan(LocalGitSource(repo, "main", "feature"), default_analyzers()))
    small = to_json(plain)
    for field in ("findings", "suppressed", "preexisting", "notices", "filesScanned"):
        assert large[field] == small[field], field
    assert len(large["findings"]) == 150 + 120 + 40
    assert len(large["preexisting"]) == 0 and large["filesScanned"] == 311
