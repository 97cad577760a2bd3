"""Drift findings from declarations and registry answers: wording, severity, summaries."""

from __future__ import annotations

from bot.drift.assess import (
    RULE_BEHIND,
    RULE_SUMMARY,
    Declared,
    Share,
    DisplayNames,
    Thresholds,
    behind_finding,
    measure,
    share,
    summary_finding,
)
from bot.drift.compare import changed_dependencies
from bot.drift.model import Dependency, Ecosystem, Manifest, PackageInfo
from bot.model import Kind, Severity

NPM = Ecosystem.NPM
NAMES = DisplayNames.load()


def declared(key: str, spec: str, line: int = 5, *, current: str | None = None, group: str = "dependencies", name: str | None = None, outside: str | None = None) -> Declared:
    dependency = Dependency(NPM, key, name or key, spec, line, group, outside)
    return Declared(dependency, current, "packages/api/package.json", "@acme/api")


def info(name: str, latest: str) -> PackageInfo:
    return PackageInfo(NPM, name, latest, (latest,))


def finding_for(item: Declared, latest: str, thresholds: Thresholds = Thresholds()):
    result = measure(item, info(item.dependency.name, latest))
    assert result is not None
    return behind_finding(item, result, thresholds, NAMES)


def test_spec_message_quotes_the_manifest_as_written() -> None:
    found = finding_for(declared("vitest", "^0.34.6", 12), "4.0.18")
    assert found is not None
    assert found.message == "vitest is 4 major versions behind (spec: ^0.34.6, latest: 4.0.18)."
    assert (found.kind, found.rule_id, found.path, found.start_line) == (Kind.DRIFT, RULE_BEHIND, "packages/api/package.json", 12)
    assert found.severity is Severity.MEDIUM
    assert found.properties["majorsBehind"] == 4
    assert found.properties["spec"] == "^0.34.6" and found.properties["current"] is None
    assert found.properties["latest"] == "4.0.18" and found.properties["package"] == "vitest"


def test_locked_message_names_the_project() -> None:
    found = finding_for(declared("next", "^14.0.0", current="14.2.35"), "16.1.6")
    assert found is not None
    assert found.message == "Next.js is 2 major versions behind (current: 14.2.35, latest: 16.1.6)."
    assert found.title == "Next.js"
    found = finding_for(declared("vitest", "^0.34.0", current="0.34.6"), "4.0.18")
    assert found is not None and found.message == "Vitest is 4 major versions behind (current: 0.34.6, latest: 4.0.18)."


def test_scoped_package_without_display_name() -> None:
    found = finding_for(declared("@types/node", "^20.11.0"), "25.2.3")
    assert found is not None
    assert found.message == "@types/node is 5 major versions behind (spec: ^20.11.0, latest: 25.2.3)."


def test_one_major_is_a_notice_in_the_singular_and_fail_only_when_asked() -> None:
    found = finding_for(declared("left-pad", "^1.0.0"), "2.0.0")
    assert found is not None
    assert found.message == "left-pad is 1 major version behind (spec: ^1.0.0, latest: 2.0.0)."
    assert found.severity is Severity.LOW
    strict = Thresholds(fail_majors=3)
    assert finding_for(declared("vitest", "^0.34.6"), "4.0.18", strict).severity is Severity.HIGH
    assert finding_for(declared("left-pad", "^1.0.0"), "2.0.0", Thresholds(notice_majors=2)) is None


def test_up_to_date_is_not_reported() -> None:
    item = declared("vitest", "^4.0.0")
    assert measure(item, info("vitest", "4.0.18")) is None


def test_changes_are_additions_spec_changes_and_lock_moves_only() -> None:
    base = [declared("a", "^1.0.0", 3), declared("b", "^2.0.0", 4, current="2.1.0"), declared("gone", "^1.0.0", 5)]
    head = [
        declared("b", "^2.0.0", 3, current="2.3.0"),  # reordered, lock moved
        declared("a", "^1.0.0", 4, group="devDependencies"),  # moved between groups: not a change
        declared("c", "^3.0.0", 5),  # added
    ]
    assert [d.dependency.key for d in changed_dependencies(head, base)] == ["b", "c"]
    same = [declared("b", "^2.0.0", 9, current="2.1.0"), declared("a", "^1.0.0", 8), declared("gone", "^1.0.0", 7)]
    assert changed_dependencies(same, base) == []


