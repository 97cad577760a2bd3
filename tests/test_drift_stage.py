"""Drift through the whole pipeline: a real git repository (LocalGitSource), `run_scan`, and
real registries started by the tests (Verdaccio for npm, pypiserver / our index for PyPI).

Expected "latest" versions are the fixtures' own (tests/registries/), never live registries'.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.drift.cache import MemoryCache
from bot.drift.model import Ecosystem
from bot.drift.registries.base import RetryBudget
from bot.drift.registries.npm import npm_registry_from_env
from bot.drift.registries.pypi import pypi_registry_from_env
from bot.drift.stage import DriftStage
from bot.model import Kind, NoticeKind, ScannerState, ScanResult
from bot.owasp.engine import OwaspAnalyzer
from bot.scan import run_scan
from bot.sources.local_git import LocalGitSource
from tests.registries.fixtures import IndexServer, NpmServer

GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=GIT_ENV)


class Repo:
    """A repository with a base commit on main and a PR branch on top."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir()
        git(root, "init", "-q", "-b", "main")

    def commit(self, files: dict[str, str | None], message: str) -> None:
        for name, text in files.items():
            path = self.root / name
            if text is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "--allow-empty", "-m", message)

    def branch(self) -> None:
        git(self.root, "checkout", "-q", "-b", "pr")


def package_json(name: str | None = None, **sections: dict[str, str]) -> str:
    data: dict[str, object] = {}
    if name:
        data["name"] = name
        data["version"] = "1.0.0"
    data.update(sections)
    return json.dumps(data, indent=2) + "\n"


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")


@pytest.fixture
def npm_stage(npm_registry_server: NpmServer) -> DriftStage:
    registry = npm_registry_from_env({"NPM_CONFIG_REGISTRY": npm_registry_server.url}, cache=MemoryCache())
    return DriftStage({Ecosystem.NPM: registry, Ecosystem.PYPI: None})


def scan(repo: Repo, stage: DriftStage, analyzers: list | None = None) -> ScanResult:
    source = LocalGitSource(repo.root, "main", "pr")
    return asyncio.run(run_scan(source, analyzers or [], stages=[stage]))


def drift(result: ScanResult) -> list[tuple[str, int, str]]:
    return [(f.path, f.start_line, f.message) for f in result.findings if f.kind is Kind.DRIFT]


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_added_and_changed_dependencies_are_checked_and_nothing_else(repo: Repo, npm_stage: DriftStage) -> None:
    repo.commit({"package.json": package_json("acme", dependencies={"next": "^16.0.0", "left-pad": "^1.0.0"})}, "base")
    repo.branch()
    head = package_json(
        "acme",
        dependencies={"left-pad": "^1.0.0", "next": "^14.2.0", "@types/node": "^20.11.0"},
        devDependencies={"vitest": "^0.34.6"},
    )
    repo.commit({"package.json": head}, "pr")
    result = scan(repo, npm_stage)
    assert sorted(drift(result)) == sorted(
        [
            ("package.json", line_of(head, '"next"'), "next is 2 major versions behind (spec: ^14.2.0, latest: 16.1.6)."),
            ("package.json", line_of(head, '"@types/node"'), "@types/node is 5 major versions behind (spec: ^20.11.0, latest: 25.2.3)."),
            ("package.json", line_of(head, '"vitest"'), "vitest is 4 major versions behind (spec: ^0.34.6, latest: 4.0.18)."),
            ("package.json", 2, "0% -> 75% of dependencies are 2+ major versions behind in acme."),
        ]
    )
    vitest = next(f for f in result.findings if f.properties.get("package") == "vitest")
    assert vitest.properties == {
        "ecosystem": "npm",
        "package": "vitest",
        "spec": "^0.34.6",
        "current": None,
        "latest": "4.0.18",
        "majorsBehind": 4,
        "manifest": "package.json",
        "workspace": "acme",
        "group": "devDependencies",
    }
    assert [(s.name, s.state) for s in result.scanners] == [("npm registry", ScannerState.OK)]


