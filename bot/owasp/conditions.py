"""Conditions: checks a query cannot express, run on each match before it becomes a finding.

A rule lists conditions as one-key mappings, e.g. `- not_literal: arg`. Each condition is one
entry in `CONDITIONS`, registered with `@condition(name, parse_arg)`: `parse_arg` validates the
rule's argument when the rule is loaded (so a typo fails at load, naming the file), and the
decorated function decides whether one match holds.

Conditions that look beyond the match (taint, constants bound elsewhere, file-wide calls) keep
what they compute in the match's `FileCache`, one per file, so a second match in the same file
or function reuses the first one's work. The vocabulary is documented in docs/rules.md.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import tree_sitter
from tree_sitter import Node

from bot.owasp.languages import FAMILIES, grammar
from bot.owasp.taint import (
    CATEGORIES,
    FUNCTION_TYPES,
    FileTaint,
    Scope,
    TaintDataError,
    function_name,
    spec_for,
)


class FileCache:
    """What conditions computed about one file, shared by every match of every rule in it.

    The engine makes one per scanned file and passes it as `MatchContext.cache`; without one,
    conditions fall back to a per-thread cache of the last file seen (keyed by the identity of
    its source bytes and root node), which gives the same reuse for the engine's loop.
    """

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: dict[Any, Any] = {}

    def get(self, key: Any, make: Callable[[], Any]) -> Any:
        try:
            return self._items[key]
        except KeyError:
            value = self._items[key] = make()
            return value


@dataclass(frozen=True)
class MatchContext:
    """One query match with everything a condition may look at."""

    captures: Mapping[str, Sequence[Node]]
    source: bytes
    root: Node
    """The file's root node, for conditions that look beyond the match (taint, file checks)."""
    language: str
    path: str
    cache: FileCache | None = None
    """One per file, shared by all its matches (see `FileCache`); optional."""

    def text(self, node: Node) -> str:
        """Node text sliced from our own bytes (no call back into the tree's source)."""
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def file_cache(self) -> FileCache:
        """`cache`, or the thread's cache for this file when the caller gave none."""
        if self.cache is not None:
            return self.cache
        last = getattr(_last_file, "entry", None)
        if (
            last is not None
            and last[0] is self.source
            and last[1] == self.root
            and last[2] == self.language
        ):
            return last[3]
        cache = FileCache()
        # Holding the bytes and the root keeps both alive, so their identities cannot be reused
        # by another file while this entry exists.
        _last_file.entry = (self.source, self.root, self.language, cache)
        return cache

    def taint(self) -> FileTaint:
        """The file's taint analysis, built on first use."""
        return self.file_cache().get(
            "taint", lambda: FileTaint(self.root, self.source, self.language, self.path)
        )


_last_file = threading.local()


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
    if kind == "string":  # a Python f-string is a string with interpolation children
        has_hole = any(child.type == "interpolation" for child in node.named_children)
        return None if has_hole else []
    if kind in ("number", "integer", "float"):
        return []
    if kind == "concatenated_string":  # Python "a" "b"
        return list(node.named_children)
    if kind == "template_string":
        has_hole = any(child.type == "template_substitution" for child in node.named_children)
        return None if has_hole else []
    if kind in _WRAPPERS:
        inner = [child for child in node.named_children if child.type != "comment"]
        if not inner:
            return None
        return [inner[-1] if kind == "type_assertion" else inner[0]]
    if kind in ("unary_expression", "unary_operator"):
        operand = node.child_by_field_name("argument")
        return (
            [] if operand is not None and operand.type in ("number", "integer", "float") else None
        )
    if kind in ("binary_expression", "binary_operator"):
        operands = plus_operands(node)
        return list(operands) if operands is not None else None
    return None


def plus_operands(node: Node) -> tuple[Node, Node] | None:
    """The two sides of `a + b` (JS or Python), or None for another operator."""
    operator = node.child_by_field_name("operator")
    left = node.child_by_field_name("left")
    right = node.child_by_field_name("right")
    if operator is None or operator.type != "+" or left is None or right is None:
        return None
    return left, right


@condition("not_literal", capture_name)
def not_literal(match: MatchContext, capture: str) -> bool:
    """Holds when the captured expression is not a constant; a missing capture does not hold."""
    nodes = match.captures.get(capture, ())
    return bool(nodes) and not all(is_constant(node) for node in nodes)


