"""Findings a change causes by removing code elsewhere in the file (`report_when_removed`).

"Express app without Helmet" is about the whole file: a pull request that deletes
`app.use(helmet())` leaves the line that creates the app unchanged, yet it is what makes the
finding. The pipeline reports such findings on an unchanged line when the base version of the
file does not have them; every other rule's findings on unchanged lines stay unreported.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.github.client import GitHubApp
from bot.model import ScanResult
from bot.owasp.conditions import reports_when_removed
from bot.owasp.engine import OwaspAnalyzer
from bot.owasp.rules import load_rules
from bot.scan import REMOVAL_PROPERTY, run_scan
from bot.sources.github_pr import GitHubPullSource
from bot.sources.local_git import LocalGitSource
from tests.fakegithub import FakeGitHub
from tests.test_preexisting import commit, git

INSTALLATION = 4712

WITH_HELMET = """const express = require("express");
const helmet = require("helmet");

const app = express();
app.use(helmet());
app.use(express.json());

app.get("/health", (req, res) => res.send("ok"));

module.exports = app;
"""
APP_LINE = 4  # `const app = express();`
WITHOUT_HELMET = WITH_HELMET.replace('const helmet = require("helmet");\n', "").replace("app.use(helmet());\n", "")
"""What a pull request that removes helmet leaves: the app is created on line 3."""


@pytest.fixture(scope="module")
def analyzer() -> OwaspAnalyzer:
    return OwaspAnalyzer()


def _scan(repo: Path, analyzer: OwaspAnalyzer) -> ScanResult:
    return asyncio.run(run_scan(LocalGitSource(repo, "main", "HEAD"), [analyzer]))


def _repo(tmp_path: Path, files: dict[str, str | None]) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit(repo, files, "base")
    git(repo, "checkout", "-q", "-b", "feature")
    return repo


def _helmet(result: ScanResult) -> list[tuple[str, int]]:
    return [(f.path, f.start_line) for f in result.findings if f.rule_id == "js-express-without-helmet"]


def test_only_the_helmet_rule_is_flagged() -> None:
    flagged = [rule.id for rule in load_rules() if reports_when_removed(rule.conditions)]
    assert flagged == ["js-express-without-helmet"]


def test_deleting_helmet_reports_the_unchanged_line_that_creates_the_app(
    tmp_path: Path, analyzer: OwaspAnalyzer
) -> None:
    repo = _repo(tmp_path, {"src/app.js": WITH_HELMET})
    commit(repo, {"src/app.js": WITHOUT_HELMET}, "drop helmet")
    result = _scan(repo, analyzer)
    assert _helmet(result) == [("src/app.js", APP_LINE - 1)]
    assert result.findings[0].properties[REMOVAL_PROPERTY]
    assert result.files_scanned == 1


def test_replacing_the_helmet_line_is_reported_too(tmp_path: Path, analyzer: OwaspAnalyzer) -> None:
    repo = _repo(tmp_path, {"src/app.js": WITH_HELMET})
    changed = WITH_HELMET.replace('const helmet = require("helmet");', 'const cors = require("cors");')
    commit(repo, {"src/app.js": changed.replace("app.use(helmet());", "app.use(cors());")}, "cors")
    assert _helmet(_scan(repo, analyzer)) == [("src/app.js", APP_LINE)]


def test_a_file_that_never_had_helmet_is_not_reported_for_an_unrelated_edit(
    tmp_path: Path, analyzer: OwaspAnalyzer
) -> None:
    without = WITHOUT_HELMET
    repo = _repo(tmp_path, {"src/app.js": without})
    commit(repo, {"src/app.js": without.replace('res.send("ok")', 'res.send("fine")')}, "edit")
    assert _helmet(_scan(repo, analyzer)) == []
    # Deleting an unrelated line (nothing else changed) neither.
    commit(repo, {"src/app.js": without.replace("app.use(express.json());\n", "")}, "delete")
    assert _helmet(_scan(repo, analyzer)) == []


def test_keeping_helmet_while_deleting_other_lines_is_not_reported(
    tmp_path: Path, analyzer: OwaspAnalyzer
) -> None:
    repo = _repo(tmp_path, {"src/app.js": WITH_HELMET})
    commit(repo, {"src/app.js": WITH_HELMET.replace("app.use(express.json());\n", "")}, "delete")
    assert _scan(repo, analyzer).findings == ()


def test_a_rename_compares_with_the_old_path(tmp_path: Path, analyzer: OwaspAnalyzer) -> None:
    padding = "".join(f"const k{i} = {i};\n" for i in range(12))  # keeps the rename detectable
    repo = _repo(tmp_path, {"src/app.js": WITH_HELMET + padding})
    commit(repo, {"src/app.js": None, "src/server.js": WITHOUT_HELMET + padding}, "rename")
    assert _helmet(_scan(repo, analyzer)) == [("src/server.js", APP_LINE - 1)]


def test_a_suppressed_app_line_stays_suppressed(tmp_path: Path, analyzer: OwaspAnalyzer) -> None:
    ignored = WITH_HELMET.replace(
        "const app = express();", "// prwarden-ignore: js-express-without-helmet headers set by the proxy\nconst app = express();"
    )
    repo = _repo(tmp_path, {"src/app.js": ignored})
    dropped = ignored.replace('const helmet = require("helmet");\n', "").replace("app.use(helmet());\n", "")
    commit(repo, {"src/app.js": dropped}, "drop helmet")
    result = _scan(repo, analyzer)
    assert result.findings == ()
    assert [f.rule_id for f in result.suppressed] == ["js-express-without-helmet"]


def test_other_rules_stay_quiet_on_unchanged_lines(tmp_path: Path, analyzer: OwaspAnalyzer) -> None:
    """Deleting a sanitizer makes an unchanged sink tainted; only lines the change touches are
    reported, so that finding is not (the rule is not a whole-file rule)."""
    base = """const escapeHtml = require("escape-html");
const express = require("express");
const helmet = require("helmet");
const app = express();
app.use(helmet());
app.get("/hello", (req, res) => {
  let name = req.query.name;
  name = escapeHtml(name);
  res.send("<h1>" + name + "</h1>");
});
"""
    repo = _repo(tmp_path, {"src/app.js": base})
    commit(repo, {"src/app.js": base.replace("  name = escapeHtml(name);\n", "")}, "unsafe")
    assert _scan(repo, analyzer).findings == ()


def test_github_source_reports_a_pure_deletion(tmp_path: Path, analyzer: OwaspAnalyzer) -> None:
    with FakeGitHub(app_id=78, tmp_path=tmp_path / "github") as fake:
        fake.add_installation(INSTALLATION)
        repo = fake.create_repo("octo-org/helmet", installation_id=INSTALLATION)
        repo.commit({"src/app.js": WITH_HELMET}, branch="main", message="base")
        repo.branch("feature", "main")
        repo.commit({"src/app.js": WITHOUT_HELMET}, branch="feature", message="drop")
        pr = repo.open_pull(base="main", head="feature")
        app = GitHubApp(app_id=str(fake.app_id), private_key=fake.private_key_pem, api_url=fake.url)

        async def go() -> ScanResult:
            client = app.installation(INSTALLATION)
            async with client.session():
                source = GitHubPullSource(client, "octo-org/helmet", pr.number, pr.head_sha, pr.base_sha)
                return await run_scan(source, [analyzer])

        result = asyncio.run(go())
        assert fake.schema_violations == []
    assert _helmet(result) == [("src/app.js", APP_LINE - 1)]
