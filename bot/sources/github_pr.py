"""A pull request on GitHub as a source: its files list and contents, read through the API only.

The bot never clones or checks out pull-request code: files are data fetched at a SHA.
"""

from __future__ import annotations

from typing import Any

from bot.diff.hunks import PatchError, changed_lines_from_patch
from bot.github.client import BodyTooLarge, InstallationClient
from bot.model import ChangedFile, ChangeSet, FileStatus, Notice, NoticeKind
from bot.sources.base import FileTooLarge, Side, Source

MAX_PR_FILES = 3000
"""GitHub lists at most 3000 files of a pull request (REST docs, "List pull requests files")."""


class GitHubPullSource(Source):
    def __init__(
        self,
        client: InstallationClient,
        repo: str,
        number: int,
        head_sha: str,
        base_sha: str,
        *,
        changed_files: int | None = None,
    ) -> None:
        """`changed_files` is the count from the webhook payload, when the job came from one."""
        self.changed_files = changed_files
        self.client = client
        self.repo = repo
        self.number = number
        self.head_sha = head_sha
        self.base_sha = base_sha
        self._merge_base: str | None = None
        self._changes: ChangeSet | None = None

    async def changes(self) -> ChangeSet:
        """Listed once per source: the pipeline and the reporters (review anchors) share it."""
        if self._changes is None:
            self._changes = await self._list_changes()
        return self._changes

    async def _list_changes(self) -> ChangeSet:
        if self.changed_files is None:
            pull = await self.client.json("GET", f"/repos/{self.repo}/pulls/{self.number}")
            self.changed_files = int(pull.get("changed_files") or 0)
        entries = await self.client.paginate(f"/repos/{self.repo}/pulls/{self.number}/files", limit=MAX_PR_FILES)
        files: list[ChangedFile] = []
        notices: list[Notice] = []
        for entry in entries:
            changed, notice = _changed_file(entry)
            if changed:
                files.append(changed)
            if notice:
                notices.append(notice)
        total = self.changed_files
        partial = len(entries) < total or len(entries) >= MAX_PR_FILES
        if partial:
            notices.append(
                Notice(
                    NoticeKind.PARTIAL,
                    f"GitHub listed {len(entries)} of the {max(total, len(entries))} changed files "
                    "(it lists at most the first 3000); the rest were not scanned.",
                )
            )
        return ChangeSet(tuple(files), tuple(notices), partial)

    async def _base_ref(self) -> str:
        """The merge base GitHub diffed against; the base branch tip may have moved since."""
        if self._merge_base is None:
            data = await self.client.json("GET", f"/repos/{self.repo}/compare/{self.base_sha}...{self.head_sha}")
            self._merge_base = data.get("merge_base_commit", {}).get("sha") or self.base_sha
        return self._merge_base

    async def read(self, path: str, side: Side, *, cap: int) -> bytes | None:
        ref = self.head_sha if side is Side.HEAD else await self._base_ref()
        try:
            return await self.client.read_bounded(f"/repos/{self.repo}/contents/{_quote_path(path)}", params={"ref": ref}, cap=cap)
        except BodyTooLarge as exc:
            raise FileTooLarge(str(exc)) from exc


def _quote_path(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")


def _changed_file(entry: dict[str, Any]) -> tuple[ChangedFile | None, Notice | None]:
    path = str(entry["filename"])
    try:
        status = FileStatus(entry.get("status", "modified"))
    except ValueError:
        status = FileStatus.MODIFIED
    previous = entry.get("previous_filename")
    if status is FileStatus.REMOVED:
        return None, None
    patch = entry.get("patch")
    if patch is None:
        if status is FileStatus.RENAMED and not entry.get("changes"):
            return ChangedFile(path, status, frozenset(), previous), None
        return ChangedFile(path, status, frozenset(), previous, patch_missing=True), None
    try:
        lines = changed_lines_from_patch(patch)
    except PatchError as exc:
        return None, Notice(NoticeKind.UNPARSEABLE, f"GitHub's patch could not be read: {exc}", path)
    deletions = entry.get("deletions")
    return ChangedFile(path, status, lines, previous, deletions=deletions if isinstance(deletions, int) else None), None