def test_reordering_whitespace_unrelated_edits_and_removals_report_nothing(repo: Repo, npm_stage: DriftStage) -> None:
    base = {"name": "acme", "version": "1.0.0", "dependencies": {"vitest": "^0.34.6", "next": "^14.2.0", "left-pad": "^1.0.0"}}
    repo.commit({"package.json": json.dumps(base, indent=2)}, "base")
    repo.branch()
    head = {"name": "acme", "version": "1.0.1", "scripts": {"test": "vitest"}, "dependencies": {"next": "^14.2.0", "vitest": "^0.34.6"}}
    repo.commit({"package.json": json.dumps(head, indent=4) + "\n"}, "pr")
    result = scan(repo, npm_stage)
    assert drift(result) == []
    assert result.notices == ()


def test_lockfile_pins_current_and_a_lockfile_only_change_is_checked(repo: Repo, npm_stage: DriftStage) -> None:
    manifest = package_json("acme", dependencies={"next": "^14.0.0", "vitest": ">=0.34.0"})

    def lock(next_version: str, vitest_version: str) -> str:
        packages = {
            "": {"name": "acme", "version": "1.0.0", "dependencies": {"next": "^14.0.0", "vitest": ">=0.34.0"}},
            "node_modules/next": {"version": next_version},
            "node_modules/vitest": {"version": vitest_version},
        }
        return json.dumps({"name": "acme", "lockfileVersion": 3, "requires": True, "packages": packages}, indent=2)

    repo.commit({"package.json": manifest, "package-lock.json": lock("14.2.35", "0.34.6")}, "base")
    repo.branch()
    repo.commit({"package-lock.json": lock("14.2.35", "1.6.1")}, "pr: npm update vitest")
    result = scan(repo, npm_stage)
    found = drift(result)
    assert ("package.json", line_of(manifest, '"vitest"'), "Vitest is 3 major versions behind (current: 1.6.1, latest: 4.0.18).") in found
    assert not any("Next.js" in message for _, _, message in found)  # its locked version did not move


def test_a_lock_entry_the_spec_does_not_admit_is_not_the_current_version(repo: Repo, npm_stage: DriftStage) -> None:
    """A lockfile the PR did not update (vitest's entry is for the old spec), and a hoisted copy
    that another package needs (next 14 at node_modules/next): both are counted from the spec."""
    lock = {
        "lockfileVersion": 3,
        "packages": {"": {"name": "acme"}, "node_modules/vitest": {"version": "0.34.6"}, "node_modules/next": {"version": "14.2.35"}},
    }
    repo.commit({"package.json": package_json("acme", dependencies={"vitest": "^0.34.6"}), "package-lock.json": json.dumps(lock)}, "base")
    repo.branch()
    head = package_json("acme", dependencies={"vitest": "^4.0.0", "next": "^16.0.0", "left-pad": "^1.0.0"})
    repo.commit({"package.json": head}, "pr")
    found = drift(scan(repo, npm_stage))
    assert found == [("package.json", 2, "100% -> 0% of dependencies are 2+ major versions behind in acme.")]


def test_shrinkwrap_wins_over_package_lock(repo: Repo, npm_stage: DriftStage) -> None:
    def lock(version: str) -> str:
        return json.dumps({"lockfileVersion": 3, "packages": {"": {"name": "acme"}, "node_modules/vitest": {"version": version}}})

    repo.commit({"package.json": package_json("acme", dependencies={})}, "base")
    repo.branch()
    manifest = package_json("acme", dependencies={"vitest": ">=0.34.0"})
    repo.commit({"package.json": manifest, "package-lock.json": lock("0.34.6"), "npm-shrinkwrap.json": lock("2.1.9")}, "pr")
    found = drift(scan(repo, npm_stage))
    assert ("package.json", line_of(manifest, '"vitest"'), "Vitest is 2 major versions behind (current: 2.1.9, latest: 4.0.18).") in found


def test_locked_version_wording_uses_the_display_name(repo: Repo, npm_stage: DriftStage) -> None:
    repo.commit({"package.json": package_json("acme", dependencies={})}, "base")
    repo.branch()
    manifest = package_json("acme", dependencies={"next": "^14.0.0"})
    lock = {"lockfileVersion": 3, "packages": {"": {"name": "acme"}, "node_modules/next": {"version": "14.2.35"}}}
    repo.commit({"package.json": manifest, "package-lock.json": json.dumps(lock)}, "pr")
    found = drift(scan(repo, npm_stage))
    assert ("package.json", line_of(manifest, '"next"'), "Next.js is 2 major versions behind (current: 14.2.35, latest: 16.1.6).") in found


