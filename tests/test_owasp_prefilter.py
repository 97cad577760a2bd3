"""The pre-filter: the literal words each query pattern needs, read off its predicates, decide
which patterns are compiled and run and which files are parsed. A false skip is a missed
finding, so these tests check the reading against tree-sitter itself and against every
annotated rule test file, not only against hand-picked cases."""

from __future__ import annotations

import re
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
import tree_sitter

from bot.model import ChangedFile, FileStatus, ScannedFile
from bot.owasp import engine, rules
from bot.owasp.engine import OwaspAnalyzer
from bot.owasp.languages import grammar, language_for_path, parse
from bot.owasp.rules import Pattern, RuleError, load_rule, load_rules, query_patterns, rule_files
from bot.owasp.ruletest import rule_test_files

RULES_DIR = Path(__file__).resolve().parents[1] / "rules" / "owasp"
PACK = load_rules(RULES_DIR)


def scanned(path: str, text: str) -> ScannedFile:
    return ScannedFile(ChangedFile(path, FileStatus.ADDED, frozenset(range(1, text.count("\n") + 2))), text)


def unfiltered(rule: rules.Rule) -> rules.Rule:
    """The same rule run whole, without pre-filter words (what the engine did before)."""
    plain = replace(rule, compiled={}, read={})
    plain.read["patterns"] = (Pattern(rule.query, whole=True),)
    return plain


def key(findings: list) -> list[tuple]:  # type: ignore[type-arg]
    return sorted((f.path, f.rule_id, f.start_line, f.end_line, f.fingerprint) for f in findings)


# --- the reader agrees with tree-sitter on every rule of the pack ------------------------------


@pytest.mark.parametrize("rule_file", rule_files(RULES_DIR), ids=lambda p: p.stem)
def test_reader_splits_every_pack_query_as_tree_sitter_does(rule_file: Path) -> None:
    """Validation compiles each rule and checks the split and the captures every match has."""
    rule = load_rule(rule_file)  # raises RuleError on any disagreement
    assert not rule.patterns[0].whole, f"{rule.id}: the reader could not follow its query"
    for language in rule.languages:
        compiled = rule.query_for(language)
        assert len(rule.patterns) == compiled.pattern_count
        for index, pattern in enumerate(rule.patterns):
            alone = tree_sitter.Query(grammar(language), pattern.text)
            assert alone.pattern_count == 1, (rule.id, index)


def _test_texts() -> list[tuple[rules.Rule, Path, str]]:
    return [(rule, path, path.read_text(encoding="utf-8")) for rule in PACK for path in rule_test_files(rule)]


@pytest.mark.parametrize("rule,path,text", _test_texts(), ids=lambda v: v.name if isinstance(v, Path) else "")
def test_every_pattern_that_matches_a_test_file_is_needed_by_it(rule: rules.Rule, path: Path, text: str) -> None:
    """Soundness on real code: run each pattern alone (tree-sitter applies its predicates);
    whenever it matches, the pre-filter must have kept it for that text."""
    analyzer = OwaspAnalyzer(rules=[rule])
    language = language_for_path(str(path))
    assert language is not None
    needed = analyzer.needed(str(path), text)
    tree = parse(language, text.encode("utf-8"), 10.0)
    for index, unit in enumerate(analyzer.units(language)):
        query = tree_sitter.Query(grammar(language), unit.pattern.text)
        if tree_sitter.QueryCursor(query).matches(tree.root_node):
            assert index in needed, f"{rule.id} pattern {index + 1} matches {path.name} but was filtered out"


@pytest.mark.parametrize("rule,path,text", _test_texts(), ids=lambda v: v.name if isinstance(v, Path) else "")
def test_findings_with_and_without_the_prefilter_are_the_same(rule: rules.Rule, path: Path, text: str) -> None:
    filtered = OwaspAnalyzer(rules=[rule]).scan_text(str(path), text)
    whole = OwaspAnalyzer(rules=[unfiltered(rule)]).scan_text(str(path), text)
    assert key(filtered[0]) == key(whole[0])
    assert filtered[1] == whole[1]


