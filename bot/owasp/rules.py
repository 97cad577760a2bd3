"""Rule files: YAML data under rules/owasp/<language>/, validated and compiled at load.

Everything that can be wrong with a rule is found here, once, with the file and field named,
so a bad rule stops `prwarden` at start-up instead of silently matching nothing in a scan.

Each rule's query is also read here as a list of patterns, each with the literal words a file
must contain for that pattern to match at all (the pre-filter, docs/rules.md): the engine
compiles and runs only the patterns whose words a scanned file has.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import tree_sitter
import yaml

from bot.model import Severity
from bot.owasp.conditions import CONDITIONS
from bot.owasp.languages import LANGUAGES, grammar

RULES_DIR_ENV = "PRWARDEN_RULES_DIR"
"""Overrides where rules are read from; needed when the package is installed without its
source tree (a non-editable install does not ship the top-level rules/ folder)."""

_SOURCE_RULES_DIR = Path(__file__).resolve().parents[2] / "rules" / "owasp"

MATCH_CAPTURE = "match"
"""The capture whose node a finding reports; every query pattern must have it."""

RULE_SUFFIXES = (".yml", ".yaml")

OWASP_2021: Mapping[str, str] = {
    "A01:2021": "A01:2021 – Broken Access Control",
    "A02:2021": "A02:2021 – Cryptographic Failures",
    "A03:2021": "A03:2021 – Injection",
    "A04:2021": "A04:2021 – Insecure Design",
    "A05:2021": "A05:2021 – Security Misconfiguration",
    "A06:2021": "A06:2021 – Vulnerable and Outdated Components",
    "A07:2021": "A07:2021 – Identification and Authentication Failures",
    "A08:2021": "A08:2021 – Software and Data Integrity Failures",
    "A09:2021": "A09:2021 – Security Logging and Monitoring Failures",
    "A10:2021": "A10:2021 – Server-Side Request Forgery",
}
"""The OWASP Top 10 2021 categories as owasp.org titles them (with an EN DASH)."""

_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_CWE = re.compile(r"CWE-[1-9][0-9]*")
_REQUIRED = ("id", "title", "message", "severity", "cwe", "owasp", "languages", "query", "fix")
_OPTIONAL = ("conditions", "prefilter")


class RuleError(Exception):
    """A rule file that cannot be used; names the file and the field at fault."""

    def __init__(self, path: Path, field_name: str | None, problem: str) -> None:
        self.path = path
        self.field = field_name
        self.problem = problem
        where = f"{path}: {field_name}" if field_name else str(path)
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class ConditionSpec:
    """One entry of a rule's `conditions`, argument already validated."""

    name: str
    arg: Any


@dataclass(frozen=True)
class Pattern:
    """One pattern of a rule's query and the words a file needs for it to match.

    `needs` and `needs_folded` are groups of words; the pattern can only match a file that
    contains, for every group, at least one of its words: as written for `needs`, ignoring case
    for `needs_folded` (from `(?i)` regexes; only checked on ASCII text, see engine.py). No
    groups: the pattern is always run.
    """

    text: str
    """The pattern's query text. A query the reader below does not follow is one `Pattern`
    holding the whole query (possibly several tree-sitter patterns), with no derived words."""
    needs: tuple[tuple[str, ...], ...] = ()
    needs_folded: tuple[tuple[str, ...], ...] = ()
    whole: bool = False
    """The whole query, not one pattern of it."""


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    """The OWASP Top 10 2021 category, exactly as in OWASP_2021."""
    message: str
    severity: Severity
    cwe: tuple[str, ...]
    owasp: str
    languages: tuple[str, ...]
    query: str
    fix: str
    path: Path
    """The YAML file, so errors and `rules list` can point at it."""
    conditions: tuple[ConditionSpec, ...] = ()
    prefilter: tuple[str, ...] = ()
    """Words from the rule file, at least one of which a file must contain for the rule to report
    anything in it (optional; for what the query alone does not say, such as a condition that
    the file imports a module)."""
    compiled: dict[str, tree_sitter.Query] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )
    """This rule's query compiled alone, per language, on first use (see `query_for`)."""
    read: dict[str, tuple[Pattern, ...]] = field(default_factory=dict, compare=False, hash=False, repr=False)
    """`patterns`, once read."""

    @property
    def patterns(self) -> tuple[Pattern, ...]:
        """The query's patterns with their pre-filter words (`prefilter` included), read on
        first use: a scan only reads the rules of the languages it meets."""
        patterns = self.read.get("patterns")
        if patterns is None:
            patterns = self.read["patterns"] = query_patterns(self.query, self.prefilter)
        return patterns

    def query_for(self, language: str) -> tree_sitter.Query:
        """The rule's own query for one grammar, compiled and checked once.

        Scanning uses one combined query per language (engine.py); a rule compiled alone is
        what `validate` and error messages need, so it is not paid for at every start.
        """
        query = self.compiled.get(language)
        if query is None:
            query = self.compiled[language] = _compile(self.path, self.query, language)
        return query