# --- argument parsers ---------------------------------------------------------------------------


def _mapping(value: Any, required: Sequence[str], optional: Sequence[str], example: str) -> dict:
    if not isinstance(value, Mapping):
        raise ValueError(f"expects a mapping like `{example}`")
    unknown = sorted(set(map(str, value)) - set(required) - set(optional))
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r} (keys: {', '.join((*required, *optional))})")
    missing = [key for key in required if key not in value]
    if missing:
        raise ValueError(f"lacks {missing[0]!r}, e.g. `{example}`")
    return dict(value)


def _names(value: Any, key: str, *, allow_empty: bool = False) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if (
        not isinstance(value, list)
        or not all(isinstance(v, str) and v.strip() for v in value)
        or (not value and not allow_empty)
    ):
        raise ValueError(f"{key}: expects a list of names")
    return tuple(v.strip() for v in value)


@dataclass(frozen=True)
class TaintArg:
    capture: str
    accepted: frozenset[str] | None
    """Sanitizer categories that end taint for this sink; None: every category."""
    parameters: bool = False
    """Function parameters count as input (a helper whose callers pass request data)."""


def taint_arg(value: Any, captures: frozenset[str]) -> TaintArg:
    """`arg` or `{capture: arg, sanitizers: [html, url]}`; checks categories and taint data."""
    example = "{capture: arg, sanitizers: [html]}"
    if isinstance(value, str):
        capture, accepted = capture_name(value, captures), None
    else:
        data = _mapping(value, ("capture",), ("sanitizers", "parameters"), example)
        capture = capture_name(data["capture"], captures)
        accepted = None
        if "sanitizers" in data:
            categories = _names(data["sanitizers"], "sanitizers", allow_empty=True)
            unknown = sorted(set(categories) - CATEGORIES)
            if unknown:
                known = ", ".join(sorted(CATEGORIES))
                raise ValueError(f"unknown sanitizer category {unknown[0]!r} (known: {known})")
            accepted = frozenset(categories) | {"number"}
    try:  # broken taint data fails at rule load, not in the middle of a scan
        for language in FAMILIES:
            spec_for(language)
    except TaintDataError as exc:
        raise ValueError(str(exc)) from None
    parameters = False if isinstance(value, str) else data.get("parameters", False)
    if not isinstance(parameters, bool):
        raise ValueError("parameters: expects true or false")
    return TaintArg(capture, accepted, parameters)


@dataclass(frozen=True)
class WordsArg:
    capture: str
    words: tuple[tuple[str, ...], ...]
    """Each word as its lower-case parts: "api_key" -> ("api", "key")."""


def words_arg(value: Any, captures: frozenset[str]) -> WordsArg:
    data = _mapping(value, ("capture", "words"), (), "{capture: call, words: [token, secret]}")
    words = tuple(tuple(split_words(w)) for w in _names(data["words"], "words"))
    if not all(words):
        raise ValueError("words: each word needs a letter or digit")
    return WordsArg(capture_name(data["capture"], captures), words)


@dataclass(frozen=True)
class PropertiesArg:
    capture: str
    properties: tuple[tuple[str, ...], ...]
    """Dotted property paths, lower-cased: "cookie.httpOnly" -> ("cookie", "httponly")."""


def properties_arg(value: Any, captures: frozenset[str]) -> PropertiesArg:
    example = "{capture: options, properties: [httpOnly, secure]}"
    data = _mapping(value, ("capture", "properties"), (), example)
    names = _names(data["properties"], "properties")
    paths = tuple(tuple(p.lower() for p in name.split(".")) for name in names)
    if any(not all(paths_part for paths_part in path) for path in paths):
        raise ValueError("properties: a dotted path has an empty part")
    return PropertiesArg(capture_name(data["capture"], captures), paths)


@dataclass(frozen=True)
class FileCallsArg:
    callees: tuple[str, ...]
    modules: tuple[str, ...]
    report_when_removed: bool = False
    """The pipeline also reports the finding on an unchanged line when the base version of the
    file does not have it: the change removed the call or import (see `reports_when_removed`)."""


