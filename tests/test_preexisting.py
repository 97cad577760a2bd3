"""Pre-existing findings: the base-vs-head identity, through both real sources.

`split_preexisting` is the rule; the local git source (`prwarden scan`) and the GitHub pull
request source (against the fake GitHub, which is backed by real git repositories) must both
give the pipeline the base side it compares with, renames included.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import pytest

from bot.github.client import GitHubApp
from bot.model import ScanResult
from bot.owasp.engine import OwaspAnalyzer
from bot.scan import run_scan, split_preexisting
from bot.sources.github_pr import GitHubPullSource
from bot.sources.local_git import LocalGitSource
from tests.factories import make_finding
from tests.fakegithub import FakeGitHub
from tests.test_owasp_engine import EVAL_RULE_TEXT, write_rules

INSTALLATION = 4711


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory: pytest.TempPathFactory) -> OwaspAnalyzer:
    return OwaspAnalyzer(write_rules(tmp_path_factory.mktemp("pre"), EVAL_RULE_TEXT))


# --- the rule ---------------------------------------------------------------------------------


def f(line: int, snippet: str = "eval(x);", rule: str = "js-eval-dynamic", occurrence: int = 0):
    return make_finding(start_line=line, end_line=line, snippet=snippet, rule_id=rule, occurrence=occurrence)


def test_split_by_count_not_by_line() -> None:
    base = [f(1), f(5, occurrence=1)]
    head = [f(2), f(3, occurrence=1), f(9, occurrence=2)]
    new, moved = split_preexisting(head, [], base, frozenset({2, 3, 9}))
    assert [x.start_line for x in moved] == [2, 3]
    assert [x.start_line for x in new] == [9]


def test_unchanged_copies_account_for_the_base_first() -> None:
    base = [f(1)]
    head = [f(1), f(2, occurrence=1)]  # the copy on line 1 is untouched: line 2 is new
    new, moved = split_preexisting(head, [], base, frozenset({2}))
    assert [x.start_line for x in new] == [2] and moved == []


def test_whitespace_does_not_matter_but_rule_and_code_do() -> None:
    base = [f(1, "eval( x );"), f(2, "eval(y);", rule="other-rule")]
    head = [f(4, "eval(  x  );"), f(5, "eval(y);")]
    new, moved = split_preexisting(head, [], base, frozenset({4, 5}))
    assert [x.start_line for x in moved] == [4]
    assert [x.start_line for x in new] == [5]


def test_suppressed_copies_count_but_are_neither_new_nor_preexisting() -> None:
    base = [f(1)]
    new, moved = split_preexisting([f(3, occurrence=1)], [f(2)], base, frozenset({2, 3}))
    assert [x.start_line for x in new] == [3] and moved == []


# --- local git (`prwarden scan`) --------------------------------------------------------------

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}

BASE_RUN = "export function run(code) {\n  return eval(code);\n}\n"
HEAD_RUN = "// runner\nexport const VERSION = 2;\n\nexport class Runner {\n  run(code) {\n    return eval(code);\n  }\n}\nexport const again = (s) => eval(s);\n"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=GIT_ENV)


def commit(repo: Path, files: dict[str, str | None], message: str) -> None:
    for name, text in files.items():
        path = repo / name
        if text is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def test_local_git_source_moved_code_and_rename(tmp_path: Path, analyzer: OwaspAnalyzer) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    padding = "".join(f"export const k{i} = {i};\n" for i in range(12))  # keeps the rename detectable
    commit(repo, {"src/run.js": BASE_RUN, "src/old.js": padding + "eval(legacy);\n"}, "base")
    git(repo, "checkout", "-q", "-b", "feature")
    commit(repo, {"src/run.js": HEAD_RUN, "src/old.js": None, "src/new.js": padding + "\n  eval(legacy);\neval(fresh);\n"}, "change")
    result: ScanResult = asyncio.run(run_scan(LocalGitSource(repo, "main", "HEAD"), [analyzer]))
    assert [(x.path, x.start_line) for x in result.findings] == [("src/new.js", 15), ("src/run.js", 9)]
    assert [(x.path, x.start_line) for x in result.preexisting] == [("src/new.js", 14), ("src/run.js", 6)]


# --- GitHub pull request source ---------------------------------------------------------------


def test_github_source_moved_code_and_rename(tmp_path: Path, analyzer: OwaspAnalyzer) -> None:
    padding = "".join(f"export const k{i} = {i};\n" for i in range(12))
    with FakeGitHub(app_id=77, tmp_path=tmp_path / "github") as fake:
        fake.add_installation(INSTALLATION)
        repo = fake.create_repo("octo-org/moves", installation_id=INSTALLATION)
        repo.commit({"src/run.js": BASE_RUN, "src/old.js": padding + "eval(legacy);\n"}, branch="main", message="base")
        repo.branch("feature", "main")
        repo.commit(
            {"src/run.js": HEAD_RUN, "src/old.js": None, "src/new.js": padding + "\n  eval(legacy);\neval(fresh);\n"},
            branch="feature",
            message="change",
        )
        pr = repo.open_pull(base="main", head="feature")
        # The base branch moves on: the merge base, not its tip, is what moved code is compared with.
        repo.commit({"src/run.js": "eval(onMainOnly);\n"}, branch="main", message="main moves")
        app = GitHubApp(app_id=str(fake.app_id), private_key=fake.private_key_pem, api_url=fake.url)

        async def go() -> ScanResult:
            client = app.installation(INSTALLATION)
            async with client.session():
                source = GitHubPullSource(client, "octo-org/moves", pr.number, pr.head_sha, pr.base_sha)
                return await run_scan(source, [analyzer])

        result = asyncio.run(go())
        assert fake.schema_violations == []
    assert [(x.path, x.start_line) for x in result.findings] == [("src/new.js", 15), ("src/run.js", 9)]
    assert [(x.path, x.start_line) for x in result.preexisting] == [("src/new.js", 14), ("src/run.js", 6)]
