"""End to end: PR Warden living in the pull request, against the fake GitHub.

One summary comment per PR (edited in place, recreated when deleted, one even when scans race),
`/prwarden` commands with permissions and reactions, GitHub's re-run buttons and our Rescan
action, superseded scans, and `.github/prwarden.yml` read from the base branch. Everything is
real but GitHub: the bot's ASGI app under uvicorn, its queue, worker and state store, githubkit
over HTTP; assertions are on what GitHub would show (comments, reactions, check runs).
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from bot.commands import HELP, REFUSED
from bot.report.comment import MARKER, MAX_COMMENT_CHARS, parse_state
from bot.state import SQLiteStateStore
from bot.worker import RESCAN_GATHER_SECONDS
from tests.botserver import BotServer, wait_for
from tests.fakegithub import FakeGitHub, Fault
from tests.fakegithub.comments import IssueCommentState
from tests.fakegithub.fake import FakePull, FakeRepo
from tests.test_e2e_pull_request import INSTALLATION, SECRET, fake, pull_with, settings_for  # noqa: F401

COMMENTS = "/repos/{owner}/{repo}/issues/{issue_number}/comments"
COMMENT = "/repos/{owner}/{repo}/issues/comments/{comment_id}"

BASE_JS = "const a = 1;\nconst b = 2;\n"
ONE_EVAL = BASE_JS + "run(eval(req.query.code));\n"  # one finding, line 3 (fails: high)
OTHER_EVAL = BASE_JS + "const c = 3;\nconst d = 4;\nnew Function(req.body.src);\n"  # line 3 fixed, line 5 new


# ----------------------------------------------------------------------------- helpers
def deliver(fake: FakeGitHub, bot: BotServer, event: str, payload: dict[str, Any]) -> None:
    answer = fake.deliver(bot.webhook_url, event, payload, SECRET)
    assert answer.status_code in (200, 202), answer.text


def opened(fake: FakeGitHub, bot: BotServer, repo: FakeRepo, pr: FakePull, action: str = "opened") -> None:
    deliver(fake, bot, "pull_request", fake.pull_request_payload(repo, pr, action=action, installation_id=INSTALLATION))


def comment_event(fake: FakeGitHub, bot: BotServer, repo: FakeRepo, comment: IssueCommentState, action: str = "created") -> None:
    deliver(fake, bot, "issue_comment", fake.issue_comment_payload(repo, comment, action, installation_id=INSTALLATION))


def our_runs(fake: FakeGitHub, sha: str | None = None) -> list[Any]:
    runs = [r for r in fake.check_runs.values() if r.app_id == fake.app_id and r.name == "PR Warden"]
    return sorted((r for r in runs if sha is None or r.head_sha == sha), key=lambda r: r.id)


def done_runs(fake: FakeGitHub, sha: str | None = None) -> list[Any]:
    return [r for r in our_runs(fake, sha) if r.status == "completed"]


def summaries(fake: FakeGitHub, repo: FakeRepo, pr: FakePull) -> list[IssueCommentState]:
    """Our live summary comments on the PR (bot comments that start with the marker)."""
    return [c for c in fake.bot_comments(repo, pr.number) if c.body.startswith(MARKER)]


def replies(fake: FakeGitHub, repo: FakeRepo, pr: FakePull) -> list[str]:
    """Our other comments on the PR: answers to commands."""
    return [c.body for c in fake.bot_comments(repo, pr.number) if not c.body.startswith(MARKER)]


def the_summary(fake: FakeGitHub, repo: FakeRepo, pr: FakePull) -> IssueCommentState | None:
    found = summaries(fake, repo, pr)
    return found[0] if len(found) == 1 else None


def fingerprints(run: Any) -> list[str]:
    return [json.loads(a["raw_details"])["fingerprint"] for a in run.annotations if a.get("raw_details")]


def reactions(fake: FakeGitHub, comment: IssueCommentState) -> list[str]:
    return [r.content for r in fake.reactions(comment)]


def settle(fake: FakeGitHub, quiet: float = 0.6, timeout: float = 10.0) -> None:
    """Wait until the bot has sent the fake nothing for `quiet` seconds (its queue ran dry)."""
    deadline = time.monotonic() + timeout
    seen, since = len(fake.requests), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = len(fake.requests)
        if now != seen:
            seen, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet and all(r.status == "completed" for r in our_runs(fake)):
            return
    raise AssertionError(f"the bot kept talking to GitHub for {timeout}s")


def scanned_once(fake: FakeGitHub, bot: BotServer, repo: FakeRepo, pr: FakePull) -> tuple[Any, IssueCommentState]:
    """Open the PR and wait for its run and its summary comment."""
    opened(fake, bot, repo, pr)
    [run] = wait_for(lambda: done_runs(fake))
    comment = wait_for(lambda: the_summary(fake, repo, pr))
    settle(fake)
    return run, comment


# ----------------------------------------------------------------------------- 1-3: one summary comment
def test_one_summary_comment_edited_in_place_with_what_is_new_and_fixed(fake: FakeGitHub, tmp_path: Path) -> None:
    repo, pr = pull_with(fake, {"src/app.js": BASE_JS}, {"src/app.js": ONE_EVAL})
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        first_run, _ = scanned_once(fake, bot, repo, pr)
        [comment] = summaries(fake, repo, pr)
        [old_fp] = fingerprints(first_run)
        assert comment.body.startswith(MARKER + "\n")
        assert f"`{old_fp[:8]}`" in comment.body
        assert fake.bot_comments(repo, pr.number) == [comment]
        assert comment.history == []

        repo.commit({"src/app.js": OTHER_EVAL}, branch="feature", message="push")
        opened(fake, bot, repo, pr, action="synchronize")
        wait_for(lambda: len(done_runs(fake, pr.head_sha)) == 1)
        wait_for(lambda: summaries(fake, repo, pr) and summaries(fake, repo, pr)[0].history)
        settle(fake)

    [second_run] = done_runs(fake, pr.head_sha)
    [new_fp] = fingerprints(second_run)
    assert new_fp != old_fp
    [edited] = summaries(fake, repo, pr)
    assert edited.id == comment.id, "the same comment, edited in place"
    assert len(edited.history) == 1 and edited.history[0].startswith(MARKER)
    assert fake.writes("POST", COMMENTS) == 1 and fake.writes("PATCH", COMMENT) == 1
    body = edited.body
    assert "**1 new**" in body and "**1 fixed**" in body
    assert f"`{new_fp[:8]}`" in body and "**new**" in body
    fixed = body.split("### Fixed since the last scan", 1)[1]
    assert f"`{old_fp[:8]}`" in fixed
    state = parse_state(body)
    assert state is not None and state.head_sha == pr.head_sha and state.fingerprints() == {new_fp}


def test_a_deleted_summary_comment_is_recreated_once(fake: FakeGitHub, tmp_path: Path) -> None:
    repo, pr = pull_with(fake, {"src/app.js": BASE_JS}, {"src/app.js": ONE_EVAL})
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        _, comment = scanned_once(fake, bot, repo, pr)
        comment.deleted = True  # a maintainer deleted it in the UI
        assert summaries(fake, repo, pr) == []

        opened(fake, bot, repo, pr, action="synchronize")  # a redelivery or a re-scan of the same head
        wait_for(lambda: len(done_runs(fake)) == 2)
        again = wait_for(lambda: the_summary(fake, repo, pr))
        settle(fake)

    assert [c.id for c in summaries(fake, repo, pr)] == [again.id] and again.id != comment.id
    assert again.history == []  # created, not an edit of the deleted one
    [fp] = fingerprints(done_runs(fake)[-1])
    assert f"`{fp[:8]}`" in again.body


def _suite_for(fake: FakeGitHub, repo: FakeRepo, pr: FakePull) -> Any:
    """A finished run of ours on the head (an earlier scan), so its suite can be re-requested."""
    return fake.create_check_run(repo, pr.head_sha, "PR Warden", app_id=fake.app_id, conclusion="failure")


def _at_once(*calls: Any) -> None:
    threads = [threading.Thread(target=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=15)


def test_two_scans_of_the_same_head_at_once_leave_one_comment(fake: FakeGitHub, tmp_path: Path) -> None:
    repo, pr = pull_with(fake, {"src/app.js": BASE_JS}, {"src/app.js": ONE_EVAL})
    earlier = _suite_for(fake, repo, pr)
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        assert bot.settings.workers == 2
        _at_once(
            lambda: opened(fake, bot, repo, pr),
            lambda: deliver(fake, bot, "check_suite", fake.check_suite_payload(repo, earlier, installation_id=INSTALLATION)),
        )
        wait_for(lambda: len(done_runs(fake)) == 3)  # the earlier one and two scans
        wait_for(lambda: the_summary(fake, repo, pr))
        settle(fake)
    [comment] = fake.bot_comments(repo, pr.number)
    assert comment.body.startswith(MARKER)
    assert fake.writes("POST", COMMENTS) == 1, "created once; the other scan edited it"


def test_two_bot_processes_racing_to_create_the_comment_converge_to_one(fake: FakeGitHub, tmp_path: Path) -> None:
    """No shared lock between processes: both create (GitHub is slow to answer), then the
    newer copy is deleted and the survivor carries the last scan's body."""
    repo, pr = pull_with(fake, {"src/app.js": BASE_JS}, {"src/app.js": ONE_EVAL})
    earlier = _suite_for(fake, repo, pr)
    fake.inject("POST", r"/issues/\d+/comments$", Fault.delay(1.5), Fault.delay(1.5))
    with BotServer(settings_for(fake, tmp_path / "one")) as one, BotServer(settings_for(fake, tmp_path / "two")) as two:
        _at_once(
            lambda: opened(fake, one, repo, pr),
            lambda: deliver(fake, two, "check_suite", fake.check_suite_payload(repo, earlier, installation_id=INSTALLATION)),
        )
        wait_for(lambda: len(done_runs(fake)) == 3)
        wait_for(lambda: the_summary(fake, repo, pr))
        settle(fake, quiet=1.0)
    created = [r for r in fake.requests_to("POST", rf"/issues/{pr.number}/comments$") if r.status == 201]
    assert len(created) == 2, "both processes created a comment"
    [left] = summaries(fake, repo, pr)
    assert [c.id for c in fake.issue_comments(repo, pr.number, include_deleted=True)][0] == left.id, "the oldest is kept"
    [fp] = set(fingerprints(done_runs(fake)[-1]))
    assert f"`{fp[:8]}`" in left.body


