"""Changed lines from GitHub patches and from real `git diff` output."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.diff.hunks import (
    FilePatch,
    PatchError,
    changed_lines_from_patch,
    hunk_ranges_from_patch,
    parse_git_diff,
    parse_hunks,
)
from bot.model import FileStatus

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

GIT_DIFF_FLAGS = (
    "-M",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--src-prefix=a/",
    "--dst-prefix=b/",
)
"""What bot/sources/local_git.py passes, plus --unified=N per test."""


# --- GitHub's hunk-only patch -------------------------------------------------------------


def test_added_lines_are_counted_on_the_new_side() -> None:
    patch = "@@ -1,3 +1,4 @@\n one\n-two\n+TWO\n+three-and-a-half\n three"
    assert changed_lines_from_patch(patch) == {2, 3}


def test_second_hunk_starts_at_its_own_header() -> None:
    patch = "@@ -1,2 +1,2 @@\n-a\n+A\n b\n@@ -10,2 +10,3 @@ def f():\n x\n+y\n z"
    assert changed_lines_from_patch(patch) == {1, 11}


def test_header_and_marker_lookalikes_inside_a_hunk_are_content() -> None:
    # Removed "-- comment" is written "--- comment"; added "++ x" is written "+++ x".
    patch = "\n".join(
        [
            "@@ -1,3 +1,4 @@",
            "--- comment",
            "+++ x",
            "+--- a/not-a-header",
            " @@ -1 +1 @@",
            "-+++ b/old",
            "+@@ -9,9 +9,9 @@",
        ]
    )
    assert changed_lines_from_patch(patch) == {1, 2, 4}


def test_no_newline_markers_on_either_side() -> None:
    patch = "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n\\ No newline at end of file"
    assert changed_lines_from_patch(patch) == {2}


def test_translated_no_newline_marker_is_still_a_marker() -> None:
    patch = "@@ -1 +1 @@\n-x\n\\ Kein Zeilenumbruch am Dateiende.\n+y"
    assert changed_lines_from_patch(patch) == {1}


def test_omitted_counts_mean_one() -> None:
    assert changed_lines_from_patch("@@ -1 +1 @@\n-a\n+b") == {1}
    assert changed_lines_from_patch("@@ -0,0 +1 @@\n+only") == {1}
    assert [(h.old_count, h.new_count) for h in parse_hunks("@@ -5 +7,2 @@\n-a\n+b\n+c")] == [(1, 2)]


def test_empty_patch_and_header_only_patch_change_nothing() -> None:
    assert changed_lines_from_patch("") == frozenset()
    binary = "diff --git a/x.png b/x.png\nindex 1..2 100644\nBinary files a/x.png and b/x.png differ\n"
    assert changed_lines_from_patch(binary) == frozenset()


def test_pure_deletion_changes_no_new_line_and_has_no_range() -> None:
    patch = "@@ -3,2 +2,0 @@\n-gone\n-also gone"
    assert changed_lines_from_patch(patch) == frozenset()
    assert hunk_ranges_from_patch(patch) == []


def test_whole_file_unified_diff_with_headers() -> None:
    patch = (
        "diff --git a/src/app.js b/src/app.js\n"
        "index 83db48f..bf269f4 100644\n"
        "--- a/src/app.js\n"
        "+++ b/src/app.js\n"
        "@@ -1,2 +1,3 @@\n"
        " const a = 1;\n"
        "+eval(input);\n"
        " const b = 2;\n"
    )
    assert changed_lines_from_patch(patch) == {2}
    assert hunk_ranges_from_patch(patch) == [(1, 3)]


def test_line_separators_other_than_newline_do_not_split_lines() -> None:
    # U+2028, form feed and CR are content: only "\n" ends a line, as in git and GitHub.
    patch = "@@ -1,2 +1,2 @@\n a\u2028still line one\x0cand here\r\n-b\n+B\r"
    assert changed_lines_from_patch(patch) == {2}


def test_context_line_that_lost_its_space_is_context() -> None:
    assert changed_lines_from_patch("@@ -1,3 +1,3 @@\n a\n\n-c\n+C") == {3}


def test_hunk_ranges_cover_context_and_added_lines() -> None:
    patch = "@@ -1,3 +1,4 @@\n a\n+b\n c\n d\n@@ -20,3 +21,2 @@\n x\n-y\n z"
    assert hunk_ranges_from_patch(patch) == [(1, 4), (21, 22)]


@pytest.mark.parametrize(
    "patch",
    [
        "@@ -1,2 +1,2\n a\n b",  # no closing @@
        "@@ -a,2 +1,2 @@\n a",  # not a number
        "@@ +1,2 -1,2 @@\n a",  # sides swapped
        "@@@ -1,2 -1,2 +1,3 @@@\n  a",  # combined diff
        "@@ -1,2 +0,2 @@\n a\n b",  # non-empty side at line 0
    ],
)
def test_malformed_hunk_header_is_a_patch_error(patch: str) -> None:
    with pytest.raises(PatchError, match="hunk header"):
        changed_lines_from_patch(patch)


def test_patch_error_is_a_value_error_with_a_line_number() -> None:
    with pytest.raises(ValueError, match=r"line 3"):
        changed_lines_from_patch("@@ -1 +1 @@\n-a\n@@ nonsense @@\n+b")


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ("@@ -1,3 +1,3 @@\n a\n-b\n+B", "ends early"),
        ("@@ -1 +1 @@\n-a\n+b\n+c", "unexpected line"),
        ("@@ -1,2 +1,2 @@\n a\n*b\n", "unexpected line"),
        ("+added without a header", "expected a diff header"),
        ("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\ndiff --git a/y b/y\n", "more than one file"),
    ],
)
def test_bodies_that_disagree_with_their_headers_are_rejected(patch: str, message: str) -> None:
    with pytest.raises(PatchError, match=message):
        changed_lines_from_patch(patch)


# --- real git output -----------------------------------------------------------------------


def _git(repo: Path, *args: str, check: bool = True) -> bytes:
    env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "HOME": str(repo),
        "LC_ALL": "C",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, env=env)
    if check and done.returncode != 0:
        raise AssertionError(done.stderr.decode(errors="replace"))
    return done.stdout


def _commit_all(repo: Path, message: str) -> str:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "--no-verify", "-m", message)
    return _git(repo, "rev-parse", "HEAD").decode().strip()


def _diff(repo: Path, base: str, head: str, *, unified: int = 0, quote_path: bool = True) -> str:
    raw = _git(
        repo, "-c", f"core.quotePath={'true' if quote_path else 'false'}",
        "diff", *GIT_DIFF_FLAGS, f"--unified={unified}", base, head,
    )
    return raw.decode("utf-8", errors="surrogateescape")


def _numstat(repo: Path, base: str, head: str) -> dict[str, int | None]:
    """Added-line counts per new path as git counts them (None for binary)."""
    out = _git(repo, "diff", "-M", "--numstat", "-z", base, head).split(b"\0")
    counts: dict[str, int | None] = {}
    i = 0
    while i < len(out) and out[i]:
        added, _deleted, path = out[i].split(b"\t", 2)
        if path:
            i += 1
        else:  # rename: old and new follow as separate fields
            path = out[i + 2]
            i += 3
        counts[path.decode("utf-8", errors="surrogateescape")] = None if added == b"-" else int(added)
    return counts


def _lines(count: int, tag: str) -> str:
    return "".join(f"{tag} line {i}\n" for i in range(1, count + 1))


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    _git(path, "init", "-q", "-b", "main")
    _git(path, "config", "core.fileMode", "true")
    return path


NON_UTF8_NAME = b"latin\xe9.txt"
"""A Latin-1 file name: not UTF-8, so its path must survive as surrogate escapes."""


def _build_change(repo: Path) -> tuple[str, str, bool]:
    """A base and head commit touching every kind of file the parser must tell apart."""
    (repo / "keep.txt").write_text(_lines(8, "keep"))
    (repo / "old name.txt").write_text(_lines(20, "moved"))
    (repo / "pure.txt").write_text(_lines(10, "pure"))
    (repo / "gone.txt").write_text(_lines(3, "gone"))
    (repo / "image.bin").write_bytes(b"\x89PNG\0\0\x01" * 50)
    (repo / "script.sh").write_text("#!/bin/sh\necho hi\n")
    (repo / "naïve.txt").write_text(_lines(20, "naive"))
    (repo / "tail.txt").write_text("a\nb")
    non_utf8 = True
    try:
        (repo / os.fsdecode(NON_UTF8_NAME)).write_text(_lines(2, "latin"))
    except (OSError, UnicodeError):
        non_utf8 = False
    base = _commit_all(repo, "base")

    keep = _lines(8, "keep").splitlines(keepends=True)
    keep[1] = "changed two\n"
    keep.insert(4, "++ looks like a header\n")
    del keep[6]  # removed "keep line 6"
    keep.append("-- sql comment\n")
    (repo / "keep.txt").write_text("".join(keep))

    (repo / "old name.txt").unlink()
    moved = _lines(20, "moved").splitlines(keepends=True)
    moved[9] = "moved line ten, edited\n"
    (repo / "new name.txt").write_text("".join(moved))

    (repo / "dir with space").mkdir()
    shutil.move(repo / "pure.txt", repo / "dir with space" / "pure.txt")

    (repo / "gone.txt").unlink()
    (repo / "image.bin").write_bytes(b"\x89PNG\0\0\x02" * 50)
    (repo / "new.bin").write_bytes(b"\0\1\2\3" * 10)
    (repo / "café.js").write_text("eval(x);\nconst y = 1;\n")
    (repo / "with space.txt").write_text("one\ntwo\n")
    (repo / 'quo"te.txt').write_text("q\n")
    (repo / "empty.txt").write_text("")
    (repo / "vidé b space.txt").write_text("")  # named only by the diff --git line, quoted
    (repo / "my image b.bin").write_bytes(b"\0" * 8)  # named only by the diff --git line, with spaces
    (repo / "tail.txt").write_text("a\nb\n")
    os.chmod(repo / "script.sh", 0o755)
    (repo / "naïve.txt").unlink()
    (repo / "naïve dir").mkdir()
    naive = _lines(20, "naive").splitlines(keepends=True)
    naive.insert(0, "première ligne\n")
    (repo / "naïve dir" / "naïve.txt").write_text("".join(naive))
    if non_utf8:
        (repo / os.fsdecode(NON_UTF8_NAME)).write_text(_lines(2, "latin") + "added\n")
    head = _commit_all(repo, "head")
    return base, head, non_utf8


def _by_path(patches: list[FilePatch]) -> dict[str, FilePatch]:
    by_path = {p.path: p for p in patches}
    assert len(by_path) == len(patches), "a path was reported twice"
    return by_path


@pytest.mark.parametrize("quote_path", [True, False], ids=["quotePath", "rawUTF8"])
def test_parse_real_git_diff(repo: Path, quote_path: bool) -> None:
    base, head, non_utf8 = _build_change(repo)
    text = _diff(repo, base, head, quote_path=quote_path)
    if quote_path:
        assert '"b/caf\\303\\251.js"' in text  # the test really exercises C-quoting
    patches = _by_path(parse_git_diff(text))

    keep = patches["keep.txt"]
    assert (keep.status, keep.binary, keep.previous_path) == (FileStatus.MODIFIED, False, None)
    # "changed two" at 2, the "++" line at 5, the "-- sql comment" line appended at 9.
    assert keep.changed_lines == {2, 5, 9}

    moved = patches["new name.txt"]
    assert (moved.status, moved.previous_path) == (FileStatus.RENAMED, "old name.txt")
    assert moved.changed_lines == {10}

    pure = patches["dir with space/pure.txt"]
    assert (pure.status, pure.previous_path, pure.changed_lines) == (FileStatus.RENAMED, "pure.txt", frozenset())

    naive = patches["naïve dir/naïve.txt"]
    assert (naive.status, naive.previous_path, naive.changed_lines) == (FileStatus.RENAMED, "naïve.txt", {1})

    gone = patches["gone.txt"]
    assert (gone.status, gone.changed_lines) == (FileStatus.REMOVED, frozenset())

    assert patches["image.bin"].binary and patches["image.bin"].status is FileStatus.MODIFIED
    assert patches["new.bin"].binary and patches["new.bin"].status is FileStatus.ADDED
    assert patches["new.bin"].changed_lines == frozenset()

    assert patches["café.js"].status is FileStatus.ADDED
    assert patches["café.js"].changed_lines == {1, 2}
    assert patches["with space.txt"].changed_lines == {1, 2}
    assert patches['quo"te.txt'].changed_lines == {1}

    empty = patches["empty.txt"]
    assert (empty.status, empty.changed_lines, empty.binary) == (FileStatus.ADDED, frozenset(), False)

    for name, binary in (("vidé b space.txt", False), ("my image b.bin", True)):
        assert (patches[name].status, patches[name].binary, patches[name].changed_lines) == (
            FileStatus.ADDED, binary, frozenset(),
        )

    mode_only = patches["script.sh"]
    assert (mode_only.status, mode_only.changed_lines, mode_only.binary) == (FileStatus.MODIFIED, frozenset(), False)

    assert patches["tail.txt"].changed_lines == {2}  # "b" gained its final newline

    if non_utf8:
        latin = os.fsdecode(NON_UTF8_NAME)
        assert patches[latin].changed_lines == {3}
        assert os.fsencode(latin) == NON_UTF8_NAME  # the path still names the real file

    # Every path the parser reports exists on the side it belongs to.
    for patch in patches.values():
        rev = base if patch.status is FileStatus.REMOVED else head
        assert _git(repo, "cat-file", "-t", f"{rev}:{patch.path}").strip() == b"blob"


def test_git_diff_agrees_with_numstat_and_context_size(repo: Path) -> None:
    base, head, _ = _build_change(repo)
    zero = _by_path(parse_git_diff(_diff(repo, base, head, unified=0)))
    context = _by_path(parse_git_diff(_diff(repo, base, head, unified=3)))
    assert zero.keys() == context.keys()
    for path, patch in zero.items():
        assert context[path] == patch, path
    for path, added in _numstat(repo, base, head).items():
        if path in zero and zero[path].status is not FileStatus.REMOVED:
            if added is None:
                assert zero[path].binary, path
            else:
                assert len(zero[path].changed_lines) == added, path


def test_to_changed_file_keeps_what_the_pipeline_needs() -> None:
    patch = FilePatch("b.txt", "a.txt", FileStatus.RENAMED, False, frozenset({3}))
    changed = patch.to_changed_file()
    assert (changed.path, changed.previous_path, changed.status, changed.changed_lines) == (
        "b.txt", "a.txt", FileStatus.RENAMED, frozenset({3}),
    )


@pytest.mark.parametrize(
    "text",
    [
        "not a diff\n",
        "diff --git a/x b/x\nindex 1..2 100644\n--- a/x\n@@ -1 +1 @@\n-a\n+b\n",  # no +++
        "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n+c\n",  # body longer than header
        "diff --git a/x b/x\nsomething odd\n",
        'diff --git "a/unterminated b/x\nnew file mode 100644\n',
        "diff --git x y\n--- x\n+++ y\n@@ -1 +1 @@\n-a\n+b\n",  # no a/ b/ prefixes
    ],
)
def test_malformed_git_diff_is_a_patch_error(text: str) -> None:
    with pytest.raises(PatchError):
        parse_git_diff(text)


def test_empty_git_diff_has_no_files() -> None:
    assert parse_git_diff("") == []


# --- GitHub-style patches cut from real git output, against a known truth ---------------------

_TRICKY_CONTENT = [
    "--- a/file",
    "+++ b/file",
    "-- sql",
    "++ inc",
    "@@ -1 +1 @@",
    "\\ backslash",
    "",
    "diff --git a/x b/x",
]


def _hunks_only(file_diff: str) -> str:
    """What GitHub's pull-request files API puts in `patch`: from the first @@ on."""
    start = file_diff.find("\n@@")
    return file_diff[start + 1 :].rstrip("\n") if start >= 0 else ""


