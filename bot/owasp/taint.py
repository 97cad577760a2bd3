"""Intra-procedural taint over a tree-sitter tree: is this expression derived from user input?

Why syntactic and per function: a pull request is scanned file by file in milliseconds, with no
build, no type information and no call graph. What a reviewer needs to see (`req.query.x` put
into a shell command three lines later, through a destructuring and a template literal) is
visible inside one function, so that is the scope. docs/rules.md ("Limits of the taint step")
lists what this misses.

Model. A *label* is the set of sanitizer categories applied along one flow of input into a
value; a value's taint is the set of its minimal labels (`CLEAN` is no flow at all, `RAW` one
flow that nothing sanitized). A sink accepting categories C is reached when some label shares
nothing with C. Sources and sanitizers are data (rules/taint/<family>.yml, `TaintSpec`).

Definitions. Each function (and the module) is walked once, lazily, into a `Scope`: every name
it binds (declarations, assignments, destructuring, loop targets, parameters, imports, `with
... as`, walrus) with the position where the binding takes effect and the innermost branch
(if/else arm, loop body, catch, ternary arm, right side of `&&`/`||`) it sits in. A use at
position P sees the bindings before P, newest first, and stops at one that is unconditional or
whose branch also holds P: `x = sanitize(x)` on the straight path ends taint, inside an `if`
that does not hold the sink it only adds to it. Loop back edges are not followed. Nested
functions see their enclosing functions' bindings (closures); a function sees every module
binding, whatever its position.

Guards. A check on the way to a use proves the value safe for some categories: inside
`if (ALLOWED.includes(x)) {...}`, after `if (!ALLOWED.includes(x)) return;`, in `ok(x) ? x : d`.
Each function's checks are collected once into regions (byte ranges where a condition has a
known value), kept by the node they cover, so a use finds them by walking up its ancestors.
What a condition proves (`_facts`) is read from its syntax and the `guards` data: membership
in a fixed collection, equality with a constant, `typeof`, listed predicates, and anchored
allow-list regexes (`regex_admits` reads the pattern; nothing is compiled or run). A check
stops counting when the checked name or path is assigned between it and the use.

Everything is memoised per `FileTaint` (one per file), so N matches in one function cost one
walk of that function plus the expressions they reach.
"""

from __future__ import annotations

import os
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from tree_sitter import Node

from bot.owasp.languages import family

# --- labels -------------------------------------------------------------------------------------

Labels = frozenset[frozenset[str]]
CLEAN: Labels = frozenset()
RAW: Labels = frozenset({frozenset()})

CATEGORIES: frozenset[str] = frozenset(
    {"html", "url", "redirect", "shell", "regex", "mongo", "sql", "number"}
)
"""Sanitizer categories rules may name. `number` ends taint for every sink (a number carries no
markup, path, shell word or query operator), so a rule never needs to list it."""


def _minimal(labels: Labels) -> Labels:
    """Drop labels that contain another: `{∅, {html}}` is tainted wherever `{∅}` is."""
    if len(labels) <= 1:
        return labels
    kept = [a for a in labels if not any(b < a for b in labels)]
    return frozenset(kept)


def union(a: Labels, b: Labels) -> Labels:
    if not a or a is b:
        return b
    if not b:
        return a
    return _minimal(a | b)


def sanitized(labels: Labels, categories: frozenset[str]) -> Labels:
    return _minimal(frozenset(label | categories for label in labels))


FIXED_URL = "fixed-url"
"""Internal label: the value was built after constant text that fixes a URL's destination
(`"/users/" + id`). Only the `redirect` category accepts it: `"/bin/ls " + x` is still a shell
injection."""
_FIXED = frozenset({FIXED_URL})
SAME_ORIGIN: Labels = frozenset({_FIXED})
"""A URL whose origin is this application's (see `TaintSpec.same_origin`)."""

URL_INPUT_PARTS = frozenset({"searchParams", "search", "hash", "query", "searchparams"})
"""Parts of a same-origin URL the client still chooses."""


def reaches(labels: Labels, accepted: frozenset[str] | None) -> bool:
    """Whether some flow carries input that no sanitizer of `accepted` cleaned.

    `accepted=None` means every category counts (a rule that lists no sanitizers)."""
    if accepted is None:
        accepted = CATEGORIES  # not FIXED_URL: only a redirect sink accepts a fixed prefix
    elif "redirect" in accepted:
        accepted = accepted | _FIXED
    return any(not (label & accepted) for label in labels)


# --- taint data ---------------------------------------------------------------------------------

TAINT_DIR_ENV = "PRWARDEN_TAINT_DIR"
_SOURCE_TAINT_DIR = Path(__file__).resolve().parents[2] / "rules" / "taint"

Path_ = tuple[str, ...]
"""An access path: ("req", "query", "id"); a call segment ends in "()"; module roots are
"module:<name>"."""


_ACCESS_TYPES = frozenset({"member_expression", "attribute", "subscript_expression", "subscript"})


class TaintDataError(ValueError):
    """rules/taint/<family>.yml is missing or malformed; names the file."""


@dataclass(frozen=True)
class CallMatcher:
    """One sanitizer or clean-call entry: an access path, a method of any receiver, or a module
    export (`{module: m}` / `{module: m, name: n}`)."""

    path: Path_ | None = None
    method: str | None = None
    module: str | None = None
    """Dotted module export, e.g. "escape-html" or "urllib.parse.quote"."""

    def matches(self, raw: Path_ | None, resolved: Path_ | None, method: str | None) -> bool:
        if self.method is not None:
            return method == self.method
        if self.path is not None:
            return any(p is not None and _full_match(self.path, p) for p in (raw, resolved))
        if self.module is not None and resolved and resolved[0].startswith("module:"):
            dotted = ".".join(s.removesuffix("()") for s in (resolved[0][7:], *resolved[1:]))
            return dotted == self.module
        return False


@dataclass(frozen=True)
class GuardSpec:
    """What checks prove about a value (rules/taint/<family>.yml, `guards`): code after
    `if (!check(x)) return;`, or inside `if (check(x)) { ... }`, sees `x` sanitized for the
    categories the check proves. See docs/rules.md, "Guards"."""

    exit_calls: tuple[CallMatcher, ...] = ()
    """Calls that never return (`process.exit`, Flask's `abort`): a branch ending in one exits."""
    predicates: tuple[tuple[frozenset[str], CallMatcher], ...] = ()
    """(categories, check): a call that is true only for a first argument (or, with no
    arguments, a receiver) safe for the categories (`url_has_allowed_host_and_scheme`)."""
    membership: frozenset[str] = frozenset()
    """What being one of a fixed collection (`ALLOWED.includes(x)`, `x in ALLOWED`) or equal
    to a constant (`x === "a"`) proves."""
    types: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """`typeof x === "<type>"` / `isinstance(x, <type>)`: what the type proves."""
    regex: Mapping[str, str] = field(default_factory=dict)
    """Category -> characters an anchored allow-list pattern must not admit to prove it."""

    def predicate(self, raw: Path_ | None, resolved: Path_ | None, method: str | None) -> frozenset[str]:
        found: frozenset[str] = frozenset()
        for categories, matcher in self.predicates:
            if not categories <= found and matcher.matches(raw, resolved, method):
                found = found | categories
        return found

    def exits(self, raw: Path_ | None, resolved: Path_ | None, method: str | None) -> bool:
        return any(m.matches(raw, resolved, method) for m in self.exit_calls)


