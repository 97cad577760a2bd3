"""Changed lines of a file GitHub sent without a patch, found by diffing both sides here.

GitHub leaves out ``patch`` for large diffs, so the pipeline reads the base and head text and
diffs them itself. Large is the normal case here, and `difflib.SequenceMatcher` with
``autojunk=False`` is quadratic or worse on it: 2000 lines of ``}`` take about a minute, and
20000 unique lines with every tenth changed take seconds. So the diff first anchors on lines
that occur once on each side (patience diff), runs the matcher only on the gaps between anchors,
and pays every step from a fixed budget. Callers turn `DiffTooLarge` into a "not scanned" notice.
"""

from __future__ import annotations

import bisect
import difflib
from collections import Counter
from collections.abc import Sequence

__all__ = [
    "MAX_COMPARISONS_FOR_LOCAL_DIFF",
    "MAX_LINES_FOR_LOCAL_DIFF",
    "DiffTooLarge",
    "changed_lines_between",
    "split_lines",
]

MAX_LINES_FOR_LOCAL_DIFF = 20_000
"""Most lines either side may have after the common head and tail are set aside (our own
bound: keeps memory and the matcher's setup small)."""

MAX_COMPARISONS_FOR_LOCAL_DIFF = 20_000_000
"""Work units (line visits and candidate line pairs) one diff may spend: our own bound, measured
at about a second of CPU, so a pathological file costs a notice instead of a stalled worker."""


class DiffTooLarge(Exception):
    """The two sides are too large or too repetitive to diff within the bounds above."""


def split_lines(text: str) -> list[str]:
    """Lines with their ``\\n`` kept, split on ``\\n`` only, as git and GitHub number lines.

    Keeping the ending means a line that only gains or loses its final newline counts as
    changed, as in git; ``str.splitlines`` would also split on form feeds and U+2028.
    """
    if not text:
        return []
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


class _Budget:
    """Work units left for one diff; every step below pays before it runs."""

    def __init__(self, units: int) -> None:
        self.units = units
        self.total = units

    def pay(self, cost: int) -> None:
        self.units -= cost
        if self.units < 0:
            raise DiffTooLarge(
                f"the two versions are too large or repetitive to diff within {self.total} line comparisons"
            )


class _BoundedMatcher(difflib.SequenceMatcher[int]):
    """A SequenceMatcher that stops once it has visited its budget of candidate line pairs.

    `find_longest_match` walks, for every line of ``a`` in range, every position of an equal
    line in ``b``; summing those counts before each call bounds the work from above.
    """

    def __init__(self, a: Sequence[int], b: Sequence[int], budget: _Budget) -> None:
        self._budget = budget
        self._b_counts: Counter[int] = Counter(b)
        super().__init__(None, a, b, autojunk=False)

    def find_longest_match(
        self, alo: int = 0, ahi: int | None = None, blo: int = 0, bhi: int | None = None
    ) -> difflib.Match:
        ahi = len(self.a) if ahi is None else ahi
        bhi = len(self.b) if bhi is None else bhi
        counts = self._b_counts
        self._budget.pay((ahi - alo) + sum(counts[line] for line in self.a[alo:ahi]))
        return super().find_longest_match(alo, ahi, blo, bhi)