# ----------------------------------------------------------------------------- 4: /prwarden commands
def test_rescan_by_a_writer_gets_eyes_then_rocket_and_one_new_run(fake: FakeGitHub, tmp_path: Path) -> None:
    repo, pr = pull_with(fake, {"src/app.js": BASE_JS}, {"src/app.js": ONE_EVAL})
    repo.set_role("writer", "write")
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        scanned_once(fake, bot, repo, pr)
        command = fake.add_issue_comment(repo, pr.number, "/prwarden rescan", user="writer")
        comment_event(fake, bot, repo, command)
        wait_for(lambda: "eyes" in reactions(fake, command), timeout=5)
        wait_for(lambda: "rocket" in reactions(fake, command))
        settle(fake)
    assert reactions(fake, command) == ["eyes", "rocket"]
    runs = done_runs(fake, pr.head_sha)
    assert len(runs) == 2 and runs[1].conclusion == "failure"
    assert len(summaries(fake, repo, pr)) == 1 and replies(fake, repo, pr) == []


def test_two_rescans_within_a_second_make_one_scan_and_both_get_a_rocket(fake: FakeGitHub, tmp_path: Path) -> None:
    repo, pr = pull_with(fake, {"src/app.js": BASE_JS}, {"src/app.js": ONE_EVAL})
    repo.set_role("writer", "write")
    repo.set_role("admin-person", "admin")
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        scanned_once(fake, bot, repo, pr)
        first = fake.add_issue_comment(repo, pr.number, "/prwarden rescan", user="writer")
        second = fake.add_issue_comment(repo, pr.number, "/prwarden rescan owasp", user="admin-person")
        _at_once(lambda: comment_event(fake, bot, repo, first), lambda: comment_event(fake, bot, repo, second))
        wait_for(lambda: "rocket" in reactions(fake, first) and "rocket" in reactions(fake, second))
        settle(fake)
    assert reactions(fake, first) == ["eyes", "rocket"] and reactions(fake, second) == ["eyes", "rocket"]
    assert len(done_runs(fake, pr.head_sha)) == 2, "the first scan and one rescan"


