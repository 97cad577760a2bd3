"""Conditions: checks a query cannot express, run on each match before it becomes a finding.

A rule lists conditions as one-key mappings, e.g. `- not_literal: arg`. Each condition is one
entry in `CONDITIONS`, registered with `@condition(name, parse_arg)`: `parse_arg` validates the
rule's argument when the rule is loaded (so a typo fails at load, naming the file), and the
decorated function decides whether one match holds. Adding `tainted`, `not_sanitized` or
`file_lacks_call` is adding one such function; `MatchContext` already carries the whole tree
and source they need.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tree_sitter import Node


@dataclass(frozen=True)
class MatchContext:
    """One query match with everything a condition may look at."""

    captures: Mapping[str, Sequence[Node]]
    source: bytes
    root: Node
    """The file's root node, for conditions that look beyond the match (taint, file checks)."""
    language: str
    path: str

    def text(self, node: Node) -> str:
        """Node text sliced from our own bytes (no call back into the tree's source)."""
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")


ArgParser = Callable[[Any, frozenset[str]], Any]
"""(raw YAML value, capture names in the rule's query) -> parsed argument; ValueError if bad."""
Check = Callable[[MatchContext, Any], bool]


@dataclass(frozen=True)
class Condition:
    name: str
    parse_arg: ArgParser
    holds: Check


CONDITIONS: dict[str, Condition] = {}


def condition(name: str, parse_arg: ArgParser) -> Callable[[Check], Check]:
    """Register a condition under the name rule files use."""

    def register(check: Check) -> Check:
        if name in CONDITIONS:
            raise RuntimeError(f"condition {name!r} registered twice")
        CONDITIONS[name] = Condition(name, parse_arg, check)
        return check

    return register


def capture_name(value: Any, captures: frozenset[str]) -> str:
    """Argument parser for conditions that name one capture of the query."""
    if not isinstance(value, str) or not value:
        raise ValueError("expects the name of a capture, e.g. `arg`")
    name = value.removeprefix("@")
    if name not in captures:
        known = ", ".join(sorted(captures)) or "none"
        raise ValueError(f"names capture @{name}, which the query lacks (captures: {known})")
    return name


# Node types that stand for one expression inside them, for literal checks: the expression is
# the first named child, except in `<string>"x"` (type_assertion, .ts only) where it is the last.
_WRAPPERS = frozenset(
    {
        "parenthesized_expression",
        "as_expression",  # TypeScript `"x" as string`
        "satisfies_expression",
        "non_null_expression",  # `x!`
        "type_assertion",
    }
)


def is_constant(node: Node) -> bool:
    """Whether an expression's value is fixed in the source: no data can flow into it.

    Literals are strings, numbers and template strings without `${}`; parentheses, TypeScript
    casts and `+` between constants keep an expression constant ("a" + "b"). Iterative, so a
    minified 5,000-term concatenation cannot exhaust Python's recursion limit.
    """
    pending = [node]
    while pending:
        current = pending.pop()
        parts = _constant_parts(current)
        if parts is None:
            return False
        pending.extend(parts)
    return True


def _constant_parts(node: Node) -> list[Node] | None:
    """[] for a literal, the sub-expressions that must be constant too, or None if not one."""
    kind = node.type
    if kind in ("string", "number"):
        return []
    if kind == "template_string":
        has_hole = any(child.type == "template_substitution" for child in node.named_children)
        return None if has_hole else []
    if kind in _WRAPPERS:
        inner = [child for child in node.named_children if child.type != "comment"]
        if not inner:
            return None
        return [inner[-1] if kind == "type_assertion" else inner[0]]
    if kind == "unary_expression":
        operand = node.child_by_field_name("argument")
        return [] if operand is not None and operand.type == "number" else None
    if kind == "binary_expression":
        operator = node.child_by_field_name("operator")
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if operator is None or operator.type != "+" or left is None or right is None:
            return None
        return [left, right]
    return None


@condition("not_literal", capture_name)
def not_literal(match: MatchContext, capture: str) -> bool:
    """Holds when the captured expression is not a constant; a missing capture does not hold."""
    nodes = match.captures.get(capture, ())
    return bool(nodes) and not all(is_constant(node) for node in nodes)