def _regexes() -> list[tuple[str, str]]:
    """Every `#match?` regex of the pack, with its rule id."""
    found = []
    for rule in PACK:
        for regex in re.findall(r'\(#(?:any-)?match\? @[\w.-]+ "((?:[^"\\]|\\.)*)"\)', rule.query):
            found.append((rule.id, re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), regex)))
    return sorted(set(found))


def _node_texts() -> list[str]:
    """The text of every node of every annotated test file: real inputs for the regexes."""
    texts: set[str] = set()
    for _, path, text in _test_texts():
        language = language_for_path(str(path))
        assert language is not None
        stack = [parse(language, text.encode("utf-8"), 10.0).root_node]
        while stack:
            node = stack.pop()
            if node.end_byte - node.start_byte <= 400:
                texts.add(text.encode("utf-8")[node.start_byte : node.end_byte].decode("utf-8", "replace"))
            stack.extend(node.children)
    return sorted(texts)


def test_regex_words_hold_for_every_node_text_the_regex_matches() -> None:
    texts = _node_texts()
    checked = 0
    for rule_id, regex in _regexes():
        compiled = re.compile(regex)
        groups = rules._regex_groups(regex)
        for text in texts:
            if compiled.search(text):
                checked += 1
                for words, icase in groups:
                    hay = text.lower() if icase else text
                    if icase and not text.isascii():
                        continue
                    assert any(w in hay for w in words), (rule_id, regex, text, words)
    assert checked > 1000


# --- regex words --------------------------------------------------------------------------------


def words(regex: str) -> list[tuple[list[str], bool]]:
    return sorted((sorted(group), icase) for group, icase in rules._regex_groups(regex))


@pytest.mark.parametrize(
    "regex,expected",
    [
        (r"^(res|response|resp)(\s*\.|$)", [(["res"], False)]),
        (r"^eval$", [(["eval"], False)]),
        (r"(^|\.)promisify$", [(["promisify"], False)]),
        (r"(?i)jwt", [(["jwt"], True)]),
        (r"^(?i:set-cookie)$", [(["set-cookie"], True)]),
        (r"(?i)(jwt|token).*(secret|key)|(secret|key).*(jwt|token)", [(["jwt", "token"], True), (["key", "secret"], True)]),
        (r"^[\"']?__html[\"']?$", [(["__html"], False)]),
        (r"ab?c", [(["abc", "ac"], False)]),
        (r"x*", []),
        (r"(foo)?bar", [(["bar"], False)]),
        (r"[a-z]+", []),
        (r"a|", []),  # matches the empty string
        (r"\d+px", [(["px"], False)]),
        (r"(ab)+", [(["ab"], False)]),
        (r"K", [(["K"], False)]),
        (r"(?i)\u212a", [(["k"], True)]),  # the Kelvin sign: "k" and "K" on ASCII text
        (r"(unbalanced", []),
        (r"(?i:set)Cookie", [(["setcookie"], True)]),  # checked on the lowered text: all lower
    ],
)
def test_regex_words(regex: str, expected: list[tuple[list[str], bool]]) -> None:
    assert words(regex) == sorted(expected)


def test_folded_words_are_found_in_every_lowered_match() -> None:
    for regex, sample in [(r"(?i:set)Cookie", "SETCookie"), (r"(?i)Jwt", "jwt"), (r"x(?i:Y)z", "xyz")]:
        assert re.search(regex, sample), regex
        for group, icase in rules._regex_groups(regex):
            assert any(w in (sample.lower() if icase else sample) for w in group), (regex, group)


def test_words_are_what_every_match_contains() -> None:
    """Each group holds a word of every string the regex matches, on a few samples."""
    cases = {
        r"^(cookies\(\)|cookieStore|(res|nextResponse)\s*\.cookies)$": ["cookies()", "cookieStore", "res .cookies", "nextResponse.cookies"],
        r"(^|[^A-Za-z])(session|sid)([^a-z]|$)": ["session", "my_sid", "x-session-y"],
        r"^(sh|bash)$|^(cmd|pwsh)(\.exe)?$": ["sh", "bash", "cmd.exe", "pwsh"],
    }
    for regex, samples in cases.items():
        groups = rules._regex_groups(regex)
        assert groups, regex
        for sample in samples:
            assert re.search(regex, sample)
            for group, _ in groups:
                assert any(w in sample for w in group), (regex, sample, group)


