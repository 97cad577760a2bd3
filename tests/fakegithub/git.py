"""Real git repositories behind the fake, driven through the git CLI.

Why: diffs, rename detection, blob SHAs and merge bases are exactly what GitHub computes with
git; computing them with git itself (instead of a hand-rolled model) keeps the fake honest.
Commits are written with ``git fast-import`` into bare repositories, so a test can commit to
any branch without a work tree and hundreds of files cost one subprocess.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

#: Identity for the commits tests create, so committing works on any machine/CI user.
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Octo Cat",
    "GIT_AUTHOR_EMAIL": "octocat@example.com",
    "GIT_COMMITTER_NAME": "Octo Cat",
    "GIT_COMMITTER_EMAIL": "octocat@example.com",
}
ZERO_SHA = "0" * 40


def git_env() -> dict[str, str]:
    """Environment isolated from the user's git config (no external diff, no pager, no hooks)."""
    env = dict(os.environ)
    env.update(GIT_IDENTITY)
    env.update(
        {
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_PAGER": "cat",
            "LC_ALL": "C",
        }
    )
    return env


class GitError(RuntimeError):
    """A git command failed; carries stderr for the test log."""


def _quote_path(path: str) -> str:
    """C-style quote a path for fast-import (handles spaces, quotes and newlines)."""
    escaped = path.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


@dataclass(frozen=True)
class RawChange:
    """One entry of ``git diff --raw -z``: what changed between two trees for one path."""

    status: str  # A, D, M, R (T/C are mapped by the caller)
    old_sha: str
    new_sha: str
    old_path: str
    new_path: str
    new_mode: str


@dataclass(frozen=True)
class FileDiff:
    """A changed file with line counts and the hunk-only patch (None when binary)."""

    change: RawChange
    additions: int
    deletions: int
    binary: bool
    patch: str | None


@dataclass(frozen=True)
class GitIdent:
    """An author or committer line of a commit object; ``date`` is UTC ``YYYY-MM-DDTHH:MM:SSZ``."""

    name: str
    email: str
    date: str


@dataclass(frozen=True)
class CommitInfo:
    """A commit object as git stores it (what GitHub's ``commit`` JSON is built from)."""

    sha: str
    tree: str
    parents: tuple[str, ...]
    author: GitIdent
    committer: GitIdent
    message: str


