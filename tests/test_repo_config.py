"""`.github/prwarden.yml`: defaults, every key, problems with their lines, globs, and applying
the configuration to a scan result."""

from __future__ import annotations

import json
from dataclasses import replace
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from bot.drift.assess import Thresholds
from bot.model import Kind, Notice, NoticeKind, ScanResult, Severity
from bot.repo_config import (
    CONFIG_PATH,
    MAX_CONFIG_BYTES,
    MAX_NODES,
    ConfigResult,
    PathGlob,
    RepoConfig,
    apply_repo_config,
    config_schema,
    parse_repo_config,
)
from tests.factories import make_finding

KNOWN = frozenset({"js-eval-dynamic", "py-sql-injection", "drift-majors-behind", "drift-workspace-summary"})


def parse(text: str | None, fail_on: Severity = Severity.HIGH) -> ConfigResult:
    return parse_repo_config(text, default_fail_on=fail_on, known_rules=KNOWN)


def only_error(text: str) -> tuple[str, int]:
    result = parse(text)
    assert len(result.errors) == 1, result.errors
    assert result.config == RepoConfig(fail_on=Severity.HIGH), "an invalid file gives the defaults"
    return result.errors[0].message, result.errors[0].line


# --- defaults ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [None, "", "\n\n", "# nothing configured yet\n", "~\n", "---\n"])
def test_no_file_or_empty_file_gives_defaults(text: str | None) -> None:
    result = parse(text, fail_on=Severity.MEDIUM)
    assert result.valid and not result.warnings
    config = result.config
    assert config == RepoConfig(fail_on=Severity.MEDIUM)
    assert config.fail_on is Severity.MEDIUM, "fail_on defaults to the server's PRWARDEN_FAIL_ON"
    assert all(config.kind_enabled(kind) for kind in Kind)
    assert config.thresholds() == Thresholds()
    assert not config.ignores("src/app.js")
    assert config.rule_enabled("js-eval-dynamic")
    assert config.review_comments is False and config.comment is True


def test_config_path() -> None:
    assert CONFIG_PATH == ".github/prwarden.yml"


# --- every key -----------------------------------------------------------------------------


FULL = """\
fail_on: medium
drift:
  enabled: true
  warn_majors: 3
  fail_majors: 5
  summary_threshold_percent: 25
owasp:
  enabled: false
scanners:
  enabled: false
ignore_paths:
  - docs/**
  - "**/*.min.js"
rules:
  disable: [js-eval-dynamic]
review_comments: true
comment: false
"""


def test_every_key() -> None:
    result = parse(FULL)
    assert result.valid and not result.warnings, (result.errors, result.warnings)
    config = result.config
    assert config.fail_on is Severity.MEDIUM
    assert config.kind_enabled(Kind.DRIFT)
    assert not config.kind_enabled(Kind.OWASP) and not config.kind_enabled(Kind.SCANNER)
    assert config.thresholds() == Thresholds(notice_majors=1, warn_majors=3, fail_majors=5, summary_threshold_percent=25.0)
    assert config.ignore_paths == ("docs/**", "**/*.min.js")
    assert config.ignores("docs/guide/intro.md") and config.ignores("web/dist/app.min.js")
    assert not config.ignores("src/app.js")
    assert not config.rule_enabled("js-eval-dynamic") and config.rule_enabled("py-sql-injection")
    assert config.review_comments is True and config.comment is False


def test_fail_on_never_never_fails() -> None:
    config = parse("fail_on: never\n").config
    assert config.fail_on is None
    result = ScanResult(findings=(make_finding(severity=Severity.CRITICAL),))
    assert not config.fails(result)
    assert parse("fail_on: low\n").config.fails(result)


def test_drift_fails_the_check_only_through_fail_majors() -> None:
    """A low fail level (the server's PRWARDEN_FAIL_ON or the file's fail_on) does not turn a
    dependency 2 majors behind (a warning) into a failure; `drift.fail_majors` (high) does."""
    warning = make_finding(kind=Kind.DRIFT, rule_id="drift-majors-behind", severity=Severity.MEDIUM)
    assert not ScanResult(findings=(warning,)).fails(Severity.LOW)
    assert not parse("fail_on: low\n").config.fails(ScanResult(findings=(warning,)))
    failing = make_finding(kind=Kind.DRIFT, rule_id="drift-majors-behind", severity=Severity.HIGH)
    assert ScanResult(findings=(failing,)).fails(Severity.MEDIUM)
    assert ScanResult(findings=(make_finding(severity=Severity.MEDIUM),)).fails(Severity.MEDIUM)  # OWASP as before