# --- the query reader ---------------------------------------------------------------------------


def needs(query: str, prefilter: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], ...]]:
    return [p.needs for p in query_patterns(textwrap.dedent(query), prefilter)]


def test_words_only_from_captures_every_match_has() -> None:
    # @b is inside one branch of an alternation, @c is optional: their predicates pass when the
    # capture is absent, so they say nothing about the file.
    query = """
        (call_expression
          function: [
            (identifier) @a
            (member_expression object: (identifier) @b (#eq? @b "window") property: (property_identifier) @a)
          ]
          (#eq? @a "eval")
          arguments: (arguments (string)? @c (#eq? @c "x"))) @match
    """
    assert needs(query) == [(("eval",),)]


def test_a_capture_in_every_branch_counts() -> None:
    query = """
        (call_expression function: [(identifier) @f (member_expression property: (property_identifier) @f)]
          (#any-of? @f "exec" "execSync" "spawn")) @match
    """
    assert needs(query) == [(("exec", "spawn"),)]  # execSync contains exec


def test_negative_and_capture_to_capture_predicates_give_no_words() -> None:
    query = """
        (pair key: (property_identifier) @k (#not-eq? @k "safe") value: (identifier) @v (#eq? @k @v)
          (#not-match? @v "^x")) @match
    """
    assert needs(query) == [()]


def test_each_pattern_has_its_own_words_and_the_prefilter_joins_them_all() -> None:
    query = """
        ; a comment with "quotes" and (parens)
        (call_expression function: (identifier) @f (#eq? @f "eval")) @match
        ((identifier) @match (#match? @match "^setTimeout$"))
        [(string) (template_string)] @match
    """
    assert needs(query) == [(("eval",),), (("setTimeout",),), ()]
    assert [set(n) for n in needs(query, ("child_process", "zx"))] == [
        {("child_process", "zx"), ("eval",)},
        {("setTimeout",), ("child_process", "zx")},
        {("child_process", "zx")},
    ]


def test_strings_with_escapes_and_quantified_captures() -> None:
    query = r"""
        (call_expression
          function: (identifier) @f (#any-eq? @f "say \"hi\"")
          arguments: (arguments (_)+ @args (#match? @args "^\\{\\{"))) @match
    """
    assert needs(query) == [(('say "hi"',), ("{{",))]


def test_unreadable_query_runs_whole_without_words() -> None:
    for query in ['(call_expression) @match (#eq? @match "x")', "(identifier) @match )", '(string "unterminated) @match']:
        (pattern,) = query_patterns(query, ("word",))
        assert pattern.whole and pattern.text == query
        assert pattern.needs == (("word",),)


def test_short_words_are_not_worth_a_check() -> None:
    assert needs('((identifier) @match (#any-of? @match "$" "jQuery"))') == [()]
    assert needs('((identifier) @match (#any-of? @match "ab" "jQuery"))') == [(("ab", "jQuery"),)]


# --- the prefilter field ------------------------------------------------------------------------

RULE = """\
id: js-test-run
title: "A03:2021 – Injection"
message: "run called"
severity: high
cwe: [CWE-78]
owasp: A03:2021
languages: [javascript]
query: |
  (call_expression function: (identifier) @f (#eq? @f "run") arguments: (arguments . (_) @arg)) @match
{prefilter}fix: Do not.
"""


def write_rule(tmp_path: Path, prefilter: str) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    path = folder / "js-test-run.yml"
    path.write_text(RULE.format(prefilter=prefilter), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    "value,problem",
    [
        ("prefilter: child_process\n", "non-empty list"),
        ("prefilter: []\n", "non-empty list"),
        ("prefilter: [a, a]\n", "twice"),
        ('prefilter: [" a"]\n', "spaces"),
        ("prefilter: [1]\n", "non-empty list"),
    ],
)
def test_prefilter_field_is_validated(tmp_path: Path, value: str, problem: str) -> None:
    folder = write_rule(tmp_path, value)
    with pytest.raises(RuleError, match=problem) as caught:
        load_rules(folder)
    assert caught.value.field == "prefilter"