def file_calls_arg(value: Any, _captures: frozenset[str]) -> FileCallsArg:
    example = "{callee: [helmet], import: [helmet], report_when_removed: true}"
    data = _mapping(value, (), ("callee", "import", "report_when_removed"), example)
    callees = _names(data.get("callee", []), "callee", allow_empty=True)
    modules = _names(data.get("import", []), "import", allow_empty=True)
    removed = data.get("report_when_removed", False)
    if not isinstance(removed, bool):
        raise ValueError("report_when_removed: expects true or false")
    if not callees and not modules:
        raise ValueError("needs `callee` or `import` names")
    for name in callees:
        if not all(part.replace("$", "_").isidentifier() for part in name.split(".")):
            raise ValueError(f"callee: {name!r} is not a dotted name")
    for name in modules:
        if '"' in name or "\\" in name:
            raise ValueError(f"import: {name!r} is not a module name")
    return FileCallsArg(callees, modules, removed)


def reports_when_removed(conditions: Sequence[Any]) -> bool:
    """Whether a rule's findings depend on code elsewhere in the file that a change can remove
    (`file_lacks_call: {..., report_when_removed: true}`): the pipeline then reports such a
    finding on an unchanged line when the file's base version does not have it. `conditions`
    are a loaded rule's `ConditionSpec`s."""
    return any(getattr(c.arg, "report_when_removed", False) for c in conditions)


# --- tainted / not_sanitized ------------------------------------------------------------------


@condition("tainted", taint_arg)
def tainted(match: MatchContext, arg: TaintArg) -> bool:
    """Holds when the captured expression carries user input that no sanitizer of the listed
    categories cleaned (rules/taint/<language>.yml; bot/owasp/taint.py)."""
    nodes = match.captures.get(arg.capture, ())
    if not nodes:
        return False
    analysis = match.taint()
    return any(analysis.is_tainted(node, arg.accepted, parameters=arg.parameters) for node in nodes)


@condition("not_sanitized", taint_arg)
def not_sanitized(match: MatchContext, arg: TaintArg) -> bool:
    """Holds when the captured expression may hold a value no sanitizer of the categories
    produced: anything but constants and sanitizer results (directly, through variables,
    concatenation with constants, or other calls of them)."""
    nodes = match.captures.get(arg.capture, ())
    if not nodes:
        return False
    analysis = match.taint()
    return any(analysis.is_unsanitized(node, arg.accepted) for node in nodes)


# --- literal_or_constant ----------------------------------------------------------------------


@condition("literal_or_constant", capture_name)
def literal_or_constant(match: MatchContext, capture: str) -> bool:
    """Holds when the expression is a non-empty string fixed in the file: a literal, or a name or
    constant object's member bound to one (`const SECRET = "x"`, `config.jwtSecret`)."""
    nodes = match.captures.get(capture, ())
    if not nodes:
        return False
    analysis = match.taint()
    return all(bool(constant_string(analysis, node)) for node in nodes)


_ENCODERS = frozenset(
    {("Buffer", "from"), ("TextEncoder()", "encode"), ("bytes",), ("str", "encode")}
)
"""Calls that only change a constant's encoding (`new TextEncoder().encode("secret")`, jose's
idiom; `Buffer.from("secret")`; Python `bytes("s", "utf-8")`)."""


def constant_string(analysis: FileTaint, node: Node, depth: int = 0) -> str | None:
    """The string an expression always evaluates to, or None if it is not fixed in the file."""
    if depth > 24:
        return None
    scope = analysis.scope_of(node)
    return _constant(analysis, node, scope, depth)