def test_a_command_just_after_a_finished_rescan_is_not_lost(fake: FakeGitHub, tmp_path: Path) -> None:
    """The second command comes within the rescan window but after the first rescan began (here:
    ended): that scan cannot cover it, so it gets a scan of its own, and its rocket."""
    repo, pr = pull_with(fake, {"src/app.js": BASE_JS}, {"src/app.js": ONE_EVAL})
    repo.set_role("writer", "write")
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        first_run, _ = scanned_once(fake, bot, repo, pr)
        [fp] = fingerprints(first_run)
        first = fake.add_issue_comment(repo, pr.number, "/prwarden rescan", user="writer")
        started = time.monotonic()
        comment_event(fake, bot, repo, first)
        wait_for(lambda: "rocket" in reactions(fake, first))
        second = fake.add_issue_comment(repo, pr.number, f"/prwarden ignore {fp[:8]} test fixture", user="writer")
        comment_event(fake, bot, repo, second)
        assert time.monotonic() - started < 4.0, "the second command came within the rescan window"
        wait_for(lambda: "rocket" in reactions(fake, second), timeout=8)
        settle(fake)
    assert reactions(fake, first) == ["eyes", "rocket"] and reactions(fake, second) == ["eyes", "rocket"]
    runs = done_runs(fake, pr.head_sha)
    assert len(runs) == 3, "the first scan, the rescan, and the scan after the ignore"
    assert runs[-1].annotations == [] and runs[-1].conclusion == "success"
    [summary] = summaries(fake, repo, pr)
    assert f"`{fp[:8]}`" in summary.body.split("### Accepted", 1)[1]


def test_commands_that_do_nothing_and_a_refusal(fake: FakeGitHub, tmp_path: Path) -> None:
    repo, pr = pull_with(fake, {"src/app.js": BASE_JS}, {"src/app.js": ONE_EVAL})
    repo.set_role("writer", "write")
    repo.set_role("reader", "read")
    issue = repo.open_issue(title="Not a pull request")
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        scanned_once(fake, bot, repo, pr)
        requests_before = len(fake.requests)

        # Nothing at all: a bot's command, an edited command, a command on a plain issue.
        by_bot = fake.add_issue_comment(repo, pr.number, "/prwarden rescan", user="renovate[bot]")
        comment_event(fake, bot, repo, by_bot)
        ours = fake.add_issue_comment(repo, pr.number, "/prwarden rescan", user=fake.bot_user.login)
        comment_event(fake, bot, repo, ours)
        edited = fake.add_issue_comment(repo, pr.number, "looks good", user="writer")
        edited.history.append(edited.body)
        edited.body = "/prwarden rescan"
        comment_event(fake, bot, repo, edited, action="edited")
        on_issue = fake.add_issue_comment(repo, issue.number, "/prwarden rescan", user="writer")
        comment_event(fake, bot, repo, on_issue)
        settle(fake)
        assert len(fake.requests) == requests_before, "no call to GitHub at all"

        # A read-only user: a polite reply, no eyes, no scan. Once: again, only a "confused".
        refused = fake.add_issue_comment(repo, pr.number, "/prwarden rescan", user="reader")
        comment_event(fake, bot, repo, refused)
        wait_for(lambda: replies(fake, repo, pr))
        again = fake.add_issue_comment(repo, pr.number, "/prwarden rescan", user="reader")
        comment_event(fake, bot, repo, again)
        wait_for(lambda: reactions(fake, again) == ["confused"])
        # Help by a writer: the help text.
        helped = fake.add_issue_comment(repo, pr.number, "/prwarden help", user="writer")
        comment_event(fake, bot, repo, helped)
        wait_for(lambda: len(replies(fake, repo, pr)) == 2)
        wait_for(lambda: "rocket" in reactions(fake, helped))
        settle(fake)

    assert [body for body in replies(fake, repo, pr) if body != ours.body] == [REFUSED, HELP]
    assert reactions(fake, refused) == []
    assert reactions(fake, helped) == ["eyes", "rocket"]
    for nothing in (by_bot, ours, edited, on_issue):
        assert reactions(fake, nothing) == []
    assert fake.issue_comments(repo, issue.number) == [on_issue]
    assert len(done_runs(fake)) == 1, "no command scanned"
    assert len(summaries(fake, repo, pr)) == 1


