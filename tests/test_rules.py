"""Every rule in rules/ against its annotated test files: the one test that runs them all."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.owasp.rules import catalogue, load_rule, load_rules, rule_files
from bot.owasp.ruletest import check_rule

RULES_DIR = Path(__file__).resolve().parents[1] / "rules" / "owasp"
RULE_FILES = rule_files(RULES_DIR)


def test_the_pack_has_rules() -> None:
    assert RULE_FILES, f"no rule files under {RULES_DIR}"


@pytest.mark.parametrize(
    "rule_file", RULE_FILES, ids=[str(p.relative_to(RULES_DIR).with_suffix("")) for p in RULE_FILES]
)
def test_rule_matches_its_annotations(rule_file: Path) -> None:
    results = check_rule(load_rule(rule_file))
    failures = [result.describe() for result in results if not result.passed]
    assert not failures, "\n".join(failures)


def test_pack_loads_with_unique_ids_and_catalogues() -> None:
    rules = load_rules(RULES_DIR)
    entries = catalogue(RULES_DIR)
    assert [entry["id"] for entry in entries] == [rule.id for rule in rules]
    for entry in entries:
        assert set(entry) >= {"id", "title", "severity", "cwe", "languages"}


def test_capture_names_read_from_text_match_the_compiled_query() -> None:
    """Scans load rules without compiling each alone; the captures they check must agree."""
    from bot.owasp.rules import _capture_names, capture_names_in, load_rules

    for rule in load_rules():
        for language in rule.languages:
            assert capture_names_in(rule.query) == _capture_names(rule.query_for(language)), rule.id