def _constant(analysis: FileTaint, node: Node, scope: Scope, depth: int) -> str | None:
    if depth > 24:
        return None
    kind = node.type
    text = analysis.text
    if kind in ("string", "template_string"):
        parts = []
        for child in node.named_children:
            if child.type in ("string_fragment", "string_content", "escape_sequence"):
                parts.append(text(child))
            elif child.type not in ("string_start", "string_end", "comment"):
                return None
        return "".join(parts)
    if kind == "concatenated_string":
        pieces = [_constant(analysis, c, scope, depth + 1) for c in node.named_children]
        return None if any(p is None for p in pieces) else "".join(pieces)  # type: ignore[arg-type]
    if kind in ("binary_expression", "binary_operator"):
        operands = plus_operands(node)
        if operands is None:
            return None
        left, right = operands
        a = _constant(analysis, left, scope, depth + 1)
        b = _constant(analysis, right, scope, depth + 1) if a is not None else None
        return a + b if a is not None and b is not None else None
    if kind in _WRAPPERS:
        inner = [c for c in node.named_children if c.type != "comment"]
        if not inner:
            return None
        return _constant(
            analysis, inner[-1] if kind == "type_assertion" else inner[0], scope, depth + 1
        )
    if kind == "identifier":
        found = analysis.lookup(text(node), scope, node.start_byte)
        if found is None or not found[1] or not found[0]:
            return None
        return _one_constant(analysis, found[0], depth + 1)
    if kind in ("member_expression", "attribute", "subscript_expression", "subscript"):
        raw = analysis.raw_path(node)
        if raw is not None and len(raw) > 1:
            found = analysis.lookup(".".join(raw), scope, node.start_byte)
            if found is not None:  # app.config["SECRET_KEY"] = "x"
                if not found[1]:
                    return None
                return _one_constant(analysis, found[0], depth + 1)
        value = _member_value(analysis, node, scope, depth + 1)
        return None if value is None else _constant(analysis, value[0], value[1], depth + 1)
    if kind in ("call_expression", "call", "new_expression"):
        return _encoded_constant(analysis, node, scope, depth)
    return None


def _encoded_constant(analysis: FileTaint, call: Node, scope: Scope, depth: int) -> str | None:
    callee = call.child_by_field_name("function")
    arguments = call.child_by_field_name("arguments")
    if callee is None or arguments is None:
        return None
    raw = analysis.raw_path(callee)
    args = [c for c in arguments.named_children if c.type != "comment"]
    if analysis.python and callee.type == "attribute":  # "secret".encode()
        method = callee.child_by_field_name("attribute")
        receiver = callee.child_by_field_name("object")
        if method is not None and receiver is not None and analysis.text(method) == "encode":
            return _constant(analysis, receiver, scope, depth + 1)
    if raw is None or tuple(raw) not in _ENCODERS or not args:
        return None
    return _constant(analysis, args[0], scope, depth + 1)


def _one_constant(analysis: FileTaint, bindings: Sequence[Any], depth: int) -> str | None:
    """A constant every binding agrees is non-empty (`let k = "a"; k = "b"` is still fixed)."""
    values = [_binding_constant(analysis, b, depth) for b in bindings]
    if not values or any(not v for v in values):
        return None
    return values[-1]


def _binding_constant(analysis: FileTaint, binding: Any, depth: int) -> str | None:
    if binding.kind != "value" or binding.value is None or binding.default is not None:
        return None
    node, scope = binding.value, binding.scope
    for key in binding.keys:
        located = _property(analysis, node, scope, key, depth + 1)
        if located is None:
            return None
        node, scope = located
    return _constant(analysis, node, scope, depth + 1)


def _member_value(
    analysis: FileTaint, node: Node, scope: Scope, depth: int
) -> tuple[Node, Scope] | None:
    """The expression a member access reads from a constant object literal in the file."""
    kind = node.type
    if kind in ("member_expression", "attribute"):
        prop = node.child_by_field_name("property" if kind == "member_expression" else "attribute")
        obj = node.child_by_field_name("object")
        key = analysis.text(prop) if prop is not None else None
    else:
        index = node.child_by_field_name("index" if kind[-1] == "n" else "subscript")
        obj = node.child_by_field_name("object" if kind[-1] == "n" else "value")
        key = _constant(analysis, index, scope, depth + 1) if index is not None else None
    if obj is None or key is None:
        return None
    return _property(analysis, obj, scope, key, depth + 1)