# ----------------------------------------------------------------------------- 5: re-run buttons
def test_rerun_buttons_and_the_rescan_action(fake: FakeGitHub, tmp_path: Path) -> None:
    repo, pr = pull_with(fake, {"src/app.js": BASE_JS}, {"src/app.js": ONE_EVAL})
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        first, _ = scanned_once(fake, bot, repo, pr)
        assert [a["identifier"] for a in first.actions] == ["rescan"]

        deliver(fake, bot, "check_run", fake.check_run_payload(repo, first, "rerequested", INSTALLATION))
        wait_for(lambda: len(done_runs(fake)) == 2)
        settle(fake)

        # Another app's run (re-run in the UI delivers to every app subscribed): not ours.
        foreign = fake.create_check_run(repo, pr.head_sha, "other-ci", app_id=1111, app_slug="other-ci")
        deliver(fake, bot, "check_run", fake.check_run_payload(repo, foreign, "rerequested", INSTALLATION))
        forged = fake.check_run_payload(repo, first, "rerequested", INSTALLATION)
        forged["check_run"]["app"]["id"] = 1111
        deliver(fake, bot, "check_run", forged)
        suite_of_other = fake.check_suite_payload(repo, foreign, installation_id=INSTALLATION)
        deliver(fake, bot, "check_suite", suite_of_other)
        settle(fake)
        assert len(done_runs(fake)) == 2, "other apps' re-runs are not ours to answer"

        clicked = fake.check_run_payload(repo, done_runs(fake)[-1], "requested_action", INSTALLATION, identifier="rescan", sender="maint")
        deliver(fake, bot, "check_run", clicked)
        wait_for(lambda: len(done_runs(fake)) == 3)
        settle(fake)

        # "Re-run all checks" on a fork PR: GitHub sends no pull_requests; the head is remembered.
        fork = fake.check_suite_payload(repo, first, installation_id=INSTALLATION, fork=True)
        assert fork["check_suite"]["pull_requests"] == []
        deliver(fake, bot, "check_suite", fork)
        wait_for(lambda: len(done_runs(fake)) == 4)
        settle(fake)
        # "Re-run" on one check run of a fork PR: the same.
        fork_run = fake.check_run_payload(repo, first, "rerequested", INSTALLATION, fork=True)
        assert fork_run["check_run"]["pull_requests"] == []
        deliver(fake, bot, "check_run", fork_run)
        wait_for(lambda: len(done_runs(fake)) == 5)
        settle(fake)

    runs = done_runs(fake)
    assert all(r.head_sha == pr.head_sha and r.conclusion == "failure" for r in runs)
    assert all(fingerprints(r) == fingerprints(first) for r in runs)
    assert len(summaries(fake, repo, pr)) == 1


# ----------------------------------------------------------------------------- 6: superseded
@pytest.mark.parametrize("late_action", ["opened", "synchronize"])
def test_a_late_delivery_for_an_older_head_is_superseded(fake: FakeGitHub, tmp_path: Path, late_action: str) -> None:
    repo, pr = pull_with(fake, {"src/app.js": BASE_JS}, {"src/app.js": ONE_EVAL})
    sha1 = pr.head_sha
    late = fake.pull_request_payload(repo, pr, action=late_action, installation_id=INSTALLATION)
    sha2 = repo.commit({"src/app.js": OTHER_EVAL}, branch="feature", message="push")
    assert pr.head_sha == sha2 != sha1
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        opened(fake, bot, repo, pr, action="synchronize")
        deliver(fake, bot, "pull_request", late)  # GitHub's delivery for sha1 arrives last
        cancelled = wait_for(lambda: [r for r in done_runs(fake, sha1) if r.conclusion == "cancelled"])
        wait_for(lambda: done_runs(fake, sha2))
        wait_for(lambda: (c := the_summary(fake, repo, pr)) and (s := parse_state(c.body)) and s.head_sha == sha2)
        settle(fake)

    [old] = our_runs(fake, sha1)
    assert cancelled == [old] and old.title.startswith("Superseded by") and sha2[:12] in old.title
    assert f"Superseded by {sha2}" in old.summary and old.annotations == []
    assert "actions" not in old.bodies[-1], "no Rescan button on a superseded run"
    new_runs = done_runs(fake, sha2)
    assert new_runs and all(r.conclusion == "failure" for r in new_runs)
    assert all(r.status == "completed" for r in our_runs(fake))
    [comment] = summaries(fake, repo, pr)
    state = parse_state(comment.body)
    assert state is not None and state.head_sha == sha2 and state.fingerprints() == set(fingerprints(new_runs[-1]))
    for body in [*comment.history, comment.body]:
        assert sha1 not in body, "the scan of the older head never wrote the comment"


def test_a_push_while_the_older_scan_is_finishing_leaves_the_comment_on_the_new_head(fake: FakeGitHub, tmp_path: Path) -> None:
    """sha1's scan is past its last head check when sha2 is pushed and scanned in full (GitHub
    is slow to complete sha1's run): sha1's scan must not overwrite the comment afterwards."""
    repo, pr = pull_with(fake, {"src/app.js": BASE_JS}, {"src/app.js": ONE_EVAL})
    sha1 = pr.head_sha
    fake.inject("PATCH", r"/check-runs/\d+$", Fault.delay(3.0))  # sha1's run completing
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        opened(fake, bot, repo, pr)
        wait_for(lambda: fake.requests_to("PATCH", r"/check-runs/\d+$"))
        sha2 = repo.commit({"src/app.js": OTHER_EVAL}, branch="feature", message="push")
        opened(fake, bot, repo, pr, action="synchronize")
        wait_for(lambda: done_runs(fake, sha1) and done_runs(fake, sha2))
        settle(fake, quiet=1.0)
    [comment] = summaries(fake, repo, pr)
    state = parse_state(comment.body)
    assert state is not None and state.head_sha == sha2
    assert state.fingerprints() == set(fingerprints(done_runs(fake, sha2)[-1]))


# ----------------------------------------------------------------------------- 7: repo config
BAD_CONFIG = "# PR Warden settings\nowasp:\n  enabled: true\nfail_on: sometimes\n"


def _config_annotations(run: Any) -> list[tuple[str, int, str]]:
    return [(a["path"], a["start_line"], a["annotation_level"]) for a in run.annotations if a["path"] == ".github/prwarden.yml"]


def test_an_invalid_config_on_the_base_branch_makes_the_run_neutral(fake: FakeGitHub, tmp_path: Path) -> None:
    repo, pr = pull_with(fake, {"src/app.js": BASE_JS, ".github/prwarden.yml": BAD_CONFIG}, {"src/app.js": BASE_JS + "const c = 3;\n"})
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        opened(fake, bot, repo, pr)
        [run] = wait_for(lambda: done_runs(fake))
        settle(fake)
    assert run.conclusion == "neutral"
    assert _config_annotations(run) == [(".github/prwarden.yml", 4, "failure")]
    assert "sometimes" in run.annotations[0]["message"] or "fail_on" in run.annotations[0]["message"]
    assert ".github/prwarden.yml` is invalid" in (run.summary or "")