def test_workspace_summary_per_package_with_its_base_share(repo: Repo, npm_stage: DriftStage) -> None:
    api_base = package_json("@acme/api", dependencies={"next": "^16.0.0", "left-pad": "^1.0.0"})
    repo.commit({"package.json": package_json("acme", workspaces=["packages/*"]), "packages/api/package.json": api_base}, "base")  # type: ignore[arg-type]
    repo.branch()
    api_head = package_json("@acme/api", dependencies={"next": "^16.0.0", "left-pad": "^1.0.0", "vitest": "^2.0.0"})
    repo.commit({"packages/api/package.json": api_head}, "pr")
    found = drift(scan(repo, npm_stage))
    assert ("packages/api/package.json", 2, "0% -> 33% of dependencies are 2+ major versions behind in @acme/api.") in found
    assert ("packages/api/package.json", line_of(api_head, '"vitest"'), "vitest is 2 major versions behind (spec: ^2.0.0, latest: 4.0.18).") in found


def test_outside_specs_and_unknown_packages_are_notices(repo: Repo, npm_stage: DriftStage) -> None:
    repo.commit({"package.json": package_json("acme", dependencies={})}, "base")
    repo.branch()
    head = package_json(
        "acme",
        dependencies={
            "mine": "file:../mine",
            "forked": "github:someone/forked#main",
            "sibling": "workspace:*",
            "no-such-package-here": "^1.0.0",
        },
    )
    repo.commit({"package.json": head}, "pr")
    result = scan(repo, npm_stage)
    assert drift(result) == []
    notices = {(n.kind, n.line): n.message for n in result.notices}
    assert notices[(NoticeKind.SKIPPED, line_of(head, '"no-such-package-here"'))] == "no-such-package-here not found in npm registry"
    for key in ("mine", "forked", "sibling"):
        message = notices[(NoticeKind.SKIPPED, line_of(head, f'"{key}"'))]
        assert message.startswith(f"{key}: ") and "not checked against a registry" in message


def test_a_broken_manifest_is_a_notice_and_the_rest_of_the_scan_goes_on(repo: Repo, npm_stage: DriftStage) -> None:
    repo.commit({"package.json": package_json("acme", dependencies={}), "src/app.js": "const a = 1;\n"}, "base")
    repo.branch()
    broken = '{\n  "name": "acme",\n  "dependencies": {\n    "vitest": "^0.34.6",,\n  }\n}\n'
    repo.commit({"package.json": broken, "src/app.js": "const a = 1;\neval(req.query.code);\n"}, "pr")
    result = scan(repo, npm_stage, [OwaspAnalyzer()])
    [notice] = [n for n in result.notices if n.path == "package.json"]
    assert notice.kind is NoticeKind.UNPARSEABLE and notice.line == 4
    assert [(f.path, f.start_line) for f in result.findings if f.kind is Kind.OWASP] == [("src/app.js", 2)]


def test_registry_not_configured_is_a_scanner_state(repo: Repo) -> None:
    repo.commit({"package.json": package_json("acme", dependencies={})}, "base")
    repo.branch()
    repo.commit({"package.json": package_json("acme", dependencies={"vitest": "^0.34.6"})}, "pr")
    result = scan(repo, DriftStage({Ecosystem.NPM: None, Ecosystem.PYPI: None}))
    assert drift(result) == []
    [status] = result.scanners
    assert (status.name, status.state) == ("npm registry", ScannerState.UNAVAILABLE)
    assert "NPM_CONFIG_REGISTRY" in status.detail