@dataclass(frozen=True)
class TaintSpec:
    """Sources, sanitizers and parameter rules of one language family."""

    family: str
    path: Path
    sources: tuple[Path_, ...]
    sanitizers: Mapping[str, tuple[CallMatcher, ...]]
    clean_calls: tuple[CallMatcher, ...]
    clean_members: frozenset[str]
    destructured_param_sources: frozenset[str] = frozenset()
    route_decorators: tuple[Path_, ...] = ()
    request_parameter_names: frozenset[str] = frozenset()
    excluded_names: frozenset[str] = frozenset()
    excluded_annotations: frozenset[str] = frozenset()
    excluded_default_calls: frozenset[str] = frozenset()
    number_annotations: frozenset[str] = frozenset()
    same_origin: frozenset[Path_] = frozenset()
    """Sources that are URLs of this very request (`request.url`, `request.nextUrl`): input for
    every sink but a redirect, until a part the client chooses is read (`.searchParams`)."""
    guards: GuardSpec = field(default_factory=GuardSpec)
    _by_root: Mapping[str, tuple[Path_, ...]] = field(default_factory=dict, repr=False)
    _by_name: Mapping[str, tuple[tuple[str, CallMatcher], ...]] = field(
        default_factory=dict, repr=False
    )
    """Sanitizer ("category") and clean-call ("") matchers by the callee's last name."""
    _kinds: dict[tuple[Any, ...], tuple[frozenset[str], bool]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def call_kinds(
        self, raw: Path_ | None, resolved: Path_ | None, method: str | None
    ) -> tuple[frozenset[str], bool]:
        """(sanitizer categories of a callee, whether it is a clean call), memoised."""
        key = (raw, resolved, method)
        known = self._kinds.get(key)
        if known is not None:
            return known
        names = {method} if method else set()
        for path in (raw, resolved):
            if path:
                names.add(path[-1].removesuffix("()"))
                if path[0].startswith("module:"):
                    dotted = ".".join(p.removesuffix("()") for p in (path[0][7:], *path[1:]))
                    names.add(dotted.rsplit(".", 1)[-1])
        categories: set[str] = set()
        clean = False
        for name in names:
            for category, matcher in self._by_name.get(name, ()):
                if (category in categories or (not category and clean)) or not matcher.matches(
                    raw, resolved, method
                ):
                    continue
                if category:
                    categories.add(category)
                else:
                    clean = True
        result = (frozenset(categories), clean)
        if len(self._kinds) < 100_000:
            self._kinds[key] = result
        return result

    def source_labels(self, path: Path_) -> Labels | None:
        """RAW when the access path starts with a source path, SAME_ORIGIN for a same-origin
        URL source, None when it is no source."""
        variants = [path]
        if path[0].startswith("module:") and len(path) > 1:
            variants.append(path[1:])  # `import { useRouter } from "next/router"`: useRouter()
        found: Labels | None = None
        for variant in variants:
            root = variant[0].removesuffix("()")
            for pattern in (*self._by_root.get(root, ()), *self._by_root.get("*", ())):
                if len(pattern) <= len(variant) and all(
                    _segment_match(p, s) for p, s in zip(pattern, variant, strict=False)
                ):
                    if pattern not in self.same_origin or any(
                        s.removesuffix("()") in URL_INPUT_PARTS for s in variant[len(pattern) :]
                    ):
                        return RAW
                    found = SAME_ORIGIN
        return found


def _segment_match(pattern: str, segment: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith("()"):
        return segment == pattern
    return segment == pattern or segment == pattern + "()"


def _full_match(pattern: Path_, path: Path_) -> bool:
    """A callee path equals the pattern (the callee's own call marker is not part of it)."""
    return len(pattern) == len(path) and all(
        _segment_match(p, s) for p, s in zip(pattern, path, strict=True)
    )


def default_taint_dir() -> Path:
    """$PRWARDEN_TAINT_DIR; else `taint/` beside $PRWARDEN_RULES_DIR's folder; else rules/taint."""
    configured = os.environ.get(TAINT_DIR_ENV)
    if configured:
        return Path(configured)
    rules_dir = os.environ.get("PRWARDEN_RULES_DIR")
    if rules_dir:
        beside = Path(rules_dir).parent / "taint"
        if beside.is_dir():
            return beside
    return _SOURCE_TAINT_DIR


def spec_for(language: str) -> TaintSpec:
    """The taint data for a grammar name (typescript and tsx read javascript.yml)."""
    return _load_spec(family(language), default_taint_dir())


@cache
def _load_spec(family_name: str, directory: Path) -> TaintSpec:
    path = directory / f"{family_name}.yml"
    try:
        # libyaml's loader where PyYAML was built with it: ~10x faster, on every start's critical path.
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError) as exc:
        raise TaintDataError(f"{path}: cannot read taint data: {exc}") from None
    if not isinstance(data, dict):
        raise TaintDataError(f"{path}: must be a mapping")
    known = {"sources", "param_sources", "sanitizers", "clean_calls", "clean_members", "guards"}
    unknown = sorted(set(map(str, data)) - known)
    if unknown:
        raise TaintDataError(f"{path}: {unknown[0]}: unknown field")

    def paths(value: Any, where: str) -> tuple[Path_, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise TaintDataError(f"{path}: {where}: must be a list of dotted paths")
        return tuple(dict.fromkeys(_split_path(v) for v in value))

    def names(value: Any, where: str) -> frozenset[str]:
        if value is None:
            return frozenset()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise TaintDataError(f"{path}: {where}: must be a list of names")
        return frozenset(value)

    def matchers(value: Any, where: str) -> tuple[CallMatcher, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise TaintDataError(f"{path}: {where}: must be a list")
        out = []
        for item in value:
            if isinstance(item, str) and item:
                split = _split_path(item)
                if len(split) == 2 and split[0] == "*":
                    out.append(CallMatcher(method=split[1]))
                else:
                    out.append(CallMatcher(path=split))
            elif isinstance(item, dict) and isinstance(item.get("module"), str):
                extra = set(item) - {"module", "name"}
                if extra or not isinstance(item.get("name", ""), str):
                    raise TaintDataError(f"{path}: {where}: {item!r}: only module and name")
                dotted = item["module"] + (f".{item['name']}" if item.get("name") else "")
                out.append(CallMatcher(module=dotted))
            else:
                raise TaintDataError(f"{path}: {where}: {item!r} is not a path or {{module: m}}")
        return tuple(dict.fromkeys(out))

    raw_sanitizers = data.get("sanitizers") or {}
    if not isinstance(raw_sanitizers, dict):
        raise TaintDataError(f"{path}: sanitizers: must map categories to lists")
    sanitizers: dict[str, tuple[CallMatcher, ...]] = {}
    for category, entries in raw_sanitizers.items():
        if category not in CATEGORIES:
            choices = ", ".join(sorted(CATEGORIES))
            raise TaintDataError(f"{path}: sanitizers: unknown category {category!r} ({choices})")
        sanitizers[category] = matchers(entries, f"sanitizers.{category}")
    params = data.get("param_sources") or {}
    if not isinstance(params, dict):
        raise TaintDataError(f"{path}: param_sources: must be a mapping")
    raw_sources = data.get("sources") or []
    if not isinstance(raw_sources, list):
        raise TaintDataError(f"{path}: sources: must be a list")
    source_texts: list[str] = []
    same_origin: set[Path_] = set()
    for item in raw_sources:
        if isinstance(item, dict) and isinstance(item.get("path"), str):
            if set(item) - {"path", "same_origin"}:
                raise TaintDataError(f"{path}: sources: {item!r}: only path and same_origin")
            source_texts.append(item["path"])
            if item.get("same_origin"):
                same_origin.add(_split_path(item["path"]))
        else:
            source_texts.append(item)
    sources = paths(source_texts, "sources")
    by_root: dict[str, list[Path_]] = {}
    for source in sources:
        by_root.setdefault(source[0].removesuffix("()"), []).append(source)
    guards = _load_guards(data.get("guards"), path, matchers)
    return TaintSpec(
        family=family_name,
        path=path,
        sources=sources,
        sanitizers=sanitizers,
        clean_calls=matchers(data.get("clean_calls"), "clean_calls"),
        clean_members=names(data.get("clean_members"), "clean_members"),
        destructured_param_sources=names(params.get("destructured_names"), "destructured_names"),
        route_decorators=paths(params.get("route_decorators"), "route_decorators"),
        request_parameter_names=names(params.get("request_parameter_names"), "request_names"),
        excluded_names=names(params.get("excluded_names"), "excluded_names"),
        excluded_annotations=names(params.get("excluded_annotations"), "excluded_annotations"),
        excluded_default_calls=names(params.get("excluded_default_calls"), "excluded_calls"),
        number_annotations=names(params.get("number_annotations"), "number_annotations"),
        same_origin=frozenset(same_origin),
        guards=guards,
        _by_name=_index_calls(sanitizers, matchers(data.get("clean_calls"), "clean_calls")),
        _by_root={root: tuple(items) for root, items in by_root.items()},
    )


ANY = "any"
"""In `guards`: every category (a value that is one of the program's own strings, a digit
string, a number)."""


def _load_guards(value: Any, path: Path, matchers: Any) -> GuardSpec:
    """The `guards` section: exits, predicates by category, membership, types, regex."""
    if value is None:
        return GuardSpec()
    if not isinstance(value, dict):
        raise TaintDataError(f"{path}: guards: must be a mapping")
    known = {"exits", "predicates", "membership", "types", "regex"}
    unknown = sorted(set(map(str, value)) - known)
    if unknown:
        raise TaintDataError(f"{path}: guards.{unknown[0]}: unknown field")

    def categories(items: Any, where: str) -> frozenset[str]:
        if isinstance(items, str):
            items = [items]
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise TaintDataError(f"{path}: {where}: must be a list of categories")
        out: set[str] = set()
        for item in items:
            if item == ANY:
                out |= CATEGORIES
            elif item in CATEGORIES:
                out.add(item)
            else:
                choices = ", ".join(sorted(CATEGORIES | {ANY}))
                raise TaintDataError(f"{path}: {where}: unknown category {item!r} ({choices})")
        return frozenset(out)

    predicates: list[tuple[frozenset[str], CallMatcher]] = []
    raw_predicates = value.get("predicates") or {}
    if not isinstance(raw_predicates, dict):
        raise TaintDataError(f"{path}: guards.predicates: must map categories to lists")
    for category, entries in raw_predicates.items():
        proved = categories([category], "guards.predicates")
        predicates.extend((proved, m) for m in matchers(entries, f"guards.predicates.{category}"))
    raw_types = value.get("types") or {}
    if not isinstance(raw_types, dict):
        raise TaintDataError(f"{path}: guards.types: must map type names to categories")
    types = {str(k): categories(v, f"guards.types.{k}") for k, v in raw_types.items()}
    raw_regex = value.get("regex") or {}
    if not isinstance(raw_regex, dict) or not all(
        isinstance(v, str) and v for v in raw_regex.values()
    ):
        raise TaintDataError(f"{path}: guards.regex: must map categories to characters")
    regex: dict[str, str] = {}
    for category, chars in raw_regex.items():
        for proved in categories([category], "guards.regex"):
            regex[proved] = regex.get(proved, "") + chars
    return GuardSpec(
        exit_calls=matchers(value.get("exits"), "guards.exits"),
        predicates=tuple(predicates),
        membership=categories(value.get("membership") or [], "guards.membership"),
        types=types,
        regex=regex,
    )


def _index_calls(
    sanitizers: Mapping[str, tuple[CallMatcher, ...]], clean: tuple[CallMatcher, ...]
) -> dict[str, tuple[tuple[str, CallMatcher], ...]]:
    index: dict[str, list[tuple[str, CallMatcher]]] = {}
    entries = [(c, m) for c, ms in sanitizers.items() for m in ms] + [("", m) for m in clean]
    for category, matcher in entries:
        if matcher.method is not None:
            name = matcher.method
        elif matcher.path is not None:
            name = matcher.path[-1].removesuffix("()")
        else:
            name = (matcher.module or "").rsplit(".", 1)[-1]
        index.setdefault(name, []).append((category, matcher))
    return {name: tuple(items) for name, items in index.items()}


def _split_path(text: str) -> Path_:
    """ "useRouter().query" -> ("useRouter()", "query"); parentheses hold no arguments."""
    return tuple(part.strip() for part in text.split(".") if part.strip())


# --- allow-list regexes --------------------------------------------------------------------------
#
# `if (!/^[a-z0-9-]+$/.test(name)) return;` proves something only because the pattern is anchored
# at both ends and admits a known set of characters. This reads a pattern (never runs or builds
# one) and answers which characters it may admit; a construct it does not know (lookarounds,
# backreferences, multiline mode, anchors inside) makes the pattern prove nothing.


class _Unsupported(Exception):
    pass


_CLASS_ESCAPES = frozenset("wdsWDS")
_PY_FLAG_LETTERS = {
    "I": "i", "IGNORECASE": "i", "A": "a", "ASCII": "a", "U": "u", "UNICODE": "u",
    "S": "s", "DOTALL": "s", "M": "m", "MULTILINE": "m", "X": "x", "VERBOSE": "x",
    "L": "L", "LOCALE": "L", "NOFLAG": "",
}  # fmt: skip
"""Python `re` flag names -> the inline letter."""


@dataclass(frozen=True)
class _CharSet:
    """One atom of a pattern: the characters it matches."""

    negated: bool = False
    chars: frozenset[str] = frozenset()
    ranges: tuple[tuple[int, int], ...] = ()
    classes: frozenset[str] = frozenset()
    """`\\w`-style escapes by letter; "." is any character."""

    def admits(self, char: str, python: bool) -> bool:
        hit = (
            char in self.chars
            or any(lo <= ord(char) <= hi for lo, hi in self.ranges)
            or any(_class_admits(kind, char, python) for kind in self.classes)
        )
        return hit != self.negated


def _class_admits(kind: str, char: str, python: bool) -> bool:
    if kind == ".":
        return True
    if kind in "WDS":
        return not _class_admits(kind.lower(), char, python)
    if kind == "w":
        return char.isalnum() or char == "_" if python else char.isascii() and (char.isalnum() or char == "_")
    if kind == "d":
        return char.isdigit() if python else char in "0123456789"
    return char.isspace() or char in "\x1c\x1d\x1e\x1f\ufeff"  # s: both languages' whitespace


class _PatternReader:
    """A recursive-descent reader for the regex subset allow-lists are written in."""

    def __init__(self, text: str, python: bool, alternation: bool) -> None:
        self.text = text
        self.at = 0
        self.python = python
        self.alternation = alternation
        """Whether `|` may appear outside a group (the whole pattern is matched anyway)."""
        self.atoms: list[_CharSet] = []

    def read(self) -> list[_CharSet]:
        self._sequence(depth=0)
        if self.at != len(self.text):
            raise _Unsupported
        return self.atoms

    def _sequence(self, depth: int) -> None:
        text = self.text
        if depth > 20:
            raise _Unsupported
        while self.at < len(text):
            char = text[self.at]
            if char == ")":
                if depth == 0:
                    raise _Unsupported
                return
            if char == "|":
                if depth == 0 and not self.alternation:
                    raise _Unsupported  # `^a|b$`: each anchor holds for one side only
                self.at += 1
                continue
            if char == "(":
                self._group(depth)
            elif char == "[":
                self.atoms.append(self._class())
            elif char == "\\":
                self.atoms.append(self._escape(in_class=False))
            elif char == ".":
                self.at += 1
                self.atoms.append(_CharSet(classes=frozenset(".")))
            elif char in "^$*+?{}":
                raise _Unsupported  # an anchor inside, or a quantifier with nothing to repeat
            else:
                self.at += 1
                self.atoms.append(_CharSet(chars=frozenset(char)))
            self._quantifier()

    def _group(self, depth: int) -> None:
        text = self.text
        self.at += 1
        if text.startswith("?:", self.at):
            self.at += 2
        elif text.startswith("?P<", self.at) or (
            text.startswith("?<", self.at) and text[self.at + 2 : self.at + 3] not in ("=", "!")
        ):
            close = text.find(">", self.at)
            name = text[self.at + (3 if text[self.at + 1] == "P" else 2) : close]
            if close < 0 or not name.isidentifier():
                raise _Unsupported
            self.at = close + 1
        elif text.startswith("?", self.at):
            # `(?i:...)` scoped flags are harmless; lookarounds, backreferences, conditionals
            # and inline flags that change anchors are not read.
            end = self.at + 1
            while end < len(text) and text[end].isalpha():
                end += 1
            letters = text[self.at + 1 : end]
            if not letters or text[end : end + 1] != ":" or set(letters) - set("aiLsu"):
                raise _Unsupported
            self.at = end + 1
        self._sequence(depth + 1)
        if text[self.at : self.at + 1] != ")":
            raise _Unsupported
        self.at += 1

    def _quantifier(self) -> None:
        text = self.text
        if self.at >= len(text):
            return
        char = text[self.at]
        if char in "*+?":
            self.at += 1
        elif char == "{":
            close = text.find("}", self.at)
            body = text[self.at + 1 : close] if close > 0 else ""
            low, _, high = body.partition(",")
            if not (low.isdigit() or (self.python and not low)) or not (high.isdigit() or not high):
                raise _Unsupported
            self.at = close + 1
        else:
            return
        if text[self.at : self.at + 1] in ("?", "+"):
            self.at += 1  # lazy or possessive

    def _class(self) -> _CharSet:
        text = self.text
        self.at += 1
        negated = text[self.at : self.at + 1] == "^"
        if negated:
            self.at += 1
        chars: set[str] = set()
        ranges: list[tuple[int, int]] = []
        classes: set[str] = set()
        first = True
        while True:
            if self.at >= len(text):
                raise _Unsupported
            char = text[self.at]
            if char == "]" and not (first and self.python):
                self.at += 1
                break
            if char == "]" and not self.python:
                raise _Unsupported  # JavaScript `[]` / `[^]`
            first = False
            if char == "\\":
                item = self._escape(in_class=True)
                if item.classes:
                    classes |= item.classes
                    continue
                (low,) = tuple(item.chars)
            else:
                if char == "[" and text[self.at + 1 : self.at + 2] in (":", "=", "."):
                    raise _Unsupported  # POSIX-style classes
                low = char
                self.at += 1
            if text[self.at : self.at + 1] == "-" and text[self.at + 1 : self.at + 2] not in ("]", ""):
                self.at += 1
                if text[self.at] == "\\":
                    item = self._escape(in_class=True)
                    if item.classes:
                        raise _Unsupported
                    (high,) = tuple(item.chars)
                else:
                    high = text[self.at]
                    self.at += 1
                if ord(high) < ord(low):
                    raise _Unsupported
                ranges.append((ord(low), ord(high)))
            else:
                chars.add(low)
        return _CharSet(negated, frozenset(chars), tuple(ranges), frozenset(classes))

    def _escape(self, in_class: bool) -> _CharSet:
        text = self.text
        if self.at + 1 >= len(text):
            raise _Unsupported
        char = text[self.at + 1]
        self.at += 2
        if char in _CLASS_ESCAPES:
            return _CharSet(classes=frozenset(char))
        controls = {"n": "\n", "r": "\r", "t": "\t", "f": "\f", "v": "\v", "0": "\0"}
        if char in controls:
            return _CharSet(chars=frozenset(controls[char]))
        if char == "b" and in_class:
            return _CharSet(chars=frozenset("\b"))
        if char in ("x", "u"):
            size = 2 if char == "x" else 4
            digits = text[self.at : self.at + size]
            if len(digits) != size or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise _Unsupported
            self.at += size
            return _CharSet(chars=frozenset(chr(int(digits, 16))))
        if char in ("b", "B") and not in_class:
            return _CharSet()  # a word boundary admits nothing
        if char.isalnum() or char == "_":
            raise _Unsupported  # backreferences, \p{...}, \A inside, \k<...>, \c
        return _CharSet(chars=frozenset(char))  # an escaped metacharacter stands for itself


def _strip_end(text: str, python: bool) -> str | None:
    """`text` without a final `$` (or Python `\\Z`), None when it has none."""
    backslashes = 0
    if python and text.endswith("\\Z"):
        index = len(text) - 2
        while index > 0 and text[index - 1] == "\\":
            backslashes += 1
            index -= 1
        return text[:-2] if backslashes % 2 == 0 else None
    if not text.endswith("$"):
        return None
    index = len(text) - 1
    while index > 0 and text[index - 1] == "\\":
        backslashes += 1
        index -= 1
    return text[:-1] if backslashes % 2 == 0 else None


def regex_admits(pattern: str, flags: str, *, python: bool, mode: str) -> _AnyOf | None:
    """What an allow-list pattern may let through, as one character set (the union of its
    atoms), or None when the pattern is not a whole-string allow-list this can read.

    `mode`: "full" (Python `fullmatch`: the whole string), "start" (`re.match`: anchored at the
    start only) or "search" (`RegExp.test`, `re.search`: anchored by `^` and `$` or not at all).
    Python's `$` also matches before a final newline; nothing can follow that newline, so it is
    not counted (docs/rules.md, "Guards")."""
    if len(pattern) > 2000:
        return None
    text = pattern
    letters = set(flags)
    if python and text.startswith("(?"):
        end = 2
        while end < len(text) and text[end].isalpha():
            end += 1
        if text[end : end + 1] == ")" and end > 2:
            letters |= set(text[2:end])
            text = text[end + 1 :]
    if letters & set("mxvL"):
        return None  # multiline anchors match per line; verbose and set syntax are not read
    start = text.startswith("^") or (python and text.startswith("\\A"))
    if start:
        text = text[2:] if text.startswith("\\A") else text[1:]
    stripped = _strip_end(text, python)
    end = stripped is not None
    if end:
        text = stripped or ""
    if mode == "search" and not (start and end):
        return None
    if mode == "start" and not end:
        return None
    try:
        atoms = _PatternReader(text, python, alternation=mode == "full").read()
    except (_Unsupported, IndexError, ValueError):
        return None
    return _AnyOf(tuple(atoms), "i" in letters)


@dataclass(frozen=True)
class _AnyOf:
    """What a whole pattern admits: a character some atom admits."""

    atoms: tuple[_CharSet, ...]
    ignore_case: bool

    def admits(self, char: str, python: bool) -> bool:
        variants = {char, char.lower(), char.upper()} if self.ignore_case else {char}
        return any(atom.admits(c, python) for atom in self.atoms for c in variants)


def regex_categories(admitted: _AnyOf | None, rejects: Mapping[str, str], python: bool) -> frozenset[str]:
    """Categories whose characters (`guards.regex`) the pattern admits none of."""
    if admitted is None:
        return frozenset()
    return frozenset(
        category
        for category, chars in rejects.items()
        if not any(admitted.admits(char, python) for char in chars)
    )


# --- node vocabulary (JavaScript/TypeScript/TSX and Python grammars) --------------------------

FUNCTION_TYPES = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "function_expression",
        "function",
        "generator_function",
        "arrow_function",
        "method_definition",
        "function_definition",  # Python
        "lambda",  # Python
    }
)

_SCOPE_SKIP = FUNCTION_TYPES | {"class_body"}
"""Not walked into when collecting a scope's bindings (a class body's methods are functions;
its field initialisers run per instance and bind nothing local)."""

_WRAPPERS = frozenset(
    {
        "parenthesized_expression",
        "as_expression",
        "satisfies_expression",
        "non_null_expression",
        "type_assertion",
        "await_expression",
        "await",  # Python
        "jsx_expression",
        "spread_element",
        "list_splat",
        "dictionary_splat",
        "expression_statement",
        "keyword_argument",
        "pair",
        "type_conversion",
    }
)
"""Expressions whose value is their (last) named child's value."""

_CONSTANT_LEAVES = frozenset(
    {
        "number",
        "integer",
        "float",
        "true",
        "false",
        "null",
        "none",
        "undefined",
        "regex",
        "ellipsis",
        "this_type",
        "comment",
        "escape_sequence",
        "string_fragment",
        "string_content",
        "string_start",
        "string_end",
        "property_identifier",
        "jsx_element",
        "jsx_self_closing_element",
        "jsx_fragment",
        "class",
        "class_declaration",
        "meta_property",
        "update_expression",
        "comparison_operator",
        "not_operator",
        "unary_operator",
        "lambda",
        "import",
        "super",
    }
    | FUNCTION_TYPES
)
"""Expressions that never carry input: literals, functions and classes (as values), booleans
from comparisons, and JSX elements (React escapes what they render)."""

_CLEAN_BINARY = frozenset(
    {
        "-", "*", "/", "%", "**", "&", "|", "^", "<<", ">>", ">>>",
        "==", "===", "!=", "!==", "<", ">", "<=", ">=", "instanceof", "in",
    }
)  # fmt: skip
"""JavaScript operators whose result is a number or boolean."""

_PY_PROPAGATING = frozenset({"+", "%", "*", "|"})
"""Python operators that can carry a string through: concatenation, %-format, repetition,
dict union. Everything else yields a number."""

_BRANCHING = frozenset(
    {
        "if_statement",
        "for_statement",
        "for_in_statement",
        "while_statement",
        "ternary_expression",
        "conditional_expression",
        "binary_expression",
        "boolean_operator",
    }
)
"""Parents some of whose children may not run: see `_branch_child`."""

_OWN_BRANCH = frozenset(
    {
        "switch_case",
        "switch_default",
        "catch_clause",
        "except_clause",
        "except_group_clause",
        "case_clause",
        "else_clause",
        "elif_clause",
    }
)
"""Nodes that run only on some paths, whole (a switch case, a catch block, a match case)."""

_NO_BINDINGS = frozenset(
    {
        "comment",
        "string",
        "number",
        "integer",
        "float",
        "regex",
        "property_identifier",
        "identifier",
        "type_identifier",
        "type_annotation",
        "type_arguments",
        "type_parameters",
        "interface_declaration",
        "type_alias_declaration",
        "enum_declaration",
        "jsx_text",
        "jsx_opening_element",
        "jsx_closing_element",
        "decorator",
        "predefined_type",
        "escape_sequence",
        "string_fragment",
    }
)
"""Subtrees that cannot bind a local name; the scope walk does not enter them."""


def _may_branch(node: Node) -> bool:
    """Binary operators branch only when short-circuiting (`&&`, `||`, `??`, and, or)."""
    if node.type not in ("binary_expression", "boolean_operator"):
        return True
    operator = node.child_by_field_name("operator")
    return operator is not None and operator.type in ("&&", "||", "??", "and", "or")


_ROUTE_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "del", "all", "use", "options", "head"}
)
"""Express / Koa-router registration methods: the function they get is a request handler."""

