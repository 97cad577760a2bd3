"""The OWASP analyzer: run every rule's tree-sitter query over each changed file.

Findings cover whole files; the pipeline keeps those whose lines the change touches. A finding
spans the statement around the match, not just the match, so editing any line of a multi-line
call keeps it, and its fingerprint is that statement's text, so it survives moving lines.

All rules of one language run as ONE combined query, so a file's tree is walked once however
many rules there are; each match is handed back to its rule by the query pattern it matched.

The pre-filter (docs/rules.md) decides which patterns go into that query: a pattern is only
compiled and run when the files being scanned contain the literal words it needs (rules.py reads
them off each pattern's predicates), and a file that needs no pattern at all is not parsed. The
compiled queries are kept per set of patterns and reused for any later batch they cover.
"""

from __future__ import annotations

import bisect
import itertools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

import tree_sitter
from tree_sitter import Node

from bot.analysis import Analyzer, AnalyzerOutput
from bot.model import FileStatus, Finding, Kind, Notice, NoticeKind, ScannedFile
from bot.owasp import suppressions
from bot.owasp.conditions import CONDITIONS, FileCache, MatchContext
from bot.owasp.languages import LANGUAGES, ParseTimeout, grammar, language_for_path, parse
from bot.owasp.rules import MATCH_CAPTURE, Pattern, Rule, load_rules, pattern_captures

MAX_FILE_BYTES = 2 * 1024 * 1024
"""Bigger files are bundles or generated code far more often than hand-written source, and
parse time and memory grow with size; they get a not-scanned notice instead."""

PARSE_TIMEOUT_SECONDS = 10.0
"""Per file; a 2 MB file of ordinary JavaScript parses in well under a second."""

MAX_STATEMENT_LINES = 20
"""A finding spans its statement unless that is longer (a 200-line object literal or JSX
return); then it spans the matched expression, so unrelated edits do not resurface it."""

_SIMPLE_STATEMENTS = frozenset(
    {
        # JavaScript / TypeScript
        "expression_statement",  # also Python's, which holds assignments and augmented ones
        "lexical_declaration",
        "variable_declaration",
        "return_statement",  # also Python
        "throw_statement",
        "export_statement",
        "field_definition",  # JavaScript class field
        "public_field_definition",  # TypeScript class field
        # Python simple statements (compound ones end in _statement too and stop at the header)
        "assert_statement",
        "raise_statement",
        "delete_statement",
        "import_statement",
        "import_from_statement",
        "future_import_statement",
        "global_statement",
        "nonlocal_statement",
        "print_statement",
        "exec_statement",
        "type_alias_statement",
        "decorator",  # `@app.route(...)` is its own line above the definition
    }
)

_BOUNDARIES = frozenset(
    {
        "program",
        "statement_block",
        "class_body",
        "switch_case",
        "switch_default",
        "arrow_function",
        "function_expression",
        "function",
        "generator_function",
        "function_declaration",
        "generator_function_declaration",
        "method_definition",
        "jsx_expression",
        # Python
        "module",
        "block",
        "function_definition",
        "class_definition",
        "decorated_definition",
        "lambda",
        "elif_clause",
        "else_clause",
        "except_clause",
        "except_group_clause",
        "finally_clause",
        "case_clause",
    }
)
"""Where the search for a statement stops: compound statements, functions and JSX holes would
make a finding span a whole body. The child on the way up is used instead (an `if`/`elif`
condition, a `with` header, a `for` iterable)."""

Today = Callable[[], date]


def utc_today() -> date:
    """Suppression expiry is judged in UTC, whatever the server's zone."""
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class _Source:
    path: str
    language: str
    data: bytes


@dataclass(frozen=True)
class _Plan:
    """One compiled query and, for each of its patterns, the rule that pattern belongs to."""

    query: tree_sitter.Query
    owners: tuple[Rule, ...]


@dataclass(frozen=True)
class _Unit:
    """One pattern of one rule, as it goes into a language's combined query."""

    rule: Rule
    pattern: Pattern


PLANS_KEPT = 6
"""Compiled queries kept per language (each for one set of patterns), least recently used out."""

PLANS_PER_SET = 3
"""A set of patterns is run as at most this many queries (each walks the tree once) before the
next addition compiles them all as one."""