def test_a_registry_that_hangs_is_unavailable_and_the_scan_completes(
    repo: Repo, npm_registry_server: NpmServer, latency_proxy: Callable[..., object]
) -> None:
    proxy = latency_proxy(npm_registry_server.url)
    proxy.mode = "hang"  # type: ignore[attr-defined]
    budget = RetryBudget(attempts=2, total_seconds=2.0, connect_timeout=0.5, read_timeout=0.5)
    registry = npm_registry_from_env({"NPM_CONFIG_REGISTRY": proxy.via(npm_registry_server.url)}, cache=MemoryCache(), retry=budget)  # type: ignore[attr-defined]
    repo.commit({"package.json": package_json("acme", dependencies={}), "src/app.js": "x;\n"}, "base")
    repo.branch()
    repo.commit({"package.json": package_json("acme", dependencies={"vitest": "^0.34.6", "next": "^14.0.0"}), "src/app.js": "x;\neval(req.body.x);\n"}, "pr")
    result = scan(repo, DriftStage({Ecosystem.NPM: registry, Ecosystem.PYPI: None}), [OwaspAnalyzer()])
    assert drift(result) == []
    [status] = result.scanners
    assert (status.name, status.state) == ("npm registry", ScannerState.UNAVAILABLE)
    assert [f.rule_id for f in result.findings] == ["js-eval-dynamic"]
    assert result.seconds < 10


def test_python_requirements_and_pyproject(repo: Repo, simple_index: tuple[IndexServer, IndexServer, IndexServer]) -> None:
    json_index = simple_index[0]
    registry = pypi_registry_from_env({"PIP_INDEX_URL": json_index.url}, cache=MemoryCache())
    stage = DriftStage({Ecosystem.NPM: None, Ecosystem.PYPI: registry})
    pyproject_base = '[project]\nname = "acme-svc"\nversion = "1.0"\ndependencies = [\n  "friendly-bard>=1.0",\n]\n'
    repo.commit({"requirements.txt": "friendly-bard==1.0.0\n", "pyproject.toml": pyproject_base}, "base")
    repo.branch()
    requirements = "friendly-bard==1.0.0\ndemo-lib[extra]==1.0.0 ; python_version >= '3.8'\n"
    pyproject = '[project]\nname = "acme-svc"\nversion = "1.0"\ndependencies = [\n  "friendly-bard>=1.0",\n  "demo-lib>=1.5,<2",\n]\n'
    repo.commit({"requirements.txt": requirements, "pyproject.toml": pyproject}, "pr")
    found = drift(scan(repo, stage))
    # demo-lib: 2.1.0 is yanked, 3.0.0rc1 and 3.1.0.dev1 are pre-releases: latest is 2.0.0.
    assert ("requirements.txt", 2, "demo-lib is 1 major version behind (spec: ==1.0.0, latest: 2.0.0).") in found
    assert ("pyproject.toml", 6, "demo-lib is 1 major version behind (spec: >=1.5,<2, latest: 2.0.0).") in found
    assert ("pyproject.toml", 2, "50% of dependencies are 2+ major versions behind in acme-svc.") not in found
    assert not any(path == "requirements.txt" and "friendly" in message for path, _, message in found)


def test_a_lockfile_only_change_reaches_the_workspace_package_it_moved(repo: Repo, npm_stage: DriftStage) -> None:
    api = package_json("@acme/api", dependencies={"vitest": ">=0.34.0"})

    def lock(vitest_version: str) -> str:
        packages = {
            "": {"name": "acme", "workspaces": ["packages/*"]},
            "packages/api": {"name": "@acme/api", "version": "1.0.0", "dependencies": {"vitest": ">=0.34.0"}},
            "node_modules/@acme/api": {"resolved": "packages/api", "link": True},
            "packages/api/node_modules/vitest": {"version": vitest_version},
        }
        return json.dumps({"name": "acme", "lockfileVersion": 3, "packages": packages}, indent=2)

    files = {"package.json": package_json("acme", workspaces=["packages/*"]), "packages/api/package.json": api}  # type: ignore[arg-type]
    repo.commit({**files, "package-lock.json": lock("0.34.6")}, "base")
    repo.branch()
    repo.commit({"package-lock.json": lock("2.1.9")}, "pr")
    found = drift(scan(repo, npm_stage))
    assert ("packages/api/package.json", line_of(api, '"vitest"'), "Vitest is 2 major versions behind (current: 2.1.9, latest: 4.0.18).") in found
    assert ("packages/api/package.json", 2, "100% of dependencies are 2+ major versions behind in @acme/api.") in found  # 4 behind before, 2 after