def test_formatting_duplicates_and_a_first_lockfile_are_not_changes() -> None:
    def py(name: str, spec: str, *, current: str | None = None) -> Declared:
        key = name.lower().replace("_", "-")
        return Declared(Dependency(Ecosystem.PYPI, key, name, spec, 1, "requirements"), current, "requirements.txt", "requirements.txt")

    base = [
        py("numpy", "==1.24.4"),  # ; python_version < "3.9"
        py("numpy", "==2.1.0"),  # ; python_version >= "3.9"
        py("python-dateutil", "==2.0"),
        py("requests", ">= 2.0, < 3"),
        py("django", "==3.2"),
    ]
    head = [
        py("numpy", "==1.24.4"),
        py("numpy", "==2.1.0"),
        py("python_dateutil", "==2.0"),  # the same project, spelled otherwise
        py("requests", ">=2.0,<3"),  # the same spec, spaced otherwise
        py("Django", "==3.2", current="3.2.0"),  # a lockfile appeared: nothing moved
        py("flask", "==3.0.0"),  # the one real change
    ]
    assert [d.dependency.key for d in changed_dependencies(head, base)] == ["flask"]
    moved = [py("numpy", "==1.24.4"), py("numpy", "==2.2.0")]
    assert [d.dependency.spec for d in changed_dependencies(moved, base)] == ["==2.2.0"]


def test_alias_retargeted_is_a_change() -> None:
    base = [declared("v", "^1.0.0", name="vitest")]
    head = [declared("v", "^1.0.0", name="jest")]
    assert len(changed_dependencies(head, base)) == 1


def test_share_counts_each_package_once_and_leaves_out_what_the_registry_cannot_answer() -> None:
    items = [
        declared("vitest", "^0.34.6"),  # 4 behind
        declared("vitest", "^3.0.0", group="devDependencies"),
        declared("next", "^16.0.0"),  # up to date
        declared("left-pad", "^1.0.0"),  # 1 behind
        declared("mine", "file:../mine", outside="local path"),
        declared("unknown", "^1.0.0"),  # no answer
    ]
    infos = {(NPM, n): info(n, v) for n, v in [("vitest", "4.0.18"), ("next", "16.1.6"), ("left-pad", "2.0.0")]}
    measured = share(items, infos)
    assert (measured.behind, measured.counted, measured.percent) == (1, 3, 33)


def test_share_percent_rounds_half_up() -> None:
    assert [Share(behind, 8).percent for behind in range(9)] == [0, 13, 25, 38, 50, 63, 75, 88, 100]
    assert (Share(1, 3).percent, Share(2, 3).percent, Share(0, 0).percent) == (33, 67, 0)


def test_summary_wording_and_movement() -> None:
    manifest = Manifest("packages/api/package.json", NPM, (), name="@acme/api", name_line=2)
    from bot.drift.assess import Share

    found = summary_finding(manifest, "@acme/api", Share(5, 16), None, Thresholds())
    assert found is not None
    assert found.message == "31% of dependencies are 2+ major versions behind in @acme/api."
    assert (found.rule_id, found.start_line, found.severity) == (RULE_SUMMARY, 2, Severity.INFO)
    assert found.properties["percentTwoPlusBehind"] == 31 and found.properties["dependencies"] == 16
    moved = summary_finding(manifest, "@acme/api", Share(41, 100), Share(39, 100), Thresholds())
    assert moved is not None and moved.message == "39% -> 41% of dependencies are 2+ major versions behind in @acme/api."
    assert summary_finding(manifest, "@acme/api", Share(1, 100), None, Thresholds(summary_threshold_percent=5)) is None
    nameless = Manifest("package.json", NPM, ())
    found = summary_finding(nameless, "package.json", Share(1, 2), None, Thresholds())
    assert found is not None and found.start_line == 1