def _unique_anchors(
    a: Sequence[int], b: Sequence[int], a0: int, a1: int, b0: int, b1: int
) -> list[tuple[int, int]]:
    """Patience diff's anchors: lines once in each range, longest run in the same order.

    Anchoring on these splits a large diff into small independent gaps (Bram Cohen's patience
    diff, also git's --patience), which keeps SequenceMatcher's quadratic cases small.
    """
    a_counts = Counter(a[a0:a1])
    b_counts = Counter(b[b0:b1])
    a_position = {a[i]: i for i in range(a0, a1) if a_counts[a[i]] == 1}
    pairs = [(a_position[b[j]], j) for j in range(b0, b1) if b_counts[b[j]] == 1 and b[j] in a_position]
    if not pairs:
        return []
    # Longest increasing subsequence of the a-positions, taken in b order (patience sorting).
    tails: list[int] = []
    tail_pair: list[int] = []
    previous: list[int] = [-1] * len(pairs)
    for index, (a_pos, _b_pos) in enumerate(pairs):
        slot = bisect.bisect_left(tails, a_pos)
        if slot == len(tails):
            tails.append(a_pos)
            tail_pair.append(index)
        else:
            tails[slot] = a_pos
            tail_pair[slot] = index
        previous[index] = tail_pair[slot - 1] if slot > 0 else -1
    chain: list[tuple[int, int]] = []
    index = tail_pair[-1]
    while index >= 0:
        chain.append(pairs[index])
        index = previous[index]
    chain.reverse()
    return chain


def _changed_in(a: Sequence[int], b: Sequence[int], budget: _Budget) -> set[int]:
    """0-based indexes of ``b`` that are inserted or replaced relative to ``a``.

    An explicit stack instead of recursion: nested gaps can be as deep as the file is long.
    """
    changed: set[int] = set()
    stack = [(0, len(a), 0, len(b))]
    while stack:
        a0, a1, b0, b1 = stack.pop()
        budget.pay((a1 - a0) + (b1 - b0))
        while a0 < a1 and b0 < b1 and a[a0] == b[b0]:
            a0 += 1
            b0 += 1
        while a0 < a1 and b0 < b1 and a[a1 - 1] == b[b1 - 1]:
            a1 -= 1
            b1 -= 1
        if b0 == b1:
            continue
        if a0 == a1:
            changed.update(range(b0, b1))
            continue
        anchors = _unique_anchors(a, b, a0, a1, b0, b1)
        if anchors:
            previous_a, previous_b = a0, b0
            for a_pos, b_pos in anchors:
                stack.append((previous_a, a_pos, previous_b, b_pos))
                previous_a, previous_b = a_pos + 1, b_pos + 1
            stack.append((previous_a, a1, previous_b, b1))
            continue
        matcher = _BoundedMatcher(a[a0:a1], b[b0:b1], budget)
        for tag, _i1, _i2, j1, j2 in matcher.get_opcodes():
            if tag in ("replace", "insert"):
                changed.update(range(b0 + j1, b0 + j2))
    return changed


def changed_lines_between(old: str, new: str) -> frozenset[int]:
    """1-based line numbers of ``new`` that are inserted or replaced relative to ``old``."""
    old_lines = split_lines(old)
    new_lines = split_lines(new)
    # The common head and tail are unchanged by definition; most large files differ in a
    # small middle, and only the middle counts against the size bound.
    head = 0
    limit = min(len(old_lines), len(new_lines))
    while head < limit and old_lines[head] == new_lines[head]:
        head += 1
    tail = 0
    while tail < limit - head and old_lines[-1 - tail] == new_lines[-1 - tail]:
        tail += 1
    old_middle = old_lines[head : len(old_lines) - tail]
    new_middle = new_lines[head : len(new_lines) - tail]
    if len(old_middle) > MAX_LINES_FOR_LOCAL_DIFF or len(new_middle) > MAX_LINES_FOR_LOCAL_DIFF:
        raise DiffTooLarge(
            f"{len(old_middle)} old and {len(new_middle)} new differing lines; "
            f"the local diff stops at {MAX_LINES_FOR_LOCAL_DIFF} lines a side"
        )
    # Compare small ints, not strings: equal lines share an id, so each is hashed once.
    ids: dict[str, int] = {}
    old_ids = [ids.setdefault(line, len(ids)) for line in old_middle]
    new_ids = [ids.setdefault(line, len(ids)) for line in new_middle]
    changed = _changed_in(old_ids, new_ids, _Budget(MAX_COMPARISONS_FOR_LOCAL_DIFF))
    return frozenset(head + index + 1 for index in changed)
