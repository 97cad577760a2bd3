"""Where an inline review comment may be anchored: the hunks of the PR's diff, checked like GitHub.

Why: GitHub rejects a *whole* review with 422 when one of its comments points outside the diff,
and bots that guess anchors lose every finding of the review (facts §4.3).  The fake parses the
hunks of the real ``git diff`` of the PR at the review's commit and applies GitHub's rules:

* ``side: RIGHT`` (the default) may point at an added or a context line of a hunk, by its line
  number in the new file; ``side: LEFT`` at a deleted or a context line, by its old line number;
* a multi-line comment's ``start_line`` (``start_side``, default: ``side``) must be in the same
  hunk as ``line`` and come before it;
* ``path`` must be a file of the diff;
* the legacy ``position`` counts lines below the file's first ``@@`` header (position 1 is the
  line right under it) and keeps counting through later hunks, their ``@@`` lines included.

GitHub's messages are ``"Pull request review thread <problem>"``, joined into one sentence
("a and b", "a, b, and c") and returned as the single string of ``errors`` (observed bodies in
facts §4.3: ``{"message": "Unprocessable Entity", "errors": ["..."]}``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

THREAD = "Pull request review thread"
LINE_NOT_IN_DIFF = "line must be part of the diff"
START_NOT_IN_HUNK = "start line must be part of the same hunk as the line."
START_AFTER_END = "start line must precede the end line."
PATH_INVALID = "path is invalid"
POSITION_INVALID = "position is invalid"
HUNK_BLANK = "diff hunk can't be blank"
SIDES = ("LEFT", "RIGHT")

LineKind = Literal["context", "added", "deleted"]
_HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class DiffLine:
    """One line of a hunk with its numbers on both sides (None where it has no such side)."""

    kind: LineKind
    left: int | None  # line number in the old file (deleted and context lines)
    right: int | None  # line number in the new file (added and context lines)
    position: int  # GitHub's legacy diff position within the file
    hunk: int  # index of the hunk within the file

    def on(self, side: str) -> int | None:
        """The line number on ``side``, or None if this line is not on that side."""
        return self.left if side == "LEFT" else self.right


@dataclass(frozen=True)
class Hunk:
    index: int
    header: str
    lines: tuple[DiffLine, ...]
    texts: tuple[str, ...]  # the raw patch lines of ``lines``, prefix included


@dataclass(frozen=True)
class FileHunks:
    """The hunks of one changed file (none for binary files)."""

    path: str
    hunks: tuple[Hunk, ...]

    def line(self, side: str, number: int) -> DiffLine | None:
        for hunk in self.hunks:
            for line in hunk.lines:
                if line.on(side) == number:
                    return line
        return None

    def at_position(self, position: int) -> DiffLine | None:
        for hunk in self.hunks:
            for line in hunk.lines:
                if line.position == position:
                    return line
        return None

    def diff_hunk(self, line: DiffLine) -> str:
        """The review comment's ``diff_hunk``: its hunk from the ``@@`` header down to ``line``."""
        hunk = self.hunks[line.hunk]
        upto = hunk.lines.index(line) + 1
        return "\n".join((hunk.header, *hunk.texts[:upto]))


def parse_patch(path: str, patch: str | None) -> FileHunks:
    """Parse a hunks-only patch (GitHub's ``patch`` field: no ``diff --git``/``---``/``+++``)."""
    hunks: list[Hunk] = []
    if not patch:
        return FileHunks(path, ())
    position = 0
    header = ""
    lines: list[DiffLine] = []
    texts: list[str] = []
    left = right = 0

    def close() -> None:
        if header:
            hunks.append(Hunk(len(hunks), header, tuple(lines), tuple(texts)))

    for raw in patch.split("\n"):
        match = _HUNK_HEADER.match(raw)
        if match:
            close()
            if hunks:
                position += 1  # later hunk headers take a position of their own
            header, lines, texts = raw, [], []
            left, right = int(match.group(1)), int(match.group(3))
            continue
        if not header or not raw:
            continue
        position += 1
        prefix = raw[:1]
        if prefix == "+":
            lines.append(DiffLine("added", None, right, position, len(hunks)))
            right += 1
        elif prefix == "-":
            lines.append(DiffLine("deleted", left, None, position, len(hunks)))
            left += 1
        elif prefix == " ":
            lines.append(DiffLine("context", left, right, position, len(hunks)))
            left += 1
            right += 1
        else:
            continue  # "\ No newline at end of file": a position, but no line to comment on
        texts.append(raw)
    close()
    return FileHunks(path, tuple(hunks))


def to_sentence(parts: list[str]) -> str:
    """Join like Rails' ``Array#to_sentence`` (GitHub's error joining)."""
    if len(parts) <= 2:
        return " and ".join(parts)
    return ", ".join(parts[:-1]) + ", and " + parts[-1]


class AnchorError(ValueError):
    """A comment cannot be anchored; ``message`` is GitHub's error string."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        self.message = to_sentence([f"{THREAD} {problem}" for problem in problems])
        super().__init__(self.message)


@dataclass(frozen=True)
class Anchor:
    """Where an accepted comment sits (what GitHub echoes back on the review comment)."""

    path: str
    line: int
    side: str
    start_line: int | None
    start_side: str | None
    position: int
    diff_hunk: str


def resolve(files: Mapping[str, FileHunks], comment: Mapping[str, Any]) -> Anchor:
    """Anchor one ``comments[]`` entry of a review, or raise ``AnchorError`` with GitHub's problems."""
    path = comment["path"]
    diff = files.get(path)
    if diff is None:
        raise AnchorError([PATH_INVALID, HUNK_BLANK])
    if comment.get("line") is None and comment.get("position") is not None:
        end = diff.at_position(comment["position"])
        if end is None:
            raise AnchorError([POSITION_INVALID, HUNK_BLANK])
        side = "LEFT" if end.kind == "deleted" else "RIGHT"
        number = end.on(side)
        assert number is not None
        return Anchor(path, number, side, None, None, end.position, diff.diff_hunk(end))

    side = comment.get("side") or "RIGHT"
    line = comment.get("line")
    end_line = diff.line(side, line) if isinstance(line, int) else None
    problems: list[str] = []
    if end_line is None:
        problems.append(LINE_NOT_IN_DIFF)
    start_number = comment.get("start_line")
    start_side = comment.get("start_side") or side
    if start_number is not None:
        start = diff.line(start_side, start_number)
        if start is not None and end_line is not None and start.hunk == end_line.hunk:
            if start.position >= end_line.position:
                problems.append(START_AFTER_END)
        else:
            problems.append(START_NOT_IN_HUNK)
    if end_line is None:
        problems.append(HUNK_BLANK)
    if problems:
        raise AnchorError(problems)
    assert end_line is not None and isinstance(line, int)
    return Anchor(
        path,
        line,
        side,
        start_number,
        start_side if start_number is not None else None,
        end_line.position,
        diff.diff_hunk(end_line),
    )
