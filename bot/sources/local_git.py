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
        specs = "".join(f"{rev}:{path}\n" for path in paths).encode("utf-8", "surrogateescape")
        checked = self._git("cat-file", "--batch-check=%(objecttype) %(objectsize)", stdin=specs).splitlines()
        found: dict[tuple[Side, str], bytes | int | None] = {}
        small: list[str] = []
        for path, line in zip(paths, checked, strict=True):
            kind, _, size = line.decode().partition(" ")
            if kind != "blob" or not size.isdigit():
                found[(side, path)] = None
            elif int(size) > cap:
                found[(side, path)] = int(size)  # remembered as too large
            else:
                small.append(path)
        if small:
            specs = "".join(f"{rev}:{path}\n" for path in small).encode("utf-8", "surrogateescape")
            out = memoryview(self._git("cat-file", "--batch", stdin=specs))
            offset = 0
            for path in small:
                header_end = bytes(out[offset : offset + 200]).index(b"\n") + offset
                size = int(bytes(out[offset:header_end]).split()[2])
                start = header_end + 1
                found[(side, path)] = bytes(out[start : start + size])
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
