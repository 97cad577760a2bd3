"""`prwarden-ignore` comments: a reviewed finding stays out of the annotations, with its reason.

Syntax, in any comment the grammar knows (`//`, `/* */`, `#`, JSX `{/* */}`):

    prwarden-ignore                                   every rule, no reason
    prwarden-ignore: <rule-id>[, <rule-id>...] [until YYYY-MM-DD] [reason]
    prwarden-ignore [until YYYY-MM-DD] [reason]       every rule

A comment applies to the line it is on, and, when it stands on a line of its own, to the next
line that is not itself a comment-only line (so it can sit above an eslint directive). Comments
come from the syntax tree, never from a scan of raw source: `"prwarden-ignore"` in a string or a
JSX text node suppresses nothing. Only the comment's own text is parsed, and only a bounded
prefix of it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import tree_sitter
from tree_sitter import Node

from bot.owasp.languages import grammar

MARKER = "prwarden-ignore"
MARKER_BYTES = MARKER.encode("ascii")

MAX_DIRECTIVE_CHARS = 1000
"""Text after the marker that is read; a reason longer than this is cut, not parsed further."""

_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
"""Rule ids as rules.py requires them. Fixed pattern, run on at most MAX_DIRECTIVE_CHARS."""
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
_REASON_TRIM = " \t-–—:;,"
_STANDALONE_OPENERS = b" \t{"
"""What may precede a comment on its line for it to stand alone (`{` opens a JSX comment)."""
_STANDALONE_CLOSERS = b" \t\r}"


@dataclass(frozen=True)
class Directive:
    """One parsed `prwarden-ignore` comment."""

    line: int
    """1-based line the comment starts on."""
    rules: frozenset[str] = frozenset()
    """Rule ids it names; empty means every rule."""
    until: date | None = None
    reason: str = ""
    unknown: tuple[str, ...] = ()
    """Names that look like rule ids but are no loaded rule: the directive suppresses nothing."""
    problem: str | None = None
    """Why it cannot apply at all (an unreadable date); it then suppresses nothing."""

    def covers(self, rule_id: str) -> bool:
        if self.problem is not None:
            return False
        if self.unknown and not self.rules:
            return False
        return not self.rules or rule_id in self.rules

    def expired(self, today: date) -> bool:
        return self.until is not None and self.until < today


@dataclass(frozen=True)
class Decision:
    """What the comments around one finding decide."""

    directive: Directive | None = None
    """The directive that suppresses the finding, if any."""
    problems: tuple[str, ...] = field(default_factory=tuple)
    """Directives aimed at the finding that did not apply, as notice text."""
    expired: Directive | None = None


def parse_directive(text: str, line: int, known_rules: frozenset[str] | None = None) -> Directive | None:
    """The directive in one comment's text, or None when the comment has none.

    With `known_rules`, words after the colon count as rule ids only when they are loaded
    rules or look like one (contain a hyphen): `prwarden-ignore: false positive` is a reason
    for every rule, `prwarden-ignore: js-eval-dynamc` a misspelt id that suppresses nothing.
    """
    start = _find_marker(text)
    if start < 0:
        return None
    rest = _comment_body(text[start + len(MARKER) : start + len(MARKER) + MAX_DIRECTIVE_CHARS])
    rules: list[str] = []
    unknown: list[str] = []
    if rest.startswith(":"):
        rest = rest[1:].lstrip()
        rest = _take_ids(rest, rules, unknown, known_rules)
    until: date | None = None
    problem: str | None = None
    word, after = _first_word(rest)
    if word.lower() == "until":
        value, after_date = _first_word(after)
        parsed = _parse_date(value)
        if parsed is None:
            shown = value or "nothing"
            problem = f"prwarden-ignore on line {line} has an unreadable date {shown!r} after `until` (use YYYY-MM-DD)"
        else:
            until = parsed
        rest = after_date
    return Directive(
        line=line,
        rules=frozenset(rules),
        until=until,
        reason=rest.strip(_REASON_TRIM),
        unknown=tuple(unknown),
        problem=problem,
    )


def _find_marker(text: str) -> int:
    """Index of a whole-word marker ("prwarden-ignored" and "no-prwarden-ignore" are not)."""
    index = text.find(MARKER)
    while index >= 0:
        before = text[index - 1] if index else " "
        end = index + len(MARKER)
        after = text[end] if end < len(text) else " "
        if before not in _WORD_CHARS and after not in _WORD_CHARS:
            return index
        index = text.find(MARKER, index + 1)
    return -1


def _comment_body(text: str) -> str:
    """The directive text: block-comment ends and leading `*` of continuation lines dropped."""
    text = text.split("*/", 1)[0]
    lines = [line.strip().lstrip("*").strip() for line in text.splitlines()]
    return " ".join(" ".join(line for line in lines if line).split())


def _first_word(text: str) -> tuple[str, str]:
    parts = text.split(None, 1)
    if not parts:
        return "", ""
    return parts[0], parts[1] if len(parts) > 1 else ""


def _take_ids(text: str, rules: list[str], unknown: list[str], known: frozenset[str] | None) -> str:
    """Consume `a, b` ids at the start of `text` into `rules`/`unknown`; return what follows."""
    position = 0
    while True:
        found = _ID.match(text, position)
        if found is None:
            break
        end = found.end()
        if end < len(text) and text[end] not in " ,\t":
            break  # "Legacy" or "x.y": a reason, not an id
        name = found.group()
        if name == "until":
            break
        if known is None or name in known:
            rules.append(name)
        elif "-" in name:
            unknown.append(name)
        else:
            break
        position = end
        while position < len(text) and text[position] in " \t":
            position += 1
        if position < len(text) and text[position] == ",":
            position += 1
            while position < len(text) and text[position] in " \t":
                position += 1
            continue
        break
    return text[position:] if (rules or unknown) else text


def _parse_date(value: str) -> date | None:
    if not _DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


_COMMENT_QUERIES: dict[str, tree_sitter.Query | None] = {}
_COMMENT_QUERIES_LOCK = threading.Lock()


def _comment_query(language: str) -> tree_sitter.Query | None:
    """`(comment) @comment` compiled once per grammar; None for a grammar without comments."""
    with _COMMENT_QUERIES_LOCK:
        if language not in _COMMENT_QUERIES:
            try:
                _COMMENT_QUERIES[language] = tree_sitter.Query(grammar(language), "(comment) @comment")
            except (tree_sitter.QueryError, KeyError):
                _COMMENT_QUERIES[language] = None
        return _COMMENT_QUERIES[language]


def comment_nodes(root: Node, language: str) -> list[Node]:
    query = _comment_query(language)
    if query is None:
        return []
    captures = tree_sitter.QueryCursor(query).captures(root)
    return sorted(captures.get("comment", ()), key=lambda node: node.start_byte)


def directives_by_line(
    root: Node, data: bytes, language: str, known_rules: frozenset[str] | None = None
) -> dict[int, list[Directive]]:
    """1-based line -> the directives that apply to it, from the file's comment nodes.

    Cheap when unused: without the marker bytes in the file, no comment is looked at.
    """
    if MARKER_BYTES not in data:
        return {}
    comments = comment_nodes(root, language)
    standalone_rows: set[int] = set()
    parsed: list[tuple[Node, Directive | None, bool]] = []
    for node in comments:
        alone = _stands_alone(node, data)
        if alone:
            standalone_rows.update(range(node.start_point.row, node.end_point.row + 1))
        text = data[node.start_byte : node.end_byte]
        directive = None
        if MARKER_BYTES in text:
            directive = parse_directive(text.decode("utf-8", "replace"), node.start_point.row + 1, known_rules)
        parsed.append((node, directive, alone))
    by_line: dict[int, list[Directive]] = {}
    for node, directive, alone in parsed:
        if directive is None:
            continue
        rows = set(range(node.start_point.row, node.end_point.row + 1))
        if alone:
            target = node.end_point.row + 1
            while target in standalone_rows:
                target += 1
            rows.add(target)
        for row in rows:
            by_line.setdefault(row + 1, []).append(directive)
    return by_line


def _stands_alone(node: Node, data: bytes) -> bool:
    """Whether only whitespace (or a JSX `{` / `}`) shares the comment's lines."""
    line_start = data.rfind(b"\n", 0, node.start_byte) + 1
    if data[line_start : node.start_byte].strip(_STANDALONE_OPENERS):
        return False
    line_end = data.find(b"\n", node.end_byte)
    tail = data[node.end_byte : line_end if line_end >= 0 else len(data)]
    return not tail.strip(_STANDALONE_CLOSERS)


def decide(rule_id: str, lines: Iterable[int], by_line: Mapping[int, Sequence[Directive]], today: date) -> Decision:
    """Whether the directives on `lines` suppress a finding of `rule_id`.

    A live directive wins over an expired one on the same finding; an expired one suppresses
    nothing and is reported back so the finding can say why it is shown again.
    """
    seen: list[Directive] = []
    for line in dict.fromkeys(lines):
        for directive in by_line.get(line, ()):
            if directive not in seen:
                seen.append(directive)
    if not seen:
        return Decision()
    covering = [d for d in seen if d.covers(rule_id)]
    live = [d for d in covering if not d.expired(today)]
    if live:
        return Decision(directive=live[0])
    problems: list[str] = []
    for directive in seen:
        if directive.problem is not None and (not directive.rules or rule_id in directive.rules):
            problems.append(directive.problem)
        elif directive.unknown and not directive.rules:
            names = ", ".join(directive.unknown)
            problems.append(
                f"prwarden-ignore on line {directive.line} names no loaded rule ({names}); it suppresses nothing"
            )
    expired = covering[0] if covering else None
    return Decision(problems=tuple(problems), expired=expired)
