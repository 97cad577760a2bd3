"""From declared dependencies and registry answers to drift findings. Pure: no I/O.

Two kinds of finding, worded as the feed the product was specified from:
- per dependency the PR adds or changes: "vitest is 4 major versions behind (spec: ^0.34.6,
  latest: 4.0.18)." at the dependency's line;
- per manifest whose dependencies the PR changes: "41% of dependencies are 2+ major versions
  behind in @acme/api." at its `name` line, with where it stood on the base branch when the PR
  moved it ("39% -> 41% of dependencies ...").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.drift.model import Dependency, Ecosystem, Manifest, PackageInfo, pypi_name
from bot.drift.versions import Behind, Reference, UnreadableVersion, behind, is_poetry_group
from bot.model import Finding, Kind, Severity

RULE_BEHIND = "drift-majors-behind"
RULE_SUMMARY = "drift-workspace-summary"
SUMMARY_MAJORS = 2
"""The summary counts dependencies this many majors behind or more (the feed's "2+")."""

_DISPLAY_NAMES_FILE = Path(__file__).resolve().parents[2] / "rules" / "drift" / "display-names.yml"


@dataclass(frozen=True)
class Thresholds:
    """Severity by majors behind: below `notice_majors` nothing is reported."""

    notice_majors: int = 1
    warn_majors: int = 2
    fail_majors: int | None = None
    """None: drift never fails the check unless the repository's config asks for it."""
    summary_threshold_percent: float = 0.0
    """Summaries below this share are not reported."""

    def severity(self, majors: int) -> Severity | None:
        if majors < self.notice_majors:
            return None
        if self.fail_majors is not None and majors >= self.fail_majors:
            return Severity.HIGH
        return Severity.MEDIUM if majors >= self.warn_majors else Severity.LOW


@dataclass(frozen=True)
class DisplayNames:
    by_ecosystem: Mapping[Ecosystem, Mapping[str, str]]

    def of(self, ecosystem: Ecosystem, package: str) -> str:
        key = pypi_name(package) if ecosystem is Ecosystem.PYPI else package
        return self.by_ecosystem.get(ecosystem, {}).get(key, package)

    @classmethod
    def load(cls, path: Path | None = None) -> DisplayNames:
        text = (path or _DISPLAY_NAMES_FILE).read_text(encoding="utf-8")
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}  # noqa: S506 (a safe loader)
        table: dict[Ecosystem, dict[str, str]] = {}
        for ecosystem in Ecosystem:
            names = data.get(ecosystem.value) or {}
            if ecosystem is Ecosystem.PYPI:
                names = {pypi_name(k): v for k, v in names.items()}
            table[ecosystem] = {str(k): str(v) for k, v in names.items()}
        return cls(table)


@dataclass(frozen=True)
class Declared:
    """A dependency as one side of the PR declares it, with its lockfile version if any."""

    dependency: Dependency
    current: str | None
    manifest: str
    workspace: str


def measure(declared: Declared, info: PackageInfo) -> Behind | None:
    """Majors behind for one dependency; raises UnreadableVersion for specs npm/pip cannot read."""
    if info.latest is None:
        return None
    dependency = declared.dependency
    poetry = is_poetry_group(dependency.group)
    return behind(dependency.ecosystem, dependency.spec, declared.current, info.latest, info.versions, poetry=poetry)


def behind_finding(declared: Declared, result: Behind, thresholds: Thresholds, names: DisplayNames) -> Finding | None:
    severity = thresholds.severity(result.majors)
    if severity is None:
        return None
    dependency = declared.dependency
    if result.reference is Reference.CURRENT:
        shown = names.of(dependency.ecosystem, dependency.name)
        reference = f"current: {declared.current}"
    else:
        shown = dependency.name
        reference = f"spec: {dependency.spec}"
    unit = "major version" if result.majors == 1 else "major versions"
    message = f"{shown} is {result.majors} {unit} behind ({reference}, latest: {result.latest})."
    return Finding(
        kind=Kind.DRIFT,
        rule_id=RULE_BEHIND,
        title=shown,
        message=message,
        path=declared.manifest,
        start_line=dependency.line,
        end_line=dependency.line,
        severity=severity,
        snippet=f"{dependency.ecosystem.value} {dependency.group} {dependency.key} {dependency.name}",
        properties={
            "ecosystem": dependency.ecosystem.value,
            "package": dependency.name,
            "spec": dependency.spec,
            "current": declared.current,
            "latest": result.latest,
            "majorsBehind": result.majors,
            "manifest": declared.manifest,
            "workspace": declared.workspace,
            "group": dependency.group,
        },
    )


@dataclass(frozen=True)
class Share:
    """How much of one manifest's registry dependencies is 2+ majors behind."""

    behind: int
    counted: int

    @property
    def percent(self) -> int:
        """Rounded half up (Python's round() would make 1 of 8 "12%" but 3 of 8 "38%")."""
        return (200 * self.behind + self.counted) // (2 * self.counted) if self.counted else 0


def share(declared: Sequence[Declared], infos: Mapping[tuple[Ecosystem, str], PackageInfo]) -> Share:
    """Over every registry dependency the registry answered for (each package counted once,
    at its worst declaration); unreadable specs and unknown packages are left out."""
    worst: dict[tuple[Ecosystem, str], int] = {}
    for item in declared:
        dependency = item.dependency
        if dependency.outside:
            continue
        info = infos.get((dependency.ecosystem, dependency.name))
        if info is None:
            continue
        try:
            result = measure(item, info)
        except UnreadableVersion:
            continue
        majors = result.majors if result else 0
        identity = (dependency.ecosystem, dependency.name)
        worst[identity] = max(worst.get(identity, 0), majors)
    return Share(sum(1 for m in worst.values() if m >= SUMMARY_MAJORS), len(worst))


def summary_finding(
    manifest: Manifest,
    workspace: str,
    head: Share,
    base: Share | None,
    thresholds: Thresholds,
) -> Finding | None:
    if head.counted == 0 or head.percent < thresholds.summary_threshold_percent:
        return None
    moved = base is not None and base.counted > 0 and base.percent != head.percent
    figure = f"{base.percent}% -> {head.percent}%" if moved and base is not None else f"{head.percent}%"
    message = f"{figure} of dependencies are 2+ major versions behind in {workspace}."
    line = manifest.name_line or 1
    properties: dict[str, object] = {
        "ecosystem": manifest.ecosystem.value,
        "manifest": manifest.path,
        "workspace": workspace,
        "percentTwoPlusBehind": head.percent,
        "dependencies": head.counted,
        "twoPlusBehind": head.behind,
    }
    if base is not None and base.counted > 0:
        properties["basePercentTwoPlusBehind"] = base.percent
    return Finding(
        kind=Kind.DRIFT,
        rule_id=RULE_SUMMARY,
        title=f"of dependencies are 2+ major versions behind in {workspace}.",
        message=message,
        path=manifest.path,
        start_line=line,
        end_line=line,
        severity=Severity.INFO,
        snippet=f"{manifest.ecosystem.value} summary {workspace}",
        properties=properties,
    )