def object_literal(
    analysis: FileTaint, node: Node, scope: Scope, depth: int = 0
) -> tuple[Node, Scope] | None:
    """The object literal / dict display an expression is bound to in this file, if one."""
    current, current_scope = node, scope
    while depth <= 24:
        depth += 1
        kind = current.type
        if kind in ("object", "dictionary"):
            return current, current_scope
        if kind in _WRAPPERS:
            inner = [c for c in current.named_children if c.type != "comment"]
            if not inner:
                return None
            current = inner[-1] if kind == "type_assertion" else inner[0]
            continue
        if kind in ("call_expression", "call"):  # Object.freeze({...}), dict(...) is not literal
            callee = current.child_by_field_name("function")
            arguments = current.child_by_field_name("arguments")
            if (
                callee is None
                or arguments is None
                or analysis.text(callee) != "Object.freeze"
                or not arguments.named_children
            ):
                return None
            current = arguments.named_children[0]
            continue
        if kind == "identifier":
            found = analysis.lookup(analysis.text(current), current_scope, current.start_byte)
            if found is None or not found[1] or len(found[0]) != 1:
                return None
            binding = found[0][0]
            if binding.kind != "value" or binding.value is None:
                return None
            located: tuple[Node, Scope] | None = (binding.value, binding.scope)
            for key in binding.keys:
                located = _property(analysis, located[0], located[1], key, depth + 1)
                if located is None:
                    return None
            current, current_scope = located  # type: ignore[misc]
            continue
        if kind in ("member_expression", "attribute", "subscript_expression", "subscript"):
            value = _member_value(analysis, current, current_scope, depth + 1)
            if value is None:
                return None
            current, current_scope = value
            continue
        return None
    return None


def _property(
    analysis: FileTaint, node: Node, scope: Scope, key: str, depth: int
) -> tuple[Node, Scope] | None:
    """The value of `key` in the object literal `node` is bound to."""
    located = object_literal(analysis, node, scope, depth + 1)
    if located is None:
        return None
    literal, literal_scope = located
    for entry in reversed(literal.named_children):  # the last duplicate key wins
        if entry.type == "pair":
            name = _key_text(analysis, entry.child_by_field_name("key"))
            value = entry.child_by_field_name("value")
            if name == key and value is not None:
                return value, literal_scope
        elif entry.type == "shorthand_property_identifier" and analysis.text(entry) == key:
            return entry, literal_scope
        elif entry.type in ("spread_element", "dictionary_splat"):
            return None  # the spread may set it
    return None


def _key_text(analysis: FileTaint, key: Node | None) -> str | None:
    if key is None:
        return None
    if key.type in ("property_identifier", "identifier", "number", "integer"):
        return analysis.text(key)
    if key.type == "string":
        parts = [c for c in key.named_children if c.type in ("string_fragment", "string_content")]
        if len(parts) == len(
            [c for c in key.named_children if c.type not in ("string_start", "string_end")]
        ):
            return "".join(analysis.text(p) for p in parts)
    return None


# --- name_matches ---------------------------------------------------------------------------


def split_words(text: str) -> list[str]:
    """camelCase / snake_case / kebab-case words, lower-cased: "resetAPIToken2" ->
    ["reset", "api", "token", "2"]. A hand-written scan: no regex over source text."""
    words: list[str] = []
    current = ""
    previous = ""
    for index, char in enumerate(text):
        if not char.isalnum():
            if current:
                words.append(current)
            current, previous = "", ""
            continue
        boundary = False
        if current:
            following = text[index + 1] if index + 1 < len(text) else ""
            if char.isupper() and (previous.islower() or previous.isdigit()):
                boundary = True  # fooBar, v2Token
            elif char.isupper() and previous.isupper() and following.islower():
                boundary = True  # APIKey -> API, Key
            elif char.isdigit() != previous.isdigit():
                boundary = True  # token2, 2fa
        if boundary:
            words.append(current)
            current = ""
        current += char
        previous = char
    if current:
        words.append(current)
    return [w.lower() for w in words]


def _contains_word(names: Sequence[str], words: Sequence[tuple[str, ...]]) -> bool:
    for name in names:
        tokens = split_words(name)
        for word in words:
            size = len(word)
            for start in range(len(tokens) - size + 1):
                window = tokens[start : start + size]
                if window[:-1] != list(word[:-1]):
                    continue
                last = window[-1]
                if last in (word[-1], word[-1] + "s"):
                    return True
                following = tokens[start + size] if start + size < len(tokens) else ""
                if last == word[-1] + "v" and following.isdigit():
                    return True  # uuidv4, hmacV2
    return False


_NAME_TYPES = frozenset(
    {
        "identifier",
        "property_identifier",
        "shorthand_property_identifier",
        "shorthand_property_identifier_pattern",
        "private_property_identifier",
        "type_identifier",
        "string",
        "string_fragment",
        "string_content",
    }
)