def test_prefilter_words_gate_the_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    analyzer = OwaspAnalyzer(write_rule(tmp_path, "prefilter: [child_process, execa]\n"))
    parsed: list[str] = []
    real_parse = engine.parse
    monkeypatch.setattr(engine, "parse", lambda lang, data, timeout: parsed.append(lang) or real_parse(lang, data, timeout))
    without = analyzer.analyze([scanned("a.js", "run(x);\n")])
    assert without.findings == () and parsed == []  # no word: not even parsed
    with_word = analyzer.analyze([scanned("b.js", 'const { exec: run } = require("child_process");\nrun(x);\n')])
    assert [f.start_line for f in with_word.findings] == [2]
    assert parsed == ["javascript"]


def test_file_imports_modules_are_covered_by_the_prefilter() -> None:
    """A rule whose `file_imports` condition names modules and that has a `prefilter` must list
    a word of each module: otherwise a file importing it could be skipped."""
    for rule in PACK:
        for condition in rule.conditions:
            if condition.name == "file_imports" and rule.prefilter:
                modules = getattr(condition.arg, "modules", ())
                assert modules, rule.id
                for module in modules:
                    assert any(word in module for word in rule.prefilter), (rule.id, module)


# --- the engine ---------------------------------------------------------------------------------


def test_a_file_no_pattern_can_match_is_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    analyzer = OwaspAnalyzer(RULES_DIR)
    parsed: list[str] = []
    real_parse = engine.parse
    monkeypatch.setattr(engine, "parse", lambda lang, data, timeout: parsed.append(lang) or real_parse(lang, data, timeout))
    output = analyzer.analyze([scanned("a.js", "const a = 1;\n"), scanned("b.js", "eval(code);\n")])
    assert [f.path for f in output.findings] == ["b.js"]
    assert parsed == ["javascript"]


def test_rules_test_still_parses_a_file_without_words() -> None:
    """`prwarden rules test` must see syntax errors whatever the words."""
    analyzer = OwaspAnalyzer(RULES_DIR)
    findings, notices = analyzer.scan_text("a.js", "function (\n")
    assert findings == [] and [n.message for n in notices] == ["syntax errors; OWASP rules ran on the parts that parsed"]


def test_only_needed_patterns_are_compiled_and_a_later_batch_adds_to_them() -> None:
    analyzer = OwaspAnalyzer(RULES_DIR)
    analyzer.analyze([scanned("a.js", "eval(code);\n")])
    (plan,) = analyzer.plans("javascript", analyzer.needed("a.js", "eval(code);\n"))
    assert {rule.id for rule in plan.owners} == {"js-eval-dynamic"}
    total = sum(r.query_for("javascript").pattern_count for r in analyzer.rules if "javascript" in r.languages)
    assert plan.query.pattern_count < total
    # A file needing another pattern: the kept query plus one of just the missing patterns.
    text = "eval(a);\nnew RegExp(req.query.q);\n"
    plans = analyzer.plans("javascript", analyzer.needed("b.js", text))
    assert plans[0] is plan and len(plans) == 2
    assert {r.id for r in plans[1].owners} == {"js-regex-from-user-input"}
    assert [f.rule_id for f in analyzer.analyze([scanned("b.js", text)]).findings] == [
        "js-eval-dynamic",
        "js-regex-from-user-input",
    ]


def test_pack_findings_equal_unfiltered_findings_on_mixed_files() -> None:
    files = [
        scanned("a.js", 'const { exec } = require("child_process");\nexec(req.query.cmd);\neval(x);\n'),
        scanned("b.ts", 'import jwt from "jsonwebtoken";\njwt.sign(payload, "hardcoded");\n'),
        scanned("c.tsx", "export const A = (p: any) => <div dangerouslySetInnerHTML={{ __html: p.html }} />;\n"),
        scanned("d.py", "import pickle\npickle.loads(request.data)\n"),
        scanned("e.js", "const total = items.reduce((a, b) => a + b, 0);\n"),
    ]
    filtered = OwaspAnalyzer(RULES_DIR).analyze(files)
    whole = OwaspAnalyzer(rules=[unfiltered(r) for r in load_rules(RULES_DIR)]).analyze(files)
    assert key(list(filtered.findings)) == key(list(whole.findings))
    assert len(filtered.findings) >= 4
