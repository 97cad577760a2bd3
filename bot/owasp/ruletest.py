"""Check each rule against its annotated test files (semgrep-rules' `ruleid:` / `ok:` style).

Beside `rules/owasp/<lang>/<name>.yml` sit `<name>.js`, `<name>.ts`, ... for the languages the
rule lists. In them, a comment `ruleid: <id>` marks a line the rule must report and
`ok: <id>` one it must not. On a line of its own the annotation applies to the next line that
is not itself an annotation; after code (`eval(x); // ruleid: ...`) to its own line. Every line
the rule reports must be annotated `ruleid:`: an unannotated report is unexpected too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.model import Notice
from bot.owasp.engine import OwaspAnalyzer
from bot.owasp.languages import EXTENSIONS
from bot.owasp.rules import Rule, catalogue, load_rules

__all__ = [
    "RuleTestResult",
    "annotations",
    "catalogue",
    "check_rule",
    "rule_test_files",
    "run_all",
]

_ANNOTATION = re.compile(
    r"(?P<before>.*?)(?://|/\*|#|<!--)\s*(?P<kind>ruleid|ok):\s*(?P<ids>[\w-]+(?:\s*,\s*[\w-]+)*)"
)
"""A fixed pattern for `// ruleid: a, b`, `/* ok: a */`, `{/* ruleid: a */}` (JSX), `# ok: a`."""


@dataclass(frozen=True)
class RuleTestResult:
    """One rule on one test file; the rule passes when nothing is missed or unexpected."""

    rule_id: str
    test_file: Path
    expected: tuple[int, ...] = ()
    """Lines annotated `ruleid:`."""
    ok: tuple[int, ...] = ()
    """Lines annotated `ok:`."""
    reported: tuple[int, ...] = ()
    """Start lines of the rule's findings."""
    missed: tuple[int, ...] = ()
    unexpected: tuple[int, ...] = ()
    error: str | None = None
    """Why the file could not be checked (no test file, no annotations, syntax errors)."""

    @property
    def passed(self) -> bool:
        return self.error is None and not self.missed and not self.unexpected

    def describe(self) -> str:
        """One line for a failing assertion or `prwarden rules test`."""
        if self.error:
            return f"{self.rule_id} {self.test_file}: {self.error}"
        parts = [f"{self.rule_id} {self.test_file}:"]
        if self.missed:
            parts.append(f"missed lines {list(self.missed)}")
        if self.unexpected:
            parts.append(f"unexpected lines {list(self.unexpected)}")
        return " ".join(parts) if len(parts) > 1 else f"{parts[0]} ok"


def annotations(text: str, rule_id: str) -> tuple[frozenset[int], frozenset[int]]:
    """(lines annotated `ruleid: rule_id`, lines annotated `ok: rule_id`), 1-based."""
    expected: set[int] = set()
    ok: set[int] = set()
    pending: list[str] = []  # kinds waiting for the next code line
    for number, line in enumerate(text.split("\n"), start=1):
        found = _ANNOTATION.match(line)
        if found and rule_id in {i.strip() for i in found["ids"].split(",")}:
            if found["before"].strip(" \t{"):
                (expected if found["kind"] == "ruleid" else ok).add(number)
            else:
                pending.append(found["kind"])
            continue
        if found and not found["before"].strip(" \t{"):
            continue  # another rule's annotation: still not the target line
        for kind in pending:
            (expected if kind == "ruleid" else ok).add(number)
        pending.clear()
    return frozenset(expected), frozenset(ok)


def rule_test_files(rule: Rule) -> list[Path]:
    """The test files beside a rule: same name, an extension of a language it lists."""
    return [
        path
        for ext, language in EXTENSIONS.items()
        if language in rule.languages and (path := rule.path.with_suffix(ext)).is_file()
    ]


def check_rule(rule: Rule) -> list[RuleTestResult]:
    """Run one rule on each of its test files, all lines counted as changed."""
    files = rule_test_files(rule)
    if not files:
        return [RuleTestResult(rule.id, rule.path, error="no test file beside the rule")]
    analyzer = OwaspAnalyzer(rules=[rule])
    return [_check_file(analyzer, rule, path) for path in files]


def run_all(rules_dir: Path | None = None) -> list[RuleTestResult]:
    return [result for rule in load_rules(rules_dir) for result in check_rule(rule)]


def _check_file(analyzer: OwaspAnalyzer, rule: Rule, path: Path) -> RuleTestResult:
    text = path.read_text(encoding="utf-8")
    expected, ok = annotations(text, rule.id)
    if not expected and not ok:
        return RuleTestResult(rule.id, path, error=f"no `ruleid: {rule.id}` or `ok:` annotations")
    findings, notices = analyzer.scan_text(str(path), text)
    if notices:
        return RuleTestResult(rule.id, path, error="; ".join(_notice_text(n) for n in notices))
    reported = frozenset(f.start_line for f in findings if f.rule_id == rule.id)
    return RuleTestResult(
        rule_id=rule.id,
        test_file=path,
        expected=_sorted(expected),
        ok=_sorted(ok),
        reported=_sorted(reported),
        missed=_sorted(expected - reported),
        unexpected=_sorted(reported - expected),
    )


def _notice_text(notice: Notice) -> str:
    return f"line {notice.line}: {notice.message}" if notice.line else notice.message


def _sorted(lines: Iterable[int]) -> tuple[int, ...]:
    return tuple(sorted(lines))