def test_requirements_files_take_no_version_from_poetry_or_uv_locks(
    repo: Repo, simple_index: tuple[IndexServer, IndexServer, IndexServer]
) -> None:
    """uv.lock and poetry.lock lock a pyproject.toml; a requirements file beside or below one is
    installed on its own terms."""
    registry = pypi_registry_from_env({"PIP_INDEX_URL": simple_index[0].url}, cache=MemoryCache())
    stage = DriftStage({Ecosystem.NPM: None, Ecosystem.PYPI: registry})
    uv_lock = 'version = 1\nrequires-python = ">=3.11"\n\n[[package]]\nname = "demo-lib"\nversion = "1.0.0"\nsource = { registry = "https://pypi.example/simple" }\n'
    repo.commit({"uv.lock": uv_lock, "docs/requirements.txt": "friendly-bard==1.0.0\n"}, "base")
    repo.branch()
    repo.commit({"docs/requirements.txt": "friendly-bard==1.0.0\ndemo-lib==2.0.0\n"}, "pr")
    found = drift(scan(repo, stage))
    assert found == [("docs/requirements.txt", 1, "0% of dependencies are 2+ major versions behind in docs/requirements.txt.")]


def test_requirements_includes_are_read_as_part_of_the_file(repo: Repo, simple_index: tuple[IndexServer, IndexServer, IndexServer]) -> None:
    """`-r` files count in the share and a change in one is checked, once; `-c` files declare
    nothing; includes that cannot be read are notices at their line."""
    registry = pypi_registry_from_env({"PIP_INDEX_URL": simple_index[0].url}, cache=MemoryCache())
    stage = DriftStage({Ecosystem.NPM: None, Ecosystem.PYPI: registry})
    base_requirements = "-r base.txt\n-c constraints.txt\n-r requirements/common.txt\nfriendly-bard==1.0.0\n"
    repo.commit(
        {
            "requirements.txt": base_requirements,
            "requirements-dev.txt": "-r base.txt\n",
            "base.txt": "demo-lib==2.0.0\n-r requirements.txt\n",  # a cycle: read once
            "constraints.txt": "partly-yanked==0.1\n",
            "requirements/common.txt": "\n",
        },
        "base",
    )
    repo.branch()
    head_requirements = base_requirements + "-r missing.txt\n-r ../outside.txt\n-r https://example.com/r.txt\n"
    repo.commit(
        {
            "requirements.txt": head_requirements,
            "base.txt": "demo-lib==0.5.0\n-r requirements.txt\n",  # not a manifest by name: checked with those including it
            "requirements-dev.txt": "-r base.txt\n\n",  # changed too, and includes base.txt: demo-lib reported once
            "requirements/common.txt": "friendly-bard==0.9\n",  # a manifest itself: reported once, by itself
        },
        "pr",
    )
    result = scan(repo, stage)
    assert sorted(drift(result)) == sorted(
        [
            ("base.txt", 1, "demo-lib is 2 major versions behind (spec: ==0.5.0, latest: 2.0.0)."),
            ("requirements/common.txt", 1, "friendly-bard is 1 major version behind (spec: ==0.9, latest: 1.0.0)."),
            ("requirements/common.txt", 1, "0% of dependencies are 2+ major versions behind in requirements/common.txt."),
            # friendly-bard (worst: 1 behind) and demo-lib (0, then 2); partly-yanked is only a constraint.
            ("requirements.txt", 1, "0% -> 50% of dependencies are 2+ major versions behind in requirements.txt."),
            # base.txt includes requirements.txt back: the same three files, from the other end.
            ("requirements-dev.txt", 1, "0% -> 50% of dependencies are 2+ major versions behind in requirements-dev.txt."),
        ]
    )
    summary = next(f for f in result.findings if f.path == "requirements.txt")
    assert summary.properties["dependencies"] == 2
    notices = sorted((n.path, n.line, n.message) for n in result.notices)
    assert notices == [
        ("requirements.txt", 5, "-r missing.txt: missing.txt not found; its dependencies are not counted"),
        ("requirements.txt", 6, "-r ../outside.txt: not a file in the repository; its dependencies are not counted"),
        ("requirements.txt", 7, "-r https://example.com/r.txt: not a file in the repository; its dependencies are not counted"),
    ]