def default_rules_dir() -> Path:
    """$PRWARDEN_RULES_DIR if set, else rules/owasp in the source tree this package runs from."""
    configured = os.environ.get(RULES_DIR_ENV)
    return Path(configured) if configured else _SOURCE_RULES_DIR


def rule_files(rules_dir: Path) -> list[Path]:
    """Every rule file below `rules_dir`, in a stable order."""
    if not rules_dir.is_dir():
        problem = f"rules folder not found; set {RULES_DIR_ENV} to the rules/owasp folder"
        raise RuleError(rules_dir, None, problem)
    return sorted(p for p in rules_dir.rglob("*") if p.suffix in RULE_SUFFIXES and p.is_file())


def load_rules(rules_dir: Path | None = None, *, validate: bool = True) -> tuple[Rule, ...]:
    """Load every rule; ids must be unique across files.

    `validate` compiles each rule for every language it lists, so a query that breaks on one
    grammar fails here naming its file. Scanning passes False: the combined query per language
    compiles them anyway, and falls back to these precise checks if it does not.
    """
    rules: dict[str, Rule] = {}
    for path in rule_files(rules_dir or default_rules_dir()):
        rule = load_rule(path, validate=validate)
        if rule.id in rules:
            raise RuleError(path, "id", f"{rule.id!r} is already used by {rules[rule.id].path}")
        rules[rule.id] = rule
    return tuple(rules[rule_id] for rule_id in sorted(rules))


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML has it (15x faster than the pure-Python one, same data)."""


def load_rule(path: Path, *, validate: bool = True) -> Rule:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506 (a safe loader)
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(path, None, f"cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise RuleError(path, None, f"not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise RuleError(path, None, "must be a mapping of rule fields")
    return _build(path, data, validate=validate)


def _build(path: Path, data: dict[str, Any], *, validate: bool) -> Rule:
    unknown = sorted(set(map(str, data)) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        allowed = ", ".join(_REQUIRED + _OPTIONAL)
        raise RuleError(path, unknown[0], f"unknown field (fields are: {allowed})")
    for name in _REQUIRED:
        if name not in data:
            raise RuleError(path, name, "missing")

    rule_id = _text(path, data, "id")
    if not _ID.fullmatch(rule_id):
        raise RuleError(path, "id", f"{rule_id!r} must be lowercase words joined by '-'")
    owasp = _text(path, data, "owasp")
    if owasp not in OWASP_2021:
        problem = f"{owasp!r} is not an OWASP Top 10 2021 id (A01:2021 .. A10:2021)"
        raise RuleError(path, "owasp", problem)
    title = _text(path, data, "title")
    if title != OWASP_2021[owasp]:
        raise RuleError(path, "title", f"must be the category of {owasp}: {OWASP_2021[owasp]!r}")
    try:
        severity = Severity.parse(_text(path, data, "severity"))
    except ValueError as exc:
        raise RuleError(path, "severity", str(exc)) from None
    cwe = _text_list(path, data, "cwe")
    for item in cwe:
        if not _CWE.fullmatch(item):
            raise RuleError(path, "cwe", f"{item!r} must look like 'CWE-95'")
    languages = _text_list(path, data, "languages")
    for language in languages:
        if language not in LANGUAGES:
            raise RuleError(path, "languages", f"{language!r} is not one of {', '.join(LANGUAGES)}")
    query = _text(path, data, "query")
    prefilter = _prefilter(path, data.get("prefilter"))
    rule = Rule(
        id=rule_id,
        title=title,
        message=_text(path, data, "message"),
        severity=severity,
        cwe=cwe,
        owasp=owasp,
        languages=languages,
        query=query,
        fix=_text(path, data, "fix"),
        path=path,
        prefilter=prefilter,
    )
    if validate:
        for language in languages:
            _check_patterns(rule, rule.query_for(language))
    # Conditions name captures, so their arguments are checked against the query's captures.
    captures = _capture_names(rule.query_for(languages[0])) if validate else capture_names_in(query)
    return replace(
        rule,
        conditions=_conditions(path, data.get("conditions"), captures),
        compiled=rule.compiled,
        read=rule.read,
    )


def _text(path: Path, data: dict[str, Any], name: str) -> str:
    value = data[name]
    if not isinstance(value, str) or not value.strip():
        raise RuleError(path, name, "must be a non-empty string")
    return value.strip()


def _text_list(path: Path, data: dict[str, Any], name: str) -> tuple[str, ...]:
    value = data[name]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise RuleError(path, name, "must be a non-empty list of strings")
    if len(set(value)) != len(value):
        raise RuleError(path, name, "lists an entry twice")
    return tuple(value)


def _prefilter(path: Path, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise RuleError(path, "prefilter", "must be a non-empty list of words (strings)")
    if len(set(value)) != len(value):
        raise RuleError(path, "prefilter", "lists a word twice")
    if any(v != v.strip() for v in value):
        raise RuleError(path, "prefilter", "words must not start or end with spaces")
    return tuple(value)


def _compile(path: Path, query: str, language: str) -> tree_sitter.Query:
    """Compile for one grammar and check that every pattern captures @match.

    A predicate written outside its pattern's parentheses compiles as a pattern of its own and
    would silently drop the filter, so each pattern is compiled alone and checked.
    """
    lang = grammar(language)
    try:
        compiled = tree_sitter.Query(lang, query)
    except tree_sitter.QueryError as exc:
        raise RuleError(path, "query", f"does not compile for {language}: {exc}") from None
    if compiled.pattern_count == 0:
        raise RuleError(path, "query", "has no patterns")
    names = [compiled.capture_name(i) for i in range(compiled.capture_count)]
    match_id = names.index(MATCH_CAPTURE) if MATCH_CAPTURE in names else None
    encoded = query.encode("utf-8")
    for index in range(compiled.pattern_count):
        if match_id is None or not pattern_captures(compiled, index, match_id):
            line = encoded[: compiled.start_byte_for_pattern(index)].count(b"\n") + 1
            raise RuleError(
                path,
                "query",
                f"pattern {index + 1} (query line {line}) does not capture @{MATCH_CAPTURE};"
                " a predicate outside its pattern's parentheses also shows up like this",
            )
    return compiled


def pattern_captures(query: tree_sitter.Query, pattern: int, capture: int) -> bool:
    """Whether one pattern of a compiled query uses a capture (no recompiling per pattern).

    py-tree-sitter 0.26 raises SystemError ("Unexpected capture quantifier of 0") instead of
    returning the zero quantifier for a capture the pattern does not use.
    """
    try:
        query.capture_quantifier(pattern, capture)
    except SystemError:
        return False
    return True


def capture_names_in(query: str) -> frozenset[str]:
    """Capture names written in a query's text, skipping strings and `;` comments, so loading
    rules for a scan need not compile each one (our own rule files, never repository text)."""
    names: set[str] = set()
    index, size = 0, len(query)
    while index < size:
        char = query[index]
        if char == '"':
            index += 1
            while index < size and query[index] != '"':
                index += 2 if query[index] == "\\" else 1
        elif char == ";":
            while index < size and query[index] != "\n":
                index += 1
        elif char == "@":
            start = index = index + 1
            while index < size and (query[index].isalnum() or query[index] in "_.-"):
                index += 1
            names.add(query[start:index])
            continue
        index += 1
    return frozenset(names)


def _capture_names(query: tree_sitter.Query) -> frozenset[str]:
    return frozenset(query.capture_name(i) for i in range(query.capture_count))


def _conditions(path: Path, raw: Any, captures: frozenset[str]) -> tuple[ConditionSpec, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise RuleError(path, "conditions", "must be a list like `- not_literal: arg`")
    specs = []
    for index, entry in enumerate(raw):
        where = f"conditions[{index}]"
        if not isinstance(entry, dict) or len(entry) != 1:
            raise RuleError(path, where, "must be a one-key mapping like `not_literal: arg`")
        ((name, arg),) = entry.items()
        known = CONDITIONS.get(str(name))
        if known is None:
            choices = ", ".join(sorted(CONDITIONS))
            raise RuleError(path, where, f"unknown condition {name!r} (known: {choices})")
        try:
            parsed = known.parse_arg(arg, captures)
        except ValueError as exc:
            raise RuleError(path, f"{where}.{name}", str(exc)) from None
        specs.append(ConditionSpec(known.name, parsed))
    return tuple(specs)


def catalogue(rules_dir: Path | None = None) -> list[dict[str, Any]]:
    """The rules as plain data, for `prwarden rules list`."""
    return [
        {
            "id": rule.id,
            "title": rule.title,
            "severity": rule.severity.value,
            "cwe": list(rule.cwe),
            "owasp": rule.owasp,
            "languages": list(rule.languages),
        }
        for rule in load_rules(rules_dir)
    ]


# --- the pre-filter: literal words a query needs --------------------------------------------------
#
# A pattern such as `(call_expression function: (identifier) @f (#eq? @f "eval"))` only matches a
# node whose text is "eval", so a file without the word "eval" cannot match it. Reading those words
# off the query lets the engine skip patterns (and files) without parsing. The words come only from
# predicates that every match of the pattern must pass:
#   - #eq? / #any-eq? @capture "text" and #any-of? @capture "a" "b": the capture's node text is one
#     of the strings;
#   - #match? / #any-match? @capture "regex": literal text the regex cannot match without (below);
# and only on captures present in every match of the pattern: a predicate on a capture that is
# absent from a match (inside `?`, `*`, or one branch of `[...]`) passes, as tree-sitter evaluates
# it. Which captures are always present is checked against tree-sitter's own answer
# (capture_quantifier) whenever a rule is validated (`prwarden rules test`).


class QuerySyntax(Exception):
    """Query text the reader does not follow; the query then runs whole, without words."""


@dataclass
class _Element:
    kind: str  # "node", "group", "alt", "leaf" (anonymous node, wildcard) or "predicate"
    start: int
    end: int = 0
    children: list[_Element] = field(default_factory=list)
    captures: list[str] = field(default_factory=list)
    quantifier: str = ""
    predicate: tuple[str, tuple[tuple[str, str], ...]] = ("", ())


_TOKEN = re.compile(
    r"""(?P<space>\s+)
    | (?P<comment>;[^\n]*)
    | (?P<bracket>[()\[\]])
    | "(?P<string>(?:[^"\\\n]|\\.)*)"
    | @(?P<capture>[\w.?!-]+)
    | (?P<quantifier>[?*+])
    | (?P<anchor>\.)
    | (?P<field>[\w-]+):
    | (?P<name>\#[\w.?!-]+|!?[\w-]+(?:/[\w-]+)?)
    """,
    re.VERBOSE,
)
"""Tokens of tree-sitter's query language. Strings stop at a newline (tree-sitter rejects one
inside a string); anything unmatched makes the query unreadable here (no words, still scanned)."""
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_ESCAPED = {"n": "\n", "r": "\r", "t": "\t", "0": "\0"}


def _query_tokens(text: str) -> list[tuple[str, str, int, int]]:
    """(kind, value, start, end): brackets, strings (unescaped), captures, quantifiers,
    anchors, field names and names; comments and whitespace are skipped."""
    tokens: list[tuple[str, str, int, int]] = []
    position, size = 0, len(text)
    match = _TOKEN.match
    while position < size:
        found = match(text, position)
        if found is None:
            raise QuerySyntax(f"unexpected {text[position]!r}")
        kind = found.lastgroup or ""
        end = found.end()
        if kind == "bracket":
            value = found.group(kind)
            tokens.append((value, value, position, end))
        elif kind == "string":
            value = _ESCAPE.sub(lambda m: _ESCAPED.get(m.group(1), m.group(1)), found.group(kind))
            tokens.append((kind, value, position, end))
        elif kind not in ("space", "comment"):
            tokens.append((kind, found.group(kind), position, end))
        position = end
    return tokens


def _read_patterns(text: str) -> list[_Element]:
    """The query's top-level patterns, as tree-sitter splits them."""
    tokens = _query_tokens(text)
    position = 0

    def peek() -> str | None:
        return tokens[position][0] if position < len(tokens) else None

    def take() -> tuple[str, str, int, int]:
        nonlocal position
        if position >= len(tokens):
            raise QuerySyntax("unexpected end")
        position += 1
        return tokens[position - 1]

    def suffixes(element: _Element) -> _Element:
        while peek() in ("quantifier", "capture"):
            kind, value, _, end = take()
            if kind == "quantifier":
                element.quantifier += value
            else:
                element.captures.append(value)
            element.end = end
        return element

    def children(element: _Element, closer: str) -> _Element:
        while peek() != closer:
            if peek() is None:
                raise QuerySyntax(f"missing {closer!r}")
            child = parse()
            if child is not None:
                element.children.append(child)
        element.end = take()[3]
        return suffixes(element)

    def parse() -> _Element | None:
        kind, value, start, end = take()
        if kind == "(":
            if peek() == "name" and tokens[position][1].startswith("#"):
                name = take()[1]
                args: list[tuple[str, str]] = []
                while peek() in ("capture", "string", "name"):
                    arg = take()
                    args.append((arg[0], arg[1]))
                if take()[0] != ")":
                    raise QuerySyntax("malformed predicate")
                return _Element("predicate", start, tokens[position - 1][3], predicate=(name, tuple(args)))
            if peek() == "name":
                take()
                return children(_Element("node", start), ")")
            return children(_Element("group", start), ")")
        if kind == "[":
            return children(_Element("alt", start), "]")
        if kind in ("string", "name") and not value.startswith("#"):
            if kind == "name" and value.startswith("!"):
                return None  # a negated field: no node
            return suffixes(_Element("leaf", start, end))
        if kind == "field":
            if peek() in ("field", "anchor", None) or peek() in (")", "]"):
                raise QuerySyntax("field without a pattern")
            return parse()
        if kind == "anchor":
            return None
        raise QuerySyntax(f"unexpected {value!r}")

    patterns: list[_Element] = []
    while position < len(tokens):
        element = parse()
        if element is None or element.kind == "predicate":
            raise QuerySyntax("anchor or predicate outside a pattern")
        patterns.append(element)
    return patterns