def test_fail_majors_null_means_never() -> None:
    config = parse("drift:\n  fail_majors: null\n").config
    assert config.fail_majors is None and config.thresholds().severity(50) is Severity.MEDIUM


def test_partial_sections_keep_other_defaults() -> None:
    config = parse("drift:\n  warn_majors: 4\n").config
    assert config.thresholds() == Thresholds(warn_majors=4)
    assert config.kind_enabled(Kind.DRIFT) and config.fail_on is Severity.HIGH


def test_whole_number_written_as_float_is_accepted() -> None:
    assert parse("drift:\n  warn_majors: 3.0\n").config.warn_majors == 3


# --- wrong types and values, with lines ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "needle", "line"),
    [
        ("comment: true\nreview_comments: maybe\n", '`review_comments` must be true or false, not "maybe"', 2),
        ("fail_on: loud\n", "`fail_on` must be one of critical, high, medium, low, info, never", 1),
        ("fail_on: no\n", "not false", 1),
        ("# c\n\ndrift:\n  enabled: true\n  warn_majors: two\n", '`drift.warn_majors` must be a whole number, not "two"', 5),
        ("drift:\n  fail_majors: 0\n", "`drift.fail_majors` must be at least 1, not 0", 2),
        ("drift:\n  summary_threshold_percent: 150\n", "must be at most 100, not 150", 2),
        ("drift:\n  summary_threshold_percent: -1\n", "must be at least 0", 2),
        ("drift:\n  summary_threshold_percent: .nan\n", "must be a number from 0 to 100", 2),
        ("owasp: false\n", "write `owasp: {enabled: false}`", 1),
        ("scanners: yes\n", "write `scanners: {enabled: true}`", 1),
        ("ignore_paths: docs/**\n", "`ignore_paths` must be a list", 1),
        ("ignore_paths:\n  - docs/**\n  - 3\n", "`ignore_paths[1]` must be text, not 3", 3),
        ("ignore_paths:\n  - ''\n", "`ignore_paths[0]` must not be empty", 2),
        ("rules:\n  disable: js-eval-dynamic\n", "`rules.disable` must be a list", 2),
        ("- fail_on: high\n", "the file must be a mapping", 1),
        ("just words\n", "the file must be a mapping", 1),
        ("drift:\n  enabled: 2024-01-01\n", "must be true or false, not a date", 2),
    ],
)
def test_wrong_values_are_errors_with_lines(text: str, needle: str, line: int) -> None:
    message, at = only_error(text)
    assert needle in message
    assert at == line


def test_every_error_is_reported_not_only_the_first() -> None:
    result = parse("comment: 1\ndrift:\n  warn_majors: x\nreview_comments: 2\n")
    assert [e.line for e in result.errors] == [1, 3, 4]
    assert [e.pointer for e in result.errors] == ["/comment", "/drift/warn_majors", "/review_comments"]


def test_unknown_key_is_a_typo_with_a_suggestion() -> None:
    message, line = only_error("comment: true\nfail-on: low\n")
    assert line == 2
    assert "unknown key `fail-on` at the top level (did you mean `fail_on`?)" in message
    assert "keys allowed here: comment, drift, fail_on" in message


def test_unknown_nested_key_points_at_the_key() -> None:
    message, line = only_error("drift:\n  enabled: true\n  warn_major: 3\n")
    assert line == 3
    assert "unknown key `warn_major` under `drift` (did you mean `warn_majors`?)" in message


def test_key_in_the_wrong_place_says_where_it_belongs() -> None:
    message, line = only_error("comment: true\nwarn_majors: 3\n")
    assert line == 2 and "it belongs under `drift:`" in message
    message, _ = only_error("disable: [js-eval-dynamic]\n")
    assert "it belongs under `rules:`" in message


def test_duplicate_key_is_an_error() -> None:
    message, line = only_error("comment: true\nreview_comments: false\ncomment: false\n")
    assert line == 3 and "`comment` appears twice (first on line 1)" in message


def test_keys_must_be_names() -> None:
    message, line = only_error("comment: true\nyes: 1\n")
    assert line == 2 and "not read as a name" in message
    message, _ = only_error("base: &b {comment: true}\n<<: *b\n")
    assert "merge keys" in message


# --- YAML itself ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("comment: true\nignore_paths: [docs/**\n", 3),
        ("comment: true\ndrift:\n  enabled: true\n warn_majors: 3\n", 4),
        ("comment: true\n\tfail_on: high\n", 2),
        ("comment: true\n---\ncomment: false\n", 2),
        ("comment: *nowhere\n", 1),
        ("comment: true\nfail_on: \x00\n", 2),
    ],
)
def test_invalid_yaml_is_an_error_with_its_line(text: str, line: int) -> None:
    message, at = only_error(text)
    assert message.startswith("not valid YAML")
    assert at == line