_CALLBACK_METHODS = frozenset(
    {
        "map", "forEach", "filter", "find", "findLast", "some", "every", "flatMap", "reduce",
        "then", "sort", "findIndex",
    }
)  # fmt: skip
"""A function passed to one of these on a tainted receiver gets its elements as parameters."""


_BINDING_TYPES = frozenset(
    {
        "variable_declarator",
        "assignment_expression",
        "assignment",
        "augmented_assignment_expression",
        "augmented_assignment",
        "for_in_statement",
        "for_statement",
        "for_in_clause",
        "named_expression",
        "as_pattern",
        "catch_clause",
        "import_statement",
        "import_from_statement",
        "class_declaration",
        "class_definition",
        "abstract_class_declaration",
    }
)
"""Node types `_Collector._bind_statement` looks at; the walk skips the call for the rest."""


def _branch_child(parent: Node, index: int, child: Node) -> bool:
    """Whether `child` (the index-th child of `parent`) runs only on some paths through it."""
    kind = parent.type
    name = parent.field_name_for_child(index)
    if kind == "if_statement":
        return name in ("consequence", "alternative")
    if kind in ("for_statement", "for_in_statement", "while_statement"):
        return name in ("body", "alternative") or child.type == "else_clause"
    if kind == "ternary_expression":
        return name in ("consequence", "alternative")
    if kind == "conditional_expression":
        return index != 2  # `a if cond else b`: children a, "if", cond, "else", b
    if kind in ("binary_expression", "boolean_operator"):
        if name != "right":
            return False
        operator = parent.child_by_field_name("operator")
        return operator is not None and operator.type in ("&&", "||", "??", "and", "or")
    return False


# --- scopes and bindings -------------------------------------------------------------------------


@dataclass(eq=False)
class Binding:
    """One place a name (or member path `obj.prop`) gets a value."""

    name: str
    scope: Scope
    end: int
    """Byte where it takes effect: uses at or after it see it."""
    kind: str
    """value | param | import | clean | weak (adds to the previous value, never replaces it)."""
    value: Node | None = None
    keys: Path_ = ()
    """Access path from `value` to the bound part (destructuring, loop element "[]")."""
    default: Node | None = None
    branch: Node | None = None
    module_path: Path_ | None = None
    param: str = ""
    """For parameters: "input", "number" (converted by the framework), "callback", or ""."""
    callback: Node | None = None
    """For "callback" parameters: the receiver whose elements the function is called with."""
    base: Path_ | None = None
    """For a route handler's destructured request (`({ query }, res) => ...`): ("req",)."""

    def strong(self, position: int) -> bool:
        """Whether this binding replaces every earlier one for a use at `position`."""
        if self.kind == "weak":
            return False
        branch = self.branch
        return branch is None or branch.start_byte <= position < branch.end_byte


class Scope:
    """The bindings of one function body (or the module), by name, in source order."""

    def __init__(self, node: Node, parent: Scope | None, analysis: FileTaint) -> None:
        self.node = node
        self.parent = parent
        self.module = parent is None
        self.bindings: dict[str, list[Binding]] = {}
        self._ends: dict[str, list[int]] = {}
        _Collector(self, analysis).collect()
        for name, items in self.bindings.items():
            items.sort(key=lambda b: b.end)
            self._ends[name] = [b.end for b in items]

    def add(self, binding: Binding) -> None:
        self.bindings.setdefault(binding.name, []).append(binding)

    def reaching(
        self, name: str, position: int, everything: bool = False
    ) -> tuple[list[Binding], bool] | None:
        """(bindings a use at `position` may see, whether one of them is definite), or None if
        the name is not bound here. `everything`: the module seen from inside a function, which
        may run after any module statement."""
        items = self.bindings.get(name)
        if items is None:
            return None
        if everything:
            return list(items), any(b.kind != "weak" for b in items)
        upto = bisect_right(self._ends[name], position)
        seen: list[Binding] = []
        for binding in reversed(items[:upto]):
            seen.append(binding)
            if binding.strong(position):
                return seen, True
        return seen, False