PNPM_LOCK = """lockfileVersion: '9.0'

importers:

  .:
    dependencies:
      vitest:
        specifier: '>=0.34.0'
        version: 1.6.1

packages:

  vitest@1.6.1:
    resolution: {integrity: sha512-x}
"""

YARN_BERRY_LOCK = """__metadata:
  version: 8

"vitest@npm:>=0.34.0":
  version: 2.1.9
  resolution: "vitest@npm:2.1.9"
"""


@pytest.mark.parametrize(
    ("lockfile", "text", "current"),
    [("pnpm-lock.yaml", PNPM_LOCK, "1.6.1"), ("yarn.lock", YARN_BERRY_LOCK, "2.1.9")],
)
def test_pnpm_and_yarn_locks_give_the_current_version(repo: Repo, npm_stage: DriftStage, lockfile: str, text: str, current: str) -> None:
    repo.commit({"package.json": package_json("acme", dependencies={})}, "base")
    repo.branch()
    manifest = package_json("acme", dependencies={"vitest": ">=0.34.0"})
    repo.commit({"package.json": manifest, lockfile: text}, "pr")
    found = drift(scan(repo, npm_stage))
    majors = 4 - int(current.split(".")[0])
    expected = f"Vitest is {majors} major versions behind (current: {current}, latest: 4.0.18)."
    assert ("package.json", line_of(manifest, '"vitest"'), expected) in found


def test_broken_yaml_lockfile_and_toml_manifest_are_notices_and_the_scan_goes_on(repo: Repo, npm_stage: DriftStage) -> None:
    repo.commit({"package.json": package_json("acme", dependencies={})}, "base")
    repo.branch()
    manifest = package_json("acme", dependencies={"vitest": "^0.34.6"})
    broken_lock = "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies: [unclosed\n"
    broken_toml = '[project]\nname = "svc"\ndependencies = [\n  "demo-lib>=1",\n'
    repo.commit({"package.json": manifest, "pnpm-lock.yaml": broken_lock, "svc/pyproject.toml": broken_toml}, "pr")
    result = scan(repo, npm_stage)
    notices = {n.path: n for n in result.notices}
    assert notices["pnpm-lock.yaml"].kind is NoticeKind.UNPARSEABLE and notices["pnpm-lock.yaml"].line == 5
    assert notices["pnpm-lock.yaml"].message.endswith("versions are counted from the manifest's specs")
    assert notices["svc/pyproject.toml"].kind is NoticeKind.UNPARSEABLE and notices["svc/pyproject.toml"].line is not None
    # The manifest beside the broken lockfile is still checked, from its spec.
    assert ("package.json", line_of(manifest, '"vitest"'), "vitest is 4 major versions behind (spec: ^0.34.6, latest: 4.0.18).") in drift(result)


def test_poetry_tables_in_poetrys_syntax_with_and_without_poetry_lock(
    repo: Repo, simple_index: tuple[IndexServer, IndexServer, IndexServer]
) -> None:
    registry = pypi_registry_from_env({"PIP_INDEX_URL": simple_index[0].url}, cache=MemoryCache())
    stage = DriftStage({Ecosystem.NPM: None, Ecosystem.PYPI: registry})
    base = '[tool.poetry]\nname = "svc"\n\n[tool.poetry.dependencies]\npython = "^3.11"\n'
    repo.commit({"pyproject.toml": base, "lib/pyproject.toml": base.replace("svc", "lib")}, "base")
    repo.branch()
    head = base + 'demo-lib = "^1.0"\nfriendly-bard = "*"\n'
    lock = '[[package]]\nname = "demo-lib"\nversion = "1.5.0"\n\n[metadata]\nlock-version = "2.0"\n'
    repo.commit({"pyproject.toml": head, "poetry.lock": lock, "lib/pyproject.toml": head.replace("svc", "lib")}, "pr")
    result = scan(repo, stage)
    found = drift(result)
    assert ("pyproject.toml", 6, "demo-lib is 1 major version behind (current: 1.5.0, latest: 2.0.0).") in found
    # lib/ has no poetry.lock of its own: the nearest one above counts, as for npm workspaces
    # (and its demo-lib 1.5.0 is admitted by ^1.0).
    assert ("lib/pyproject.toml", 6, "demo-lib is 1 major version behind (current: 1.5.0, latest: 2.0.0).") in found
    assert not any("friendly-bard" in message for _, _, message in found)  # "*" admits the latest
    assert not [n for n in result.notices if "not a PEP 440" in n.message]


