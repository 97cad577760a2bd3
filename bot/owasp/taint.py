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

_PRIMITIVE = frozenset({"mongo"})
"""What a `typeof x === "string"` guard proves: no query operator object (see _primitive_guarded)."""

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
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TaintDataError(f"{path}: cannot read taint data: {exc}") from None
    if not isinstance(data, dict):
        raise TaintDataError(f"{path}: must be a mapping")
    known = {"sources", "param_sources", "sanitizers", "clean_calls", "clean_members"}
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
        _by_name=_index_calls(sanitizers, matchers(data.get("clean_calls"), "clean_calls")),
        _by_root={root: tuple(items) for root, items in by_root.items()},
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
            if labels is not None:
                return labels
            return RAW if opaque else CLEAN
        bindings, definite = found
        result = CLEAN if definite else (RAW if opaque else CLEAN)
        for binding in bindings:
            result = union(result, self._binding(binding, opaque))
        return result

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
        labels = self._eval(value, scope, opaque)
        if labels and self._primitive_guarded(value):
            labels = frozenset(label | _PRIMITIVE for label in labels)
        return union(result, labels)

    def _primitive_guarded(self, value: Node) -> bool:
        """Whether `value` is bound inside `if (typeof value === "string") { ... }` (also
        "number"/"boolean", `==`, and as one side of `&&`): a primitive cannot carry a query
        operator object, which is what the `mongo` category is about."""
        if self.python:
            return False
        wanted = self.text(value)
        child, current = value, value.parent
        while current is not None and current.type not in FUNCTION_TYPES:
            if current.type == "if_statement" and current.child_by_field_name("consequence") == child:
                condition = current.child_by_field_name("condition")
                if condition is not None and self._typeof_checks(condition, wanted):
                    return True
            child, current = current, current.parent
        return False

    def _typeof_checks(self, condition: Node, wanted: str) -> bool:
        pending = [condition]
        while pending:
            node = pending.pop()
            if node.type == "parenthesized_expression":
                pending.extend(node.named_children)
            elif node.type == "binary_expression":
                operator = node.child_by_field_name("operator")
                left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                op = operator.type if operator is not None else ""
                if op == "&&" and left is not None and right is not None:
                    pending.extend((left, right))
                elif op in ("===", "==") and left is not None and right is not None:
                    for typeof, literal in ((left, right), (right, left)):
                        if (
                            typeof.type == "unary_expression"
                            and self.text(typeof).startswith("typeof")
                            and literal.type == "string"
                            and _string_text(literal, self) in ("string", "number", "boolean")
                        ):
                            argument = typeof.child_by_field_name("argument")
                            if argument is not None and self.text(argument) == wanted:
                                return True
        return False

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