class _Collector:
    """One walk of a scope's body that records its bindings (not entering nested functions)."""

    def __init__(self, scope: Scope, analysis: FileTaint) -> None:
        self.scope = scope
        self.analysis = analysis
        self.py = analysis.python

    def collect(self) -> None:
        node = self.scope.node
        if node.type in FUNCTION_TYPES:
            self._parameters(node)
            body = node.child_by_field_name("body")
            if body is None:
                return
            stack: list[tuple[Node, Node | None]] = [(body, None)]
        else:
            stack = [(node, None)]
        nodes = [item[0] for item in stack]
        branches: list[Node | None] = [None]
        skip, binding_types, branching = _SCOPE_SKIP, _BINDING_TYPES, _BRANCHING
        opaque_types, own_branch = _NO_BINDINGS, _OWN_BRANCH
        while nodes:
            current = nodes.pop()
            branch = branches.pop()
            kind = current.type
            if kind in opaque_types:
                continue
            if kind in skip:
                self._named_function(current)
                continue
            if kind in binding_types:
                self._bind_statement(current, branch)
            if kind in own_branch:
                branch = current
            if kind in branching and _may_branch(current):
                children = current.children
                for index, child in enumerate(children):
                    if child.is_named:
                        nodes.append(child)
                        branches.append(child if _branch_child(current, index, child) else branch)
            else:
                children = current.named_children
                if children:
                    nodes.extend(children)
                    branches.extend([branch] * len(children))

    # - bindings by node type -

    def _bind_statement(self, node: Node, branch: Node | None) -> None:
        kind = node.type
        if kind == "variable_declarator":
            target = node.child_by_field_name("name")
            value = node.child_by_field_name("value")
            if target is not None:
                if value is None:
                    self._bind(target, None, (), branch, node.end_byte, kind="clean")
                else:
                    self._bind(target, value, (), branch, node.end_byte)
        elif kind == "assignment_expression" or kind == "assignment":
            target = node.child_by_field_name("left")
            value = node.child_by_field_name("right")
            while value is not None and value.type in ("assignment", "assignment_expression"):
                value = value.child_by_field_name("right")  # a = b = value
            if target is not None:
                if value is None:  # Python `x: int` declares without assigning
                    return
                self._bind(target, value, (), branch, node.end_byte)
        elif kind in ("augmented_assignment_expression", "augmented_assignment"):
            target = node.child_by_field_name("left")
            value = node.child_by_field_name("right")
            if target is not None and value is not None:
                self._bind(target, value, (), branch, node.end_byte, kind="weak")
        elif kind == "for_in_statement" or kind == "for_statement" and self.py:
            target = node.child_by_field_name("left")
            value = node.child_by_field_name("right")
            if target is not None and value is not None:
                self._bind(target, value, ("[]",), branch, value.end_byte)
        elif kind == "for_in_clause":  # [body for x in xs]: the body, written first, sees x
            target = node.child_by_field_name("left")
            value = node.child_by_field_name("right")
            start = node.parent.start_byte if node.parent is not None else node.start_byte
            if target is not None and value is not None:
                self._bind(target, value, ("[]",), branch, start, kind="weak")
        elif kind == "named_expression":
            target = node.child_by_field_name("name")
            value = node.child_by_field_name("value")
            if target is not None and value is not None:
                self._bind(target, value, (), branch, node.end_byte)
        elif kind == "as_pattern":
            alias = node.child_by_field_name("alias")
            value = node.named_children[0] if node.named_children else None
            if alias is None or value is None:
                return
            target = alias.named_children[0] if alias.named_children else alias
            if node.parent is not None and node.parent.type == "with_item":
                self._bind(target, value, (), branch, node.end_byte)
            else:  # except E as e, case patterns
                self._bind(target, None, (), branch, node.end_byte, kind="catch")
        elif kind == "catch_clause":
            parameter = node.child_by_field_name("parameter")
            if parameter is not None:
                self._bind(parameter, None, (), node, parameter.end_byte, kind="catch")
        elif kind in ("import_statement", "import_from_statement"):
            self._imports(node)
        elif kind in ("class_declaration", "class_definition", "abstract_class_declaration"):
            name = node.child_by_field_name("name")
            if name is not None:
                self._clean_name(name)

    def _named_function(self, node: Node) -> None:
        """A nested `function f() {}` / `def f():` binds `f` here, hoisted."""
        if node.type in ("function_declaration", "generator_function_declaration") or (
            self.py and node.type == "function_definition"
        ):
            name = node.child_by_field_name("name")
            if name is not None:
                self._clean_name(name)

    def _clean_name(self, name: Node) -> None:
        text = self.analysis.text(name)
        self.scope.add(Binding(text, self.scope, self.scope.node.start_byte, "clean"))

    def _bind(
        self,
        target: Node,
        value: Node | None,
        keys: Path_,
        branch: Node | None,
        end: int,
        *,
        kind: str = "value",
        default: Node | None = None,
        param: str = "",
    ) -> None:
        """Bind every name in a target pattern to the part of `value` at `keys`."""
        add = self.scope.add
        text = self.analysis.text
        pending: list[tuple[Node, Path_, Node | None]] = [(target, keys, default)]
        while pending:
            node, path, fallback = pending.pop()
            kind_ = node.type
            if kind_ in ("identifier", "shorthand_property_identifier_pattern"):
                name = text(node)
                extra = (name,) if kind_ == "shorthand_property_identifier_pattern" else ()
                add(
                    Binding(
                        name,
                        self.scope,
                        end,
                        kind,
                        value,
                        path + extra,
                        fallback,
                        branch,
                        param=param,
                    )
                )
            elif kind_ == "object_pattern":
                for child in node.named_children:
                    if child.type == "pair_pattern":
                        key = child.child_by_field_name("key")
                        inner = child.child_by_field_name("value")
                        if inner is not None:
                            pending.append((inner, path + (self._key(key),), fallback))
                    elif child.type == "object_assignment_pattern":
                        left = child.child_by_field_name("left")
                        right = child.child_by_field_name("right")
                        if left is not None:
                            pending.append((left, path, right))
                    elif child.type == "rest_pattern":
                        pending.extend((c, path, fallback) for c in child.named_children)
                    else:
                        pending.append((child, path, fallback))
            elif kind_ in ("array_pattern", "pattern_list", "tuple_pattern", "list_pattern") or (
                self.py and kind_ in ("tuple", "list")  # older grammars: `(a, b) = ...`
            ):
                items = [c for c in node.named_children if c.type != "comment"]
                if value is not None and not path and self._pairs(value, len(items)):
                    elements = [c for c in value.named_children if c.type != "comment"]
                    for item, element in zip(items, elements, strict=True):
                        self._bind(item, element, (), branch, end, kind=kind, param=param)
                    continue
                pending.extend((c, path + ("[]",), fallback) for c in items)
            elif kind_ in ("assignment_pattern", "object_assignment_pattern"):
                left = node.child_by_field_name("left")
                right = node.child_by_field_name("right")
                if left is not None:
                    pending.append((left, path, right))
            elif kind_ in _PATTERN_WRAPPERS:
                pending.extend((c, path, fallback) for c in node.named_children)
            elif kind_ in ("member_expression", "attribute", "subscript_expression", "subscript"):
                self._bind_member(node, value, path, branch, end, kind)

    def _pairs(self, value: Node, count: int) -> bool:
        """`a, b = x, y` / `[a, b] = [x, y]`: bind element by element."""
        if value.type not in ("array", "tuple", "expression_list", "list", "pattern_list"):
            return False
        elements = [c for c in value.named_children if c.type != "comment"]
        return len(elements) == count and not any(
            e.type in ("spread_element", "list_splat") for e in elements
        )

    def _bind_member(
        self, node: Node, value: Node | None, path: Path_, branch: Node | None, end: int, kind: str
    ) -> None:
        """`obj.a.b = v` binds the member path "obj.a.b" and adds v to `obj` (weak)."""
        raw = self.analysis.raw_path(node)
        if raw is None:
            return
        key = ".".join(raw)
        self.scope.add(Binding(key, self.scope, end, kind, value, path, None, branch))
        root = raw[0]
        if root not in ("this", "self", "cls") and len(raw) > 1:
            self.scope.add(Binding(root, self.scope, end, "weak", value, (), None, branch))

    def _key(self, key: Node | None) -> str:
        if key is None:
            return "[]"
        if key.type in ("property_identifier", "identifier"):
            return self.analysis.text(key)
        if key.type == "string":
            return _string_text(key, self.analysis) or "[]"
        return "[]"

    # - parameters -

    def _parameters(self, function: Node) -> None:
        analysis = self.analysis
        scope = self.scope
        start = function.start_byte
        params = function.child_by_field_name("parameters")
        single = function.child_by_field_name("parameter")  # `x => ...`
        items: list[Node] = []
        if params is not None:
            items = [c for c in params.named_children if c.type != "comment"]
        elif single is not None:
            items = [single]
        callback = self._callback_receiver(function)
        if self.py:
            self._python_parameters(function, items, start)
            return
        handler = self._route_handler(function)
        for position, item in enumerate(items):
            kind = item.type
            target: Node | None = item
            default: Node | None = None
            if kind in ("required_parameter", "optional_parameter"):
                target = item.child_by_field_name("pattern")
                default = item.child_by_field_name("value")
            elif kind == "assignment_pattern":
                target = item.child_by_field_name("left")
                default = item.child_by_field_name("right")
            if target is None or target.type == "this":
                continue
            mark = "callback" if callback is not None else ""
            before = {name: len(b) for name, b in scope.bindings.items()}
            self._bind(target, None, (), None, start, kind="param", default=default, param=mark)
            for name, bindings in scope.bindings.items():
                for binding in bindings[before.get(name, 0) :]:
                    binding.callback = callback
                    if (
                        binding.keys
                        and binding.keys[-1] in analysis.spec.destructured_param_sources
                    ):
                        binding.param = "input"
                    if handler and position == 0 and binding.keys:
                        binding.base = self._request_root(binding.keys[0])

    def _route_handler(self, function: Node) -> bool:
        """A function given to `app.get(...)`, `router.post(...)`, `app.use(...)`: its first
        parameter is the request (Express `req`, Koa `ctx`)."""
        arguments = function.parent
        if arguments is None or arguments.type != "arguments":
            return False
        call = arguments.parent
        callee = call.child_by_field_name("function") if call is not None else None
        if callee is None or callee.type != "member_expression":
            return False
        method = callee.child_by_field_name("property")
        return method is not None and self.analysis.text(method) in _ROUTE_METHODS

    def _request_root(self, key: str) -> Path_ | None:
        """("req",) when `req.<key>` is a source, ("ctx",) when `ctx.<key>` is (or leads to
        one, like `ctx.request`), else None."""
        by_root = self.analysis.spec._by_root
        for root in ("req", "ctx"):
            if any(len(p) > 1 and _segment_match(p[1], key) for p in by_root.get(root, ())):
                return (root,)
        return None

    def _callback_receiver(self, function: Node) -> Node | None:
        """`tainted.map(x => ...)`: the receiver whose elements the callback gets."""
        if self.py:
            return None
        arguments = function.parent
        if arguments is None or arguments.type != "arguments":
            return None
        call = arguments.parent
        if call is None or call.type != "call_expression":
            return None
        callee = call.child_by_field_name("function")
        if callee is None or callee.type != "member_expression":
            return None
        method = callee.child_by_field_name("property")
        if method is None or self.analysis.text(method) not in _CALLBACK_METHODS:
            return None
        return callee.child_by_field_name("object")

    def _python_parameters(self, function: Node, items: list[Node], start: int) -> None:
        spec = self.analysis.spec
        text = self.analysis.text
        route = self._route_function(function)
        names: list[str] = []
        for item in items:
            target = item
            default = item.child_by_field_name("value")
            annotation = item.child_by_field_name("type")
            if item.type in ("default_parameter", "typed_default_parameter"):
                target = item.child_by_field_name("name") or item
            elif item.type == "typed_parameter" or item.type in (
                "list_splat_pattern",
                "dictionary_splat_pattern",
            ):
                target = next((c for c in item.named_children if c.type == "identifier"), item)
            if target.type != "identifier":
                continue
            name = text(target)
            names.append(name)
            mark = ""
            if route is not None and self._is_input_parameter(
                name, names, annotation, default, route
            ):
                mark = "input"
                if annotation is not None and text(annotation).strip() in spec.number_annotations:
                    mark = "number"
            self.scope.add(
                Binding(name, self.scope, start, "param", None, (), default, None, param=mark)
            )

    def _route_function(self, function: Node) -> str | None:
        """ "route" for a route-decorated function, "django" for a Django-style view, else None."""
        if function.type != "function_definition":
            return None
        spec = self.analysis.spec
        parent = function.parent
        if parent is not None and parent.type == "decorated_definition":
            for decorator in parent.named_children:
                if decorator.type != "decorator" or not decorator.named_children:
                    continue
                path = self.analysis.raw_path(decorator.named_children[0])
                if path and any(_full_match(p, path) for p in spec.route_decorators):
                    return "route"
        if self.analysis.views_file:
            return "django"
        return None

    def _is_input_parameter(
        self,
        name: str,
        before: list[str],
        annotation: Node | None,
        default: Node | None,
        route: str,
    ) -> bool:
        spec = self.analysis.spec
        text = self.analysis.text
        if name in spec.excluded_names:
            return False
        if annotation is not None:
            annotated = text(annotation).strip().strip("'\"")
            if annotated.split("[")[0].split(".")[-1] in spec.excluded_annotations:
                return False
        if default is not None and default.type == "call":
            callee = default.child_by_field_name("function")
            if callee is not None and text(callee).split(".")[-1] in spec.excluded_default_calls:
                return False
        if route == "django":
            earlier = [n for n in before[:-1] if n not in ("self", "cls")]
            return bool(earlier) and earlier[0] in spec.request_parameter_names
        return True

    # - imports -

    def _imports(self, node: Node) -> None:
        text = self.analysis.text
        add = self.scope.add
        scope = self.scope
        start = scope.node.start_byte
        if not self.py:
            source = node.child_by_field_name("source")
            if source is None:
                return
            module = "module:" + (_string_text(source, self.analysis) or "")
            for clause in node.named_children:
                if clause.type != "import_clause":
                    continue
                for part in clause.named_children:
                    if part.type == "identifier":
                        add(Binding(text(part), scope, start, "import", module_path=(module,)))
                    elif part.type == "namespace_import":
                        for ident in part.named_children:
                            add(Binding(text(ident), scope, start, "import", module_path=(module,)))
                    elif part.type == "named_imports":
                        for spec_node in part.named_children:
                            if spec_node.type != "import_specifier":
                                continue
                            name = spec_node.child_by_field_name("name")
                            alias = spec_node.child_by_field_name("alias") or name
                            if name is None or alias is None:
                                continue
                            path = (module, _import_name(name, self.analysis))
                            add(Binding(text(alias), scope, start, "import", module_path=path))
            return
        if node.type == "import_statement":
            for part in node.named_children:
                if part.type == "dotted_name":  # `import a.b` binds a
                    first = text(part).split(".")[0]
                    add(Binding(first, scope, start, "import", module_path=("module:" + first,)))
                elif part.type == "aliased_import":
                    name = part.child_by_field_name("name")
                    alias = part.child_by_field_name("alias")
                    if name is not None and alias is not None:
                        path = ("module:" + text(name),)
                        add(Binding(text(alias), scope, start, "import", module_path=path))
            return
        module_node = node.child_by_field_name("module_name")
        module = "module:" + (text(module_node) if module_node is not None else "")
        for index, part in enumerate(node.children):
            if node.field_name_for_child(index) != "name":
                continue
            if part.type == "dotted_name":
                name = text(part)
                add(Binding(name, scope, start, "import", module_path=(module, name)))
            elif part.type == "aliased_import":
                name_node = part.child_by_field_name("name")
                alias = part.child_by_field_name("alias")
                if name_node is not None and alias is not None:
                    path = (module, text(name_node))
                    add(Binding(text(alias), scope, start, "import", module_path=path))


_PATTERN_WRAPPERS = frozenset(
    {
        "rest_pattern",
        "list_splat_pattern",
        "dictionary_splat_pattern",
        "parenthesized_expression",
        "parenthesized_pattern",
    }
)


def _import_name(node: Node, analysis: FileTaint) -> str:
    if node.type == "string":
        return _string_text(node, analysis) or ""
    return analysis.text(node)


def _string_text(node: Node, analysis: FileTaint) -> str | None:
    """The value of a string literal without interpolation, else None."""
    parts = []
    for child in node.named_children:
        if child.type in ("string_fragment", "string_content", "escape_sequence"):
            parts.append(analysis.text(child))
        elif child.type in ("string_start", "string_end", "comment"):
            continue
        else:
            return None
    return "".join(parts)


# --- guards: vocabulary -----------------------------------------------------------------------------

Facts = dict[Path_, tuple[frozenset[str], int]]
"""What a check proves: subject access path -> (categories, end byte of the check; the value
must not be assigned after it)."""


@dataclass(frozen=True)
class _Region:
    """Bytes of one function where conditions hold: a branch of an `if`, a ternary arm, the right
    side of `&&` / `||`, or what follows an `if` whose body exits."""

    start: int
    end: int
    conditions: tuple[tuple[Node, bool], ...]
    """(condition, the value it has here)."""
    fallback: Node | None = None
    """`if (!ok(x)) x = "/";`: the body, whose constant assignments to `x` keep the check."""


@dataclass(frozen=True)
class _Fact:
    """One thing a check proves, and where: `key` is safe for `categories` in [start, end)."""

    start: int
    end: int
    key: Path_
    categories: frozenset[str]
    check_end: int
    fallback: Node | None = None


_STATEMENT_CONTAINERS = frozenset(
    {"statement_block", "program", "switch_case", "switch_default", "class_static_block", "block", "module"}
)
"""Where an `if` is followed by the statements it guards."""

_EXIT_STATEMENTS = frozenset(
    {"return_statement", "throw_statement", "break_statement", "continue_statement", "raise_statement"}
)

_LOOP_TYPES = frozenset({"for_statement", "for_in_statement", "while_statement", "do_statement"})

_GUARD_WRAPPERS = frozenset(
    {
        "parenthesized_expression",
        "await_expression",
        "await",
        "non_null_expression",
        "as_expression",
        "satisfies_expression",
    }
)

_GUARD_SKIP = frozenset(
    {"comment", "string", "number", "integer", "float", "regex", "identifier", "property_identifier",
     "type_annotation", "interface_declaration", "type_alias_declaration", "jsx_text", "decorator"}
)  # fmt: skip
"""Leaves and declarations that hold no condition; the region walk does not enter them."""

_NOT_POSITIONAL = frozenset(
    {"keyword_argument", "spread_element", "list_splat", "dictionary_splat", "comment"}
)

_PY_REGEX_MODES = {"fullmatch": "full", "match": "start", "search": "search"}

_COLLECTION_CALLS = frozenset(
    {("Set",), ("Map",), ("Object", "keys"), ("Object", "values"), ("Object", "freeze"),
     ("set",), ("frozenset",), ("dict",), ("tuple",), ("list",)}
)  # fmt: skip
"""Calls that build a collection of their (input-free) arguments' elements."""


def _add_region(
    regions: dict[int, list[_Region]],
    node: Node,
    conditions: tuple[tuple[Node, bool], ...],
    *,
    start: int | None = None,
    fallback: Node | None = None,
) -> None:
    region = _Region(node.start_byte if start is None else start, node.end_byte, conditions, fallback)
    regions.setdefault(node.id, []).append(region)


def _facts_both(a: Facts, b: Facts) -> Facts:
    """Both hold: every fact of either, categories joined for a shared subject."""
    if not a:
        return b
    if not b:
        return a
    out = dict(a)
    for key, (categories, end) in b.items():
        known = out.get(key)
        out[key] = (categories, end) if known is None else (known[0] | categories, min(known[1], end))
    return out


def _facts_either(a: Facts, b: Facts) -> Facts:
    """One of them holds: what both prove about a subject."""
    out: Facts = {}
    for key, (categories, end) in a.items():
        other = b.get(key)
        if other is not None and categories & other[0]:
            out[key] = (categories & other[0], min(end, other[1]))
    return out


def _minus_one(node: Node, analysis: FileTaint) -> bool:
    return analysis.text(node).replace(" ", "") == "-1"


def _assigns_at_top(body: Node) -> bool:
    """Whether a branch body has an assignment statement of its own (`x = "/"`)."""
    statements = body.named_children if body.type in ("statement_block", "block") else [body]
    for statement in statements:
        if statement.type == "expression_statement" and any(
            c.type in ("assignment", "assignment_expression") for c in statement.named_children
        ):
            return True
    return False


def _py_pattern(node: Node, analysis: FileTaint) -> str | None:
    """A Python pattern literal's text: a raw string, or one without backslashes."""
    if node.type != "string":
        return None
    start = next((c for c in node.children if c.type == "string_start"), None)
    prefix = analysis.text(start).lower() if start is not None else ""
    if "f" in prefix:
        return None
    parts = []
    for child in node.named_children:
        if child.type == "string_content":
            if any(c.type != "escape_sequence" for c in child.named_children):
                return None
            parts.append(analysis.text(child))
        elif child.type in ("string_start", "string_end"):
            continue
        else:
            return None
    text = "".join(parts)
    if "r" not in prefix and "\\" in text:
        return None
    return text