def test_unsafe_tags_are_refused() -> None:
    message, line = only_error("comment: true\nfail_on: !!python/object/apply:os.system [echo hi]\n")
    assert line == 2 and "could not determine a constructor" in message


def test_oversize_file_is_an_error() -> None:
    text = "# " + "x" * MAX_CONFIG_BYTES + "\ncomment: false\n"
    message, line = only_error(text)
    assert line == 1 and "the limit is 65,536 bytes" in message


def test_size_counts_bytes_not_characters() -> None:
    text = "# " + "é" * (MAX_CONFIG_BYTES // 2) + "\n"
    assert len(text) < MAX_CONFIG_BYTES
    assert not parse(text).valid


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    message, _ = only_error("\n".join(lines) + "\n")
    assert f"more than {MAX_NODES:,} values" in message


def test_recursive_alias_is_refused() -> None:
    message, _ = only_error("ignore_paths: &x [*x]\n")
    assert "nested too deeply" in message


def test_deep_nesting_is_refused() -> None:
    result = parse("[" * 5000)
    assert not result.valid and result.errors[0].line == 1


def test_aliases_within_bounds_are_fine() -> None:
    result = parse("ignore_paths: &p [docs/**]\nrules:\n  disable: [js-eval-dynamic]\n")
    assert result.valid and result.config.ignore_paths == ("docs/**",)


# --- rules ---------------------------------------------------------------------------------


def test_unknown_rule_id_is_a_warning_with_its_line() -> None:
    result = parse("rules:\n  disable:\n    - js-eval-dynamic\n    - js-eval-dynamc\n    - not-a-rule\n")
    assert result.valid
    assert not result.config.rule_enabled("js-eval-dynamc"), "the configuration still applies"
    assert [(w.line, w.pointer) for w in result.warnings] == [(4, "/rules/disable/1"), (5, "/rules/disable/2")]
    assert "did you mean `js-eval-dynamic`?" in result.warnings[0].message
    assert "`not-a-rule` is not a rule this server has" in result.warnings[1].message


def test_no_known_rules_means_no_rule_warnings() -> None:
    result = parse_repo_config("rules:\n  disable: [anything]\n", default_fail_on=Severity.HIGH)
    assert result.valid and not result.warnings


def test_fail_majors_that_cannot_fail_is_a_warning() -> None:
    result = parse("fail_on: critical\ndrift:\n  fail_majors: 3\n")
    assert result.valid and [w.line for w in result.warnings] == [3]
    assert "has no effect" in result.warnings[0].message
    assert parse("drift:\n  fail_majors: 3\n", fail_on=Severity.CRITICAL).warnings
    assert not parse("fail_on: high\ndrift:\n  fail_majors: 3\n").warnings


def test_fail_majors_not_above_warn_majors_is_a_warning() -> None:
    result = parse("drift:\n  warn_majors: 3\n  fail_majors: 2\n")
    assert result.valid and "warn_majors never applies" in result.warnings[0].message


# --- globs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("docs/**", "docs/a.md", True),
        ("docs/**", "docs/x/y/z.md", True),
        ("docs/**", "docs", False),
        ("docs/**", "sub/docs/a.md", False),
        ("docs/**", "documentation/a.md", False),
        ("**/*.min.js", "app.min.js", True),
        ("**/*.min.js", "web/static/js/app.min.js", True),
        ("**/*.min.js", "web/app.js", False),
        ("*.min.js", "deep/in/tree/app.min.js", True),
        ("vendor/", "vendor/lib.go", True),
        ("vendor/", "third_party/vendor/x/lib.go", True),
        ("vendor/", "vendor", False),
        ("vendor/", "vendored/lib.go", False),
        ("/vendor/", "third_party/vendor/lib.go", False),
        ("src/*.ts", "src/a.ts", True),
        ("src/*.ts", "src/a/b.ts", False),
        ("src/*.ts", "lib/src/a.ts", False),
        ("src/*.ts", "src/a.tsx", False),
        ("file?.txt", "file1.txt", True),
        ("file?.txt", "nested/fileA.txt", True),
        ("file?.txt", "file.txt", False),
        ("file?.txt", "file10.txt", False),
        ("a/**/b", "a/b", True),
        ("a/**/b", "a/x/y/b", True),
        ("a/**/b", "a/x/b/c.js", True),
        ("a/**/b", "x/a/b", False),
        ("docs", "docs/a.md", True),
        ("docs", "pkg/docs/a.md", True),
        ("docs", "docs", True),
        ("*", ".env", True),
        ("**", "anything/at/all", True),
        ("./generated/**", "generated/a.py", True),
        ("./generated/**", "x/generated/a.py", False),
        ("app/[id]/page.tsx", "app/[id]/page.tsx", True),
        ("app/[id]/page.tsx", "app/1/page.tsx", False),
        ("*.Min.js", "a.min.js", False),
        ("a**b", "axxb", True),
        ("a**b", "ax/xb", False),
    ],
)
def test_glob_matching(pattern: str, path: str, expected: bool) -> None:
    assert PathGlob.parse(pattern).matches(path) is expected