def _always_captured(element: _Element) -> set[str]:
    """Captures present in every match of `element` (given the element itself matched)."""
    found = set(element.captures)
    parts = [c for c in element.children if c.kind != "predicate"]
    if element.kind == "alt":
        if parts:
            found |= set.intersection(*(_present(c) for c in parts))
    else:
        for part in parts:
            found |= _present(part)
    return found


def _present(element: _Element) -> set[str]:
    return set() if "?" in element.quantifier or "*" in element.quantifier else _always_captured(element)


def _predicates(element: _Element) -> Iterable[tuple[str, tuple[tuple[str, str], ...]]]:
    for child in element.children:
        if child.kind == "predicate":
            yield child.predicate
        else:
            yield from _predicates(child)


_EQ = frozenset({"#eq?", "#any-eq?", "#any-of?"})
_MATCH = frozenset({"#match?", "#any-match?"})
MIN_WORD = 2
"""Shorter words are in nearly every file: a group with one is not worth checking."""


def _word_groups(element: _Element) -> tuple[list[frozenset[str]], list[frozenset[str]]]:
    """(groups matched as written, groups matched ignoring case) for one pattern."""
    present = _always_captured(element)
    plain: list[frozenset[str]] = []
    folded: list[frozenset[str]] = []
    for name, args in _predicates(element):
        if not args or args[0][0] != "capture" or args[0][1] not in present:
            continue
        values = args[1:]
        if not values or any(kind != "string" for kind, _ in values):
            continue
        if name in _EQ and (name == "#any-of?" or len(values) == 1):
            plain.append(frozenset(value for _, value in values))
        elif name in _MATCH and len(values) == 1:
            for group, icase in _regex_groups(values[0][1]):
                (folded if icase else plain).append(group)
    return _usable(plain), _usable(folded)