def _js_string_value(node: Node, analysis: FileTaint) -> str | None:
    """A JavaScript string literal's value, with the escapes `\\\\`, `\\/`, `\\"`, `\\'` read."""
    if node.type not in ("string", "template_string"):
        return None
    parts = []
    for child in node.named_children:
        if child.type == "string_fragment":
            parts.append(analysis.text(child))
        elif child.type == "escape_sequence":
            text = analysis.text(child)
            if text not in ("\\\\", "\\/", '\\"', "\\'"):
                return None
            parts.append(text[1])
        else:
            return None
    return "".join(parts)


# --- the per-file analysis ------------------------------------------------------------------------


class FileTaint:
    """Taint questions about one parsed file, with every answer memoised.

    Create one per file (see `conditions.FileCache`); it holds the tree's nodes, so drop it with
    the tree.
    """

    MAX_DEPTH = 100
    """Expression nesting followed before giving up (a giant minified expression): past it a
    value counts as tainted in `opaque` mode and clean in source mode."""

    def __init__(self, root: Node, source: bytes, language: str, path: str = "") -> None:
        self.root = root
        self.source = source
        self.language = language
        self.python = family(language) == "python"
        self.spec = spec_for(language)
        parts = path.replace("\\", "/").split("/")
        self.views_file = self.python and any(
            part == "views" or part.endswith("views.py") or part == "views.py" for part in parts
        )
        self._scopes: dict[int, Scope] = {}
        self._memo: dict[tuple[int, bool, bool], Labels] = {}
        self._params_are_input = False
        """Set per question by `taint(parameters=True)`: parameters count as input."""
        self._busy: set[tuple[int, bool]] = set()
        self._depth = 0
        self._alias_depth = 0
        self._region_memo: dict[int, dict[int, list[_Region]]] = {}
        self._guard_memo: dict[tuple[int, bool], dict[str, list[_Fact]]] = {}
        self._guard_busy: set[tuple[int, bool]] = set()
        self._roots_memo: dict[int, dict[str, list[Binding]]] = {}
        self._facts_memo: dict[tuple[int, bool, bool], Facts] = {}
        self._facts_busy: set[tuple[int, bool, bool]] = set()

    def text(self, node: Node) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    # - public questions -

    def taint(self, node: Node, *, opaque: bool = False, parameters: bool = False) -> Labels:
        """The labels of an expression. `opaque=False`: only sources are input. `opaque=True`:
        any value the file does not build from constants is treated as input (so the answer
        says whether a sanitizer was applied). `parameters=True`: the enclosing functions'
        parameters are input too, for sinks where a helper's caller supplies the data."""
        self._depth = 0
        self._params_are_input = parameters
        return self._eval(node, self.scope_of(node), opaque)

    def is_tainted(self, node: Node, accepted: frozenset[str] | None, *, parameters: bool = False) -> bool:
        return reaches(self.taint(node, parameters=parameters), accepted)

    def is_unsanitized(self, node: Node, accepted: frozenset[str] | None) -> bool:
        return reaches(self.taint(node, opaque=True), accepted)

    def scope_of(self, node: Node) -> Scope:
        """The innermost function scope around a node (the module at top level)."""
        chain: list[Node] = []
        current: Node | None = node.parent if node.type in FUNCTION_TYPES else node
        while current is not None:
            if current.type in FUNCTION_TYPES:
                chain.append(current)
            current = current.parent
        scope = self._scope(self.root, None)
        for function in reversed(chain):
            scope = self._scope(function, scope)
        return scope

    def _scope(self, node: Node, parent: Scope | None) -> Scope:
        key = node.id
        scope = self._scopes.get(key)
        if scope is None:
            scope = self._scopes[key] = Scope(node, parent, self)
        return scope

    def lookup(self, name: str, scope: Scope, position: int) -> tuple[list[Binding], bool] | None:
        """Bindings of `name` a use at `position` in `scope` may see, innermost scope first;
        None when the file never binds it (a global or builtin)."""
        seen: list[Binding] = []
        current: Scope | None = scope
        while current is not None:
            found = current.reaching(name, position, current.module and current is not scope)
            if found is not None:
                bindings, definite = found
                seen.extend(bindings)
                if definite:
                    return seen, True
            current = current.parent
        return (seen, False) if seen else None

    # - access paths -

    def _access_step(self, node: Node) -> tuple[str, Node | None]:
        """One step of an access path: `a.b` -> ("b", a); `a["c"]` -> ("c", a); `a[i]` -> ("[]", a)."""
        if node.type in ("member_expression", "attribute"):
            prop = node.child_by_field_name("property" if node.type == "member_expression" else "attribute")
            return (self.text(prop) if prop is not None else "?"), node.child_by_field_name("object")
        js = node.type == "subscript_expression"
        index = node.child_by_field_name("index" if js else "subscript")
        literal = _string_text(index, self) if index is not None and index.type == "string" else None
        return (literal or "[]"), node.child_by_field_name("object" if js else "value")

    def raw_path(self, node: Node) -> Path_ | None:
        """The access path as written: `a.b["c"].d()` -> ("a", "b", "c", "d()")."""
        segments: list[str] = []
        current: Node | None = node
        while current is not None:
            kind = current.type
            if kind in _ACCESS_TYPES:
                segment, current = self._access_step(current)
                segments.append(segment)
            elif kind in ("call_expression", "call", "new_expression"):
                callee = current.child_by_field_name(
                    "constructor" if kind == "new_expression" else "function"
                )
                if callee is None:
                    return None
                inner = self.raw_path(callee)
                if inner is None:
                    return None
                segments.append(inner[-1] + "()")
                segments.extend(reversed(inner[:-1]))
                break
            elif kind in (
                "identifier",
                "this",
                "property_identifier",
                "shorthand_property_identifier",
            ):
                segments.append(self.text(current))
                break
            elif kind in ("parenthesized_expression", "non_null_expression", "as_expression"):
                inner_nodes = current.named_children
                if not inner_nodes:
                    return None
                current = inner_nodes[0]
            else:
                return None
        return tuple(reversed(segments)) if segments else None

    def resolved_path(self, node: Node, scope: Scope) -> Path_ | None:
        """The access path with local aliases followed: after `const { query } = req`,
        `query.id` is ("req", "query", "id"); after `import x from "m"`, `x.y` is
        ("module:m", "y"). None when a part is not a plain access."""
        segments: list[str] = []
        current: Node | None = node
        depth = 0
        while current is not None:
            depth += 1
            if depth > 64:
                return None
            kind = current.type
            if kind in _ACCESS_TYPES:
                segment, current = self._access_step(current)
                segments.append(segment)
            elif kind in ("call_expression", "call", "new_expression"):
                callee = current.child_by_field_name(
                    "constructor" if kind == "new_expression" else "function"
                )
                if callee is None:
                    return None
                if callee.type == "identifier" and self.text(callee) == "require":
                    module = self._require_module(current)
                    if module is None:
                        return None
                    segments.append("module:" + module)
                    break
                inner = self.resolved_path(callee, scope)
                if inner is None:
                    return None
                segments.append(inner[-1] + "()")
                segments.extend(reversed(inner[:-1]))
                break
            elif kind == "identifier":
                base = self._alias(current, scope)
                if base is None:
                    return None
                segments.extend(reversed(base))
                break
            elif kind == "this":
                segments.append("this")
                break
            elif kind in (
                "parenthesized_expression",
                "non_null_expression",
                "as_expression",
                "await_expression",
                "await",
            ):
                inner_nodes = current.named_children
                if not inner_nodes:
                    return None
                current = inner_nodes[0]
            else:
                return None
        return tuple(reversed(segments)) if segments else None

    def _alias(self, identifier: Node, scope: Scope) -> Path_ | None:
        if self._alias_depth > 32:  # `a2 = a1; a3 = a2; ...`: stop well before recursion limits
            return None
        self._alias_depth += 1
        try:
            return self._alias_of(identifier, scope)
        finally:
            self._alias_depth -= 1

    def _alias_of(self, identifier: Node, scope: Scope) -> Path_ | None:
        name = self.text(identifier)
        found = self.lookup(name, scope, identifier.start_byte)
        if found is None:
            return (name,)
        bindings, definite = found
        if len(bindings) != 1 or not definite:
            return None
        binding = bindings[0]
        if binding.kind == "param":
            if binding.base is not None:
                return binding.base + binding.keys
            return (name,) if not binding.keys else None
        if binding.kind == "import":
            return binding.module_path
        if binding.kind == "value" and binding.value is not None and binding.default is None:
            base = self.resolved_path(binding.value, binding.scope)
            return base + binding.keys if base is not None else None
        return None

    def _require_module(self, call: Node) -> str | None:
        arguments = call.child_by_field_name("arguments")
        if arguments is None or not arguments.named_children:
            return None
        first = arguments.named_children[0]
        return _string_text(first, self) if first.type == "string" else None

    def _free_root(self, path: Path_, node: Node, scope: Scope) -> bool:
        """Whether the root name of a written path is unbound, a parameter or an import, so
        `req.query` is read as the request even when `req` is a parameter."""
        root = path[0].removesuffix("()")
        found = self.lookup(root, scope, node.start_byte)
        if found is None:
            return True
        return all(b.kind in ("param", "import") for b in found[0])

    def source_of(self, node: Node, scope: Scope) -> Labels | None:
        """The labels of a source access (`req.query.x`, `request.args.get("x")`), or None."""
        spec = self.spec
        resolved = self.resolved_path(node, scope)
        if resolved is not None:
            labels = spec.source_labels(resolved)
            if labels is not None:
                return labels
        raw = self.raw_path(node)
        if raw is None or raw == resolved:
            return None
        labels = spec.source_labels(raw)
        if labels is not None and self._free_root(raw, node, scope):
            return labels
        return None

    def _callee(self, call: Node) -> Node | None:
        if call.type == "new_expression":
            return call.child_by_field_name("constructor")
        if call.type in ("call_expression", "call"):
            return call.child_by_field_name("function")
        return None

    def _method(self, callee: Node) -> str | None:
        if callee.type in ("member_expression", "attribute"):
            prop = callee.child_by_field_name(
                "property" if callee.type == "member_expression" else "attribute"
            )
            return self.text(prop) if prop is not None else None
        return None

    # - evaluation -

    def _eval(self, node: Node, scope: Scope, opaque: bool) -> Labels:
        self._depth += 1
        try:
            if self._depth > self.MAX_DEPTH:
                return RAW if opaque else CLEAN
            return self._eval_node(node, scope, opaque)
        finally:
            self._depth -= 1

    def _eval_all(self, nodes: Iterable[Node], scope: Scope, opaque: bool) -> Labels:
        result = CLEAN
        for node in nodes:
            result = union(result, self._eval(node, scope, opaque))
        return result

    def _eval_node(self, node: Node, scope: Scope, opaque: bool) -> Labels:
        kind = node.type
        if kind in _CONSTANT_LEAVES:
            return CLEAN
        if kind in _WRAPPERS:
            inner = [c for c in node.named_children if c.type != "comment"]
            if kind in ("pair", "keyword_argument"):
                value = node.child_by_field_name("value")
                return self._eval(value, scope, opaque) if value is not None else CLEAN
            if kind == "type_assertion":
                return self._eval(inner[-1], scope, opaque) if inner else CLEAN
            return self._eval(inner[0], scope, opaque) if inner else CLEAN
        if kind in ("identifier", "shorthand_property_identifier"):
            return self._identifier(node, scope, opaque)
        if kind == "this":
            return RAW if opaque else CLEAN
        if kind in ("string", "template_string", "concatenated_string"):
            return self._string(node, scope, opaque)
        if kind in ("member_expression", "attribute", "subscript_expression", "subscript"):
            return self._member(node, scope, opaque)
        if kind in ("call_expression", "call", "new_expression"):
            return self._call(node, scope, opaque)
        if kind == "binary_expression":
            return self._binary(node, scope, opaque)
        if kind == "binary_operator":
            return self._py_binary(node, scope, opaque)
        if kind == "boolean_operator":
            return self._eval_all(
                (
                    c
                    for c in (node.child_by_field_name("left"), node.child_by_field_name("right"))
                    if c
                ),
                scope,
                opaque,
            )
        if kind == "ternary_expression":
            parts = (
                node.child_by_field_name("consequence"),
                node.child_by_field_name("alternative"),
            )
            return self._eval_all((p for p in parts if p is not None), scope, opaque)
        if kind == "conditional_expression":
            named = node.named_children
            return self._eval_all((named[i] for i in (0, 2) if i < len(named)), scope, opaque)
        if kind in ("unary_expression",):
            return CLEAN  # typeof, !, -, +, ~, void, delete: numbers and booleans
        if kind in ("assignment_expression", "named_expression", "assignment"):
            value = node.child_by_field_name("right") or node.child_by_field_name("value")
            return self._eval(value, scope, opaque) if value is not None else CLEAN
        if kind in ("augmented_assignment_expression",):
            return self._eval_all(node.named_children, scope, opaque)
        if kind == "sequence_expression":
            named = node.named_children
            return self._eval(named[-1], scope, opaque) if named else CLEAN
        if kind in ("object", "dictionary", "array", "list", "tuple", "set", "expression_list"):
            return self._eval_all(
                (c for c in node.named_children if c.type not in ("method_definition", "comment")),
                scope,
                opaque,
            )
        if kind in (
            "list_comprehension",
            "set_comprehension",
            "generator_expression",
            "dictionary_comprehension",
        ):
            body = node.child_by_field_name("body")
            return self._eval(body, scope, opaque) if body is not None else CLEAN
        if kind == "interpolation":
            expression = node.child_by_field_name("expression")
            return self._eval(expression, scope, opaque) if expression is not None else CLEAN
        if kind == "template_substitution":
            return self._eval_all(node.named_children, scope, opaque)
        if kind == "shorthand_property_identifier_pattern":
            return self._identifier(node, scope, opaque)
        # Anything else (yield, decorators, types...): what its parts carry.
        named = node.named_children
        if not named:
            return RAW if opaque else CLEAN
        return self._eval_all(named, scope, opaque)

    def _identifier(self, node: Node, scope: Scope, opaque: bool) -> Labels:
        name = self.text(node)
        found = self.lookup(name, scope, node.start_byte)
        if found is None:
            if name in ("undefined", "NaN", "Infinity", "None", "True", "False"):
                return CLEAN
            labels = self.spec.source_labels((name,))
            if labels is None:
                labels = RAW if opaque else CLEAN
            return self._guarded(node, labels, scope, opaque)
        bindings, definite = found
        result = CLEAN if definite else (RAW if opaque else CLEAN)
        for binding in bindings:
            result = union(result, self._binding(binding, opaque))
        return self._guarded(node, result, scope, opaque)

    def _binding(self, binding: Binding, opaque: bool) -> Labels:
        key = (id(binding), opaque, self._params_are_input)
        memo = self._memo.get(key)
        if memo is not None:
            return memo
        if key in self._busy:  # a cycle cannot happen in source order; be safe anyway
            return CLEAN
        self._busy.add(key)
        try:
            result = self._binding_value(binding, opaque)
        finally:
            self._busy.discard(key)
        self._memo[key] = result
        return result

    def _binding_value(self, binding: Binding, opaque: bool) -> Labels:
        kind = binding.kind
        scope = binding.scope
        result = CLEAN
        if binding.default is not None:
            result = self._eval(binding.default, scope, opaque)
        if kind == "param":
            if binding.param == "number":
                return CLEAN
            if binding.param == "input":
                return RAW
            if binding.base is not None:
                labels = self.spec.source_labels(binding.base + binding.keys)
                if labels is not None:
                    return union(result, labels)
            if binding.callback is not None and scope.parent is not None:
                receiver = self._eval(binding.callback, scope.parent, opaque)
                return union(result, receiver)
            return union(result, RAW) if opaque or self._params_are_input else result
        if kind in ("import", "catch"):
            return RAW if opaque else CLEAN
        if kind == "clean" or binding.value is None:
            return result
        value = binding.value
        if binding.keys:
            base = self.resolved_path(value, scope)
            labels = self.spec.source_labels(base + binding.keys) if base is not None else None
            if labels is not None:
                return union(result, labels)
            value_labels = self._eval(value, scope, opaque)
            if any(key in URL_INPUT_PARTS for key in binding.keys):
                value_labels = _client_part(value_labels)  # { searchParams } = new URL(...)
            return union(result, value_labels)
        return union(result, self._eval(value, scope, opaque))

    # - guards -

    def _guarded(self, node: Node, labels: Labels, scope: Scope, opaque: bool) -> Labels:
        """`labels` with what the checks around a use prove about it: inside `if (ok(x)) {...}`,
        after `if (!ok(x)) return;`, on the right of `ok(x) && ...`, in `ok(x) ? x : "/"`.
        A check counts for uses in its own function only, when neither the checked name nor
        the path it reads is assigned between the check and the use (loops included)."""
        if not labels:
            return labels
        index = self._guard_index(scope)
        if not index:
            return labels
        path = self._guard_path(node, strict=False)
        candidates = index.get(path[0]) if path else None
        if not candidates:
            return labels
        position = node.start_byte
        proved: frozenset[str] = frozenset()
        for fact in candidates:
            if (
                not fact.start <= position < fact.end
                or fact.categories <= proved
                or path[: len(fact.key)] != fact.key
            ):
                continue
            if self._changed_after(fact, node, scope, opaque):
                continue
            proved = proved | fact.categories
        return sanitized(labels, proved) if proved else labels

    def _guard_index(self, scope: Scope) -> dict[str, list[_Fact]]:
        """Every fact the checks of one function prove, by the root name of its subject, with
        the bytes where it holds (built once per function; a use looks up its own name)."""
        key = (scope.node.id, self._params_are_input)  # a parameter is no fixed collection
        found = self._guard_memo.get(key)
        if found is not None:
            return found
        if key in self._guard_busy:
            return {}  # a condition's own parts are being read: no guards for them
        self._guard_busy.add(key)
        saved = self._depth
        self._depth = 0
        index: dict[str, list[_Fact]] = {}
        try:
            for regions in self._regions(scope).values():
                for region in regions:
                    for condition, truth in region.conditions:
                        for subject, (categories, check_end) in self._facts(condition, truth, scope).items():
                            index.setdefault(subject[0], []).append(
                                _Fact(region.start, region.end, subject, categories, check_end, region.fallback)
                            )
        finally:
            self._depth = saved
            self._guard_busy.discard(key)
        self._guard_memo[key] = index
        return index

    def _regions(self, scope: Scope) -> dict[int, list[_Region]]:
        """Where the checks of one function hold, by the id of the node each region lies in
        (a branch, or the block an exiting `if` sits in); memoised per function."""
        key = scope.node.id
        found = self._region_memo.get(key)
        if found is not None:
            return found
        regions: dict[int, list[_Region]] = {}
        root = scope.node
        start = root.child_by_field_name("body") if root.type in FUNCTION_TYPES else root
        stack = [start] if start is not None else []
        while stack:
            node = stack.pop()
            kind = node.type
            if kind in FUNCTION_TYPES or kind in _GUARD_SKIP:
                continue
            if kind == "if_statement":
                self._if_regions(node, regions)
            elif kind in ("ternary_expression", "conditional_expression"):
                if kind == "ternary_expression":
                    condition = node.child_by_field_name("condition")
                    yes = node.child_by_field_name("consequence")
                    no = node.child_by_field_name("alternative")
                else:  # Python `yes if condition else no`
                    named = [c for c in node.named_children if c.type != "comment"]
                    yes, condition, no = (named + [None, None, None])[:3]
                if condition is not None:
                    for branch, truth in ((yes, True), (no, False)):
                        if branch is not None:
                            _add_region(regions, branch, ((condition, truth),))
            elif kind in ("binary_expression", "boolean_operator"):
                operator = node.child_by_field_name("operator")
                op = operator.type if operator is not None else ""
                left = node.child_by_field_name("left")
                right = node.child_by_field_name("right")
                if op in ("&&", "and", "||", "or") and left is not None and right is not None:
                    _add_region(regions, right, ((left, op in ("&&", "and")),))
            stack.extend(node.named_children)
        self._region_memo[key] = regions
        return regions

    def _if_regions(self, node: Node, regions: dict[int, list[_Region]]) -> None:
        chain, final = self._if_chain(node)
        if not chain:
            return
        earlier: list[tuple[Node, bool]] = []
        for condition, body in chain:
            _add_region(regions, body, (*earlier, (condition, True)))
            earlier.append((condition, False))
            if not self.python:
                break  # `else if`: the inner if_statement is visited on its own, inside the else
        if not self.python:
            alternative = node.child_by_field_name("alternative")
            if alternative is not None:
                _add_region(regions, alternative, ((chain[0][0], False),))
        elif final is not None:
            _add_region(regions, final, tuple(earlier))
        parent = node.parent
        if parent is None or parent.type not in _STATEMENT_CONTAINERS:
            return
        exits = [self._exits(body) for _, body in chain]
        if all(exits):
            if final is None:  # if (!ok(x)) return; [else if (!ok2(x)) throw e;]
                conditions = tuple((condition, False) for condition, _ in chain)
                _add_region(regions, parent, conditions, start=node.end_byte)
            return
        if len(chain) != 1:
            return
        condition, body = chain[0]
        if final is not None and self._exits(final):  # if (ok(x)) {...} else { return; }
            _add_region(regions, parent, ((condition, True),), start=node.end_byte)
        elif final is None and _assigns_at_top(body):  # if (!ok(x)) x = "/";
            _add_region(regions, parent, ((condition, False),), start=node.end_byte, fallback=body)

    def _if_chain(self, node: Node) -> tuple[list[tuple[Node, Node]], Node | None]:
        """([(condition, body) of `if` / `else if` / `elif`], the final `else` body or None)."""
        chain: list[tuple[Node, Node]] = []
        current: Node | None = node
        for _ in range(64):
            if current is None:
                break
            condition = current.child_by_field_name("condition")
            body = current.child_by_field_name("consequence")
            if condition is None or body is None:
                return [], None
            chain.append((condition, body))
            if self.python:
                final = None
                for index, child in enumerate(current.children):
                    if current.field_name_for_child(index) != "alternative":
                        continue
                    if child.type == "elif_clause":
                        elif_condition = child.child_by_field_name("condition")
                        elif_body = child.child_by_field_name("consequence")
                        if elif_condition is None or elif_body is None:
                            return [], None
                        chain.append((elif_condition, elif_body))
                    else:
                        final = child.child_by_field_name("body")
                return chain, final
            alternative = current.child_by_field_name("alternative")
            if alternative is None:
                return chain, None
            inner = [c for c in alternative.named_children if c.type != "comment"]
            if len(inner) != 1:
                return [], None
            if inner[0].type != "if_statement":
                return chain, inner[0]
            current = inner[0]
        return [], None

    def _exits(self, node: Node, depth: int = 0) -> bool:
        """Whether running `node` never reaches the statement after it: it returns, throws,
        breaks, continues or calls an exit (`process.exit`, Flask `abort`) on every path."""
        if depth > 8:
            return False
        kind = node.type
        if kind in _EXIT_STATEMENTS:
            return True
        if kind in ("statement_block", "block"):
            return any(self._exits(c, depth + 1) for c in node.named_children)
        if kind == "if_statement":
            chain, final = self._if_chain(node)
            return (
                bool(chain)
                and final is not None
                and all(self._exits(body, depth + 1) for _, body in chain)
                and self._exits(final, depth + 1)
            )
        if kind == "expression_statement":
            inner = [c for c in node.named_children if c.type != "comment"]
            call = inner[0] if len(inner) == 1 else None
            while call is not None and call.type in ("await_expression", "await"):
                call = call.named_children[0] if call.named_children else None
            if call is None or call.type not in ("call_expression", "call"):
                return False
            callee = call.child_by_field_name("function")
            if callee is None:
                return False
            scope = self.scope_of(call)
            return self.spec.guards.exits(
                self.raw_path(callee), self.resolved_path(callee, scope), self._method(callee)
            )
        return False

    def _changed_after(self, fact: _Fact, node: Node, scope: Scope, opaque: bool) -> bool:
        """Whether the checked value may have changed before the use: a binding of its name or
        path after the check, or anywhere in a loop that starts after the check and holds the
        use. Assignments of constants in an `if (!ok(x)) x = "/"` fallback do not count."""
        position = node.start_byte
        check_end = fact.check_end
        windows = [(check_end, position)]
        current = node.parent
        while current is not None and current.id != scope.node.id:
            if current.type in _LOOP_TYPES and current.start_byte > check_end:
                windows.append((current.start_byte, current.end_byte))
            current = current.parent
        full = ".".join(fact.key)
        fallback = fact.fallback
        assigned = False
        for binding in self._bindings_of_root(scope).get(fact.key[0], ()):
            if not any(low < binding.end <= high for low, high in windows):
                continue
            if (
                fallback is not None
                and fallback.start_byte <= binding.end <= fallback.end_byte
                and self._fallback_assignment(binding, full, fallback, opaque)
            ):
                assigned = True
                continue
            return True
        return fallback is not None and not assigned

    def _bindings_of_root(self, scope: Scope) -> dict[str, list[Binding]]:
        """A function's bindings by root name (`obj.a.b = ...` under `obj`)."""
        key = scope.node.id
        found = self._roots_memo.get(key)
        if found is None:
            found = {}
            for name, bindings in scope.bindings.items():
                found.setdefault(name.split(".", 1)[0], []).extend(bindings)
            self._roots_memo[key] = found
        return found

    def _fallback_assignment(self, binding: Binding, full: str, body: Node, opaque: bool) -> bool:
        """`x = "/"` (a constant) as a statement of the fallback body itself."""
        if binding.name != full or binding.kind != "value" or binding.value is None:
            return False
        if binding.keys or binding.default is not None:
            return False
        assignment = binding.value.parent
        statement = assignment.parent if assignment is not None else None
        if (
            assignment is None
            or assignment.type not in ("assignment", "assignment_expression")
            or statement is None
            or statement.type != "expression_statement"
            or not (statement.id == body.id or (statement.parent is not None and statement.parent.id == body.id))
        ):
            return False
        return self._binding(binding, opaque) == CLEAN

    # - what a check proves -

    def _facts(self, node: Node, truth: bool, scope: Scope, depth: int = 0) -> Facts:
        """What `node` evaluating to `truth` proves: subject path -> (categories, end of the
        check). Memoised per condition."""
        key = (node.id, truth, self._params_are_input)
        found = self._facts_memo.get(key)
        if found is not None:
            return found
        if key in self._facts_busy or depth > 16:
            return {}
        self._facts_busy.add(key)
        try:
            result = self._facts_of(node, truth, scope, depth)
        finally:
            self._facts_busy.discard(key)
        self._facts_memo[key] = result
        return result

    def _facts_of(self, node: Node, truth: bool, scope: Scope, depth: int) -> Facts:
        kind = node.type
        if kind in _GUARD_WRAPPERS:
            inner = [c for c in node.named_children if c.type != "comment"]
            return self._facts(inner[0], truth, scope, depth + 1) if inner else {}
        if kind == "unary_expression":
            operator = node.child_by_field_name("operator")
            argument = node.child_by_field_name("argument")
            if operator is not None and operator.type == "!" and argument is not None:
                return self._facts(argument, not truth, scope, depth + 1)
            return {}
        if kind == "not_operator":
            argument = node.child_by_field_name("argument")
            return self._facts(argument, not truth, scope, depth + 1) if argument is not None else {}
        if kind in ("binary_expression", "boolean_operator"):
            operator = node.child_by_field_name("operator")
            op = operator.type if operator is not None else ""
            left = node.child_by_field_name("left")
            right = node.child_by_field_name("right")
            if left is None or right is None:
                return {}
            if op in ("&&", "and", "||", "or"):
                a = self._facts(left, truth, scope, depth + 1)
                b = self._facts(right, truth, scope, depth + 1)
                both = (op in ("&&", "and")) == truth  # a && b true, or a || b false: both hold
                return _facts_both(a, b) if both else _facts_either(a, b)
            if kind == "binary_expression":
                return self._comparison_facts(node, op, left, right, truth, scope)
            return {}
        if kind == "comparison_operator":
            return self._py_comparison_facts(node, truth, scope)
        if kind in ("call_expression", "call"):
            return self._call_facts(node, scope) if truth else {}
        if kind == "identifier":  # const allowed = ALLOWED.includes(x); if (!allowed) return;
            found = self.lookup(self.text(node), scope, node.start_byte)
            if found is None or not found[1] or len(found[0]) != 1:
                return {}
            binding = found[0][0]
            if binding.kind != "value" or binding.value is None or binding.keys or binding.default:
                return {}
            return self._facts(binding.value, truth, binding.scope, depth + 1)
        return {}

    def _comparison_facts(
        self, node: Node, op: str, left: Node, right: Node, truth: bool, scope: Scope
    ) -> Facts:
        guards = self.spec.guards
        if op in ("===", "==", "!==", "!="):
            equal = (op in ("===", "==")) == truth
            for typeof, literal in ((left, right), (right, left)):
                operator = typeof.child_by_field_name("operator") if typeof.type == "unary_expression" else None
                if operator is not None and operator.type == "typeof":
                    name = _string_text(literal, self) if literal.type == "string" else None
                    categories = guards.types.get(name or "")
                    argument = typeof.child_by_field_name("argument")
                    if not equal or not categories or argument is None:
                        return {}
                    return self._fact(argument, categories, node)
            for call, other in ((left, right), (right, left)):
                if _minus_one(other, self):
                    member = self._index_of_subject(call, scope)
                    if member is None:
                        continue
                    return self._fact(member, guards.membership, node, scope) if not equal else {}
            if equal:
                for subject, other in ((left, right), (right, left)):
                    if self._equality_subject(subject, scope) and self._constant_value(other, scope):
                        return self._fact(subject, guards.membership, node, scope)
                for subject, other in ((left, right), (right, left)):
                    if self._same_origin(other, scope):  # url.origin === request.nextUrl.origin
                        facts = self._host_facts(subject, node, scope)
                        if facts:
                            return facts
            return {}
        if op == "in":  # `x in ROUTES`: an own key of a fixed object, or a prototype name
            if truth and self._collection(right, scope):
                return self._fact(left, guards.membership, node, scope)
            return {}
        if op in (">", ">=", "<", "<="):
            member = self._index_of_subject(left, scope)
            if member is None:
                return {}
            text = self.text(right).replace(" ", "")
            found = {(">", "-1"): True, (">=", "0"): True, ("<", "0"): False, ("<=", "-1"): False}
            holds = found.get((op, text))
            if holds is None or holds != truth:
                return {}
            return self._fact(member, guards.membership, node, scope)
        return {}

    def _py_comparison_facts(self, node: Node, truth: bool, scope: Scope) -> Facts:
        operands = [c for c in node.named_children if c.type != "comment"]
        operators = node.children_by_field_name("operators")
        if len(operands) != 2 or len(operators) != 1:
            return {}
        op = " ".join(self.text(operators[0]).split())
        left, right = operands
        membership = self.spec.guards.membership
        if op in ("in", "not in"):
            if (op == "in") != truth or not self._collection(right, scope):
                return {}
            return self._fact(left, membership, node, scope)
        if op in ("==", "!="):
            if (op == "==") != truth:
                return {}
            for subject, other in ((left, right), (right, left)):
                if self._equality_subject(subject, scope) and self._constant_value(other, scope):
                    return self._fact(subject, membership, node, scope)
        return {}

    def _call_facts(self, node: Node, scope: Scope) -> Facts:
        """A call that is true: a listed predicate, membership, an allow-list regex, isinstance."""
        callee = self._callee(node)
        if callee is None:
            return {}
        guards = self.spec.guards
        raw = self.raw_path(callee)
        resolved = self.resolved_path(callee, scope)
        method = self._method(callee)
        arguments = self._arguments(node)
        positional = [a for a in arguments if a.type not in _NOT_POSITIONAL]
        receiver = callee.child_by_field_name("object") if method is not None else None
        categories = guards.predicate(raw, resolved, method)
        if categories:
            subject = positional[0] if positional else self._keyword(arguments, "url")
            if subject is None and not arguments:
                subject = receiver
            return self._fact(subject, categories, node) if subject is not None else {}
        if self.python:
            if raw == ("isinstance",) and len(positional) == 2:
                types = positional[1]
                names = [types] if types.type != "tuple" else list(types.named_children)
                proved: frozenset[str] | None = None
                for name in names:
                    found = guards.types.get(self.text(name).split(".")[-1])
                    if not found:
                        return {}
                    proved = found if proved is None else proved & found
                return self._fact(positional[0], proved or frozenset(), node)
            return self._py_regex_facts(node, callee, raw, resolved, method, positional, arguments, scope)
        if method in ("includes", "has", "hasOwnProperty") and receiver is not None and positional:
            if self._collection(receiver, scope):
                return self._fact(positional[0], guards.membership, node, scope)
            return {}
        if raw in (("Object", "hasOwn"),) and len(positional) == 2:
            if self._collection(positional[0], scope):
                return self._fact(positional[1], guards.membership, node, scope)
            return {}
        if method in ("test", "exec") and receiver is not None and positional:
            found = self._js_regex(receiver, scope)
            if found is not None:
                return self._fact(positional[0], self._regex_proves(found[0], found[1], "search"), node)
        if method == "match" and receiver is not None and len(positional) == 1:
            found = self._js_regex(positional[0], scope)
            if found is not None:
                return self._fact(receiver, self._regex_proves(found[0], found[1], "search"), node)
        return {}

    def _py_regex_facts(
        self,
        node: Node,
        callee: Node,
        raw: Path_ | None,
        resolved: Path_ | None,
        method: str | None,
        positional: list[Node],
        arguments: list[Node],
        scope: Scope,
    ) -> Facts:
        if method not in _PY_REGEX_MODES:
            return {}
        mode = _PY_REGEX_MODES[method]
        module = self._regex_module(callee, raw, resolved, scope)
        if module and len(positional) >= 2:  # re.fullmatch(pattern, subject, flags)
            pattern = _py_pattern(positional[0], self)
            flags = self._py_flags(positional[2] if len(positional) > 2 else self._keyword(arguments, "flags"))
            if pattern is None or flags is None:
                return {}
            return self._fact(positional[1], self._regex_proves(pattern, flags, mode), node)
        receiver = callee.child_by_field_name("object")
        if module or receiver is None or not positional:
            return {}
        compiled = self._py_compiled(receiver, scope)
        if compiled is None:
            return {}
        return self._fact(positional[0], self._regex_proves(compiled[0], compiled[1], mode), node)

    def _regex_module(self, callee: Node, raw: Path_ | None, resolved: Path_ | None, scope: Scope) -> bool:
        """Whether a callee is a function of the `re` (or `regex`) module."""
        for path in (resolved, raw):
            if path and len(path) == 2 and path[0] in ("module:re", "module:regex"):
                return True
        if raw and len(raw) == 2 and raw[0] in ("re", "regex"):
            return self.lookup(raw[0], scope, callee.start_byte) is None or bool(
                resolved and resolved[0].startswith("module:")
            )
        return False

    def _py_compiled(self, receiver: Node, scope: Scope, depth: int = 0) -> tuple[str, str] | None:
        """(pattern, flags) of `NAME = re.compile(r"...", flags)` or of the call itself."""
        if depth > 4:
            return None
        if receiver.type == "identifier":
            value = self._single_value(receiver, scope)
            return self._py_compiled(value[0], value[1], depth + 1) if value else None
        if receiver.type != "call":
            return None
        callee = receiver.child_by_field_name("function")
        if callee is None or self._method(callee) != "compile":
            return None
        if not self._regex_module(callee, self.raw_path(callee), self.resolved_path(callee, scope), scope):
            return None
        arguments = self._arguments(receiver)
        positional = [a for a in arguments if a.type not in _NOT_POSITIONAL]
        if not positional:
            return None
        pattern = _py_pattern(positional[0], self)
        flags = self._py_flags(positional[1] if len(positional) > 1 else self._keyword(arguments, "flags"))
        if pattern is None or flags is None:
            return None
        return pattern, flags

    def _py_flags(self, node: Node | None) -> str | None:
        """`re.I | re.ASCII` -> "ia"; None for flags this does not read."""
        if node is None:
            return ""
        letters = ""
        for part in self.text(node).split("|"):
            name = part.strip().removeprefix("re.").removeprefix("regex.")
            if name == "0":
                continue
            letter = _PY_FLAG_LETTERS.get(name)
            if letter is None:
                return None
            letters += letter
        return letters

    def _js_regex(self, node: Node, scope: Scope, depth: int = 0) -> tuple[str, str] | None:
        """(pattern, flags) of a regex literal, `new RegExp("constant", "flags")`, or a name
        bound once to one."""
        if depth > 4:
            return None
        kind = node.type
        if kind == "parenthesized_expression" and node.named_children:
            return self._js_regex(node.named_children[0], scope, depth + 1)
        if kind == "regex":
            pattern = node.child_by_field_name("pattern")
            flags = node.child_by_field_name("flags")
            return (self.text(pattern) if pattern is not None else ""), (
                self.text(flags) if flags is not None else ""
            )
        if kind in ("new_expression", "call_expression"):
            callee = self._callee(node)
            if callee is None or self.text(callee) != "RegExp":
                return None
            arguments = self._arguments(node)
            if not arguments or len(arguments) > 2:
                return None
            pattern = _js_string_value(arguments[0], self)
            flags = _js_string_value(arguments[1], self) if len(arguments) == 2 else ""
            if pattern is None or flags is None:
                return None
            return pattern, flags
        if kind == "identifier":
            value = self._single_value(node, scope)
            return self._js_regex(value[0], value[1], depth + 1) if value else None
        return None

    def _single_value(self, identifier: Node, scope: Scope) -> tuple[Node, Scope] | None:
        """The value a name is bound to when exactly one binding reaches it, definitely."""
        found = self.lookup(self.text(identifier), scope, identifier.start_byte)
        if found is None or not found[1] or len(found[0]) != 1:
            return None
        binding = found[0][0]
        if binding.kind != "value" or binding.value is None or binding.keys or binding.default:
            return None
        return binding.value, binding.scope

    def _regex_proves(self, pattern: str, flags: str, mode: str) -> frozenset[str]:
        admitted = regex_admits(pattern, flags, python=self.python, mode=mode)
        return regex_categories(admitted, self.spec.guards.regex, self.python)

    def _keyword(self, arguments: list[Node], name: str) -> Node | None:
        for argument in arguments:
            if argument.type == "keyword_argument":
                key = argument.child_by_field_name("name")
                if key is not None and self.text(key) == name:
                    return argument.child_by_field_name("value")
        return None

    def _index_of_subject(self, call: Node, scope: Scope) -> Node | None:
        """`x` of `ALLOWED.indexOf(x)` on a fixed collection."""
        if call.type != "call_expression":
            return None
        callee = call.child_by_field_name("function")
        if callee is None or self._method(callee) != "indexOf":
            return None
        receiver = callee.child_by_field_name("object")
        arguments = self._arguments(call)
        if receiver is None or len(arguments) != 1 or not self._collection(receiver, scope):
            return None
        return arguments[0]

    def _fact(
        self, subject: Node, categories: frozenset[str], check: Node, scope: Scope | None = None
    ) -> Facts:
        if not categories:
            return {}
        path = self._guard_path(subject, strict=True)
        facts: Facts = {path: (categories, check.end_byte)} if path else {}
        if scope is not None and "redirect" in categories:
            facts.update(self._host_facts(subject, check, scope))
        return facts

    def _host_facts(self, subject: Node, check: Node, scope: Scope) -> Facts:
        """`new URL(x, base).hostname` (JavaScript) or `urlparse(x).netloc` (Python) is one of a
        fixed set: the URL goes to an allowed host, so `x` (and the parsed URL) are safe
        redirects. Both parse the way browsers do for these parts; Python's `.hostname` does
        not (`https://evil.example\\@good.example`), so it proves nothing."""
        while subject.type in _GUARD_WRAPPERS and subject.named_children:
            subject = subject.named_children[0]
        if subject.type not in ("member_expression", "attribute"):
            return {}
        part, parsed = self._access_step(subject)
        if parsed is None or part not in (("netloc",) if self.python else ("host", "hostname", "origin")):
            return {}
        if self.python and self._allows_empty_host(check, scope):
            return {}  # netloc "" is `/\\evil.example` or `///evil.example` to a browser
        target = parsed
        while target.type in _GUARD_WRAPPERS and target.named_children:
            target = target.named_children[0]
        if target.type == "identifier":
            value = self._single_value(target, scope)
            if value is None:
                return {}
            target = value[0]
        callee = self._callee(target) if target.type in ("new_expression", "call_expression", "call") else None
        if callee is None:
            return {}
        name = self.text(callee).split(".")[-1]
        if name not in (("urlparse", "urlsplit") if self.python else ("URL",)):
            return {}
        arguments = [a for a in self._arguments(target) if a.type not in _NOT_POSITIONAL]
        redirect = frozenset({"redirect"})
        facts: Facts = {}
        for node in (parsed, arguments[0] if arguments else None):
            path = self._guard_path(node, strict=True) if node is not None else None
            if path:
                facts[path] = (redirect, check.end_byte)
        return facts

    def _equality_subject(self, node: Node, scope: Scope) -> bool:
        """A path whose value a comparison with a constant pins (or a URL part of one)."""
        return bool(self._guard_path(node, strict=True) or self._host_facts(node, node, scope))

    def _allows_empty_host(self, check: Node, scope: Scope) -> bool:
        """Whether a Python check lets an empty netloc through: `netloc in ("", host)`,
        `netloc == ""` (or a name bound to such a collection)."""
        if check.type != "comparison_operator":
            return False
        operands = [c for c in check.named_children if c.type != "comment"]
        pending = list(operands[1:2])
        for _ in range(8):
            if not pending:
                return False
            node = pending.pop()
            while node.type in _GUARD_WRAPPERS and node.named_children:
                node = node.named_children[0]
            if node.type == "string":
                return _string_text(node, self) == ""
            if node.type in ("tuple", "list", "set"):
                return any(
                    c.type == "string" and _string_text(c, self) == "" for c in node.named_children
                )
            if node.type == "identifier":
                value = self._single_value(node, scope)
                if value is not None:
                    pending.append(value[0])
        return False

    def _same_origin(self, node: Node, scope: Scope) -> bool:
        """This request's own origin (`new URL(request.url).origin`, `request.nextUrl.host`)."""
        labels = self._eval(node, scope, False)
        return bool(labels) and not reaches(labels, frozenset({"redirect"}))

    def _constant_value(self, node: Node, scope: Scope) -> bool:
        """Built from constants only (a literal, a constant name): `x === "admin"`."""
        return self._eval(node, scope, True) == CLEAN

    def _collection(self, node: Node, scope: Scope, depth: int = 0) -> bool:
        """Whether `node` is a fixed collection the program chose: an array / list / tuple /
        set / dict literal, `new Set([...])`, `Object.keys(...)`, a name or a constant object's
        property bound to one, or an import (`from django.conf import settings`,
        `import { ALLOWED } from "./config"`). No user input may flow into it; a string is not
        one (its `includes` and `in` test substrings)."""
        if depth > 8:
            return False
        while node.type in _GUARD_WRAPPERS and node.named_children:
            node = node.named_children[0]
        kind = node.type
        if kind in ("array", "list", "tuple", "set", "dictionary", "object"):
            return self._eval(node, scope, False) == CLEAN
        if kind in ("new_expression", "call_expression", "call"):
            callee = self._callee(node)
            raw = self.raw_path(callee) if callee is not None else None
            method = self._method(callee) if callee is not None else None
            if method in ("keys", "values") and raw not in _COLLECTION_CALLS:  # ROUTES.keys()
                receiver = callee.child_by_field_name("object") if callee is not None else None
                return receiver is not None and self._collection(receiver, scope, depth + 1)
            if raw not in _COLLECTION_CALLS:
                return False
            return all(self._eval(a, scope, False) == CLEAN for a in self._arguments(node))
        if kind == "identifier":
            found = self.lookup(self.text(node), scope, node.start_byte)
            if found is None or not found[1]:
                return False
            for binding in found[0]:
                if binding.kind == "import":
                    continue
                if binding.kind != "value" or binding.value is None or binding.default is not None:
                    return False
                if binding.keys:  # const { ALLOWED } = require("./config")
                    base = self.resolved_path(binding.value, binding.scope)
                    if base is None or not base[0].startswith("module:"):
                        return False
                elif not self._collection(binding.value, binding.scope, depth + 1):
                    return False
            return True
        if kind in _ACCESS_TYPES:
            resolved = self.resolved_path(node, scope)
            if resolved and resolved[0].startswith("module:"):
                return self._eval(node, scope, False) == CLEAN
            value = self._constant_property(node, scope)
            return value is not None and self._collection(value[0], value[1], depth + 1)
        return False

    def _constant_property(self, node: Node, scope: Scope) -> tuple[Node, Scope] | None:
        """The value of `CONFIG.redirects` / `CONFIG["redirects"]` in `const CONFIG = {...}`."""
        segment, obj = self._access_step(node)
        if obj is None or segment == "[]":
            return None
        if obj.type == "identifier":
            value = self._single_value(obj, scope)
        elif obj.type in _ACCESS_TYPES:
            value = self._constant_property(obj, scope)
        else:
            return None
        if value is None:
            return None
        literal, literal_scope = value
        while literal.type in _GUARD_WRAPPERS and literal.named_children:
            literal = literal.named_children[0]
        if literal.type not in ("object", "dictionary"):
            return None
        for pair in literal.named_children:
            if pair.type != "pair":
                continue
            key = pair.child_by_field_name("key")
            value_node = pair.child_by_field_name("value")
            if key is None or value_node is None:
                continue
            name = _string_text(key, self) if key.type == "string" else self.text(key)
            if name == segment:
                return value_node, literal_scope
        return None

    def _guard_path(self, node: Node, strict: bool) -> Path_ | None:
        """The access path a check is about, or a use is read through: `req.query.next`,
        `request.GET.get("next")` (a call counts with its constant arguments). `strict` (for a
        check's subject): no computed index, no call with other arguments."""
        segments: list[str] = []
        current: Node | None = node
        for _ in range(64):
            if current is None:
                return None
            kind = current.type
            if kind in _ACCESS_TYPES:
                segment, current = self._access_step(current)
                segments.append(segment)
            elif kind in ("call_expression", "call"):
                callee = current.child_by_field_name("function")
                if callee is None:
                    return None
                arguments = self._arguments(current)
                texts = [
                    repr(_string_text(a, self)) if a.type == "string" else self.text(a)
                    for a in arguments
                    if a.type in ("string", "number", "integer")
                ]
                if len(texts) != len(arguments) or "None" in texts:
                    suffix = "(?)"
                else:
                    suffix = "(" + ",".join(texts) + ")"
                if callee.type in ("member_expression", "attribute"):
                    name, current = self._access_step(callee)
                    segments.append(name + suffix)
                elif callee.type == "identifier":
                    segments.append(self.text(callee) + suffix)
                    break
                else:
                    return None
            elif kind in ("identifier", "this", "shorthand_property_identifier", "property_identifier"):
                segments.append(self.text(current))
                break
            elif kind in _GUARD_WRAPPERS:
                inner = [c for c in current.named_children if c.type != "comment"]
                current = inner[0] if inner else None
            else:
                return None
        else:
            return None
        path = tuple(reversed(segments))
        if strict and any(s == "[]" or s.endswith("(?)") for s in path):
            return None
        return path

    def _string(self, node: Node, scope: Scope, opaque: bool) -> Labels:
        holes = [
            c
            for c in node.named_children
            if c.type in ("template_substitution", "interpolation", "string", "template_string")
        ]
        if not holes:
            return CLEAN
        result = self._eval_all(holes, scope, opaque)
        if result and self._fixed_destination(node):
            result = sanitized(result, _FIXED)
        return result

    def _fixed_destination(self, node: Node) -> bool:
        """Whether a built string starts with constant text that fixes where a URL goes: one
        `/` then a path character (`/users/` + id), `?`, `#`, or `scheme://host/`."""
        prefix = self._constant_prefix(node)
        return prefix is not None and _fixed_url_prefix(prefix)

    def _constant_prefix(self, node: Node) -> str | None:
        current = node
        for _ in range(64):
            kind = current.type
            if kind in ("string", "template_string"):
                text = []
                for child in current.named_children:
                    if child.type in ("string_fragment", "string_content", "escape_sequence"):
                        text.append(self.text(child))
                    elif child.type in ("string_start", "string_end"):
                        continue
                    else:
                        break
                return "".join(text)
            if kind in ("binary_expression", "binary_operator", "concatenated_string"):
                first = _leftmost(current)
                if first is None:
                    return None
                current = first
                continue
            if kind in ("call", "call_expression"):  # "/x/{}".format(v)
                callee = current.child_by_field_name("function")
                if callee is None or self._method(callee) not in ("format", "concat"):
                    return None
                receiver = callee.child_by_field_name("object")
                if receiver is None:
                    return None
                current = receiver
                continue
            if kind == "parenthesized_expression" and current.named_children:
                current = current.named_children[0]
                continue
            return None
        return None

    def _member(self, node: Node, scope: Scope, opaque: bool) -> Labels:
        return self._guarded(node, self._member_value(node, scope, opaque), scope, opaque)

    def _member_value(self, node: Node, scope: Scope, opaque: bool) -> Labels:
        if node.type == "member_expression":
            prop = node.child_by_field_name("property")
            if prop is not None and self.text(prop) in self.spec.clean_members:
                return CLEAN  # req.query.q.length
        source = self.source_of(node, scope)
        if source is not None:
            return source
        raw = self.raw_path(node)
        fallthrough = True
        result = CLEAN
        if raw is not None and len(raw) > 1:
            found = self.lookup(".".join(raw), scope, node.start_byte)
            if found is not None:
                bindings, definite = found
                for binding in bindings:
                    result = union(result, self._binding(binding, opaque))
                fallthrough = not definite
        if not fallthrough:
            return result
        kind = node.type
        if kind in ("member_expression", "attribute"):
            prop = node.child_by_field_name(
                "property" if kind == "member_expression" else "attribute"
            )
            name = self.text(prop) if prop is not None else ""
            if name in self.spec.clean_members:
                return result
            obj = node.child_by_field_name("object")
        else:
            name = ""
            obj = node.child_by_field_name("object" if kind[-1] == "n" else "value")
        if obj is None:
            return result
        value = self._eval(obj, scope, opaque)
        if name in URL_INPUT_PARTS:  # new URL(request.url).searchParams
            value = _client_part(value)
        return union(result, value)

    def _call(self, node: Node, scope: Scope, opaque: bool) -> Labels:
        return self._guarded(node, self._call_value(node, scope, opaque), scope, opaque)

    def _call_value(self, node: Node, scope: Scope, opaque: bool) -> Labels:
        callee = self._callee(node)
        if callee is None:
            return RAW if opaque else CLEAN
        raw = self.raw_path(callee)
        resolved = self.resolved_path(callee, scope)
        method = self._method(callee)
        if raw == ("require",) or callee.type == "import":
            return CLEAN
        spec = self.spec
        categories, clean = spec.call_kinds(raw, resolved, method)
        if clean or "number" in categories:
            return CLEAN
        arguments = self._arguments(node)
        if method in ("replace", "replaceAll") and len(arguments) >= 2:
            categories = categories | self._inline_escape(arguments[1])
        if self.python and self._converted(arguments):
            return CLEAN  # request.args.get("page", type=int)
        source = self.source_of(node, scope)
        if source is not None:  # req.get("x"), request.args.get("x").strip()
            return sanitized(source, categories) if categories else source
        if raw == ("URL",) and arguments:
            # new URL("/login", request.url), new URL(`https://host/${x}`): a fixed destination
            fixed = self._constant_prefix(arguments[0])
            if fixed is not None and _fixed_url_prefix(fixed):
                return sanitized(self._eval_all(arguments, scope, opaque), _FIXED)
        returned = self._called_function(callee, raw, arguments)
        if returned is not None:  # useMemo(() => value, deps), (() => value)()
            inner = self._scope(returned, scope)
            return self._eval_all(self._returns(returned), inner, opaque)
        result = self._eval_all(arguments, scope, opaque)
        receiver: Node | None = None
        if callee.type in ("member_expression", "attribute"):
            receiver = callee.child_by_field_name("object")
        elif callee.type not in ("identifier", "import"):
            receiver = callee  # f(x)(y), (cond ? a : b)(y)
        if receiver is not None and not (opaque and self._namespace(receiver, scope)):
            result = union(result, self._eval(receiver, scope, opaque))
        if categories:
            return sanitized(result, categories)
        if opaque and (receiver is None or self._namespace(receiver, scope)) and raw not in _CASTS:
            # A function we know nothing about may return anything (`useState("")`'s state,
            # fetched text): only sanitizers, constants and methods of known values are seen.
            return RAW
        if result and method in ("format",) and self._fixed_destination(node):
            result = sanitized(result, _FIXED)
        return result

    def _inline_escape(self, replacement: Node) -> frozenset[str]:
        """`s.replace(<character class>, "<backslash><backslash>$&")` is escapeRegExp written
        inline (MDN's recipe); a replacement with `&lt;` or `&gt;` is inline HTML escaping."""
        text = self.text(replacement)
        if replacement.type != "string":
            return frozenset()
        if text[1:-1] == "\\\\$&":
            return frozenset({"regex"})
        if "&lt;" in text or "&gt;" in text:
            return frozenset({"html"})
        return frozenset()

    def _converted(self, arguments: list[Node]) -> bool:
        """Werkzeug's `get(key, type=int)` returns the converted value or the default."""
        for argument in arguments:
            if argument.type != "keyword_argument":
                continue
            name = argument.child_by_field_name("name")
            value = argument.child_by_field_name("value")
            if (
                name is not None
                and value is not None
                and self.text(name) == "type"
                and self.text(value) in self.spec.number_annotations
            ):
                return True
        return False

    def _called_function(
        self, callee: Node, raw: Path_ | None, arguments: list[Node]
    ) -> Node | None:
        """The function whose return value a call yields, when it is written right there."""
        target: Node | None = callee
        while target is not None and target.type == "parenthesized_expression":
            target = target.named_children[0] if target.named_children else None
        if target is not None and target.type in FUNCTION_TYPES:
            return target
        if raw in _MEMO_HOOKS and arguments and arguments[0].type in FUNCTION_TYPES:
            return arguments[0]
        return None

    def _returns(self, function: Node) -> list[Node]:
        """The expressions a function returns (not looking into nested functions)."""
        body = function.child_by_field_name("body")
        if body is None:
            return []
        if body.type not in ("statement_block", "block"):
            return [body]
        found: list[Node] = []
        stack = [body]
        while stack:
            current = stack.pop()
            if current.type in FUNCTION_TYPES:
                continue
            if current.type == "return_statement":
                found.extend(c for c in current.named_children if c.type != "comment")
                continue
            stack.extend(current.named_children)
        return found

    def _namespace(self, receiver: Node, scope: Scope) -> bool:
        """`JSON.stringify(x)`, `utils.render(x)`: a global or imported module whose methods'
        results depend on their arguments, not on the object."""
        if receiver.type != "identifier":
            return False
        found = self.lookup(self.text(receiver), scope, receiver.start_byte)
        return found is None or all(b.kind == "import" for b in found[0])

    def _arguments(self, call: Node) -> list[Node]:
        arguments = call.child_by_field_name("arguments")
        if arguments is None:
            return []
        if arguments.type in ("template_string", "generator_expression"):
            return [arguments]
        return [c for c in arguments.named_children if c.type != "comment"]

    def _binary(self, node: Node, scope: Scope, opaque: bool) -> Labels:
        """`+` chains (iteratively: a minified file may chain thousands), `||`, `??`, `&&`."""
        operator = node.child_by_field_name("operator")
        op = operator.type if operator is not None else ""
        if op in _CLEAN_BINARY:
            return CLEAN
        operands: list[Node] = []
        pending = [node]
        while pending:
            current = pending.pop()
            current_op = current.child_by_field_name("operator")
            if (
                current.type == "binary_expression"
                and current_op is not None
                and current_op.type == op
            ):
                for side in ("right", "left"):
                    child = current.child_by_field_name(side)
                    if child is not None:
                        pending.append(child)
            else:
                operands.append(current)
        result = self._eval_all(operands, scope, opaque)
        if result and op == "+" and self._fixed_destination(node):
            result = sanitized(result, _FIXED)
        return result

    def _py_binary(self, node: Node, scope: Scope, opaque: bool) -> Labels:
        operator = node.child_by_field_name("operator")
        if operator is None or operator.type not in _PY_PROPAGATING:
            return CLEAN
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        result = self._eval_all((c for c in (left, right) if c is not None), scope, opaque)
        if result and operator.type in ("+", "%") and self._fixed_destination(node):
            result = sanitized(result, _FIXED)
        return result


