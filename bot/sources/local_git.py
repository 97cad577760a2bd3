"""A local git repository as a source, for `prwarden scan`: reads objects, never runs hooks or code.

Diffs HEAD against the merge base of BASE and HEAD (three dots), as GitHub shows a pull request.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from bot.diff.hunks import parse_git_diff
from bot.model import ChangedFile, ChangeSet, FileStatus, Notice, NoticeKind
from bot.sources.base import FileTooLarge, Side, Source

_GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}


_PATHS_PER_LS_TREE = 500
"""Paths per `ls-tree` call, keeping its argument list far below the system's limit."""


class GitError(Exception):
    """A git command failed; the message is git's own."""


class LocalGitSource(Source):
    def __init__(self, repo: Path, base: str, head: str) -> None:
        self.repo = repo
        self._changes: ChangeSet | None = None
        self._read: dict[tuple[Side, str], bytes | int | None] = {}
        """Prefetched contents: bytes, None (absent), or the size of a file over the cap."""
        self.head = self._rev_parse(head)
        base_sha = self._rev_parse(base)
        self.merge_base = self._git("merge-base", base_sha, self.head).decode().strip()

    def _git(self, *args: str, check: bool = True, stdin: bytes | None = None) -> bytes:
        env = {**os.environ, **_GIT_ENV}
        # No external diff drivers, textconv filters or pagers: those would run repository config.
        command = ["git", "-C", str(self.repo), "-c", "core.pager=cat", "-c", "diff.external=", *args]
        done = subprocess.run(command, capture_output=True, env=env, input=stdin)
        if check and done.returncode != 0:
            raise GitError(done.stderr.decode(errors="replace").strip() or f"git {' '.join(args)} failed")
        return done.stdout

    def _rev_parse(self, rev: str) -> str:
        if rev.startswith("-"):
            raise GitError(f"not a revision: {rev!r}")
        try:
            return self._git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").decode().strip()
        except GitError:
            raise GitError(f"unknown revision {rev!r} in {self.repo}") from None

    async def changes(self) -> ChangeSet:
        if self._changes is None:
            self._changes = await self._diff()
        return self._changes

    async def _diff(self) -> ChangeSet:
        text = await asyncio.to_thread(
            self._git, "diff", "-M", "--no-color", "--no-ext-diff", "--no-textconv", "--unified=0",
            "--src-prefix=a/", "--dst-prefix=b/", self.merge_base, self.head,
        )
        files: list[ChangedFile] = []
        notices: list[Notice] = []
        for patch in parse_git_diff(text.decode("utf-8", errors="surrogateescape")):
            if patch.status is FileStatus.REMOVED:
                continue
            if patch.binary:
                notices.append(Notice(NoticeKind.NOT_SCANNED, "binary file: not scanned", patch.path))
                continue
            files.append(ChangedFile(patch.path, patch.status, patch.changed_lines, patch.previous_path))
        return ChangeSet(tuple(files), tuple(notices))

    async def prefetch(self, paths: Sequence[str], side: Side, *, cap: int) -> None:
        """Read the files with two git processes in all (`cat-file --batch-check`, then
        `--batch` for those under the cap) instead of two per file."""
        rev = self.head if side is Side.HEAD else self.merge_base
        batchable = [p for p in dict.fromkeys(paths) if "\n" not in p and (side, p) not in self._read]
        if batchable:
            self._read.update(await asyncio.to_thread(self._read_batch, rev, side, batchable, cap))

    def _read_batch(self, rev: str, side: Side, paths: list[str], cap: int) -> dict[tuple[Side, str], bytes | int | None]:
        """Blob ids and sizes from `ls-tree` (paths taken literally, never as globs), then the
        blobs under the cap from one `cat-file --batch` by id: no per-path tree walks."""
        listed: dict[str, tuple[str, str, int]] = {}
        for start in range(0, len(paths), _PATHS_PER_LS_TREE):
            chunk = paths[start : start + _PATHS_PER_LS_TREE]
            out = self._git("--literal-pathspecs", "ls-tree", "-l", "-z", rev, "--", *chunk)
            for record in out.split(b"\0"):
                if not record:
                    continue
                meta, _, name = record.partition(b"\t")
                _mode, kind, blob, size = meta.split()
                path = name.decode("utf-8", "surrogateescape")
                listed[path] = (kind.decode(), blob.decode(), int(size) if size.isdigit() else -1)
        found: dict[tuple[Side, str], bytes | int | None] = {}
        small: dict[str, list[str]] = {}
        for path in paths:
            kind, blob, size = listed.get(path, ("", "", -1))
            if kind != "blob" or size < 0:
                found[(side, path)] = None
            elif size > cap:
                found[(side, path)] = size  # remembered as too large
            else:
                small.setdefault(blob, []).append(path)
        if small:
            out = memoryview(self._git("cat-file", "--batch", stdin="".join(f"{blob}\n" for blob in small).encode()))
            offset = 0
            for blob, owners in small.items():
                header_end = bytes(out[offset : offset + 200]).index(b"\n") + offset
                size = int(bytes(out[offset:header_end]).split()[2])
                start = header_end + 1
                data = bytes(out[start : start + size])
                for path in owners:
                    found[(side, path)] = data
                offset = start + size + 1  # the blob is followed by a newline
        return found

    async def read(self, path: str, side: Side, *, cap: int) -> bytes | None:
        if (side, path) in self._read:
            value = self._read.pop((side, path))
            if isinstance(value, int):
                raise FileTooLarge(f"{value} bytes is over the {cap}-byte cap")
            return value
        rev = self.head if side is Side.HEAD else self.merge_base
        spec = f"{rev}:{path}"
        size = await asyncio.to_thread(self._git, "cat-file", "-s", spec, check=False)
        if not size.strip().isdigit():
            return None
        if int(size) > cap:
            raise FileTooLarge(f"{int(size)} bytes is over the {cap}-byte cap")
        return await asyncio.to_thread(self._git, "cat-file", "blob", spec)