class GitRepo:
    """A bare repository plus the few plumbing operations the fake needs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._clock = int(time.time()) - 3600
        if not (path / "HEAD").exists():
            path.mkdir(parents=True, exist_ok=True)
            self.run("init", "--bare", "--quiet", "--initial-branch=main", ".")

    def run(self, *args: str, input: bytes | None = None, check: bool = True) -> bytes:
        """Run ``git -C repo args`` and return stdout bytes."""
        proc = subprocess.run(
            ["git", "-C", str(self.path), "-c", "core.quotepath=false", *args],
            input=input,
            capture_output=True,
            env=git_env(),
            check=False,
        )
        if check and proc.returncode != 0:
            raise GitError(f"git {' '.join(args)} failed: {proc.stderr.decode(errors='replace').strip()}")
        return proc.stdout

    def resolve(self, ref: str) -> str | None:
        """Commit SHA for a branch, tag or (full) SHA; None if it does not exist."""
        if not ref or ref.startswith("-"):
            return None
        out = self.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", check=False)
        sha = out.decode().strip()
        return sha or None

    def branch_exists(self, name: str) -> bool:
        return self.resolve(f"refs/heads/{name}") is not None

    def create_branch(self, name: str, from_ref: str) -> str:
        sha = self.resolve(from_ref)
        if sha is None:
            raise GitError(f"cannot branch {name!r} from unknown ref {from_ref!r}")
        self.run("update-ref", f"refs/heads/{name}", sha)
        return sha

    def commit(
        self,
        files: dict[str, str | bytes | None],
        branch: str,
        message: str,
        parent: str | None,
        renames: dict[str, str] | None = None,
        executable: frozenset[str] = frozenset(),
    ) -> str:
        """Write one commit on ``branch`` (created at ``parent``); None in ``files`` deletes."""
        with self._lock:
            self._clock += 1
            stamp = f"{self._clock} +0000"
            author = f"{GIT_IDENTITY['GIT_AUTHOR_NAME']} <{GIT_IDENTITY['GIT_AUTHOR_EMAIL']}> {stamp}"
            committer = f"{GIT_IDENTITY['GIT_COMMITTER_NAME']} <{GIT_IDENTITY['GIT_COMMITTER_EMAIL']}> {stamp}"
            msg = message.encode()
            chunks: list[bytes] = [
                f"commit refs/heads/{branch}\n".encode(),
                f"author {author}\n".encode(),
                f"committer {committer}\n".encode(),
                f"data {len(msg)}\n".encode(),
                msg + b"\n",
            ]
            if parent is not None:
                chunks.append(f"from {parent}\n".encode())
            for old, new in (renames or {}).items():
                chunks.append(f"R {_quote_path(old)} {_quote_path(new)}\n".encode())
            for path, content in files.items():
                if content is None:
                    chunks.append(f"D {_quote_path(path)}\n".encode())
                    continue
                data = content.encode() if isinstance(content, str) else content
                mode = "100755" if path in executable else "100644"
                chunks.append(f"M {mode} inline {_quote_path(path)}\n".encode())
                chunks.append(f"data {len(data)}\n".encode() + data + b"\n")
            chunks.append(b"done\n")
            self.run("fast-import", "--quiet", "--done", "--force", input=b"".join(chunks))
            sha = self.resolve(f"refs/heads/{branch}")
            assert sha is not None
            return sha

    def merge_base(self, a: str, b: str) -> str | None:
        out = self.run("merge-base", a, b, check=False).decode().strip()
        return out or None

    def rev_list(self, spec: str, *, reverse: bool = False) -> list[str]:
        """Commit SHAs of ``spec`` (e.g. ``base..head``), newest first unless ``reverse``."""
        args = ["rev-list", *(["--reverse"] if reverse else []), "--end-of-options", spec]
        return self.run(*args).decode().split()

    def count(self, spec: str) -> int:
        return int(self.run("rev-list", "--count", "--end-of-options", spec).decode().strip())

    def commit_infos(self, shas: list[str]) -> list[CommitInfo]:
        """Read many commit objects with one ``git cat-file --batch``."""
        if not shas:
            return []
        out = self.run("cat-file", "--batch", input="".join(f"{sha}\n" for sha in shas).encode())
        infos: list[CommitInfo] = []
        pos = 0
        for _ in shas:
            eol = out.index(b"\n", pos)
            sha, kind, size = out[pos:eol].decode().split()
            if kind != "commit":
                raise GitError(f"{sha} is a {kind}, not a commit")
            start = eol + 1
            infos.append(_parse_commit(sha, out[start : start + int(size)]))
            pos = start + int(size) + 1  # object content is followed by a newline
        return infos

    def commit_info(self, sha: str) -> CommitInfo:
        return self.commit_infos([sha])[0]

    def branches_at(self, sha: str) -> list[str]:
        """Names of the branches whose tip is ``sha``."""
        out = self.run("for-each-ref", "--points-at", sha, "--format=%(refname:short)", "refs/heads/")
        return out.decode().split()

    def is_commit(self, sha: str) -> bool:
        """True only for the full SHA of a commit in this repository."""
        return self.resolve(sha) == sha

    def object_type(self, spec: str) -> str | None:
        out = self.run("cat-file", "-t", "--end-of-options", spec, check=False).decode().strip()
        return out or None

    def object_size(self, spec: str) -> int:
        return int(self.run("cat-file", "-s", "--end-of-options", spec).decode().strip())

    def blob_bytes(self, spec: str) -> bytes:
        return self.run("cat-file", "blob", "--end-of-options", spec)

    def rev_sha(self, spec: str) -> str | None:
        out = self.run("rev-parse", "--verify", "--quiet", "--end-of-options", spec, check=False).decode().strip()
        return out or None

    def ls_tree(self, commit: str, path: str) -> list[tuple[str, str, str, int, str]]:
        """Entries of a directory: (mode, type, sha, size, name)."""
        spec = f"{commit}:{path}" if path else f"{commit}^{{tree}}"
        out = self.run("ls-tree", "-l", "-z", "--end-of-options", spec)
        entries = []
        for record in out.split(b"\0"):
            if not record:
                continue
            meta, name = record.split(b"\t", 1)
            mode, kind, sha, size = meta.decode().split()
            entries.append((mode, kind, sha, int(size) if size != "-" else 0, name.decode()))
        return entries

    def diff(self, base: str, head: str, context_lines: int = 3) -> list[FileDiff]:
        """Changed files from ``base`` to ``head`` with rename detection (``git diff -M``)."""
        common = ["diff", "-M", "--no-color", "--no-ext-diff", "--no-textconv", f"-U{context_lines}"]
        raw = self.run(*common, "--raw", "--no-abbrev", "-z", base, head)
        changes = _parse_raw(raw)
        numstat = _parse_numstat(self.run(*common, "--numstat", "-z", base, head))
        patch_text = self.run(*common, "--patch", base, head)
        patches = _split_patches(patch_text)
        if len(patches) != len(changes):
            raise GitError(f"diff parse mismatch: {len(changes)} raw entries vs {len(patches)} patches")
        diffs = []
        for change, stats, chunk in zip(changes, numstat, patches, strict=True):
            additions, deletions, binary = stats
            diffs.append(FileDiff(change, additions, deletions, binary, None if binary else _hunks_only(chunk)))
        return diffs


def _parse_ident(value: str) -> GitIdent:
    """``Name <email> 1700000000 +0200`` -> GitIdent with the date in UTC."""
    ident, stamp, _tz = value.rsplit(" ", 2)
    lt = ident.rfind(" <")
    name, email = (ident[:lt], ident[lt + 2 :].rstrip(">")) if lt >= 0 else (ident, "")
    date = datetime.fromtimestamp(int(stamp), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return GitIdent(name, email, date)


def _parse_commit(sha: str, raw: bytes) -> CommitInfo:
    """Parse a raw commit object (headers, blank line, message); continuation lines are skipped."""
    head, _, message = raw.partition(b"\n\n")
    headers: list[tuple[str, str]] = []
    for line in head.decode("utf-8", errors="replace").split("\n"):
        if line.startswith(" ") and headers:
            continue  # e.g. the body of a multi-line ``gpgsig`` header
        key, _, value = line.partition(" ")
        headers.append((key, value))
    fields = dict(headers)
    return CommitInfo(
        sha=sha,
        tree=fields["tree"],
        parents=tuple(value for key, value in headers if key == "parent"),
        author=_parse_ident(fields["author"]),
        committer=_parse_ident(fields["committer"]),
        message=message.decode("utf-8", errors="replace"),
    )


def _parse_raw(out: bytes) -> list[RawChange]:
    fields = out.split(b"\0")
    changes: list[RawChange] = []
    i = 0
    while i < len(fields) and fields[i]:
        meta = fields[i].decode().lstrip(":").split()
        _old_mode, new_mode, old_sha, new_sha, status = meta
        letter = status[0]
        if letter in "RC":
            old_path, new_path = fields[i + 1].decode(), fields[i + 2].decode()
            i += 3
        else:
            old_path = new_path = fields[i + 1].decode()
            i += 2
        changes.append(RawChange(letter, old_sha, new_sha, old_path, new_path, new_mode))
    return changes


def _parse_numstat(out: bytes) -> list[tuple[int, int, bool]]:
    fields = out.split(b"\0")
    stats: list[tuple[int, int, bool]] = []
    i = 0
    while i < len(fields) and fields[i]:
        added, deleted, path = fields[i].decode().split("\t", 2)
        i += 1 if path else 3  # renames: empty path, then old and new as separate fields
        binary = added == "-"
        stats.append((0 if binary else int(added), 0 if binary else int(deleted), binary))
    return stats


def _split_patches(text: bytes) -> list[bytes]:
    """Split ``git diff --patch`` output into one chunk per file, in raw-output order."""
    chunks: list[list[bytes]] = []
    for line in text.split(b"\n"):
        line += b"\n"
        # Content lines always start with ' ', '+', '-' or '\\', so this marks a new file.
        if line.startswith(b"diff --git "):
            chunks.append([line])
        elif chunks:
            chunks[-1].append(line)
    joined = [b"".join(chunk) for chunk in chunks]
    if joined and text.endswith(b"\n"):
        joined[-1] = joined[-1][:-1]  # split() left an empty last piece that got a newline
    return joined


def _hunks_only(chunk: bytes) -> str | None:
    """GitHub's ``patch``: the text from the first ``@@`` on, without git's file headers."""
    start = chunk.find(b"\n@@")
    if start < 0:
        return None
    body = chunk[start + 1 :]
    if body.endswith(b"\n"):
        body = body[:-1]
    return body.decode("utf-8", errors="replace")