def test_an_invalid_config_with_a_failing_finding_still_fails(fake: FakeGitHub, tmp_path: Path) -> None:
    repo, pr = pull_with(fake, {"src/app.js": BASE_JS, ".github/prwarden.yml": BAD_CONFIG}, {"src/app.js": ONE_EVAL})
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        opened(fake, bot, repo, pr)
        [run] = wait_for(lambda: done_runs(fake))
    assert run.conclusion == "failure"
    assert _config_annotations(run) == [(".github/prwarden.yml", 4, "failure")]


def test_a_config_only_on_the_pull_request_branch_is_ignored(fake: FakeGitHub, tmp_path: Path) -> None:
    relaxing = "fail_on: never\n"  # valid, but the PR cannot relax its own gate
    repo, pr = pull_with(fake, {"src/app.js": BASE_JS}, {"src/app.js": ONE_EVAL, ".github/prwarden.yml": relaxing})
    bad_repo, bad_pr = pull_with(fake, {"src/app.js": BASE_JS}, {"src/app.js": BASE_JS + "const c = 3;\n", ".github/prwarden.yml": BAD_CONFIG}, name="octo-org/other")
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        opened(fake, bot, repo, pr)
        opened(fake, bot, bad_repo, bad_pr)
        wait_for(lambda: len(done_runs(fake)) == 2)
        settle(fake)
    [relaxed] = done_runs(fake, pr.head_sha)
    [bad] = done_runs(fake, bad_pr.head_sha)
    assert relaxed.conclusion == "failure", "the base branch has no config: defaults apply"
    assert bad.conclusion == "success" and _config_annotations(bad) == []
    assert "is invalid" not in (bad.summary or "")


# ----------------------------------------------------------------------------- 8: triage
def test_ignore_by_a_writer_accepts_the_finding(fake: FakeGitHub, tmp_path: Path) -> None:
    repo, pr = pull_with(fake, {"src/app.js": BASE_JS}, {"src/app.js": ONE_EVAL})
    repo.set_role("writer", "write")
    repo.set_role("reader", "read")
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        first, comment = scanned_once(fake, bot, repo, pr)
        [fp] = fingerprints(first)
        short = fp[:8]

        # A reader's ignore is refused and changes nothing.
        sneaky = fake.add_issue_comment(repo, pr.number, f"/prwarden ignore {short} not a problem", user="reader")
        comment_event(fake, bot, repo, sneaky)
        wait_for(lambda: replies(fake, repo, pr))
        settle(fake)
        assert len(done_runs(fake)) == 1

        command = fake.add_issue_comment(repo, pr.number, f"/prwarden ignore {short} the input is a constant here", user="writer")
        comment_event(fake, bot, repo, command)
        wait_for(lambda: len(done_runs(fake)) == 2)
        wait_for(lambda: "rocket" in reactions(fake, command))
        settle(fake)

    second = done_runs(fake)[-1]
    assert second.head_sha == pr.head_sha
    assert second.annotations == [] and second.conclusion == "success"
    [summary] = summaries(fake, repo, pr)
    assert summary.id == comment.id
    accepted = summary.body.split("### Accepted", 1)[1]
    assert f"`{short}`" in accepted
    # "@writer" without mentioning anyone (an invisible joiner after the @)
    assert re.search(r"accepted by @\W?writer: the input is a constant here", accepted)
    assert replies(fake, repo, pr) == [REFUSED]
    assert reactions(fake, command) == ["eyes", "rocket"]


def test_review_comments_when_the_config_asks_once_per_finding(fake: FakeGitHub, tmp_path: Path) -> None:
    config = "review_comments: true\n"
    repo, pr = pull_with(fake, {"src/app.js": BASE_JS, ".github/prwarden.yml": config}, {"src/app.js": ONE_EVAL})
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        opened(fake, bot, repo, pr)
        wait_for(lambda: done_runs(fake) and fake.reviews(repo, pr.number))
        settle(fake)
        [review] = fake.reviews(repo, pr.number)
        [comment] = fake.review_comments(repo, pr.number)
        assert (comment.path, comment.line) == ("src/app.js", 3)
        assert "eval() called with dynamic expression" in comment.body
        # Re-run: the same finding is not commented again.
        [run] = done_runs(fake)
        deliver(fake, bot, "check_run", fake.check_run_payload(repo, run, action="rerequested", installation_id=INSTALLATION))
        wait_for(lambda: len(done_runs(fake)) == 2)
        settle(fake)
    assert len(fake.reviews(repo, pr.number)) == 1 and len(fake.review_comments(repo, pr.number)) == 1


def test_no_review_comments_by_default(fake: FakeGitHub, tmp_path: Path) -> None:
    repo, pr = pull_with(fake, {"src/app.js": BASE_JS}, {"src/app.js": ONE_EVAL})
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        opened(fake, bot, repo, pr)
        wait_for(lambda: done_runs(fake))
        settle(fake)
    assert fake.reviews(repo, pr.number) == []


def test_a_rescan_of_one_kind_runs_only_that_kind_and_never_opens_the_gate(fake: FakeGitHub, tmp_path: Path) -> None:
    repo, pr = pull_with(fake, {"src/app.js": BASE_JS}, {"src/app.js": ONE_EVAL})
    repo.set_role("writer", "write")
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        scanned_once(fake, bot, repo, pr)
        summary_before = the_summary(fake, repo, pr)
        assert summary_before is not None
        body_before = summary_before.body
        command = fake.add_issue_comment(repo, pr.number, "/prwarden rescan drift", user="writer")
        comment_event(fake, bot, repo, command)
        wait_for(lambda: "rocket" in reactions(fake, command))
        settle(fake)
    # The gate (the run a required check names) is still the full scan's: failing.
    gate = done_runs(fake, pr.head_sha)
    assert len(gate) == 1 and gate[0].conclusion == "failure" and gate[0].annotations
    # The drift-only run is beside it, under its own name, and says what it skipped.
    drift_only = [r for r in fake.check_runs.values() if r.app_id == fake.app_id and r.name == "PR Warden (DRIFT only)"]
    assert len(drift_only) == 1 and drift_only[0].head_sha == pr.head_sha
    assert drift_only[0].conclusion == "success" and drift_only[0].annotations == []  # the eval is not looked at
    assert "looked at DRIFT only" in (drift_only[0].summary or "")
    after = the_summary(fake, repo, pr)
    assert after is not None and after.body == body_before