def test_glob_matching_does_not_backtrack_exponentially() -> None:
    glob = PathGlob.parse("/".join(["**", "a*a*a*a*a*b"] * 10))
    assert not glob.matches("/".join(["a" * 200] * 50))
    assert not PathGlob.parse("a*a*a*a*a*a*a*a*a*b").matches("a" * 5000)


@pytest.mark.parametrize(
    ("pattern", "needle"),
    [("!docs/keep.md", "negation"), ("docs\\*.md", "backslashes"), ("../x", "`..`"), ("/", "names no path")],
)
def test_bad_glob_is_an_error_at_its_line(pattern: str, needle: str) -> None:
    message, line = only_error(f"ignore_paths:\n  - docs/**\n  - {json.dumps(pattern)}\n")
    assert line == 3 and needle in message and "`ignore_paths[1]`" in message


def test_repo_config_rejects_a_bad_glob_when_built_directly() -> None:
    with pytest.raises(ValueError, match="negation"):
        RepoConfig(ignore_paths=("!x",))


# --- applying ------------------------------------------------------------------------------


def test_apply_repo_config_drops_ignored_paths_disabled_rules_and_kinds() -> None:
    keep = make_finding(path="src/app.js")
    in_docs = make_finding(path="docs/example.js")
    disabled_rule = make_finding(rule_id="py-sql-injection", path="src/db.py")
    drift = make_finding(kind=Kind.DRIFT, rule_id="drift-majors-behind", path="package.json")
    result = ScanResult(
        findings=(keep, in_docs, disabled_rule, drift),
        suppressed=(in_docs,),
        preexisting=(replace(disabled_rule, start_line=40),),
        notices=(
            Notice(NoticeKind.UNPARSEABLE, "cannot parse", path="docs/package.json"),
            Notice(NoticeKind.PARTIAL, "3000-file cap"),
            Notice(NoticeKind.SKIPPED, "binary", path="src/logo.png"),
        ),
        files_scanned=7,
    )
    config = parse("ignore_paths: [docs/]\nrules:\n  disable: [py-sql-injection]\ndrift:\n  enabled: false\n").config
    applied = apply_repo_config(result, config)
    assert applied.findings == (keep,)
    assert applied.suppressed == () and applied.preexisting == ()
    assert [n.message for n in applied.notices] == ["3000-file cap", "binary"]
    assert applied.files_scanned == 7


def test_apply_default_config_changes_nothing() -> None:
    result = ScanResult(findings=(make_finding(),), notices=(Notice(NoticeKind.SKIPPED, "x", path="a"),))
    assert apply_repo_config(result, RepoConfig()) == result


# --- the shipped schema --------------------------------------------------------------------


def test_shipped_schema_is_a_valid_schema() -> None:
    schema = config_schema()
    jsonschema.validators.validator_for(schema).check_schema(dict(schema))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_ships_inside_the_package() -> None:
    text = resources.files("bot").joinpath("schemas/prwarden.schema.json").read_text(encoding="utf-8")
    assert json.loads(text) == config_schema()


def _objects(schema: dict[str, object], where: str = "") -> list[tuple[str, dict[str, object]]]:
    found = [(where, schema)]
    for name, sub in dict(schema.get("properties", {})).items():  # type: ignore[call-overload]
        found += _objects(sub, f"{where}.{name}")
        if isinstance(sub.get("items"), dict):
            found.append((f"{where}.{name}[]", sub["items"]))
    return found


def test_schema_documents_every_property_and_rejects_unknown_keys() -> None:
    for where, sub in _objects(dict(config_schema())):
        assert sub.get("description"), f"{where or 'root'} has no description"
        if sub.get("type") == "object":
            assert sub.get("additionalProperties") is False, where


def test_docs_name_every_key() -> None:
    docs = (Path(__file__).resolve().parents[1] / "docs" / "configuration.md").read_text(encoding="utf-8")
    for where, _ in _objects(dict(config_schema())):
        key = where.removesuffix("[]").lstrip(".")
        if key:
            assert f"`{key}`" in docs, key
