"""Unified-diff text -> the new-side lines a change adds, so analyzers report only on those.

Two inputs share one hunk reader:

* GitHub's pull-request files API gives each file a ``patch``: hunks only, from the first
  ``@@`` on, with no ``diff --git``/``---``/``+++`` headers. `changed_lines_from_patch` reads it
  (and, for convenience, also a whole one-file unified diff with headers).
* The CLI runs git itself; `parse_git_diff` reads the output of
  ``git diff -M --no-color --no-ext-diff --no-textconv --unified=0 --src-prefix=a/ --dst-prefix=b/``
  for every file of a change: status, renames, binary files and C-quoted paths.

Hunk bodies are consumed by the line counts in the ``@@`` header, never by guessing from a
line's first characters, because an added line ``++ x`` is written ``+++ x`` and a removed
``-- sql comment`` is written ``--- sql comment`` inside a hunk, and both look like file headers.

Input is split on ``\\n`` only (not `str.splitlines`), because git and GitHub count lines by
``\\n``; a form feed or U+2028 inside a line must not shift every line number after it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.model import ChangedFile, FileStatus

__all__ = [
    "FilePatch",
    "Hunk",
    "PatchError",
    "changed_lines_from_patch",
    "hunk_ranges_from_patch",
    "parse_git_diff",
    "parse_hunks",
]


class PatchError(ValueError):
    """The diff text is not a unified diff this module can read; the message says where."""


@dataclass(frozen=True)
class Hunk:
    """One ``@@`` section: its header numbers and the new-side lines it adds."""

    old_start: int
    old_count: int
    new_start: int
    new_count: int
    added: tuple[int, ...]
    """1-based new-side numbers of the ``+`` lines, ascending."""

    @property
    def new_range(self) -> tuple[int, int] | None:
        """(first, last) new-side line the hunk shows; None when it shows none (a pure deletion)."""
        if self.new_count == 0:
            return None
        return self.new_start, self.new_start + self.new_count - 1


@dataclass(frozen=True)
class FilePatch:
    """One file of a ``git diff``: where it is now, what happened to it, which lines it adds."""

    path: str
    """The new path; the old path for a deleted file."""
    previous_path: str | None
    """The old path of a renamed or copied file, else None."""
    status: FileStatus
    binary: bool
    changed_lines: frozenset[int]

    def to_changed_file(self) -> ChangedFile:
        """The pipeline's form of this file."""
        return ChangedFile(self.path, self.status, self.changed_lines, self.previous_path)


_HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(?: .*)?$")
"""`@@ -a,b +c,d @@ optional section heading`; a count omitted means 1 (GNU diffutils, "Detailed
Description of Unified Format")."""

_NO_NEWLINE_PREFIX = "\\"
"""``\\ No newline at end of file``: git and GNU diff translate the text, so only the backslash
is reliable."""

_PREAMBLE_PREFIXES = (
    "diff --git ",
    "diff ",
    "index ",
    "--- ",
    "+++ ",
    "old mode ",
    "new mode ",
    "deleted file mode ",
    "new file mode ",
    "similarity index ",
    "dissimilarity index ",
    "rename from ",
    "rename to ",
    "copy from ",
    "copy to ",
    "Binary files ",
)
"""Lines allowed before the first hunk of a one-file diff (git-diff(1), "Generating patch text
with -p": the extended header lines)."""

_C_ESCAPES = {
    "a": 0x07,
    "b": 0x08,
    "t": 0x09,
    "n": 0x0A,
    "v": 0x0B,
    "f": 0x0C,
    "r": 0x0D,
    '"': 0x22,
    "\\": 0x5C,
}
"""The escapes git's quote_c_style writes (quote.c); any other byte that needs quoting is
written as three octal digits."""


def _split_lines(text: str) -> list[str]:
    """Lines split on ``\\n`` only, without the empty piece a final newline leaves."""
    if not text:
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def _parse_hunk_header(line: str, number: int) -> tuple[int, int, int, int]:
    if line.startswith("@@@"):
        raise PatchError(f"line {number}: combined (merge) diff hunk header {line!r} is not supported")
    match = _HUNK_HEADER.match(line)
    if match is None:
        raise PatchError(f"line {number}: malformed hunk header {line!r}; expected '@@ -a,b +c,d @@'")
    old_start, old_count, new_start, new_count = (
        int(match.group(1)),
        int(match.group(2)) if match.group(2) is not None else 1,
        int(match.group(3)),
        int(match.group(4)) if match.group(4) is not None else 1,
    )
    if (new_count > 0 and new_start == 0) or (old_count > 0 and old_start == 0):
        raise PatchError(f"line {number}: hunk header {line!r} starts a non-empty side at line 0")
    return old_start, old_count, new_start, new_count