@pytest.mark.parametrize("seed", range(40))
def test_github_style_patches_match_the_edit_that_made_them(tmp_path: Path, seed: int) -> None:
    """Random edits where every new line is tagged: the changed lines must be exactly those."""
    rng = random.Random(seed)
    old = [f"{rng.choice(_TRICKY_CONTENT)} old {i}" for i in range(rng.randint(0, 60))]
    new: list[str] = []
    kept: dict[int, int] = {}  # new line number -> index of the old line it keeps
    expected: set[int] = set()
    for index, line in enumerate(old):
        if rng.random() < 0.15:
            continue  # deleted
        if rng.random() < 0.15:
            for _ in range(rng.randint(1, 3)):
                new.append(f"{rng.choice(_TRICKY_CONTENT)} NEW {len(new)}")
                expected.add(len(new))
        new.append(line)
        kept[len(new)] = index
    if rng.random() < 0.5:
        new.append(f"{rng.choice(_TRICKY_CONTENT)} NEW tail")
        expected.add(len(new))
    old_end = "" if rng.random() < 0.3 else "\n"
    new_end = "" if rng.random() < 0.3 else "\n"
    (tmp_path / "old").write_text("\n".join(old) + (old_end if old else ""))
    (tmp_path / "new").write_text("\n".join(new) + (new_end if new else ""))
    for number, index in kept.items():
        # A kept line that gains or loses the file's final newline is a changed line in git.
        old_ending = "\n" if index < len(old) - 1 else old_end
        new_ending = "\n" if number < len(new) else new_end
        if old_ending != new_ending:
            expected.add(number)
    done = subprocess.run(
        ["git", "diff", "--no-index", "--no-color", "--no-ext-diff", "-U3", "old", "new"],
        cwd=tmp_path, capture_output=True,
    )
    assert done.returncode in (0, 1), done.stderr
    whole = done.stdout.decode()
    patch = _hunks_only(whole)
    assert changed_lines_from_patch(patch) == expected
    assert changed_lines_from_patch(whole) == expected
    ranges = hunk_ranges_from_patch(patch)
    assert all(1 <= first <= last <= max(len(new), 1) for first, last in ranges)
    assert all(any(first <= line <= last for first, last in ranges) for line in expected)
    assert ranges == sorted(ranges)