_TRANSPARENT = frozenset(
    {
        "member_expression",
        "attribute",
        "subscript_expression",
        "subscript",
        "call_expression",
        "call",
        "new_expression",
        "arguments",
        "argument_list",
        "binary_expression",
        "binary_operator",
        "unary_expression",
        "unary_operator",
        "parenthesized_expression",
        "template_substitution",
        "template_string",
        "string",
        "interpolation",
        "ternary_expression",
        "conditional_expression",
        "await_expression",
        "await",
        "as_expression",
        "satisfies_expression",
        "non_null_expression",
        "type_assertion",
        "sequence_expression",
        "array",
        "list",
        "tuple",
        "spread_element",
        "list_splat",
        "boolean_operator",
        "formatted_string",
    }
)
"""Expressions a value passes through on its way to a name: `Math.random().toString(36)`,
`Math.floor(Math.random() * 1e6)`, `` `tok_${Math.random()}` ``."""


@condition("name_matches", words_arg)
def name_matches(match: MatchContext, arg: WordsArg) -> bool:
    """Holds when the capture's name, or the name its value is given, has one of the words.

    A name node is judged by its own text. An expression is judged by the variable, property
    or keyword argument it is assigned to, or by the function it is returned from (`return
    Math.random()` in `generateToken`, `const id = ...; return id;` too); an expression given
    no name at all is judged by its enclosing function's name."""
    nodes = match.captures.get(arg.capture, ())
    if not nodes:
        return False
    analysis = match.taint()
    return any(_contains_word(names_for(analysis, match.file_cache(), n), arg.words) for n in nodes)


def names_for(analysis: FileTaint, cache: FileCache, node: Node, depth: int = 0) -> list[str]:
    """The names an expression's value goes by (see `name_matches`)."""
    if node.type in _NAME_TYPES:
        return [analysis.text(node)]
    current = node
    parent = current.parent
    while parent is not None and parent.type in _TRANSPARENT:
        current, parent = parent, parent.parent
    if parent is None:
        return []
    names: list[str] = []
    target: Node | None = None
    kind = parent.type
    if kind == "variable_declarator":
        target = parent.child_by_field_name("name")
    elif kind in (
        "assignment_expression",
        "assignment",
        "augmented_assignment_expression",
        "augmented_assignment",
    ):
        target = parent.child_by_field_name("left")
    elif kind in ("assignment_pattern", "object_assignment_pattern", "default_parameter"):
        target = parent.child_by_field_name("left") or parent.child_by_field_name("name")
    elif kind in ("pair", "keyword_argument"):
        target = parent.child_by_field_name("key") or parent.child_by_field_name("name")
    elif kind in ("public_field_definition", "field_definition"):
        target = parent.child_by_field_name("name") or parent.child_by_field_name("property")
    elif kind == "jsx_expression" and parent.parent is not None:
        attribute = parent.parent
        if attribute.type == "jsx_attribute" and attribute.named_children:
            target = attribute.named_children[0]
    if target is not None:
        names.append(analysis.text(target))
    function = _enclosing_function(parent)
    returned = kind == "return_statement" or (
        kind in ("arrow_function", "lambda") and current == parent.child_by_field_name("body")
    )
    if function is not None and (
        target is None
        or returned
        or (
            target.type == "identifier"
            and analysis.text(target) in _returned_names(analysis, cache, function)
        )
    ):
        names.extend(_function_names(analysis, cache, function, depth))
    return names


def _function_names(analysis: FileTaint, cache: FileCache, function: Node, depth: int) -> list[str]:
    """A function's name; for an anonymous callback (`useState(() => ...)`, `.replace(re, c =>
    ...)`), the names its call's result goes by."""
    own = function_name(function, analysis)
    if own:
        return [own]
    if depth >= 4:
        return []
    return names_for(analysis, cache, function, depth + 1)


def _enclosing_function(node: Node) -> Node | None:
    current: Node | None = node if node.type in FUNCTION_TYPES else node.parent
    while current is not None and current.type not in FUNCTION_TYPES:
        current = current.parent
    return current