class _Gate:
    """Which of a language's patterns a text can match, by the words they need (rules.Pattern).

    Case-insensitive words are only checked on ASCII text: there lowering both sides is exactly
    what a `(?i)` regex does; other text is taken to have them."""

    def __init__(self, units: Sequence[_Unit]) -> None:
        always: list[int] = []
        by_needs: dict[tuple[tuple[tuple[str, ...], ...], tuple[tuple[str, ...], ...]], list[int]] = {}
        for index, unit in enumerate(units):
            needs = (unit.pattern.needs, unit.pattern.needs_folded)
            if needs == ((), ()):
                always.append(index)
            else:
                by_needs.setdefault(needs, []).append(index)
        self.always = tuple(always)
        self.checks = tuple((plain, folded, tuple(indices)) for (plain, folded), indices in by_needs.items())

    def needed(self, text: str) -> frozenset[int]:
        found = list(self.always)
        seen: dict[str, bool] = {}  # word -> in text; most words are absent, each a full scan
        known = seen.get
        lowered: str | None = None
        for plain, folded, indices in self.checks:
            for group in plain:
                for word in group:
                    hit = known(word)
                    if hit is None:
                        hit = seen[word] = word in text
                    if hit:
                        break
                else:
                    break  # no word of this group: the pattern cannot match
            else:
                if folded:
                    if lowered is None:
                        lowered = text.lower() if text.isascii() else ""
                    if lowered and not all(any(word in lowered for word in group) for group in folded):
                        continue
                found.extend(indices)
        return frozenset(found)


@dataclass(frozen=True)
class _Hit:
    rule: Rule
    span: Node
    match_line: int
    """1-based first line of the matched node: a suppression above it counts too (a JSX
    attribute deep inside a multi-line return)."""


@dataclass(frozen=True)
class FileScan:
    """One file's result before the change filter: reported, suppressed, notices."""

    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