def _read_hunk(lines: Sequence[str], index: int) -> tuple[Hunk, int]:
    """Read the hunk whose header is ``lines[index]``; return it and the index after it."""
    old_start, old_count, new_start, new_count = _parse_hunk_header(lines[index], index + 1)
    old_left, new_left = old_count, new_count
    new_line = new_start
    added: list[int] = []
    i = index + 1
    while old_left > 0 or new_left > 0:
        if i >= len(lines):
            raise PatchError(
                f"line {index + 1}: hunk {lines[index]!r} ends early: "
                f"{old_left} old and {new_left} new line(s) missing"
            )
        line = lines[i]
        # An empty line is a context line whose lone space was stripped (mail, editors):
        # GNU patch and git apply accept it too.
        tag = line[:1] or " "
        if tag == "+":
            if new_left == 0:
                raise PatchError(f"line {i + 1}: more added lines than hunk {lines[index]!r} declares")
            added.append(new_line)
            new_line += 1
            new_left -= 1
        elif tag == "-":
            if old_left == 0:
                raise PatchError(f"line {i + 1}: more removed lines than hunk {lines[index]!r} declares")
            old_left -= 1
        elif tag == " ":
            if old_left == 0 or new_left == 0:
                raise PatchError(f"line {i + 1}: more context lines than hunk {lines[index]!r} declares")
            new_line += 1
            old_left -= 1
            new_left -= 1
        elif tag == _NO_NEWLINE_PREFIX:
            pass
        else:
            raise PatchError(f"line {i + 1}: unexpected line {line!r} inside hunk {lines[index]!r}")
        i += 1
    # The last line of either side may be followed by its "\ No newline at end of file".
    while i < len(lines) and lines[i].startswith(_NO_NEWLINE_PREFIX):
        i += 1
    return Hunk(old_start, old_count, new_start, new_count, tuple(added)), i


def _read_hunks(lines: Sequence[str], index: int) -> tuple[list[Hunk], int]:
    """Read consecutive hunks from ``lines[index]``; stop at the first line that is not a hunk."""
    hunks: list[Hunk] = []
    while index < len(lines) and lines[index].startswith("@@"):
        hunk, index = _read_hunk(lines, index)
        hunks.append(hunk)
    return hunks, index


def parse_hunks(patch: str) -> list[Hunk]:
    """The hunks of one file's patch: GitHub's hunk-only ``patch`` or a one-file unified diff.

    Header lines before the first hunk are skipped; anything after the hunks (such as a second
    file's ``diff --git``) is an error, because its lines would be counted against this file.
    """
    lines = _split_lines(patch)
    index = 0
    while index < len(lines) and not lines[index].startswith("@@"):
        line = lines[index]
        if not line.startswith(_PREAMBLE_PREFIXES):
            raise PatchError(f"line {index + 1}: expected a diff header or a hunk, got {line!r}")
        if index > 0 and line.startswith("diff "):
            raise PatchError(f"line {index + 1}: the patch holds more than one file; use parse_git_diff")
        index += 1
    hunks, index = _read_hunks(lines, index)
    if index < len(lines):
        line = lines[index]
        if line.startswith("diff "):
            raise PatchError(f"line {index + 1}: the patch holds more than one file; use parse_git_diff")
        raise PatchError(f"line {index + 1}: unexpected line {line!r} after the last hunk")
    return hunks


def changed_lines_from_patch(patch: str) -> frozenset[int]:
    """The 1-based new-side line numbers of the ``+`` lines of one file's patch."""
    return frozenset(line for hunk in parse_hunks(patch) for line in hunk.added)