_NO_RETURNS = FUNCTION_TYPES | {
    "expression_statement",
    "lexical_declaration",
    "variable_declaration",
    "comment",
    "class_declaration",
    "class_definition",
}
"""Statements that cannot hold a `return` of the function being searched."""


def _returned_names(analysis: FileTaint, cache: FileCache, function: Node) -> frozenset[str]:
    """Identifiers a function returns (`return id`, `return { id }`, arrow expression body)."""

    def collect() -> frozenset[str]:
        names: set[str] = set()
        body = function.child_by_field_name("body")
        if body is None:
            return frozenset()
        if body.type not in ("statement_block", "block"):
            roots = [body]
        else:
            roots = []
            stack = [body]
            while stack:
                current = stack.pop()
                if current.type in _NO_RETURNS:
                    continue
                if current.type == "return_statement":
                    roots.append(current)
                    continue
                stack.extend(current.named_children)
        for root in roots:
            stack = [root]
            while stack:
                current = stack.pop()
                if current.type in FUNCTION_TYPES:
                    continue
                if current.type in ("identifier", "shorthand_property_identifier"):
                    names.add(analysis.text(current))
                stack.extend(current.named_children)
        return frozenset(names)

    return cache.get(("returns", function.id), collect)


# --- lacks_properties -------------------------------------------------------------------------


@condition("lacks_properties", properties_arg)
def lacks_properties(match: MatchContext, arg: PropertiesArg) -> bool:
    """Holds when an options object (JS object literal, possibly through a variable; Python
    keyword arguments or dict literal) leaves out one of the properties or sets it to a literal
    false. A missing capture holds (no options at all). Options the file does not spell out (a
    parameter, `...spread`, `**kwargs` that may set the property) do not hold."""
    nodes = match.captures.get(arg.capture, ())
    if not nodes:
        return True
    analysis = match.taint()
    return any(
        _lacks(analysis, node, analysis.scope_of(node), path)
        for node in nodes
        for path in arg.properties
    )


def _lacks(analysis: FileTaint, node: Node, scope: Scope, path: tuple[str, ...]) -> bool:
    entries = _option_entries(analysis, node, scope)
    if entries is None:
        return False  # not visible here: assume set
    found, unknown = entries
    entry = found.get(path[0])
    if entry is None:
        return not unknown
    value, entry_scope = entry
    if value.type in ("false", "False"):
        return True
    if len(path) > 1:
        return _lacks(analysis, value, entry_scope, path[1:])
    return False


Entries = dict[str, tuple[Node, Scope]]
"""Option name lower-cased -> (value node, the scope it is read in)."""


def _option_entries(analysis: FileTaint, node: Node, scope: Scope) -> tuple[Entries, bool] | None:
    """(the options' entries, whether a spread of unknown content may add more). Spreads of an
    object or dict bound in the file (`{ ...COOKIE_DEFAULTS }`, `**COOKIE_FLAGS`) are read."""
    if node.type in ("call", "call_expression"):
        arguments = node.child_by_field_name("arguments")
        if arguments is None:
            return None
        node = arguments
    found: Entries = {}
    if node.type in ("argument_list", "arguments"):
        unknown = False
        for child in node.named_children:
            if child.type == "keyword_argument":
                name = child.child_by_field_name("name")
                value = child.child_by_field_name("value")
                if name is not None and value is not None:
                    found[analysis.text(name).lower()] = (value, scope)
            elif child.type == "dictionary_splat":
                unknown = _spread_into(analysis, child, scope, found, 0) or unknown
            elif child.type == "list_splat":
                unknown = True
        return found, unknown
    located = object_literal(analysis, node, scope)
    if located is None:
        return None
    unknown = _literal_entries(analysis, located[0], located[1], found, 0)
    return found, unknown


def _literal_entries(analysis: FileTaint, literal: Node, scope: Scope, found: Entries, depth: int) -> bool:
    """Add an object / dict literal's entries, in order; True when some may be unknown."""
    unknown = False
    for entry in literal.named_children:
        if entry.type == "pair":
            key = _key_text(analysis, entry.child_by_field_name("key"))
            value = entry.child_by_field_name("value")
            if key is None:
                unknown = True  # a computed key may be any of them
            elif value is not None:
                found[key.lower()] = (value, scope)
        elif entry.type in ("shorthand_property_identifier", "method_definition"):
            name = entry.child_by_field_name("name") if entry.type == "method_definition" else entry
            if name is not None:
                found[analysis.text(name).lower()] = (entry, scope)
        elif entry.type in ("spread_element", "dictionary_splat"):
            unknown = _spread_into(analysis, entry, scope, found, depth) or unknown
    return unknown