class OwaspAnalyzer(Analyzer):
    """Runs the rule pack from `rules_dir` (default: see `rules.default_rules_dir`)."""

    name = "owasp"
    kind = Kind.OWASP

    def __init__(
        self,
        rules_dir: Path | None = None,
        *,
        rules: Sequence[Rule] | None = None,
        max_file_bytes: int = MAX_FILE_BYTES,
        parse_timeout: float = PARSE_TIMEOUT_SECONDS,
        today: Today = utc_today,
        combine: bool = True,
    ) -> None:
        """`today` decides suppression expiry (injectable for tests); `combine=False` runs one
        query per rule, as before the combined query (kept for measuring and as a fallback)."""
        self.rules: tuple[Rule, ...] = tuple(rules) if rules is not None else load_rules(rules_dir, validate=False)
        self.max_file_bytes = max_file_bytes
        self.parse_timeout = parse_timeout
        self.today = today
        self.combine = combine
        self._languages = frozenset(lang for rule in self.rules for lang in rule.languages)
        self._rule_ids = frozenset(rule.id for rule in self.rules)
        self._units: dict[str, tuple[_Unit, ...]] = {}
        self._gates: dict[str, _Gate] = {}
        self._plans: dict[str, OrderedDict[frozenset[int], tuple[_Plan, ...]]] = {}
        self._plans_lock = threading.Lock()
        self.compile_seconds = 0.0
        """Time spent compiling queries so far (the analysis pool weighs languages with it)."""

    def wants(self, path: str) -> bool:
        return language_for_path(path) in self._languages

    def analyze(self, files: Sequence[ScannedFile]) -> AnalyzerOutput:
        findings: list[Finding] = []
        suppressed: list[Finding] = []
        notices: list[Notice] = []
        mine = [(f.path, f.text) for f in files if f.changed.status is not FileStatus.REMOVED and self.wants(f.path)]
        for scanned in self.scan_files(mine):
            findings.extend(scanned.findings)
            suppressed.extend(scanned.suppressed)
            notices.extend(scanned.notices)
        return AnalyzerOutput(findings=tuple(findings), suppressed=tuple(suppressed), notices=tuple(notices))

    def scan_files(self, files: Sequence[tuple[str, str]]) -> list[FileScan]:
        """Each (path, text)'s `scan_file` result, in order. The patterns these files need are
        compiled together, once per language, before the first file is scanned."""
        needs = [self.needed(path, text) for path, text in files]
        union: dict[str, set[int]] = {}
        for (path, _), need in zip(files, needs):
            if need:
                union.setdefault(language_for_path(path) or "", set()).update(need)
        for language, indices in union.items():
            self.plans(language, frozenset(indices))
        return [self._scan(path, text, apply_suppressions=True, need=need) for (path, text), need in zip(files, needs)]

    def scan_text(self, path: str, text: str) -> tuple[list[Finding], list[Notice]]:
        """All findings in one file's text, on every line, suppression comments ignored (what
        `prwarden rules test` checks); the caller filters by change. The file is parsed even
        when the pre-filter rules out every pattern, so syntax errors are still reported."""
        scanned = self._scan(path, text, apply_suppressions=False, need=None, always_parse=True)
        return scanned.findings, scanned.notices

    def scan_file(self, path: str, text: str) -> FileScan:
        """One file's findings on every line, with `prwarden-ignore` comments applied."""
        return self._scan(path, text, apply_suppressions=True, need=None)

    def needed(self, path: str, text: str) -> frozenset[int]:
        """The patterns (indices into this language's units) that `text` can match."""
        language = language_for_path(path)
        if language is None or language not in self._languages or len(text) > self.max_file_bytes:
            return frozenset()
        return self._gate(language).needed(text)

    def warm(self, languages: Iterable[str]) -> None:
        """Compile the combined queries of these languages now rather than at their first file."""
        for language in languages:
            if language in LANGUAGES:
                self.plans(language)

    def units(self, language: str) -> tuple[_Unit, ...]:
        """The patterns of every rule for this language, in rule order."""
        units = self._units.get(language)
        if units is None:
            units = tuple(_Unit(rule, pattern) for rule in self.rules if language in rule.languages for pattern in rule.patterns)
            self._units[language] = units
        return units

    def _gate(self, language: str) -> _Gate:
        gate = self._gates.get(language)
        if gate is None:
            gate = self._gates[language] = _Gate(self.units(language))
        return gate

    def plans(self, language: str, needed: frozenset[int] | None = None) -> tuple[_Plan, ...]:
        """Compiled queries holding at least the `needed` patterns of a language (all of them
        when None): the smallest kept set that covers them; else the last one used plus a query
        of just the missing patterns (files scanned in batches mostly need what the previous
        batch needed); else one compiled for them."""
        with self._plans_lock:
            started = time.perf_counter()
            try:
                return self._plans_for(language, needed)
            finally:
                self.compile_seconds += time.perf_counter() - started

    def _plans_for(self, language: str, needed: frozenset[int] | None) -> tuple[_Plan, ...]:
        units = self.units(language)
        wanted = frozenset(range(len(units))) if needed is None else needed
        kept = self._plans.setdefault(language, OrderedDict())
        covering = [key for key in kept if wanted <= key]
        if covering:
            key = min(covering, key=len)
            kept.move_to_end(key)
            return kept[key]
        if kept and self.combine and needed is not None:
            last = next(reversed(kept))
            if len(kept[last]) < PLANS_PER_SET:
                missing = wanted - last
                plans = kept[last] + _build_plans(language, [units[i] for i in sorted(missing)])
                return self._keep(kept, last | missing, plans)
            wanted |= last
        chosen = [units[i] for i in sorted(wanted)]
        if self.combine:
            plans = _build_plans(language, chosen)
        else:
            plans = tuple(_single_plan(rule, language) for rule in dict.fromkeys(u.rule for u in chosen))
        return self._keep(kept, wanted, plans)

    @staticmethod
    def _keep(
        kept: OrderedDict[frozenset[int], tuple[_Plan, ...]], key: frozenset[int], plans: tuple[_Plan, ...]
    ) -> tuple[_Plan, ...]:
        kept[key] = plans
        kept.move_to_end(key)
        while len(kept) > PLANS_KEPT:
            kept.popitem(last=False)
        return plans

    def _scan(
        self,
        path: str,
        text: str,
        *,
        apply_suppressions: bool,
        need: frozenset[int] | None,
        always_parse: bool = False,
    ) -> FileScan:
        language = language_for_path(path)
        if language is None or language not in self._languages:
            return FileScan()
        data = text.encode("utf-8", "surrogatepass")
        if len(data) > self.max_file_bytes:
            notice = Notice(
                NoticeKind.NOT_SCANNED,
                f"{len(data):,} bytes is over the {self.max_file_bytes:,}-byte limit for OWASP rules",
                path=path,
            )
            return FileScan(notices=[notice])
        if need is None:
            need = self._gate(language).needed(text)
        if not need and not always_parse:
            return FileScan()  # no pattern can match: nothing to parse for
        try:
            tree = parse(language, data, self.parse_timeout)
        except ParseTimeout as exc:
            return FileScan(notices=[Notice(NoticeKind.NOT_SCANNED, f"OWASP rules skipped: {exc}", path=path)])
        source = _Source(path, language, data)
        hits, exceeded = _run_plans(self.plans(language, need) if need else (), tree, source)
        notices: list[Notice] = []
        if exceeded:
            notices.append(
                Notice(
                    NoticeKind.PARTIAL,
                    "OWASP rules hit tree-sitter's match limit; some matches may be missing",
                    path=path,
                )
            )
        if tree.root_node.has_error:
            notices.append(_syntax_notice(tree.root_node, path))
        pairs = _findings(hits, source)
        if not apply_suppressions:
            return FileScan(findings=[finding for finding, _ in pairs], notices=notices)
        by_line = suppressions.directives_by_line(tree.root_node, data, language, self._rule_ids)
        if not by_line:
            return FileScan(findings=[finding for finding, _ in pairs], notices=notices)
        today = self.today()
        kept: list[Finding] = []
        silenced: list[Finding] = []
        for finding, match_line in pairs:
            decision = suppressions.decide(finding.rule_id, (finding.start_line, match_line), by_line, today)
            if decision.directive is not None:
                directive = decision.directive
                properties = {
                    **finding.properties,
                    "suppressedReason": directive.reason,
                    "suppressedUntil": directive.until.isoformat() if directive.until else None,
                    "suppressedAt": directive.line,
                }
                silenced.append(replace(finding, properties=properties))
                continue
            if decision.expired is not None and decision.expired.until is not None:
                until = decision.expired.until.isoformat()
                finding = replace(finding, properties={**finding.properties, "suppressionExpired": until})
                notices.append(
                    Notice(
                        NoticeKind.SUPPRESSION,
                        f"prwarden-ignore on line {decision.expired.line} expired on {until};"
                        f" {finding.rule_id} is reported again",
                        path=path,
                        line=finding.start_line,
                        about=finding.fingerprint,
                    )
                )
            for problem in decision.problems:
                notices.append(
                    Notice(NoticeKind.SUPPRESSION, problem, path=path, line=finding.start_line, about=finding.fingerprint)
                )
            kept.append(finding)
        return FileScan(findings=kept, suppressed=silenced, notices=notices)


