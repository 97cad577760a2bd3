"""A local git repository as a source, for `prwarden scan`: reads objects, never runs hooks or code.

Diffs HEAD against the merge base of BASE and HEAD (three dots), as GitHub shows a pull request.

For large changes the CLI asks for the listing first (`git diff --raw`: paths and blob ids, no
patch text, ~10 ms), then starts git reading the head files by blob id and computing the diff
with line numbers in the background (`start_reading`, `start_changes`) while it loads the rules,
so analysis can start before the diff is ready.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bot.diff.hunks import parse_git_diff
from bot.model import ChangedFile, ChangeSet, FileStatus, Notice, NoticeKind
from bot.sources.base import FileTooLarge, Side, Source

_GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}


_PATHS_PER_LS_TREE = 500
"""Paths per `ls-tree` call, keeping its argument list far below the system's limit."""


_BLOB_MODES = frozenset({"100644", "100755", "120000"})
"""Tree entry modes whose object is a blob (files, executables, symlinks); `ls-tree` reads
these as blobs too. A submodule (160000) has no blob at head."""


class GitError(Exception):
    """A git command failed; the message is git's own."""


@dataclass(frozen=True)
class _Running:
    process: subprocess.Popen[bytes]
    files: tuple[IO[bytes], IO[bytes], IO[bytes]]
    """stdin, stdout, stderr."""
    what: str


@dataclass(frozen=True)
class Listed:
    """One file the change touches, as `git diff --raw` lists it (deleted files left out)."""

    path: str
    """The head path (the new path of a rename or copy)."""
    status: str
    """git's status letter: A, M, R, C or T."""
    blob: str
    """The head blob id."""
    mode: str