def test_a_rescan_that_fails_for_good_says_so_with_a_reaction(fake: FakeGitHub, tmp_path: Path) -> None:
    repo, pr = pull_with(fake, {"src/app.js": BASE_JS}, {"src/app.js": ONE_EVAL})
    repo.set_role("writer", "write")
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        scanned_once(fake, bot, repo, pr)
        fake.inject("GET", r"/pulls/\d+/files", Fault.status(404, json={"message": "Not Found"}))
        command = fake.add_issue_comment(repo, pr.number, "/prwarden rescan", user="writer")
        comment_event(fake, bot, repo, command)
        wait_for(lambda: "confused" in reactions(fake, command))
        settle(fake)
    assert reactions(fake, command) == ["eyes", "confused"]
    failed = max(done_runs(fake, pr.head_sha), key=lambda r: r.id)
    assert failed.conclusion == "failure" and "404" in (failed.summary or "")


# ----------------------------------------------------------------------------- 9: config warnings, triage, gathering
def runs_named(fake: FakeGitHub, name: str) -> list[Any]:
    return sorted((r for r in fake.check_runs.values() if r.app_id == fake.app_id and r.name == name), key=lambda r: r.id)


def run_names(fake: FakeGitHub) -> list[str]:
    return [r.name for r in sorted((r for r in fake.check_runs.values() if r.app_id == fake.app_id), key=lambda r: r.id)]


def summary_ids(run: Any) -> list[str]:
    """The Id column of the check run summary's findings tables."""
    return re.findall(r"^\|.*\| `([0-9a-f]{8})` \|$", run.summary or "", re.MULTILINE)


WARNING_CONFIG = "# valid, but disables nothing\nrules:\n  disable:\n    - no-such-rule\n"


def test_a_config_warning_is_annotated_and_the_findings_decide_the_conclusion(fake: FakeGitHub, tmp_path: Path) -> None:
    clean_repo, clean_pr = pull_with(fake, {"src/app.js": BASE_JS, ".github/prwarden.yml": WARNING_CONFIG}, {"src/app.js": BASE_JS + "const c = 3;\n"})
    bad_repo, bad_pr = pull_with(fake, {"src/app.js": BASE_JS, ".github/prwarden.yml": WARNING_CONFIG}, {"src/app.js": ONE_EVAL}, name="octo-org/other")
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        opened(fake, bot, clean_repo, clean_pr)
        opened(fake, bot, bad_repo, bad_pr)
        wait_for(lambda: len(done_runs(fake)) == 2)
        settle(fake)
    [clean] = done_runs(fake, clean_pr.head_sha)
    [failing] = done_runs(fake, bad_pr.head_sha)
    assert clean.conclusion == "success" and failing.conclusion == "failure"
    assert [a["path"] for a in clean.annotations] == [".github/prwarden.yml"]
    assert [a["path"] for a in failing.annotations] == [".github/prwarden.yml", "src/app.js"]
    for run in (clean, failing):
        warning = run.annotations[0]
        assert (warning["start_line"], warning["annotation_level"], warning["title"]) == (4, "warning", "PR Warden config warning")
        assert "`no-such-rule` is not a rule this server has" in warning["message"]
        assert "`.github/prwarden.yml` has 1 warning" in (run.summary or "") and "is invalid" not in (run.summary or "")


def test_ignore_by_an_id_from_the_check_run_when_comments_are_off(fake: FakeGitHub, tmp_path: Path) -> None:
    repo, pr = pull_with(fake, {"src/app.js": BASE_JS, ".github/prwarden.yml": "comment: false\n"}, {"src/app.js": ONE_EVAL})
    repo.set_role("writer", "write")
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        opened(fake, bot, repo, pr)
        [first] = wait_for(lambda: done_runs(fake))
        settle(fake)
        [short] = summary_ids(first)
        assert fingerprints(first)[0].startswith(short)
        command = fake.add_issue_comment(repo, pr.number, f"/prwarden ignore {short} only reachable from tests", user="writer")
        comment_event(fake, bot, repo, command)
        wait_for(lambda: "rocket" in reactions(fake, command))
        settle(fake)
    assert reactions(fake, command) == ["eyes", "rocket"]
    [_, second] = done_runs(fake)
    assert second.annotations == [] and second.conclusion == "success" and summary_ids(second) == []
    accepted = (second.summary or "").split("### Accepted", 1)[1]
    assert re.search(rf"- `{short}` `src/app.js:3` .*, accepted by writer: only reachable from tests$", accepted, re.MULTILINE)
    assert fake.bot_comments(repo, pr.number) == [], "comment: false: no summary comment, no reply"


def test_ignore_without_a_reason_explains_the_usage_and_records_nothing(fake: FakeGitHub, tmp_path: Path) -> None:
    repo, pr = pull_with(fake, {"src/app.js": BASE_JS}, {"src/app.js": ONE_EVAL})
    repo.set_role("writer", "write")
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        first, _ = scanned_once(fake, bot, repo, pr)
        [fp] = fingerprints(first)
        command = fake.add_issue_comment(repo, pr.number, f"/prwarden ignore {fp[:8]}", user="writer")
        comment_event(fake, bot, repo, command)
        wait_for(lambda: replies(fake, repo, pr))
        settle(fake, quiet=RESCAN_GATHER_SECONDS + 1)  # a rescan, had one been queued, would have started
    assert reactions(fake, command) == ["eyes"]
    assert replies(fake, repo, pr) == [f"`/prwarden`: usage: `/prwarden ignore <finding-id> <reason>`.\n\n{HELP}"]
    assert len(done_runs(fake)) == 1 and run_names(fake) == ["PR Warden"]
    assert asyncio.run(SQLiteStateStore(tmp_path / "data" / "state.sqlite3").accepted(repo.full_name)) == {}