def _usable(groups: Iterable[frozenset[str]]) -> list[frozenset[str]]:
    kept = [_minimal(g) for g in groups if g and min(len(w) for w in g) >= MIN_WORD]
    return _reduce(kept)


def _minimal(words: Iterable[str]) -> frozenset[str]:
    """A word that contains another word of its group adds nothing to it."""
    unique = set(words)
    return frozenset(w for w in unique if not any(o != w and o in w for o in unique))


def _reduce(groups: Iterable[frozenset[str]]) -> list[frozenset[str]]:
    """Without duplicates and without groups implied by a smaller one."""
    unique = list(dict.fromkeys(groups))
    return [g for g in unique if not any(o < g for o in unique)]


def _ordered(groups: Iterable[frozenset[str]]) -> tuple[tuple[str, ...], ...]:
    """Groups most likely to fail first (long words, few of them), words sorted for stability."""
    return tuple(
        tuple(sorted(g)) for g in sorted(groups, key=lambda g: (-min(len(w) for w in g), len(g), sorted(g)))
    )


def query_patterns(query: str, prefilter: tuple[str, ...] = ()) -> tuple[Pattern, ...]:
    """The query's patterns with the words each needs; the whole query as one pattern without
    derived words when the reader does not follow it."""
    extra = [frozenset(prefilter)] if prefilter else []
    try:
        elements = _read_patterns(query)
    except QuerySyntax:
        elements = []
    if not elements:
        return (Pattern(query, _ordered(_usable(extra)), whole=True),)
    patterns = []
    for element in elements:
        plain, folded = _word_groups(element)
        patterns.append(Pattern(query[element.start : element.end], _ordered(_usable([*plain, *extra])), _ordered(folded)))
    return tuple(patterns)


