"""Rule files: YAML data under rules/owasp/<language>/, validated and compiled at load.

Everything that can be wrong with a rule is found here, once, with the file and field named,
so a bad rule stops `prwarden` at start-up instead of silently matching nothing in a scan.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
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
_OPTIONAL = ("conditions",)


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
    compiled: dict[str, tree_sitter.Query] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )
    """This rule's query compiled alone, per language, on first use (see `query_for`)."""

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


def load_rule(path: Path, *, validate: bool = True) -> Rule:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
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
    )
    if validate:
        for language in languages:
            rule.query_for(language)
    # Conditions name captures, so their arguments are checked against the query's captures.
    captures = _capture_names(rule.query_for(languages[0])) if validate else capture_names_in(query)
    return replace(rule, conditions=_conditions(path, data.get("conditions"), captures), compiled=rule.compiled)


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