def _two_commands_a_second_apart(fake: FakeGitHub, tmp_path: Path, first_text: str, second_text: str) -> tuple[Any, list[IssueCommentState], float]:
    """The first scan, then two commands by a writer ~1 s apart; (first run, commands, when the first was delivered)."""
    repo, pr = pull_with(fake, {"src/app.js": BASE_JS}, {"src/app.js": ONE_EVAL})
    repo.set_role("writer", "write")
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        first_run, _ = scanned_once(fake, bot, repo, pr)
        commands = [fake.add_issue_comment(repo, pr.number, text, user="writer") for text in (first_text, second_text)]
        delivered = time.time()
        comment_event(fake, bot, repo, commands[0])
        time.sleep(1.0)
        comment_event(fake, bot, repo, commands[1])
        wait_for(lambda: all("rocket" in reactions(fake, c) for c in commands))
        settle(fake, quiet=1.0)
    for command in commands:
        assert reactions(fake, command) == ["eyes", "rocket"]
    assert all(r.status == "completed" and r.head_sha == pr.head_sha for r in fake.check_runs.values())
    return first_run, commands, delivered


def _created_at(fake: FakeGitHub, run: Any) -> float:
    [created] = [r for r in fake.requests_to("POST", r"/check-runs$") if r.status == 201 and r.json["external_id"] == run.external_id]
    return created.started_at


def test_two_rescans_a_second_apart_are_gathered_into_one_full_scan(fake: FakeGitHub, tmp_path: Path) -> None:
    first, _, delivered = _two_commands_a_second_apart(fake, tmp_path, "/prwarden rescan", "/prwarden rescan")
    assert run_names(fake) == ["PR Warden", "PR Warden"], "one rescan for both commands"
    rescan = done_runs(fake)[-1]
    assert rescan.conclusion == "failure" and fingerprints(rescan) == fingerprints(first)
    assert _created_at(fake, rescan) - delivered >= RESCAN_GATHER_SECONDS, "the rescan waited for more commands"


def test_rescans_of_two_kinds_are_gathered_into_one_run_of_both(fake: FakeGitHub, tmp_path: Path) -> None:
    first, _, _ = _two_commands_a_second_apart(fake, tmp_path, "/prwarden rescan drift", "/prwarden rescan owasp")
    assert run_names(fake) == ["PR Warden", "PR Warden (DRIFT and OWASP only)"], "no new full run, no single-kind run"
    [both] = runs_named(fake, "PR Warden (DRIFT and OWASP only)")
    assert both.conclusion == "failure" and fingerprints(both) == fingerprints(first)
    assert "This run looked at DRIFT and OWASP only" in (both.summary or "")


def test_a_rescan_of_every_kind_widens_a_gathered_rescan_of_one(fake: FakeGitHub, tmp_path: Path) -> None:
    first, _, _ = _two_commands_a_second_apart(fake, tmp_path, "/prwarden rescan drift", "/prwarden rescan")
    assert run_names(fake) == ["PR Warden", "PR Warden"], "one full rescan, no (DRIFT only) run"
    rescan = done_runs(fake)[-1]
    assert rescan.conclusion == "failure" and fingerprints(rescan) == fingerprints(first)


# ----------------------------------------------------------------------------- 10: superseded mid-scan
SLOW_READ = 4.5
"""Under the test client's 5 s timeout, so the slow read would have succeeded had the scan waited."""


def test_a_push_mid_scan_cancels_the_older_scan_without_waiting_for_it(fake: FakeGitHub, tmp_path: Path) -> None:
    repo, pr = pull_with(fake, {"src/app.js": BASE_JS}, {"src/app.js": ONE_EVAL})
    sha1 = pr.head_sha
    fake.inject("GET", r"/contents/src/app\.js$", Fault.delay(SLOW_READ))  # sha1's scan reads it first
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        assert bot.settings.workers == 2
        opened(fake, bot, repo, pr)
        [slow] = wait_for(lambda: [r for r in fake.requests_to("GET", r"/contents/src/app\.js$") if r.fault == "delay"])
        assert slow.query.get("ref") == sha1
        sha2 = repo.commit({"src/app.js": OTHER_EVAL}, branch="feature", message="push")
        opened(fake, bot, repo, pr, action="synchronize")
        [old] = wait_for(lambda: done_runs(fake, sha1))
        stopped_after = time.time() - slow.started_at
        [new] = wait_for(lambda: done_runs(fake, sha2))
        wait_for(lambda: (c := the_summary(fake, repo, pr)) and (s := parse_state(c.body)) and s.head_sha == sha2)
        settle(fake)
    assert old.conclusion == "cancelled" and old.title == f"Superseded by {sha2[:12]}" and old.annotations == []
    assert stopped_after < SLOW_READ - 1.5, f"cancelled {stopped_after:.1f}s into a {SLOW_READ}s read: it waited for the read"
    assert new.conclusion == "failure" and [a["start_line"] for a in new.annotations] == [5]
    assert [r.head_sha for r in our_runs(fake)] == [sha1, sha2], "sha2 scanned once, sha1 not again"
    [comment] = summaries(fake, repo, pr)
    state = parse_state(comment.body)
    assert state is not None and state.fingerprints() == set(fingerprints(new)) and sha1 not in comment.body


