"""Changed lines of patch-less files, diffed locally within a bounded budget."""

from __future__ import annotations

import random
import time

import pytest

import bot.diff.local as local
from bot.diff.local import (
    MAX_LINES_FOR_LOCAL_DIFF,
    DiffTooLarge,
    changed_lines_between,
    split_lines,
)


def _text(lines: list[str]) -> str:
    return "".join(f"{line}\n" for line in lines)


def test_insert_and_replace_are_reported_on_the_new_side() -> None:
    old = _text(["a", "b", "c", "d"])
    new = _text(["a", "B", "c", "inserted", "d"])
    assert changed_lines_between(old, new) == {2, 4}


def test_deleted_lines_leave_no_new_side_line() -> None:
    assert changed_lines_between(_text(["a", "b", "c"]), _text(["a", "c"])) == frozenset()


def test_new_file_is_all_changed_and_emptied_file_is_nothing() -> None:
    assert changed_lines_between("", _text(["x", "y"])) == {1, 2}
    assert changed_lines_between(_text(["x", "y"]), "") == frozenset()
    assert changed_lines_between("", "") == frozenset()


def test_identical_text_has_no_changes() -> None:
    text = _text([f"line {i}" for i in range(100)])
    assert changed_lines_between(text, text) == frozenset()


def test_final_newline_change_counts_as_in_git() -> None:
    assert changed_lines_between("a\nb", "a\nb\n") == {2}
    assert changed_lines_between("a\nb\n", "a\nb") == {2}


def test_only_newline_splits_lines() -> None:
    # A form feed or U+2028 inside a line must not shift the numbers of the lines after it.
    old = "a\x0cstill a\nb\u2028still b\nc\n"
    new = "a\x0cstill a\nb\u2028still b\nC\n"
    assert changed_lines_between(old, new) == {3}
    assert split_lines(old) == ["a\x0cstill a\n", "b\u2028still b\n", "c\n"]


def test_crlf_conversion_changes_every_line() -> None:
    assert changed_lines_between("a\nb\n", "a\r\nb\r\n") == {1, 2}


def test_repeated_lines_are_matched_not_all_reported() -> None:
    old = _text(["{", "}", "{", "}", "{", "}"])
    new = _text(["{", "}", "{", "x", "}", "{", "}"])
    assert changed_lines_between(old, new) == {4}


def _is_subsequence(needle: list[str], haystack: list[str]) -> bool:
    it = iter(haystack)
    return all(any(item == other for other in it) for item in needle)


@pytest.mark.parametrize("seed", range(30))
def test_random_edits_report_exactly_the_new_lines(seed: int) -> None:
    """Unique old lines, tagged new lines: the only correct answer is the tagged ones."""
    rng = random.Random(seed)
    old = [f"old {i}" for i in range(rng.randint(0, 300))]
    new: list[str] = []
    expected: set[int] = set()
    for line in old:
        roll = rng.random()
        if roll < 0.1:
            continue
        if roll < 0.2:
            new.append(f"replaced {len(new)}")
            expected.add(len(new))
            continue
        if roll < 0.3:
            new.append(f"inserted {len(new)}")
            expected.add(len(new))
        new.append(line)
    assert changed_lines_between(_text(old), _text(new)) == expected


@pytest.mark.parametrize("seed", range(30))
def test_repetitive_random_edits_keep_a_valid_alignment(seed: int) -> None:
    """With many equal lines the answer is not unique; it must still be a real alignment."""
    rng = random.Random(seed)
    vocabulary = ["}", "", "return x;", "{", "x += 1;"]
    old = [rng.choice(vocabulary) for _ in range(rng.randint(0, 200))]
    new = [line for line in old if rng.random() > 0.1]
    for _ in range(rng.randint(0, 20)):
        new.insert(rng.randint(0, len(new)), rng.choice(vocabulary + ["novel"]))
    changed = changed_lines_between(_text(old), _text(new))
    assert all(1 <= line <= len(new) for line in changed)
    unchanged = [line for number, line in enumerate(new, 1) if number not in changed]
    assert _is_subsequence(unchanged, old), "unchanged lines must appear in the old text, in order"
    assert all(number in changed for number, line in enumerate(new, 1) if line not in old)
    # Never worse than "everything changed", and no worse than the lines the edit really touched.
    assert len(changed) <= len(new) - _lcs_length(old, new) + len(new) // 4


def _lcs_length(a: list[str], b: list[str]) -> int:
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, 1):
            current.append(previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def test_too_many_differing_lines_raise() -> None:
    old = _text([f"old {i}" for i in range(MAX_LINES_FOR_LOCAL_DIFF + 1)])
    new = _text([f"new {i}" for i in range(MAX_LINES_FOR_LOCAL_DIFF + 1)])
    with pytest.raises(DiffTooLarge, match=str(MAX_LINES_FOR_LOCAL_DIFF)):
        changed_lines_between(old, new)


def test_the_size_bound_applies_to_the_differing_middle_only() -> None:
    lines = [f"line {i}" for i in range(MAX_LINES_FOR_LOCAL_DIFF * 3)]
    edited = list(lines)
    edited[30_000] = "edited"
    edited.insert(20_000, "inserted")
    assert changed_lines_between(_text(lines), _text(edited)) == {20_001, 30_002}
    edited[50_000] = "edited far away"  # now the edits span more than the bound
    with pytest.raises(DiffTooLarge):
        changed_lines_between(_text(lines), _text(edited))


def test_size_bound_is_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local, "MAX_LINES_FOR_LOCAL_DIFF", 5)
    with pytest.raises(DiffTooLarge):
        changed_lines_between(_text(list("abcdef")), _text(list("ABCDEF")))
    assert changed_lines_between(_text(list("abcdef")), _text(list("abCdef"))) == {3}


def test_pathological_repetition_is_bounded_in_time() -> None:
    """Plain SequenceMatcher(autojunk=False) takes about a minute on this; we must not."""
    old = "}\n" * 2000
    new = "".join("}\n" if i % 3 else "x\n" for i in range(2000))
    started = time.monotonic()
    try:
        changed = changed_lines_between(old, new)
    except DiffTooLarge:
        pass
    else:
        assert changed == {i + 1 for i in range(2000) if i % 3 == 0}
    assert time.monotonic() - started < 15


def test_work_budget_raises_when_spent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local, "MAX_COMPARISONS_FOR_LOCAL_DIFF", 1_000)
    old = "}\n" * 300
    new = "".join("}\n" if i % 3 else "x\n" for i in range(300))
    with pytest.raises(DiffTooLarge, match="1000"):
        changed_lines_between(old, new)


def test_large_file_with_many_spread_edits_is_fast() -> None:
    """20000 unique lines with every tenth replaced: quadratic for a bare SequenceMatcher."""
    old = [f"l{i}" for i in range(20_000)]
    new = [f"m{i}" if i % 10 == 0 else line for i, line in enumerate(old)]
    started = time.monotonic()
    changed = changed_lines_between(_text(old), _text(new))
    assert changed == {i + 1 for i in range(0, 20_000, 10)}
    assert time.monotonic() - started < 10