def _build_plans(language: str, units: Sequence[_Unit]) -> tuple[_Plan, ...]:
    """One query holding the units' patterns, in order.

    A query is a list of patterns, so joining the pattern texts gives the same patterns in
    order: the pattern index of a match says whose rule it is. Should the combined text not
    compile to exactly those patterns, each rule concerned runs its own whole query instead of
    ever being misattributed (its own query compiles with precise error messages).
    """
    if not units:
        return ()
    text = "\n".join(unit.pattern.text for unit in units)

    def fallback() -> tuple[_Plan, ...]:
        return tuple(_single_plan(rule, language) for rule in dict.fromkeys(unit.rule for unit in units))

    try:
        query = tree_sitter.Query(grammar(language), text)
    except tree_sitter.QueryError:
        return fallback()
    # Owner of each pattern: the unit whose text holds the pattern's first byte.
    ends = list(itertools.accumulate(len((unit.pattern.text + "\n").encode("utf-8")) for unit in units))
    slots = [bisect.bisect_right(ends, query.start_byte_for_pattern(i)) for i in range(query.pattern_count)]
    names = [query.capture_name(i) for i in range(query.capture_count)]
    if MATCH_CAPTURE not in names or not all(
        pattern_captures(query, i, names.index(MATCH_CAPTURE)) for i in range(query.pattern_count)
    ):
        # A pattern without @match: compiling each rule alone names the file that has it.
        return fallback()
    counts = [0] * len(units)
    for slot in slots:
        counts[slot] += 1
    if any(count != 1 for unit, count in zip(units, counts) if not unit.pattern.whole):
        return fallback()  # the pre-filter read a pattern tree-sitter reads otherwise
    return (_Plan(query, tuple(units[slot].rule for slot in slots)),)