# ----------------------------------------------------------------------------- 11: another app's marked comment
@pytest.mark.parametrize("other_app", [(1111, "copycat"), None], ids=["another-app", "no-app"])
def test_another_bots_comment_with_our_marker_is_left_alone(fake: FakeGitHub, tmp_path: Path, other_app: tuple[int, str] | None) -> None:
    repo, pr = pull_with(fake, {"src/app.js": BASE_JS}, {"src/app.js": ONE_EVAL})
    copy = MARKER + "\n## Copycat: all good\n"
    foreign = fake.add_issue_comment(repo, pr.number, copy, user="copycat[bot]", other_app=other_app)
    assert foreign.user.is_bot and not foreign.via_app
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        opened(fake, bot, repo, pr)
        [run] = wait_for(lambda: done_runs(fake))
        settle(fake)
    assert (foreign.body, foreign.history, foreign.deleted) == (copy, [], False)
    assert fake.requests_to("PATCH", rf"/issues/comments/{foreign.id}$") == []
    assert fake.requests_to("DELETE", rf"/issues/comments/{foreign.id}$") == []
    [ours] = summaries(fake, repo, pr)
    assert [c.id for c in fake.issue_comments(repo, pr.number)] == [foreign.id, ours.id], "ours is created beside it"
    [fp] = fingerprints(run)
    assert f"`{fp[:8]}`" in ours.body and ours.history == []


# ----------------------------------------------------------------------------- 12: review comments only on the diff
WITH_HELMET = 'const express = require("express");\nconst helmet = require("helmet");\n\nconst app = express();\napp.use(helmet());\napp.use(express.json());\n\nmodule.exports = app;\n'
WITHOUT_HELMET_WITH_EVAL = 'const express = require("express");\n\nconst app = express();\napp.use(express.json());\nrun(eval(req.query.code));\n\nmodule.exports = app;\n'
"""Removing helmet reports the unchanged line 3 (`const app = express()`); the eval is on added line 5."""


def test_review_comments_only_on_changed_lines_in_one_accepted_review(fake: FakeGitHub, tmp_path: Path) -> None:
    repo, pr = pull_with(fake, {"src/app.js": WITH_HELMET, ".github/prwarden.yml": "review_comments: true\n"}, {"src/app.js": WITHOUT_HELMET_WITH_EVAL})
    repo.set_role("writer", "write")
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        opened(fake, bot, repo, pr)
        [first] = wait_for(lambda: done_runs(fake))
        wait_for(lambda: fake.reviews(repo, pr.number))
        settle(fake)
        assert sorted(a["start_line"] for a in first.annotations) == [3, 5], "a finding outside the diff, one inside"
        command = fake.add_issue_comment(repo, pr.number, "/prwarden rescan", user="writer")
        comment_event(fake, bot, repo, command)
        wait_for(lambda: "rocket" in reactions(fake, command))
        settle(fake)
    assert [r.status for r in fake.requests_to("POST", r"/pulls/\d+/reviews$")] == [200], "one review, accepted, none after the rescan"
    [review] = fake.reviews(repo, pr.number)
    [comment] = fake.review_comments(repo, pr.number)
    assert (comment.review_id, comment.path, comment.line, comment.side) == (review.id, "src/app.js", 5, "RIGHT")
    assert "eval() called with dynamic expression" in comment.body
    [_, second] = done_runs(fake)
    assert fingerprints(second) == fingerprints(first), "the rescan found the same two findings"


# ----------------------------------------------------------------------------- 13: eyes while every scan loop is busy
def test_a_command_is_answered_at_once_while_long_scans_hold_every_worker_loop(fake: FakeGitHub, tmp_path: Path) -> None:
    first, one = pull_with(fake, {"src/app.js": BASE_JS}, {"src/app.js": ONE_EVAL})
    second, two = pull_with(fake, {"src/app.js": BASE_JS}, {"src/app.js": ONE_EVAL}, name="octo-org/other")
    first.set_role("writer", "write")
    fake.inject("GET", r"/contents/src/app\.js$", Fault.delay(SLOW_READ), Fault.delay(SLOW_READ))
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        assert bot.settings.workers == 2
        opened(fake, bot, first, one)
        opened(fake, bot, second, two)
        wait_for(lambda: len([r for r in fake.requests_to("GET", r"/contents/src/app\.js$") if r.fault == "delay"]) == 2)
        asked = time.time()
        command = fake.add_issue_comment(first, one.number, "/prwarden help", user="writer")
        comment_event(fake, bot, first, command)
        wait_for(lambda: reactions(fake, command) == ["eyes", "rocket"])
        answered = time.time() - asked
        assert not done_runs(fake), "both scans were still running"
        wait_for(lambda: len(done_runs(fake)) == 2)
        settle(fake)
    assert answered < SLOW_READ - 1.5, f"the command waited {answered:.1f}s for a scan loop"
    assert replies(fake, first, one) == [HELP]


# ----------------------------------------------------------------------------- 14: a comment that would not fit
def test_thousands_of_findings_make_a_summary_comment_github_accepts(fake: FakeGitHub, tmp_path: Path) -> None:
    many = BASE_JS + "".join(f"run{i}(eval(req.query.code{i}));\n" for i in range(3000))
    repo, pr = pull_with(fake, {"src/app.js": BASE_JS}, {"src/app.js": many})
    with BotServer(settings_for(fake, tmp_path / "data")) as bot:
        opened(fake, bot, repo, pr)
        [run] = wait_for(lambda: done_runs(fake), timeout=60)
        wait_for(lambda: summaries(fake, repo, pr), timeout=30)
        settle(fake)
    assert len(run.annotations) == 3000
    posted = fake.requests_to("POST", r"/issues/\d+/comments$")
    assert [r.status for r in posted] == [201], "one comment, not refused as too long"
    [comment] = summaries(fake, repo, pr)
    assert len(comment.body) <= MAX_COMMENT_CHARS
    assert "**3,000 findings**" in comment.body
    assert re.search(r"and [\d,]+ more", comment.body), "the rows that did not fit are counted, not dropped silently"
    state = parse_state(comment.body)
    assert state is not None and len(state.fingerprints()) > 0
