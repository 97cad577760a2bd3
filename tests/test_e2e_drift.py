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