def _check_patterns(rule: Rule, compiled: tree_sitter.Query) -> None:
    """The reader must split the query as tree-sitter does and agree on which captures every
    match has; otherwise its words could skip a file the rule matches."""
    if rule.patterns and rule.patterns[0].whole:
        return  # read whole: no derived words to check
    try:
        elements = _read_patterns(rule.query)
    except QuerySyntax:
        return
    problem = None
    if len(elements) != compiled.pattern_count:
        problem = f"reads {len(elements)} patterns where tree-sitter reads {compiled.pattern_count}"
    else:
        names = [compiled.capture_name(i) for i in range(compiled.capture_count)]
        for index, element in enumerate(elements):
            start = len(rule.query[: element.start].encode("utf-8"))
            if start != compiled.start_byte_for_pattern(index):
                problem = f"pattern {index + 1} starts elsewhere than tree-sitter's"
                break
            always = {
                name
                for capture, name in enumerate(names)
                if pattern_captures(compiled, index, capture)
                and compiled.capture_quantifier(index, capture) in _ONE_OR_MORE
            }
            if _always_captured(element) != always:
                problem = f"pattern {index + 1}: captures in every match {sorted(always)}, read {sorted(_always_captured(element))}"
                break
    if problem:
        raise RuleError(
            rule.path,
            "query",
            f"the pre-filter's reading of this query disagrees with tree-sitter ({problem});"
            " please report it with this query",
        )