class LocalGitSource(Source):
    def __init__(self, repo: Path, base: str, head: str) -> None:
        self.repo = repo
        self._changes: ChangeSet | None = None
        self._pending_diff: _Running | None = None
        self._pending_added: _Running | None = None
        self._pending_read: tuple[_Running | None, list[str], dict[str, str], dict[tuple[Side, str], bytes | int | None]] | None = None
        self._listing: tuple[Listed, ...] | None = None
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
            self._changes = await asyncio.to_thread(self._diff)
        return self._changes

    _DIFF_ARGS = (
        "diff", "-M", "--no-color", "--no-ext-diff", "--no-textconv", "--unified=0",
        "--src-prefix=a/", "--dst-prefix=b/",
    )

    def start_changes(self) -> None:
        """Start the git work behind `changes()` now, writing to temporary files: git works on
        another core while this process loads rules and reads files. No thread: the CLI forks
        its analysis processes after this.

        Two commands, so the patch text stays small: the patch of every file but the added
        ones, and `--numstat` for the added ones, whose changed lines are all their lines (git
        counts them and says which are binary, attributes included, as in the patch)."""
        if self._changes is None and self._pending_diff is None:
            self._pending_diff = self._start_git(*self._DIFF_ARGS, "--diff-filter=a", self.merge_base, self.head)
            self._pending_added = self._start_git(
                "diff", "-M", "--numstat", "-z", "--no-ext-diff", "--no-textconv", "--diff-filter=A", self.merge_base, self.head
            )

    def _diff(self) -> ChangeSet:
        added: dict[str, ChangedFile | Notice] = {}
        if self._pending_diff is not None:
            running, self._pending_diff = self._pending_diff, None
            counted, self._pending_added = self._pending_added, None
            text = self._finish_git(running)
            if counted is not None:
                added = self._added(self._finish_git(counted))
        else:
            text = self._git(*self._DIFF_ARGS, self.merge_base, self.head)
        files: list[ChangedFile] = []
        notices: list[Notice] = []
        for patch in parse_git_diff(text.decode("utf-8", errors="surrogateescape")):
            if patch.status is FileStatus.REMOVED:
                continue
            if patch.binary:
                notices.append(Notice(NoticeKind.NOT_SCANNED, "binary file: not scanned", patch.path))
                continue
            files.append(ChangedFile(patch.path, patch.status, patch.changed_lines, patch.previous_path))
        if added:
            # In git's order, as one diff lists them.
            order = {entry.path: index for index, entry in enumerate(self.listing())}
            merged = sorted([*files, *notices, *added.values()], key=lambda item: order.get(item.path or "", len(order)))
            files = [item for item in merged if isinstance(item, ChangedFile)]
            notices = [item for item in merged if isinstance(item, Notice)]
        return ChangeSet(tuple(files), tuple(notices))

    @staticmethod
    def _added(numstat: bytes) -> dict[str, ChangedFile | Notice]:
        """Added files from `git diff --numstat -z`: `<added>\t<deleted>\t<path>` records,
        `-\t-` for a binary file."""
        found: dict[str, ChangedFile | Notice] = {}
        for record in numstat.split(b"\0"):
            if not record:
                continue
            count, _deleted, name = record.split(b"\t", 2)
            path = name.decode("utf-8", "surrogateescape")
            if count == b"-":
                found[path] = Notice(NoticeKind.NOT_SCANNED, "binary file: not scanned", path)
            else:
                found[path] = ChangedFile(path, FileStatus.ADDED, frozenset(range(1, int(count) + 1)))
        return found

    def _start_git(self, *args: str, stdin: bytes | None = None) -> _Running:
        """A git command running in the background, its input and output in temporary files
        (never pipes: nothing to drain meanwhile, and forked processes inherit no pipe ends)."""
        env = {**os.environ, **_GIT_ENV}
        command = ["git", "-C", str(self.repo), "-c", "core.pager=cat", "-c", "diff.external=", *args]
        source = tempfile.TemporaryFile()
        if stdin is not None:
            source.write(stdin)
            source.seek(0)
        out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
        process = subprocess.Popen(command, stdin=source, stdout=out, stderr=err, env=env)
        return _Running(process, (source, out, err), " ".join(args[:2]))

    @staticmethod
    def _finish_git(running: _Running) -> bytes:
        source, out, err = running.files
        try:
            code = running.process.wait()
            out.seek(0)
            data = out.read()
            if code != 0:
                err.seek(0)
                message = err.read().decode(errors="replace").strip()
                raise GitError(message or f"git {running.what} failed")
            return data
        finally:
            for file in running.files:
                file.close()

    def listing(self) -> tuple[Listed, ...]:
        """The files the change adds, modifies, renames or copies, with their head blob ids,
        from `git diff --raw` with the rename detection `changes()` uses (~10 ms: no line
        numbers). Synchronous: the CLI asks before it starts its event loop."""
        if self._listing is None:
            out = self._git("diff", "--raw", "-z", "-M", "--no-abbrev", "--no-ext-diff", "--no-textconv", self.merge_base, self.head)
            fields = out.split(b"\0")
            entries: list[Listed] = []
            index = 0
            while index < len(fields) - 1:
                meta = fields[index].decode("ascii")
                if not meta.startswith(":"):
                    raise GitError(f"unexpected git diff --raw output: {meta[:80]!r}")
                _old_mode, new_mode, _old_blob, new_blob, status = meta[1:].split(" ")
                paths = 2 if status[0] in "RC" else 1
                path = fields[index + paths].decode("utf-8", "surrogateescape")
                index += 1 + paths
                if status[0] != "D":
                    entries.append(Listed(path, status[0], new_blob, new_mode))
            self._listing = tuple(entries)
        return self._listing

    def start_reading(self, entries: Sequence[Listed]) -> None:
        """Start one `cat-file --batch` reading listed files at head by blob id into a
        temporary file, in the background; `finish_reading` collects them. No size check
        first (it would cost a git round trip before anything else can start): a file over the
        cap is skipped when collected, without being held in memory."""
        wanted = [e for e in dict.fromkeys(entries) if "\n" not in e.path and (Side.HEAD, e.path) not in self._read]
        blobs = {e.path: e.blob for e in wanted if e.mode in _BLOB_MODES}
        absent = [e.path for e in wanted if e.path not in blobs]
        unique = list(dict.fromkeys(blobs.values()))
        running = self._start_git("cat-file", "--batch", stdin="".join(f"{b}\n" for b in unique).encode()) if unique else None
        self._pending_read = (running, unique, blobs, absent)

    def finish_reading(self, *, cap: int) -> dict[str, bytes]:
        """The files `start_reading` read, now also handed out by `read` (a file over `cap` as
        too large, one that is not a blob at head as absent); returns those under the cap."""
        if self._pending_read is None:
            return {}
        running, unique, blobs, absent = self._pending_read
        self._pending_read = None
        contents: dict[str, bytes | int | None] = {}
        if running is not None:
            source, out, err = running.files
            try:
                if running.process.wait() != 0:
                    err.seek(0)
                    raise GitError(err.read().decode(errors="replace").strip() or "git cat-file --batch failed")
                out.seek(0)
                for blob in unique:
                    header = out.readline().split()
                    if len(header) != 3 or header[1] != b"blob":
                        contents[blob] = None  # "<id> missing", or not a blob
                        continue
                    size = int(header[2])
                    if size > cap:
                        out.seek(size + 1, os.SEEK_CUR)
                        contents[blob] = size  # remembered as too large
                    else:
                        contents[blob] = out.read(size)
                        out.read(1)  # the newline after each object
            finally:
                for file in running.files:
                    file.close()
        found: dict[tuple[Side, str], bytes | int | None] = {(Side.HEAD, path): None for path in absent}
        for path, blob in blobs.items():
            found[(Side.HEAD, path)] = contents.get(blob)
        self._read.update(found)
        return {path: value for (_, path), value in found.items() if isinstance(value, bytes)}

    def _cat_blobs(self, blobs: Sequence[str]) -> dict[str, bytes]:
        """Blob contents by id, from one `cat-file --batch`."""
        if not blobs:
            return {}
        return self._parse_batch(self._git("cat-file", "--batch", stdin="".join(f"{blob}\n" for blob in blobs).encode()), blobs)

    @staticmethod
    def _parse_batch(data: bytes, blobs: Sequence[str]) -> dict[str, bytes]:
        """`cat-file --batch` output for these blob ids, in their order."""
        out = memoryview(data)
        contents: dict[str, bytes] = {}
        offset = 0
        for blob in blobs:
            header_end = bytes(out[offset : offset + 200]).index(b"\n") + offset
            size = int(bytes(out[offset:header_end]).split()[2])
            start = header_end + 1
            contents[blob] = bytes(out[start : start + size])
            offset = start + size + 1  # the blob is followed by a newline
        return contents

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
        contents = self._cat_blobs(list(small))
        for blob, owners in small.items():
            for path in owners:
                found[(side, path)] = contents[blob]
        return found

    async def read(self, path: str, side: Side, *, cap: int) -> bytes | None:
        if (side, path) in self._read:
            value = self._read.pop((side, path))
            if isinstance(value, int) or (value is not None and len(value) > cap):
                # Over the prefetch's cap, or this read's smaller one.
                size = value if isinstance(value, int) else len(value)
                raise FileTooLarge(f"{size} bytes is over the {cap}-byte cap")
            return value
        rev = self.head if side is Side.HEAD else self.merge_base
        spec = f"{rev}:{path}"
        size = await asyncio.to_thread(self._git, "cat-file", "-s", spec, check=False)
        if not size.strip().isdigit():
            return None
        if int(size) > cap:
            raise FileTooLarge(f"{int(size)} bytes is over the {cap}-byte cap")
        return await asyncio.to_thread(self._git, "cat-file", "blob", spec)