def _spread_into(analysis: FileTaint, spread: Node, scope: Scope, found: Entries, depth: int) -> bool:
    """`...defaults` / `**defaults`: add what a literal bound in the file holds; True when its
    content is unknown (a parameter, a call, an import)."""
    inner = [c for c in spread.named_children if c.type != "comment"]
    if not inner or depth > 8:
        return True
    located = object_literal(analysis, inner[0], scope)
    if located is None:
        return True
    return _literal_entries(analysis, located[0], located[1], found, depth + 1)


# --- file_lacks_call --------------------------------------------------------------------------


@condition("file_lacks_call", file_calls_arg)
def file_lacks_call(match: MatchContext, arg: FileCallsArg) -> bool:
    """Holds when the file calls none of the callees (`helmet()`, also `helmet.hsts()` and
    `app.use(helmet())`) and imports none of the modules (import, require, import())."""
    return not match.file_cache().get(("file_calls", arg), lambda: _file_has(match, arg))


def modules_arg(value: Any, _captures: frozenset[str]) -> FileCallsArg:
    modules = _names(value, "file_imports")
    for name in modules:
        if '"' in name or "\\" in name:
            raise ValueError(f"file_imports: {name!r} is not a module name")
    return FileCallsArg((), modules)


@condition("file_imports", modules_arg)
def file_imports(match: MatchContext, arg: FileCallsArg) -> bool:
    """Holds when the file imports one of the modules (import, require, import()): the evidence
    that a bare name such as `run` or `exec` really is that module's function."""
    return match.file_cache().get(("file_calls", arg), lambda: _file_has(match, arg))


def _file_has(match: MatchContext, arg: FileCallsArg) -> bool:
    query = _file_query(match.language, arg.callees, arg.modules)
    if query is None:
        return False
    cursor = tree_sitter.QueryCursor(query)
    return bool(cursor.matches(match.root))


def _quoted(names: Sequence[str]) -> str:
    return " ".join(f'"{name}"' for name in names)


@lru_cache(maxsize=256)
def _file_query(
    language: str, callees: tuple[str, ...], modules: tuple[str, ...]
) -> tree_sitter.Query | None:
    """One query per (language, names): tree-sitter finds the calls and imports in C."""
    patterns: list[str] = []
    roots = tuple(dict.fromkeys(name.split(".")[0] for name in callees))
    python = FAMILIES[language] == "python"
    if callees:
        call, fn, member, obj = (
            ("call", "function", "attribute", "object")
            if python
            else ("call_expression", "function", "member_expression", "object")
        )
        patterns.append(f"({call} {fn}: (_) @c (#any-of? @c {_quoted(callees)})) @m")
        patterns.append(
            f"({call} {fn}: ({member} {obj}: (identifier) @c) (#any-of? @c {_quoted(roots)})) @m"
        )
        if not python:
            patterns.append(
                f"(new_expression constructor: (_) @c (#any-of? @c {_quoted(callees)})) @m"
            )
    if modules:
        quoted = _quoted(modules)
        if python:
            patterns.append(f"(import_statement name: (dotted_name) @c (#any-of? @c {quoted})) @m")
            patterns.append(
                f"(import_statement name: (aliased_import name: (dotted_name) @c)"
                f" (#any-of? @c {quoted})) @m"
            )
            patterns.append(
                f"(import_from_statement module_name: (dotted_name) @c (#any-of? @c {quoted})) @m"
            )
        else:
            patterns.append(
                f"(import_statement source: (string (string_fragment) @c) (#any-of? @c {quoted})) @m"
            )
            patterns.append(
                "(call_expression function: [(identifier) (import)] @f"
                f" arguments: (arguments . (string (string_fragment) @c))"
                f' (#any-of? @f "require" "import") (#any-of? @c {quoted})) @m'
            )
    if not patterns:
        return None
    return tree_sitter.Query(grammar(language), "\n".join(patterns))