_ONE_OR_MORE = ("", "+")
"""py-tree-sitter 0.26's capture quantifiers of a capture every match has: one, one or more."""


# Literal text a regex needs. A piece of a regex is summarised by the strings it can match when
# there are few (`exact`), and by groups of words one of which every match contains (`groups`).
# Case-insensitive parts give lower-case words, flagged `icase`.

_MAX_EXACT = 32

try:  # the parser of the `re` module: the regexes are Python's (py-tree-sitter calls re.search)
    import re._constants as _sre
    import re._parser as _sre_parse
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_constants as _sre  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]


@dataclass(frozen=True)
class _Literal:
    exact: frozenset[str] | None
    groups: tuple[frozenset[str], ...] = ()
    icase: bool = False


@lru_cache(maxsize=1024)
def _regex_groups(pattern: str) -> tuple[tuple[frozenset[str], bool], ...]:
    try:
        parsed = _sre_parse.parse(pattern)
        info = _sequence(list(parsed), parsed.state.flags)
    except Exception:  # noqa: BLE001 - an unreadable regex yields no words, never an error
        return ()
    groups = [_minimal(g) for g in info.groups]
    if info.exact is not None and "" not in info.exact:
        groups.append(_minimal(info.exact))
    if info.icase:
        # Checked against the lowered text: every word lowered too (a case-sensitive part next
        # to a `(?i:...)` one included). Under IGNORECASE some non-ASCII characters match ASCII
        # ones (K, ſ): such words are only checked on ASCII text, where lowering both sides is
        # exact, so they must be ASCII.
        groups = [_minimal(w.lower() for w in g) for g in groups]
        groups = [g for g in groups if all(w.isascii() for w in g)]
    return tuple((g, info.icase) for g in _reduce(groups))


