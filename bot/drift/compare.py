"""What a pull request changed in a manifest's dependencies. Pure: no I/O.

A declaration is identified by its key (a move between groups with the same spec is not a
change); it is changed when it is new, when its spec or target package changed, or when the
lockfile now resolves it to another version. Reordering and formatting (whitespace in a spec,
how a Python name is spelled) change none of these, and removals are not reported.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.drift.assess import Declared
from bot.drift.model import Ecosystem


def changed_dependencies(head: Sequence[Declared], base: Sequence[Declared]) -> list[Declared]:
    """The head declarations the change added or changed, in manifest order."""
    before: dict[str, list[Declared]] = {}
    for item in base:
        before.setdefault(item.dependency.key, []).append(item)
    return [item for item in head if not any(_unchanged(old, item) for old in before.get(item.dependency.key, ()))]


def _unchanged(old: Declared, new: Declared) -> bool:
    """The same declaration on both sides: the same package (a Python name however spelled), the
    same spec but for whitespace, and no locked version that moved. A lockfile appearing or going
    away is not a move. Any base declaration of the key may match: a package declared twice
    with environment markers (`numpy==1.24 ; python_version < "3.9"`) is two declarations."""
    a, b = old.dependency, new.dependency
    same_name = a.ecosystem is not Ecosystem.NPM or a.name == b.name  # npm: an alias's target
    if not same_name or _compact(a.spec) != _compact(b.spec) or a.outside != b.outside:
        return False
    return old.current is None or new.current is None or old.current == new.current


def _compact(spec: str) -> str:
    return "".join(spec.split())
