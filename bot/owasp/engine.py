"""The OWASP analyzer: run every rule's tree-sitter query over each changed file.

Findings cover whole files; the pipeline keeps those whose lines the change touches. A finding
spans the statement around the match, not just the match, so editing any line of a multi-line
call keeps it, and its fingerprint is that statement's text, so it survives moving lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import tree_sitter
from tree_sitter import Node

from bot.analysis import Analyzer, AnalyzerOutput
from bot.model import FileStatus, Finding, Kind, Notice, NoticeKind, ScannedFile
from bot.owasp.conditions import CONDITIONS, MatchContext
from bot.owasp.languages import ParseTimeout, language_for_path, parse
from bot.owasp.rules import MATCH_CAPTURE, Rule, load_rules

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
        "expression_statement",
        "lexical_declaration",
        "variable_declaration",
        "return_statement",
        "throw_statement",
        "export_statement",
        "field_definition",  # JavaScript class field
        "public_field_definition",  # TypeScript class field
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
    }
)
"""Where the search for a statement stops: compound statements, functions and JSX holes would
make a finding span a whole body. The child on the way up is used instead."""


@dataclass(frozen=True)
class _Source:
    path: str
    language: str
    data: bytes


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
    ) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules) if rules is not None else load_rules(rules_dir)
        self.max_file_bytes = max_file_bytes
        self.parse_timeout = parse_timeout
        self._languages = frozenset(lang for rule in self.rules for lang in rule.languages)

    def wants(self, path: str) -> bool:
        return language_for_path(path) in self._languages

    def analyze(self, files: Sequence[ScannedFile]) -> AnalyzerOutput:
        findings: list[Finding] = []
        notices: list[Notice] = []
        for file in files:
            if file.changed.status is FileStatus.REMOVED or not self.wants(file.path):
                continue
            found, noted = self.scan_text(file.path, file.text)
            findings.extend(found)
            notices.extend(noted)
        return AnalyzerOutput(findings=tuple(findings), notices=tuple(notices))

    def scan_text(self, path: str, text: str) -> tuple[list[Finding], list[Notice]]:
        """All findings in one file's text, on every line; the caller filters by change."""
        language = language_for_path(path)
        rules = [rule for rule in self.rules if language in rule.languages]
        if language is None or not rules:
            return [], []
        data = text.encode("utf-8", "surrogatepass")
        if len(data) > self.max_file_bytes:
            return [], [
                Notice(
                    NoticeKind.NOT_SCANNED,
                    f"{len(data):,} bytes is over the {self.max_file_bytes:,}-byte limit"
                    " for OWASP rules",
                    path=path,
                )
            ]
        try:
            tree = parse(language, data, self.parse_timeout)
        except ParseTimeout as exc:
            return [], [Notice(NoticeKind.NOT_SCANNED, f"OWASP rules skipped: {exc}", path=path)]
        source = _Source(path, language, data)
        findings: list[Finding] = []
        notices: list[Notice] = []
        for rule in rules:
            found, exceeded = _run_rule(rule, tree, source)
            findings.extend(found)
            if exceeded:
                notices.append(
                    Notice(
                        NoticeKind.PARTIAL,
                        f"rule {rule.id} hit tree-sitter's match limit;"
                        " some matches may be missing",
                        path=path,
                    )
                )
        if tree.root_node.has_error:
            notices.append(_syntax_notice(tree.root_node, path))
        findings.sort(key=lambda f: (f.start_line, f.rule_id))
        return findings, notices


def _run_rule(rule: Rule, tree: tree_sitter.Tree, source: _Source) -> tuple[list[Finding], bool]:
    """Findings of one rule, at most one per statement (two evals in one call are one fix)."""
    cursor = tree_sitter.QueryCursor(rule.queries[source.language])
    root = tree.root_node
    findings: dict[tuple[int, int], Finding] = {}
    for _pattern, captures in cursor.matches(root):
        matched = captures.get(MATCH_CAPTURE)
        if not matched:
            continue
        context = MatchContext(captures, source.data, root, source.language, source.path)
        if not all(CONDITIONS[c.name].holds(context, c.arg) for c in rule.conditions):
            continue
        span = enclosing_statement(matched[0])
        key = (span.start_byte, span.end_byte)
        if key not in findings:
            findings[key] = _finding(rule, source, span)
    return list(findings.values()), cursor.did_exceed_match_limit


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