_MEMO_HOOKS = frozenset({("useMemo",), ("React", "useMemo"), ("computed",)})
"""Calls that return what the function they are given returns (React useMemo, Vue computed)."""

_CASTS = frozenset({("String",), ("str",), ("Array", "from"), ("Object", "assign")})
"""Functions whose result is made only of their arguments: `String(clean)` stays clean."""


def _client_part(labels: Labels) -> Labels:
    """The query or fragment of a URL fixed to a destination is the client's again."""
    if not any(FIXED_URL in label for label in labels):
        return labels
    return _minimal(frozenset(label - _FIXED for label in labels))


def _leftmost(node: Node) -> Node | None:
    """The leftmost operand of a binary expression or concatenated string."""
    left = node.child_by_field_name("left")
    if left is not None:
        return left
    named = node.named_children
    return named[0] if named else None


def _fixed_url_prefix(prefix: str) -> bool:
    if prefix[:1] == "/":
        return len(prefix) > 1 and prefix[1] not in "/\\"
    if prefix[:1] in ("?", "#"):
        return True
    lower = prefix.lower()
    for scheme in ("https://", "http://"):
        if lower.startswith(scheme):
            rest = prefix[len(scheme) :]
            cut = min(
                (i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=-1
            )
            return cut > 0 and "@" not in rest[:cut]
    return False


def function_name(function: Node, analysis: FileTaint) -> str | None:
    """A function's own name, or the name it is assigned to (`const makeId = () => ...`,
    `{ makeId() {} }`, `makeId: function () {}`)."""
    name = function.child_by_field_name("name")
    if name is not None:
        return analysis.text(name)
    parent = function.parent
    while parent is not None and parent.type in ("parenthesized_expression", "as_expression"):
        parent = parent.parent
    if parent is None:
        return None
    if parent.type == "variable_declarator":
        target = parent.child_by_field_name("name")
        return analysis.text(target) if target is not None and target.type == "identifier" else None
    if parent.type in (
        "pair",
        "assignment_expression",
        "assignment",
        "public_field_definition",
        "field_definition",
    ):
        target = (
            parent.child_by_field_name("key")
            or parent.child_by_field_name("left")
            or parent.child_by_field_name("name")
            or parent.child_by_field_name("property")
        )
        if target is not None:
            raw = analysis.raw_path(target)
            return raw[-1] if raw else analysis.text(target)
    return None


__all__: Sequence[str] = (
    "CATEGORIES",
    "CLEAN",
    "RAW",
    "Binding",
    "FileTaint",
    "Labels",
    "Scope",
    "TaintDataError",
    "TaintSpec",
    "default_taint_dir",
    "function_name",
    "reaches",
    "spec_for",
)