def _single_plan(rule: Rule, language: str) -> _Plan:
    query = rule.query_for(language)
    return _Plan(query, (rule,) * query.pattern_count)


def _run_plans(plans: Sequence[_Plan], tree: tree_sitter.Tree, source: _Source) -> tuple[list[_Hit], bool]:
    """Every rule's matches that pass its conditions, at most one per rule and statement (two
    evals in one call are one fix). The span is checked first: a statement already reported
    for a rule does not pay for that rule's conditions again."""
    root = tree.root_node
    cache = FileCache()  # taint and constant analyses of this file, shared by all its matches
    seen: set[tuple[str, int, int]] = set()
    hits: list[_Hit] = []
    exceeded = False
    for plan in plans:
        cursor = tree_sitter.QueryCursor(plan.query)
        owners = plan.owners
        for pattern, captures in cursor.matches(root):
            matched = captures.get(MATCH_CAPTURE)
            if not matched:
                continue
            rule = owners[pattern]
            node = matched[0]
            span = enclosing_statement(node)
            key = (rule.id, span.start_byte, span.end_byte)
            if key in seen:
                continue
            if rule.conditions:
                context = MatchContext(captures, source.data, root, source.language, source.path, cache)
                if not all(CONDITIONS[c.name].holds(context, c.arg) for c in rule.conditions):
                    continue
            seen.add(key)
            hits.append(_Hit(rule, span, node.start_point.row + 1))
        exceeded = exceeded or cursor.did_exceed_match_limit
    return hits, exceeded


def _findings(hits: Iterable[_Hit], source: _Source) -> list[tuple[Finding, int]]:
    """Findings in document order, each with its match line; `occurrence` counts earlier
    findings of the same rule and code, so two copies of one statement stay two findings."""
    ordered = sorted(hits, key=lambda h: (h.span.start_byte, h.rule.id, h.span.end_byte))
    counts: dict[tuple[str, str], int] = {}
    out: list[tuple[Finding, int]] = []
    for hit in ordered:
        finding = _finding(hit.rule, source, hit.span)
        identity = (finding.rule_id, finding.snippet)
        occurrence = counts.get(identity, 0)
        counts[identity] = occurrence + 1
        if occurrence:
            finding = replace(finding, occurrence=occurrence)
        out.append((finding, hit.match_line))
    out.sort(key=lambda pair: (pair[0].start_line, pair[0].rule_id))
    return out


def enclosing_statement(node: Node) -> Node:
    """The statement a match sits in, or the match itself where that would be too broad."""
    previous = node
    current = node.parent
    while current is not None:
        if current.type in _SIMPLE_STATEMENTS:
            break
        if current.type in _BOUNDARIES or current.type.endswith("_statement"):
            current = previous
            break
        previous, current = current, current.parent
    span = current or previous
    if span.end_point.row - span.start_point.row >= MAX_STATEMENT_LINES:
        return node
    return span


def _finding(rule: Rule, source: _Source, span: Node) -> Finding:
    text = source.data[span.start_byte : span.end_byte].decode("utf-8", "replace")
    return Finding(
        kind=Kind.OWASP,
        rule_id=rule.id,
        title=rule.title,
        message=rule.message,
        path=source.path,
        start_line=span.start_point.row + 1,
        end_line=span.end_point.row + 1,
        severity=rule.severity,
        cwe=rule.cwe,
        owasp=rule.owasp,
        snippet=" ".join(text.split()),
        properties={"fix": rule.fix, "language": source.language},
    )


def _syntax_notice(root: Node, path: str) -> Notice:
    line = next((n.start_point.row + 1 for n in _error_nodes(root)), None)
    return Notice(
        NoticeKind.PARTIAL,
        "syntax errors; OWASP rules ran on the parts that parsed",
        path=path,
        line=line,
    )


def _error_nodes(node: Node) -> Iterable[Node]:
    """Error or missing nodes in document order, descending only into subtrees that have them."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.is_error or current.is_missing:
            yield current
            continue
        stack.extend(reversed([c for c in current.children if c.has_error]))