def hunk_ranges_from_patch(patch: str) -> list[tuple[int, int]]:
    """New-side (first, last) lines each hunk shows (added and context), in patch order.

    GitHub accepts review comments only on lines inside a hunk; a pure-deletion hunk shows no
    new-side line and is left out.
    """
    ranges: list[tuple[int, int]] = []
    for hunk in parse_hunks(patch):
        new_range = hunk.new_range
        if new_range is not None:
            ranges.append(new_range)
    return ranges


# --- git diff output -------------------------------------------------------------------------

_SRC_PREFIX = "a/"
_DST_PREFIX = "b/"
"""The prefixes the caller asks git for (``--src-prefix=a/ --dst-prefix=b/``), so user config
such as ``diff.noprefix`` or ``diff.mnemonicPrefix`` cannot change them."""

_DEV_NULL = "/dev/null"


def _unquote_c(text: str, start: int) -> tuple[str, int]:
    """Read the C-quoted string starting at ``text[start] == '"'``; return it and the index after.

    Octal escapes are bytes of the UTF-8 name; bytes that are not UTF-8 decode with
    ``surrogateescape``, as callers decode git's unquoted output, so a path reads back the same.
    """
    if text[start : start + 1] != '"':
        raise PatchError(f"expected a quoted path at {text[start:]!r}")
    out = bytearray()
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == '"':
            return bytes(out).decode("utf-8", errors="surrogateescape"), i + 1
        if char == "\\":
            escape = text[i + 1 : i + 2]
            if escape in _C_ESCAPES:
                out.append(_C_ESCAPES[escape])
                i += 2
                continue
            digits = text[i + 1 : i + 4]
            if len(digits) == 3 and all(d in "01234567" for d in digits):
                out.append(int(digits, 8) & 0xFF)
                i += 4
                continue
            raise PatchError(f"bad escape in quoted path {text[start:]!r}")
        out.extend(char.encode("utf-8", errors="surrogateescape"))
        i += 1
    raise PatchError(f"unterminated quoted path {text[start:]!r}")


def _unquote_whole(text: str) -> str:
    """A path that is either C-quoted or plain, alone on its line."""
    if not text.startswith('"'):
        return text
    name, end = _unquote_c(text, 0)
    if end != len(text):
        raise PatchError(f"unexpected text after quoted path {text!r}")
    return name


def _strip_prefix(name: str, prefix: str) -> str:
    if not name.startswith(prefix):
        raise PatchError(f"path {name!r} lacks the {prefix!r} prefix; run git diff with --src-prefix=a/ --dst-prefix=b/")
    return name[len(prefix) :]


def _header_names(rest: str) -> tuple[str, str] | None:
    """The two paths of ``diff --git <a> <b>`` (``rest`` is after ``diff --git ``).

    Unquoted names with spaces are ambiguous; git itself resolves them only when both names
    are equal (builtin/apply.c, git_header_name), and so do we. Renames and copies carry their
    names in ``rename``/``copy`` lines, which win over this.
    """
    if rest.startswith('"'):
        a_name, end = _unquote_c(rest, 0)
        if rest[end : end + 1] != " ":
            return None
        b_name = _unquote_whole(rest[end + 1 :])
    elif rest.endswith('"'):
        # Only the new name needed quoting: find the quote that starts a string ending at the end.
        position = rest.find(' "')
        while position >= 0:
            try:
                b_name, end = _unquote_c(rest, position + 1)
            except PatchError:
                end = -1
            if end == len(rest):
                a_name = rest[:position]
                break
            position = rest.find(' "', position + 1)
        else:
            return None
    else:
        if len(rest) % 2 == 0:
            return None
        half = len(rest) // 2
        a_name, separator, b_name = rest[:half], rest[half], rest[half + 1 :]
        if separator != " " or a_name[len(_SRC_PREFIX) :] != b_name[len(_DST_PREFIX) :]:
            return None
    if not (a_name.startswith(_SRC_PREFIX) and b_name.startswith(_DST_PREFIX)):
        return None
    return a_name[len(_SRC_PREFIX) :], b_name[len(_DST_PREFIX) :]


def _file_header_name(value: str, prefix: str) -> str | None:
    """The path of a ``---``/``+++`` line (``value`` is after the marker); None for /dev/null.

    git appends a tab when the name has a space (diff.c, for GNU patch); a name that really
    ends in a tab is C-quoted, so dropping one trailing tab is safe.
    """
    if value.endswith("\t"):
        value = value[:-1]
    if value == _DEV_NULL:
        return None
    return _strip_prefix(_unquote_whole(value), prefix)