def _workspace_change(repo: Repo) -> tuple[str, str]:
    """A PR that raises `next` in the root manifest (a spec change: asked before the lockfile
    is read) and moves the locked vitest of workspace api without touching its spec (a
    lockfile-only change: asked once the lockfile is parsed)."""
    api = package_json("@acme/api", dependencies={"vitest": ">=0.34.0", "next": "^14.0.0"})

    def files(next_spec: str, vitest_version: str) -> dict[str, str | None]:
        root = package_json("acme", workspaces=["packages/*"], dependencies={"next": next_spec})  # type: ignore[arg-type]
        packages = {
            "": {"name": "acme", "workspaces": ["packages/*"], "dependencies": {"next": next_spec}},
            "packages/api": {"name": "@acme/api", "version": "1.0.0", "dependencies": {"vitest": ">=0.34.0", "next": "^14.0.0"}},
            "node_modules/@acme/api": {"resolved": "packages/api", "link": True},
            "node_modules/next": {"version": "15.5.9" if next_spec == "^15.0.0" else "14.2.35"},
            "packages/api/node_modules/next": {"version": "14.2.35"},
            "packages/api/node_modules/vitest": {"version": vitest_version},
        }
        lock = json.dumps({"name": "acme", "lockfileVersion": 3, "packages": packages}, indent=2)
        return {"package.json": root, "packages/api/package.json": api, "package-lock.json": lock}

    repo.commit(files("^14.0.0", "0.34.6"), "base")
    repo.branch()
    head = files("^15.0.0", "2.1.9")
    repo.commit(head, "pr")
    return head["package.json"] or "", api


def test_spec_changes_are_asked_early_lockfile_moves_late_and_each_package_once(
    repo: Repo, npm_registry_server: NpmServer, latency_proxy: Callable[..., object]
) -> None:
    proxy = latency_proxy(npm_registry_server.url)
    registry = npm_registry_from_env({"NPM_CONFIG_REGISTRY": proxy.via(npm_registry_server.url)}, cache=MemoryCache())  # type: ignore[attr-defined]
    root, api = _workspace_change(repo)
    found = drift(scan(repo, DriftStage({Ecosystem.NPM: registry, Ecosystem.PYPI: None})))
    assert ("package.json", line_of(root, '"next"'), "Next.js is 1 major version behind (current: 15.5.9, latest: 16.1.6).") in found
    assert ("packages/api/package.json", line_of(api, '"vitest"'), "Vitest is 2 major versions behind (current: 2.1.9, latest: 4.0.18).") in found
    asked = sorted(e.target for e in proxy.exchanges)  # type: ignore[attr-defined]
    assert asked == ["/next", "/vitest"]


def test_a_registry_found_down_early_is_not_asked_again_for_the_lockfile_moves(
    repo: Repo, npm_registry_server: NpmServer, latency_proxy: Callable[..., object]
) -> None:
    proxy = latency_proxy(npm_registry_server.url)
    proxy.mode = "hang"  # type: ignore[attr-defined]
    budget = RetryBudget(attempts=2, total_seconds=1.5, connect_timeout=0.5, read_timeout=0.5)
    registry = npm_registry_from_env({"NPM_CONFIG_REGISTRY": proxy.via(npm_registry_server.url)}, cache=MemoryCache(), retry=budget)  # type: ignore[attr-defined]
    _workspace_change(repo)
    result = scan(repo, DriftStage({Ecosystem.NPM: registry, Ecosystem.PYPI: None}))
    assert drift(result) == []
    [status] = result.scanners
    assert (status.name, status.state) == ("npm registry", ScannerState.UNAVAILABLE)
    assert not any(e.target == "/vitest" for e in proxy.exchanges)  # type: ignore[attr-defined]
