"""End to end: signed webhook -> App auth -> PR files -> changed lines -> check run, against the fake.

Everything here is real except GitHub itself: PR Warden's ASGI app under uvicorn, the embedded
SQLite queue and worker, githubkit over HTTP, and a fake GitHub backed by real git repositories
that checks JWTs, tokens, request bodies (against GitHub's OpenAPI description) and limits.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.config import Settings
from tests.botserver import BotServer, wait_for
from tests.fakegithub import Fault, FakeGitHub

SECRET = "webhook-secret-for-tests"
INSTALLATION = 31337


def settings_for(fake: FakeGitHub, data_dir: Path) -> Settings:
    return Settings(
        app_id=str(fake.app_id),
        private_key=fake.private_key_pem,
        webhook_secret=SECRET,
        api_url=fake.url,
        data_dir=data_dir,
        workers=2,
    )


@pytest.fixture
def fake(tmp_path: Path):
    with FakeGitHub(app_id=4242, tmp_path=tmp_path / "github") as github:
        github.add_installation(INSTALLATION)
        yield github
    assert github.schema_violations == [], "the bot sent a body GitHub's OpenAPI description rejects"


def pull_with(fake: FakeGitHub, base_files: dict[str, str], head_files: dict[str, str | None], name: str = "octo-org/app"):
    repo = fake.create_repo(name, installation_id=INSTALLATION)
    repo.commit(base_files, branch="main", message="base")
    repo.branch("feature", "main")
    repo.commit(head_files, branch="feature", message="change")
    return repo, repo.open_pull(base="main", head="feature")


def completed_runs(fake: FakeGitHub) -> list:
    return [run for run in fake.check_runs.values() if run.status == "completed"]


OLD = "const a = 1;\neval(legacyInput);\nconst b = 2;\n"
NEW = "const a = 1;\neval(legacyInput);\nconst b = 2;\nconst c = 3;\nrun(eval(req.query.code));\n"


def test_new_eval_on_a_changed_line_fails_the_check_with_one_annotation(fake: FakeGitHub, tmp_path: Path) -> None:
    repo, pr = pull_with(fake, {"src/app.js": OLD, "README.md": "hi\n"}, {"src/app.js": NEW, "README.md": "hello\n"})
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        started = time.monotonic()
        answer = fake.deliver(bot.webhook_url, "pull_request", fake.pull_request_payload(repo, pr, action="opened", installation_id=INSTALLATION), SECRET)
        assert answer.status_code == 202, answer.text
        assert time.monotonic() - started < 1.0
        [run] = wait_for(lambda: completed_runs(fake))
    assert run.name == "PR Warden" and run.head_sha == pr.head_sha
    assert run.conclusion == "failure"
    assert [(a["path"], a["start_line"], a["annotation_level"]) for a in run.annotations] == [("src/app.js", 5, "failure")]
    assert run.annotations[0]["message"] == "eval() called with dynamic expression"
    assert run.annotations[0]["title"] == "A03:2021 – Injection"
    # The run was in progress before it completed.
    assert run.bodies[0]["status"] == "in_progress"


def test_clean_change_passes(fake: FakeGitHub, tmp_path: Path) -> None:
    repo, pr = pull_with(fake, {"src/app.js": OLD}, {"src/app.js": OLD + "const safe = eval('1 + 1');\n"})
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        fake.deliver(bot.webhook_url, "pull_request", fake.pull_request_payload(repo, pr, action="synchronize", installation_id=INSTALLATION), SECRET)
        [run] = wait_for(lambda: completed_runs(fake))
    assert run.conclusion == "success" and run.annotations == []


def many_evals(count: int) -> str:
    return "".join(f"eval(input{i});\n" for i in range(count))


def annotation_batches(fake: FakeGitHub) -> list[int]:
    sizes = []
    for record in fake.requests:
        if "/check-runs" in record.path and record.method in ("POST", "PATCH") and (record.status or 500) < 300:
            sizes.append(len(((record.json or {}).get("output") or {}).get("annotations") or []))
        assert record.status is not None or "/check-runs" not in record.path
    return sizes


def test_120_findings_become_120_annotations_in_batches_of_at_most_50(fake: FakeGitHub, tmp_path: Path) -> None:
    repo, pr = pull_with(fake, {"src/keep.js": "x;\n"}, {"src/many.js": many_evals(120)})
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        fake.deliver(bot.webhook_url, "pull_request", fake.pull_request_payload(repo, pr, installation_id=INSTALLATION), SECRET)
        [run] = wait_for(lambda: completed_runs(fake))
    assert len(run.annotations) == 120
    assert sorted(a["start_line"] for a in run.annotations) == list(range(1, 121))
    sizes = annotation_batches(fake)
    assert max(sizes) <= 50 and sum(sizes) == 120


def test_github_faults_still_complete_the_run_without_duplicates(fake: FakeGitHub, tmp_path: Path) -> None:
    repo, pr = pull_with(fake, {"src/keep.js": "x;\n"}, {"src/many.js": many_evals(120)})
    fake.inject("GET", r"/pulls/\d+/files", Fault.status(502), Fault.status(502))
    fake.inject("GET", r"/contents/", Fault.reset())
    fake.inject(
        "PATCH", r"/check-runs/\d+",
        Fault.status(403, headers={"retry-after": "1"}, json={"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}),
        Fault.status(502),
    )
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        fake.deliver(bot.webhook_url, "pull_request", fake.pull_request_payload(repo, pr, installation_id=INSTALLATION), SECRET)
        [run] = wait_for(lambda: completed_runs(fake), timeout=30)
    assert run.conclusion == "failure"
    lines = [a["start_line"] for a in run.annotations]
    assert sorted(lines) == list(range(1, 121)), "every annotation exactly once"
    assert len(fake.check_runs) == 1
    assert fake.faults.pending() == 0, "every injected fault was met and survived"


def test_a_restart_between_accept_and_run_still_completes_the_check_run(fake: FakeGitHub, tmp_path: Path) -> None:
    repo, pr = pull_with(fake, {"a.js": "x;\n"}, {"a.js": "x;\neval(y);\n"})
    data = tmp_path / "data"
    with BotServer(settings_for(fake, data), worker=False) as bot:
        answer = fake.deliver(bot.webhook_url, "pull_request", fake.pull_request_payload(repo, pr, installation_id=INSTALLATION), SECRET)
        assert answer.status_code == 202
    assert fake.check_runs == {}
    with BotServer(settings_for(fake, data)):
        [run] = wait_for(lambda: completed_runs(fake))
    assert run.conclusion == "failure" and [a["start_line"] for a in run.annotations] == [2]


def test_a_redelivered_delivery_id_scans_once(fake: FakeGitHub, tmp_path: Path) -> None:
    repo, pr = pull_with(fake, {"a.js": "x;\n"}, {"a.js": "x;\neval(y);\n"})
    payload = fake.pull_request_payload(repo, pr, installation_id=INSTALLATION)
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        first = fake.deliver(bot.webhook_url, "pull_request", payload, SECRET, delivery_id="11111111-2222-3333-4444-555555555555")
        wait_for(lambda: completed_runs(fake))
        again = fake.deliver(bot.webhook_url, "pull_request", payload, SECRET, delivery_id="11111111-2222-3333-4444-555555555555")
        time.sleep(0.5)
    assert first.status_code == 202 and again.status_code in (200, 202)
    assert again.json()["status"] == "duplicate-delivery"
    assert len(fake.check_runs) == 1


def test_installation_token_is_minted_once_and_reminted_after_revocation(fake: FakeGitHub, tmp_path: Path) -> None:
    repo, pr = pull_with(fake, {"a.js": "x;\n"}, {"a.js": "x;\neval(y);\n"})
    fake.inject("GET", r"/pulls/\d+/files", Fault.revoke_token())
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        fake.deliver(bot.webhook_url, "pull_request", fake.pull_request_payload(repo, pr, installation_id=INSTALLATION), SECRET)
        wait_for(lambda: completed_runs(fake))
        assert fake.tokens_minted == 2  # the first, revoked mid-job, then one more
        repo.commit({"a.js": "x;\neval(z);\n"}, branch="feature", message="push")
        fake.deliver(bot.webhook_url, "pull_request", fake.pull_request_payload(repo, pr, action="synchronize", installation_id=INSTALLATION), SECRET)
        wait_for(lambda: len(completed_runs(fake)) == 2)
    assert fake.tokens_minted == 2  # the second scan reused the cached token


def test_a_job_that_fails_for_good_still_completes_its_run(fake: FakeGitHub, tmp_path: Path) -> None:
    repo, pr = pull_with(fake, {"a.js": "x;\n"}, {"a.js": "x;\neval(y);\n"})
    fake.inject("GET", r"/pulls/\d+/files", *[Fault.status(502)] * 40)
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        fake.deliver(bot.webhook_url, "pull_request", fake.pull_request_payload(repo, pr, installation_id=INSTALLATION), SECRET)
        [run] = wait_for(lambda: completed_runs(fake), timeout=60)
    assert run.conclusion == "failure"
    assert "could not finish" in (run.summary or "") and "502" in (run.summary or "")


def test_patchless_files_are_diffed_against_the_merge_base(fake: FakeGitHub, tmp_path: Path) -> None:
    """GitHub omits `patch` for large diffs; the bot diffs the file itself, three-dot like GitHub."""
    fake.max_patch_lines = 5
    repo = fake.create_repo("octo-org/big", installation_id=INSTALLATION)
    repo.commit({"big.js": "eval(untouched);\nconst a = 1;\n"}, branch="main", message="base")
    repo.branch("feature", "main")
    added = "".join(f"const v{i} = {i};\n" for i in range(10)) + "eval(added);\n"
    repo.commit({"big.js": "eval(untouched);\nconst a = 1;\n" + added}, branch="feature", message="grow")
    # The base branch moves on after the branch point: its change is not part of the PR.
    repo.commit({"big.js": "const moved = 0;\nconst a = 1;\n"}, branch="main", message="main moves")
    pr = repo.open_pull(base="main", head="feature")
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        fake.deliver(bot.webhook_url, "pull_request", fake.pull_request_payload(repo, pr, installation_id=INSTALLATION), SECRET)
        [run] = wait_for(lambda: completed_runs(fake))
    files = [r for r in fake.requests if r.path.endswith("/files") and r.status == 200]
    assert files, "the PR files were listed"
    assert [a["start_line"] for a in run.annotations] == [13]


def test_a_capped_file_list_makes_a_partial_scan(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.max_pr_files = 3  # GitHub's cap is 3000; the fake lets the test hit it with 5 files
    repo, pr = pull_with(fake, {"README.md": "x\n"}, {f"src/f{i}.js": f"eval(x{i});\n" for i in range(5)})
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        fake.deliver(bot.webhook_url, "pull_request", fake.pull_request_payload(repo, pr, installation_id=INSTALLATION), SECRET)
        [run] = wait_for(lambda: completed_runs(fake))
    assert "partial scan" in (run.title or "")
    assert "listed 3 of the 5 changed files" in (run.summary or "")
    assert len(run.annotations) == 3


def test_binary_files_are_reported_as_not_scanned(fake: FakeGitHub, tmp_path: Path) -> None:
    repo, pr = pull_with(fake, {"README.md": "x\n"}, {"src/blob.js": "\0\x01eval(x)\0", "src/ok.js": "eval(y);\n"})
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        fake.deliver(bot.webhook_url, "pull_request", fake.pull_request_payload(repo, pr, installation_id=INSTALLATION), SECRET)
        [run] = wait_for(lambda: completed_runs(fake))
    assert "`src/blob.js`: binary file: not scanned" in (run.summary or "")
    assert [(a["path"], a["start_line"]) for a in run.annotations] == [("src/ok.js", 1)]


def test_files_are_paginated_by_following_link_headers(fake: FakeGitHub, tmp_path: Path) -> None:
    repo, pr = pull_with(fake, {"README.md": "x\n"}, {f"src/f{i:03}.js": f"eval(x{i});\n" for i in range(250)})
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        fake.deliver(bot.webhook_url, "pull_request", fake.pull_request_payload(repo, pr, installation_id=INSTALLATION), SECRET)
        [run] = wait_for(lambda: completed_runs(fake), timeout=60)
    pages = [r for r in fake.requests if r.path.endswith("/files") and r.status == 200]
    assert len(pages) == 3, "250 files at 100 a page"
    assert len({a["path"] for a in run.annotations}) == 250
    assert max(annotation_batches(fake)) <= 50


def test_a_large_change_is_analysed_in_the_helper_process(fake: FakeGitHub, tmp_path: Path) -> None:
    """Over 200 KB of changed code goes to the analysis process; the findings are the same."""
    filler = "".join(f"export const value{i} = compute({i}, 'label-{i}');\n" for i in range(5000))
    big = filler + "eval(req.query.code);\n" + filler + "new Function(req.body.src);\n"
    assert len(big) > 200 * 1024
    repo, pr = pull_with(fake, {"README.md": "x\n"}, {"src/big.js": big})
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        fake.deliver(bot.webhook_url, "pull_request", fake.pull_request_payload(repo, pr, installation_id=INSTALLATION), SECRET)
        [run] = wait_for(lambda: completed_runs(fake), timeout=60)
    assert [a["start_line"] for a in run.annotations] == [5001, 10002]
