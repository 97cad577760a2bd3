"""What a pull request changed in a manifest's dependencies. Pure: no I/O.

A declaration is identified by its group and key (a move between groups with the same spec is
not a change); it is changed when it is new, when its spec or target package changed, or when
the lockfile now resolves it to another version. Reordering and formatting change none of
these, and removals are not reported.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.drift.assess import Declared


def _index(declared: Sequence[Declared]) -> tuple[dict[tuple[str, str], Declared], dict[str, Declared]]:
    by_group = {(d.dependency.group, d.dependency.key): d for d in declared}
    by_key: dict[str, Declared] = {}
    for item in declared:
        by_key.setdefault(item.dependency.key, item)
    return by_group, by_key


def changed_dependencies(head: Sequence[Declared], base: Sequence[Declared]) -> list[Declared]:
    """The head declarations the change added or changed, in manifest order."""
    by_group, by_key = _index(base)
    out = []
    for item in head:
        dependency = item.dependency
        old = by_group.get((dependency.group, dependency.key)) or by_key.get(dependency.key)
        if old is None:
            out.append(item)
            continue
        before = old.dependency
        if (before.name, before.spec, before.outside) != (dependency.name, dependency.spec, dependency.outside):
            out.append(item)
        elif old.current != item.current:
            out.append(item)
    return out

