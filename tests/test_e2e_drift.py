"""End to end: a pull request that changes package.json, through the bot and the fake GitHub,
with drift answered by a real npm registry (Verdaccio) the tests start."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.botserver import BotServer, wait_for
from tests.fakegithub import FakeGitHub
from tests.registries.fixtures import NpmServer
from tests.test_e2e_pull_request import INSTALLATION, SECRET, completed_runs, fake, pull_with, settings_for  # noqa: F401

BASE = json.dumps({"name": "acme", "version": "1.0.0", "dependencies": {"next": "^16.0.0"}}, indent=2) + "\n"
HEAD = json.dumps({"name": "acme", "version": "1.0.0", "dependencies": {"next": "^16.0.0", "vitest": "^0.34.6", "left-pad": "^0.9.0"}}, indent=2) + "\n"


def test_drift_annotations_on_the_dependency_lines(fake: FakeGitHub, tmp_path: Path, npm_registry_server: NpmServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NPM_CONFIG_REGISTRY", npm_registry_server.url)
    repo, pr = pull_with(fake, {"package.json": BASE, "src/app.js": "x;\n"}, {"package.json": HEAD, "src/app.js": "x;\neval(req.query.q);\n"})
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        fake.deliver(bot.webhook_url, "pull_request", fake.pull_request_payload(repo, pr, action="opened", installation_id=INSTALLATION), SECRET)
        [run] = wait_for(lambda: completed_runs(fake))
    by_line = {(a["path"], a["start_line"]): a for a in run.annotations}
    vitest = by_line[("package.json", 6)]
    assert vitest["message"] == "vitest is 4 major versions behind (spec: ^0.34.6, latest: 4.0.18)."
    assert vitest["annotation_level"] == "warning" and vitest["title"] == "vitest"
    details = json.loads(vitest["raw_details"])
    assert details["kind"] == "drift" and details["properties"]["majorsBehind"] == 4 and details["properties"]["manifest"] == "package.json"
    left_pad = by_line[("package.json", 7)]
    assert left_pad["message"] == "left-pad is 1 major version behind (spec: ^0.9.0, latest: 1.3.0)."
    assert left_pad["annotation_level"] == "notice"
    summary = by_line[("package.json", 2)]
    assert summary["message"] == "0% -> 33% of dependencies are 2+ major versions behind in acme."
    assert ("src/app.js", 2) in by_line  # the OWASP finding in the same scan
    summary_text = run.bodies[-1]["output"]["summary"]
    assert "npm registry: ok" in summary_text


def test_an_unconfigured_registry_is_said_in_the_summary_and_the_run_completes(fake: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NPM_CONFIG_REGISTRY", raising=False)
    monkeypatch.delenv("npm_config_registry", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no user .npmrc
    repo, pr = pull_with(fake, {"package.json": BASE}, {"package.json": HEAD})
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        fake.deliver(bot.webhook_url, "pull_request", fake.pull_request_payload(repo, pr, action="opened", installation_id=INSTALLATION), SECRET)
        [run] = wait_for(lambda: completed_runs(fake))
    assert run.conclusion == "success" and run.annotations == []
    assert "npm registry: unavailable: not configured" in run.bodies[-1]["output"]["summary"]


# --- `.github/prwarden.yml` drift thresholds, read from the base branch ----------------------

ONLY_LEFT_PAD = json.dumps({"name": "acme", "version": "1.0.0", "dependencies": {"next": "^16.0.0", "left-pad": "^0.9.0"}}, indent=2) + "\n"
"""Adds one dependency 1 major behind (left-pad, line 6): a `low` notice by default."""
LEFT_PAD_MESSAGE = "left-pad is 1 major version behind (spec: ^0.9.0, latest: 1.3.0)."
CONFIG_FILE = ".github/prwarden.yml"


def _drift_run(fake: FakeGitHub, tmp_path: Path, base_files: dict[str, str], head_files: dict[str, str | None]):
    repo, pr = pull_with(fake, base_files, head_files)
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        fake.deliver(bot.webhook_url, "pull_request", fake.pull_request_payload(repo, pr, action="opened", installation_id=INSTALLATION), SECRET)
        [run] = wait_for(lambda: completed_runs(fake))
    return run


def _levels(run) -> dict[tuple[str, int], tuple[str, str]]:
    return {(a["path"], a["start_line"]): (a["annotation_level"], a["message"]) for a in run.annotations}


def test_a_dependency_one_major_behind_does_not_fail_by_default(fake: FakeGitHub, tmp_path: Path, npm_registry_server: NpmServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NPM_CONFIG_REGISTRY", npm_registry_server.url)
    run = _drift_run(fake, tmp_path, {"package.json": BASE}, {"package.json": ONLY_LEFT_PAD})
    assert run.conclusion == "success"
    assert _levels(run)[("package.json", 6)] == ("notice", LEFT_PAD_MESSAGE)
    assert "npm registry: ok" in run.bodies[-1]["output"]["summary"]


def test_fail_majors_1_in_the_base_config_fails_a_dependency_one_major_behind(fake: FakeGitHub, tmp_path: Path, npm_registry_server: NpmServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NPM_CONFIG_REGISTRY", npm_registry_server.url)
    config = "drift:\n  fail_majors: 1\n"
    run = _drift_run(fake, tmp_path, {"package.json": BASE, CONFIG_FILE: config}, {"package.json": ONLY_LEFT_PAD})
    assert run.conclusion == "failure"
    levels = _levels(run)
    assert levels[("package.json", 6)] == ("failure", LEFT_PAD_MESSAGE)
    assert not any(path == CONFIG_FILE for path, _ in levels), "a valid config without warnings is not annotated"
    assert "| high | `package.json:6` | " + LEFT_PAD_MESSAGE in run.bodies[-1]["output"]["summary"]


def test_fail_majors_counts_majors_behind_from_its_threshold(fake: FakeGitHub, tmp_path: Path, npm_registry_server: NpmServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """fail_majors 3: vitest (4 behind) fails, left-pad (1 behind) stays a notice."""
    monkeypatch.setenv("NPM_CONFIG_REGISTRY", npm_registry_server.url)
    config = "drift:\n  fail_majors: 3\n"
    run = _drift_run(fake, tmp_path, {"package.json": BASE, CONFIG_FILE: config}, {"package.json": HEAD})
    assert run.conclusion == "failure"
    levels = _levels(run)
    assert levels[("package.json", 6)] == ("failure", "vitest is 4 major versions behind (spec: ^0.34.6, latest: 4.0.18).")
    assert levels[("package.json", 7)] == ("notice", LEFT_PAD_MESSAGE)


def test_fail_majors_above_the_drift_does_not_fail(fake: FakeGitHub, tmp_path: Path, npm_registry_server: NpmServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NPM_CONFIG_REGISTRY", npm_registry_server.url)
    config = "drift:\n  fail_majors: 5\n"
    run = _drift_run(fake, tmp_path, {"package.json": BASE, CONFIG_FILE: config}, {"package.json": HEAD})
    assert run.conclusion == "success"
    assert _levels(run)[("package.json", 6)][0] == "warning"  # vitest, 4 behind: medium


def test_fail_majors_with_fail_on_critical_does_not_fail_and_warns_on_the_config(fake: FakeGitHub, tmp_path: Path, npm_registry_server: NpmServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NPM_CONFIG_REGISTRY", npm_registry_server.url)
    config = "fail_on: critical\ndrift:\n  fail_majors: 1\n"
    run = _drift_run(fake, tmp_path, {"package.json": BASE, CONFIG_FILE: config}, {"package.json": ONLY_LEFT_PAD})
    assert run.conclusion == "success"
    levels = _levels(run)
    assert levels[("package.json", 6)] == ("failure", LEFT_PAD_MESSAGE)  # high, but below the gate
    assert levels[(CONFIG_FILE, 3)] == (
        "warning",
        "`drift.fail_majors` has no effect: drift at fail_majors is `high`, and with fail_on critical a `high` finding does not fail the check",
    )


def test_fail_majors_only_on_the_pull_request_branch_is_ignored(fake: FakeGitHub, tmp_path: Path, npm_registry_server: NpmServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NPM_CONFIG_REGISTRY", npm_registry_server.url)
    config = "drift:\n  fail_majors: 1\n"
    run = _drift_run(fake, tmp_path, {"package.json": BASE}, {"package.json": ONLY_LEFT_PAD, CONFIG_FILE: config})
    assert run.conclusion == "success"
    assert _levels(run)[("package.json", 6)] == ("notice", LEFT_PAD_MESSAGE)


SUMMARY_MESSAGE = "0% -> 33% of dependencies are 2+ major versions behind in acme."


@pytest.mark.parametrize(
    ("config", "shown"),
    [
        (None, True),  # the default threshold is 0: always shown
        ("drift:\n  summary_threshold_percent: 33\n", True),  # at the threshold
        ("drift:\n  summary_threshold_percent: 34\n", False),
        ("drift:\n  summary_threshold_percent: 100\n", False),
    ],
)
def test_summary_threshold_percent_hides_a_workspace_summary_below_it(
    fake: FakeGitHub, tmp_path: Path, npm_registry_server: NpmServer, monkeypatch: pytest.MonkeyPatch, config: str | None, shown: bool
) -> None:
    monkeypatch.setenv("NPM_CONFIG_REGISTRY", npm_registry_server.url)
    base_files = {"package.json": BASE} | ({CONFIG_FILE: config} if config else {})
    run = _drift_run(fake, tmp_path, base_files, {"package.json": HEAD})
    levels = _levels(run)
    summaries = [(where, level_message) for where, level_message in levels.items() if "of dependencies are 2+ major versions behind" in level_message[1]]
    assert summaries == ([(("package.json", 2), ("notice", SUMMARY_MESSAGE))] if shown else [])
    # The per-dependency findings stay either way.
    assert levels[("package.json", 6)][1] == "vitest is 4 major versions behind (spec: ^0.34.6, latest: 4.0.18)."
    assert levels[("package.json", 7)] == ("notice", LEFT_PAD_MESSAGE)
    summary_row = "| info | `package.json:2` | 0% -&gt; 33% of dependencies are 2+ major versions behind in acme. |"  # escaped for markdown
    assert (summary_row in run.bodies[-1]["output"]["summary"]) is shown
    assert run.conclusion == "success"
    assert not any(path == CONFIG_FILE for path, _ in levels)