@dataclass
class _Section:
    """What one ``diff --git`` section said so far."""

    header_old: str | None = None
    header_new: str | None = None
    minus_name: str | None = None
    plus_name: str | None = None
    saw_minus: bool = False
    saw_plus: bool = False
    moved_from: str | None = None
    moved_to: str | None = None
    status: FileStatus = FileStatus.MODIFIED
    binary: bool = False

    def finish(self, hunks: Sequence[Hunk], number: int) -> FilePatch:
        old_path = self.moved_from or (self.minus_name if self.saw_minus else self.header_old)
        new_path = self.moved_to or (self.plus_name if self.saw_plus else self.header_new)
        if self.status is FileStatus.REMOVED:
            path = old_path
        else:
            path = new_path
        if path is None:
            raise PatchError(f"line {number}: cannot tell the path of this file from its diff header")
        previous = old_path if self.status in (FileStatus.RENAMED, FileStatus.COPIED) else None
        lines = frozenset(line for hunk in hunks for line in hunk.added)
        return FilePatch(path, previous, self.status, self.binary, lines)


def parse_git_diff(text: str) -> list[FilePatch]:
    """Every file of ``git diff -M --unified=0 --src-prefix=a/ --dst-prefix=b/`` output.

    Run git with ``--no-color --no-ext-diff --no-textconv`` so the text is git's own patch
    format. Any context size works; ``--unified=0`` keeps the output smallest.
    """
    lines = _split_lines(text)
    patches: list[FilePatch] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.startswith("diff --git "):
            raise PatchError(f"line {index + 1}: expected 'diff --git', got {line!r}")
        start = index
        section = _Section()
        names = _header_names(line[len("diff --git ") :])
        if names is not None:
            section.header_old, section.header_new = names
        index += 1
        index = _read_extended_header(lines, index, section)
        if index < len(lines) and lines[index].startswith("--- "):
            section.saw_minus = True
            section.minus_name = _file_header_name(lines[index][4:], _SRC_PREFIX)
            index += 1
            if index >= len(lines) or not lines[index].startswith("+++ "):
                raise PatchError(f"line {index + 1}: expected '+++' after '---'")
            section.saw_plus = True
            section.plus_name = _file_header_name(lines[index][4:], _DST_PREFIX)
            index += 1
        hunks, index = _read_hunks(lines, index)
        if index < len(lines) and not lines[index].startswith("diff --git "):
            raise PatchError(f"line {index + 1}: unexpected line {lines[index]!r} after the hunks of a file")
        patches.append(section.finish(hunks, start + 1))
    return patches


def _read_extended_header(lines: Sequence[str], index: int, section: _Section) -> int:
    """Consume git's extended header lines into ``section``; return the index after them."""
    while index < len(lines):
        line = lines[index]
        if line.startswith(("diff --git ", "--- ", "@@")):
            break
        if line.startswith("new file mode "):
            section.status = FileStatus.ADDED
        elif line.startswith("deleted file mode "):
            section.status = FileStatus.REMOVED
        elif line.startswith("rename from "):
            section.moved_from = _unquote_whole(line[len("rename from ") :])
            section.status = FileStatus.RENAMED
        elif line.startswith("rename to "):
            section.moved_to = _unquote_whole(line[len("rename to ") :])
            section.status = FileStatus.RENAMED
        elif line.startswith("copy from "):
            section.moved_from = _unquote_whole(line[len("copy from ") :])
            section.status = FileStatus.COPIED
        elif line.startswith("copy to "):
            section.moved_to = _unquote_whole(line[len("copy to ") :])
            section.status = FileStatus.COPIED
        elif line.startswith("Binary files ") and line.endswith(" differ"):
            section.binary = True
        elif line == "GIT binary patch":
            # Only with --binary: base85 data lines follow until the next file.
            section.binary = True
            index += 1
            while index < len(lines) and not lines[index].startswith("diff --git "):
                index += 1
            return index
        elif not line.startswith(
            ("old mode ", "new mode ", "similarity index ", "dissimilarity index ", "index ")
        ):
            raise PatchError(f"line {index + 1}: unexpected line {line!r} in a file header")
        index += 1
    return index