def _sequence(items: list[Any], flags: int) -> _Literal:
    icase = False
    groups: list[frozenset[str]] = []
    run: frozenset[str] = frozenset({""})
    whole: frozenset[str] | None = frozenset({""})
    for op, av in items:
        part = _piece(op, av, flags)
        icase = icase or part.icase
        if part.exact is not None and len(run) * len(part.exact) <= _MAX_EXACT:
            run = frozenset(a + b for a in run for b in part.exact)
        else:
            groups.append(run)
            run = part.exact if part.exact is not None and len(part.exact) <= _MAX_EXACT else frozenset({""})
        if part.exact is None:
            groups.extend(part.groups)
        if whole is not None:
            fits = part.exact is not None and len(whole) * len(part.exact) <= _MAX_EXACT
            whole = frozenset(a + b for a in whole for b in part.exact) if fits and part.exact is not None else None
    groups.append(run)
    return _Literal(whole, tuple(_reduce(g for g in groups if g and "" not in g)), icase)


def _piece(op: Any, av: Any, flags: int) -> _Literal:
    icase = bool(flags & _sre.SRE_FLAG_IGNORECASE)
    if op is _sre.LITERAL:
        char = chr(av)
        return _Literal(frozenset({char.lower() if icase else char}), (), icase)
    if op in (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT):
        return _Literal(frozenset({""}))  # zero-width
    if op is _sre.IN:
        chars = set()
        for item_op, item_av in av:
            if item_op is not _sre.LITERAL:
                return _Literal(None, (), icase)
            chars.add(chr(item_av).lower() if icase else chr(item_av))
        return _Literal(frozenset(chars), (), icase)
    if op is _sre.SUBPATTERN:
        _group, add, remove, sub = av
        return _sequence(list(sub), (flags | add) & ~remove)
    if op is getattr(_sre, "ATOMIC_GROUP", None):
        return _sequence(list(av), flags)
    if op is _sre.BRANCH:
        alternatives = [_sequence(list(alt), flags) for alt in av[1]]
        icase = any(a.icase for a in alternatives)
        exact = None
        if all(a.exact is not None for a in alternatives):
            exact = frozenset().union(*(a.exact for a in alternatives if a.exact is not None))
            exact = exact if len(exact) <= _MAX_EXACT else None
        # OR of (AND of groups): every group of the result takes one group of each alternative.
        groups: list[frozenset[str]] | None = None
        for alt in alternatives:
            options = [*alt.groups, *([alt.exact] if alt.exact is not None and "" not in alt.exact else [])]
            if not options:
                groups = []
                break
            if groups is None:
                groups = list(options)
            elif len(groups) * len(options) <= 16:
                groups = [a | b for a in groups for b in options]
            else:
                groups = [max(groups, key=_strength) | max(options, key=_strength)]
        return _Literal(exact, tuple(_reduce(groups or [])), icase)
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", _sre.MAX_REPEAT)):
        low, high, sub = av
        part = _sequence(list(sub), flags)
        if low == 0:
            if high == 1 and part.exact is not None:
                return _Literal(part.exact | {""}, (), part.icase)
            return _Literal(None, (), part.icase)
        groups_ = part.groups + ((part.exact,) if part.exact is not None and "" not in part.exact else ())
        return _Literal(part.exact if low == high == 1 else None, groups_, part.icase)
    return _Literal(None, (), icase)  # any character, a class, a back-reference: no literal


def _strength(group: frozenset[str]) -> tuple[int, int]:
    return (min((len(w) for w in group), default=0), -len(group))
