"""The fake GitHub's conversation endpoints enforce what GitHub enforces (facts §1.4, §3.3, §4.3, §4.4).

Issue comments, reactions, collaborator permissions, reviews anchored on the real diff, check-run
buttons and re-runs, and the webhook deliveries tests build for them.  Like test_fakegithub.py,
everything goes over real HTTP with real installation tokens, so these tests also document the
requests and answers PR Warden's client code must handle.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.fakegithub import FakeGitHub, FakeIssue, FakePull, FakeRepo, Fault, openapi
from tests.fakegithub.auth import format_timestamp
from tests.fakegithub.diffhunks import parse_patch, to_sentence

INSTALLATION = 7  # PR Warden's app.yml: pull_requests write, issues read, checks write
ISSUES_ONLY = 11  # issues write, no pull_requests
READ_ONLY = 12  # pull_requests read, issues read
CHECKS_ONLY = 13  # checks write, nothing on issues or pull requests
REPO = "octo-org/talk"
TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
THREAD = "Pull request review thread"
COMMENTS = "/repos/{owner}/{repo}/issues/{issue_number}/comments"
COMMENT = "/repos/{owner}/{repo}/issues/comments/{comment_id}"
REVIEWS = "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeGitHub]:
    server = FakeGitHub(app_id=4242, tmp_path=tmp_path_factory.mktemp("fakegithub-talk"))
    server.add_installation(INSTALLATION)
    server.add_installation(ISSUES_ONLY, account="issue-org", permissions={"issues": "write", "metadata": "read"})
    server.add_installation(
        READ_ONLY, account="ro-org", permissions={"issues": "read", "pull_requests": "read", "metadata": "read"}
    )
    server.add_installation(CHECKS_ONLY, account="checks-org", permissions={"checks": "write", "metadata": "read"})
    with server:
        yield server
    assert not server.server_errors, "\n".join(server.server_errors)
    assert not server.response_violations, "\n".join(server.response_violations)


BASE_APP = [f"line {i}\n" for i in range(1, 41)]


def _feature_app() -> str:
    lines = list(BASE_APP)
    lines[4] = "changed 5\n"  # hunk 0: old 2-8 / new 2-8, line 5 replaced
    del lines[14]  # hunk 1: old 12-18 / new 12-17, old line 15 deleted
    lines.insert(29, "added after 30\n")  # hunk 2: old 28-33 / new 27-33, new line 30 added
    return "".join(lines)


@pytest.fixture(scope="module")
def repo(fake: FakeGitHub) -> FakeRepo:
    repo = fake.create_repo(REPO, installation_id=INSTALLATION)
    repo.commit(
        {
            "app.py": "".join(BASE_APP),
            "gone.py": "a\nb\n",
            "old/name.py": "".join(f"n{i}\n" for i in range(1, 11)),
            "untouched.py": "u\n",
        },
        message="initial",
    )
    return repo


@pytest.fixture(scope="module")
def commits(repo: FakeRepo) -> dict[str, str]:
    """The reviewed PR's branch: a first commit with the app.py hunks, then a second one."""
    repo.branch("feature", "main")
    first = repo.commit(
        {"app.py": _feature_app(), "gone.py": None, "new.py": "n1\nn2\nn3\n"},
        branch="feature",
        renames={"old/name.py": "new/name.py"},
        message="feature work",
    )
    second = repo.commit({"late.py": "late\n"}, branch="feature", message="late addition")
    return {"first": first, "second": second, "base": repo.head("main")}


@pytest.fixture(scope="module")
def pr(repo: FakeRepo, commits: dict[str, str]) -> FakePull:
    return repo.open_pull(base="main", head="feature", title="Conversation PR")


def _other_repo(fake: FakeGitHub, full_name: str, installation_id: int) -> FakeRepo:
    repo = fake.create_repo(full_name, installation_id=installation_id)
    repo.commit({"a": "1\n"})
    return repo


@pytest.fixture(scope="module")
def tracker(fake: FakeGitHub) -> FakeRepo:
    """A repository of the issues-only installation."""
    return _other_repo(fake, "issue-org/tracker", ISSUES_ONLY)


@pytest.fixture(scope="module")
def ro_repo(fake: FakeGitHub) -> FakeRepo:
    """A repository of the read-only installation."""
    return _other_repo(fake, "ro-org/docs", READ_ONLY)


@pytest.fixture(scope="module")
def ci_repo(fake: FakeGitHub) -> FakeRepo:
    """A repository of the checks-only installation."""
    return _other_repo(fake, "checks-org/ci", CHECKS_ONLY)


@pytest.fixture(scope="module")
def client(fake: FakeGitHub) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.url, timeout=10) as http:
        yield http


def mint(client: httpx.Client, fake: FakeGitHub, installation_id: int = INSTALLATION) -> str:
    response = client.post(
        f"/app/installations/{installation_id}/access_tokens", headers={"Authorization": f"Bearer {fake.make_jwt()}"}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


@pytest.fixture(scope="module")
def token(client: httpx.Client, fake: FakeGitHub) -> str:
    return mint(client, fake)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"token {token}", "X-GitHub-Api-Version": "2022-11-28"}


def _links(response: httpx.Response) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers.get("link", ""))}


def _new_pr(repo: FakeRepo, branch: str) -> FakePull:
    """A fresh PR (its own comments) whose head adds one file."""
    repo.commit({f"{branch}.txt": "x\n"}, branch=branch, from_ref="main")
    return repo.open_pull(base="main", head=branch)


def _forget_422s(fake: FakeGitHub) -> None:
    fake.validation_errors.clear()
    fake.schema_violations.clear()


# ----------------------------------------------------------------------------- issue comments
def test_issue_comment_lifecycle(client: httpx.Client, fake: FakeGitHub, repo: FakeRepo, token: str) -> None:
    pr = _new_pr(repo, "lifecycle")
    created = client.post(f"/repos/{REPO}/issues/{pr.number}/comments", headers=auth(token), json={"body": "hi"})
    assert created.status_code == 201
    comment = created.json()
    assert created.headers["location"] == comment["url"] == f"{fake.url}/repos/{REPO}/issues/comments/{comment['id']}"
    assert comment["user"]["login"] == "pr-warden[bot]" and comment["user"]["type"] == "Bot"
    assert comment["user"]["html_url"] == f"{fake.url}/apps/pr-warden"
    assert comment["performed_via_github_app"]["id"] == fake.app_id
    assert comment["author_association"] == "NONE"
    assert comment["html_url"] == f"{fake.url}/{REPO}/pull/{pr.number}#issuecomment-{comment['id']}"
    assert comment["issue_url"].endswith(f"/issues/{pr.number}")
    assert TIMESTAMP_RE.match(comment["created_at"]) and comment["created_at"] == comment["updated_at"]
    url = f"/repos/{REPO}/issues/comments/{comment['id']}"
    assert client.get(url, headers=auth(token)).json()["body"] == "hi"

    fake.advance_clock(5)
    edited = client.patch(url, headers=auth(token), json={"body": "hi again"})
    assert edited.status_code == 200 and edited.json()["body"] == "hi again"
    assert edited.json()["updated_at"] > edited.json()["created_at"]
    state = fake.issue_comments(repo, pr.number)[0]
    assert state.history == ["hi"] and state.body == "hi again"

    assert client.delete(url, headers=auth(token)).status_code == 204
    for response in (
        client.get(url, headers=auth(token)),
        client.patch(url, headers=auth(token), json={"body": "x"}),
        client.delete(url, headers=auth(token)),
        client.post(f"{url}/reactions", headers=auth(token), json={"content": "eyes"}),
    ):
        assert (response.status_code, response.json()["message"]) == (404, "Not Found")
    assert client.get(f"/repos/{REPO}/issues/{pr.number}/comments", headers=auth(token)).json() == []
    assert fake.issue_comments(repo, pr.number) == []
    assert [c.id for c in fake.issue_comments(repo, pr.number, include_deleted=True)] == [comment["id"]]
    # The summary-comment assertions the bot's tests need:
    assert fake.writes("POST", COMMENTS) >= 1 and fake.writes("DELETE", COMMENT) >= 1


def test_issue_comment_body_limits(client: httpx.Client, fake: FakeGitHub, repo: FakeRepo, token: str) -> None:
    pr = _new_pr(repo, "limits")
    path = f"/repos/{REPO}/issues/{pr.number}/comments"
    exact = client.post(path, headers=auth(token), json={"body": "é" * 65536})  # characters, not bytes
    assert exact.status_code == 201
    too_long = client.post(path, headers=auth(token), json={"body": "x" * 65537})
    assert too_long.status_code == 422
    assert too_long.json()["message"] == "Validation Failed"
    assert too_long.json()["errors"] == [
        {
            "resource": "IssueComment",
            "code": "unprocessable",
            "field": "data",
            "message": "Body is too long (maximum is 65536 characters)",
        }
    ]
    edit = client.patch(
        f"/repos/{REPO}/issues/comments/{exact.json()['id']}", headers=auth(token), json={"body": "y" * 65537}
    )
    assert edit.status_code == 422
    assert edit.json()["errors"][0]["message"] == "body is too long (maximum is 65536 characters)"
    assert fake.issue_comments(repo, pr.number)[0].body == "é" * 65536  # unchanged

    missing = client.post(path, headers=auth(token), json={})
    assert missing.status_code == 422 and missing.json()["message"].startswith("Invalid request.")
    assert "'body' wasn't supplied" in fake.schema_violations[-1]
    assert client.post(path, headers=auth(token), json={"body": 5}).status_code == 422
    blank = client.post(path, headers=auth(token), json={"body": "   "})
    assert blank.status_code == 422 and blank.json()["errors"][0]["field"] == "body"
    assert len(fake.issue_comments(repo, pr.number)) == 1
    _forget_422s(fake)


def test_issue_comments_paginate_and_filter_by_since(
    client: httpx.Client, fake: FakeGitHub, repo: FakeRepo, token: str
) -> None:
    pr = _new_pr(repo, "many-comments")
    for i in range(104):
        fake.add_issue_comment(repo, pr.number, f"c{i}", user="alice")
    fake.advance_clock(120)
    late = fake.add_issue_comment(repo, pr.number, "late", user="alice")
    path = f"/repos/{REPO}/issues/{pr.number}/comments"

    url: str | None = f"{path}?per_page=50"
    bodies: list[str] = []
    while url:
        response = client.get(url, headers=auth(token))
        assert response.status_code == 200
        bodies += [c["body"] for c in response.json()]
        url = _links(response).get("next")
    assert bodies == [f"c{i}" for i in range(104)] + ["late"]  # ascending id order
    first = client.get(f"{path}?per_page=50", headers=auth(token))
    assert _links(first)["next"].startswith(f"{fake.url}/repositories/{repo.id}/issues/{pr.number}/comments?")
    assert _links(first)["last"].endswith("page=3")
    assert len(client.get(f"{path}?per_page=500", headers=auth(token)).json()) == 100  # clamped
    assert len(client.get(path, headers=auth(token)).json()) == 30  # default

    since = client.get(path, params={"since": format_timestamp(late.updated_at)}, headers=auth(token)).json()
    assert [c["body"] for c in since] == ["late"]
    assert client.get(path, params={"since": "yesterday"}, headers=auth(token)).status_code == 422
    _forget_422s(fake)


def test_issue_comment_permissions(
    client: httpx.Client,
    fake: FakeGitHub,
    repo: FakeRepo,
    tracker: FakeRepo,
    ro_repo: FakeRepo,
    ci_repo: FakeRepo,
    token: str,
) -> None:
    pr = _new_pr(repo, "perms")
    issue = repo.open_issue(title="A plain issue")
    assert issue.number not in repo.pulls and pr.number != issue.number

    # pull_requests:write comments on a PR, but a plain issue needs issues:write.
    on_pr = client.post(f"/repos/{REPO}/issues/{pr.number}/comments", headers=auth(token), json={"body": "ok"})
    assert on_pr.status_code == 201
    on_issue = client.post(f"/repos/{REPO}/issues/{issue.number}/comments", headers=auth(token), json={"body": "no"})
    assert (on_issue.status_code, on_issue.json()["message"]) == (403, "Resource not accessible by integration")
    assert on_issue.headers["x-accepted-github-permissions"] == "issues=write"
    assert client.get(f"/repos/{REPO}/issues/{issue.number}/comments", headers=auth(token)).status_code == 200

    # issues:write alone reaches both.
    other = tracker
    other_pr = _new_pr(other, "topic")
    other_issue = other.open_issue()
    issues_token = mint(client, fake, ISSUES_ONLY)
    for number in (other_pr.number, other_issue.number):
        response = client.post(
            f"/repos/issue-org/tracker/issues/{number}/comments", headers=auth(issues_token), json={"body": "x"}
        )
        assert response.status_code == 201, response.text
        assert (
            response.json()["html_url"]
            .split("#")[0]
            .endswith(f"/{'pull' if number == other_pr.number else 'issues'}/{number}")
        )

    # Read-only and unrelated permissions: 403 naming every accepted permission set.
    ro_pr = _new_pr(ro_repo, "topic")
    ro_token = mint(client, fake, READ_ONLY)
    denied = client.post(
        f"/repos/ro-org/docs/issues/{ro_pr.number}/comments", headers=auth(ro_token), json={"body": "x"}
    )
    assert denied.status_code == 403
    assert denied.headers["x-accepted-github-permissions"] == "issues=write; pull_requests=write"
    assert client.get(f"/repos/ro-org/docs/issues/{ro_pr.number}/comments", headers=auth(ro_token)).status_code == 200
    nothing_pr = _new_pr(ci_repo, "topic")
    checks_token = mint(client, fake, CHECKS_ONLY)
    blind = client.get(f"/repos/checks-org/ci/issues/{nothing_pr.number}/comments", headers=auth(checks_token))
    assert blind.status_code == 403
    assert blind.headers["x-accepted-github-permissions"] == "issues=read; pull_requests=read"

    # Unknown numbers and comments of other repositories are 404; no token is 401/404.
    assert (
        client.post(f"/repos/{REPO}/issues/9999/comments", headers=auth(token), json={"body": "x"}).status_code == 404
    )
    foreign = fake.add_issue_comment(other, other_pr.number, "elsewhere")
    assert client.get(f"/repos/{REPO}/issues/comments/{foreign.id}", headers=auth(token)).status_code == 404
    assert client.post(f"/repos/{REPO}/issues/{pr.number}/comments", json={"body": "x"}).status_code == 401


def test_comments_by_people_and_other_bots(client: httpx.Client, fake: FakeGitHub, repo: FakeRepo, token: str) -> None:
    pr = _new_pr(repo, "people")
    repo.set_role("maint", "maintain")
    repo.set_role("staff", "read", member=True)
    fake.add_user("stranger")
    authors = {
        "octo-org": "OWNER",
        "maint": "COLLABORATOR",
        "staff": "MEMBER",
        "stranger": "NONE",
        "dependabot[bot]": "NONE",
    }
    for login in authors:
        fake.add_issue_comment(repo, pr.number, f"/prwarden rescan by {login}", user=login)
    fake.add_issue_comment(repo, pr.number, "first!", user="newbie", author_association="FIRST_TIMER")
    listed = client.get(f"/repos/{REPO}/issues/{pr.number}/comments", headers=auth(token)).json()
    got = {c["user"]["login"]: (c["author_association"], c["user"]["type"]) for c in listed}
    kinds = {"octo-org": "Organization", "dependabot[bot]": "Bot"}  # the owner is the organization account
    assert got == {
        **{login: (association, kinds.get(login, "User")) for login, association in authors.items()},
        "newbie": ("FIRST_TIMER", "User"),
    }
    assert all(c["performed_via_github_app"] is None for c in listed)
    assert fake.bot_comments(repo, pr.number) == []


# ----------------------------------------------------------------------------- reactions
def test_reactions_are_idempotent_per_user_and_content(
    client: httpx.Client, fake: FakeGitHub, repo: FakeRepo, token: str
) -> None:
    pr = _new_pr(repo, "reactions")
    command = fake.add_issue_comment(repo, pr.number, "/prwarden rescan", user="maint")
    path = f"/repos/{REPO}/issues/comments/{command.id}/reactions"
    first = client.post(path, headers=auth(token), json={"content": "eyes"})
    assert first.status_code == 201
    reaction = first.json()
    assert reaction["content"] == "eyes" and reaction["user"]["login"] == "pr-warden[bot]"
    assert TIMESTAMP_RE.match(reaction["created_at"])
    again = client.post(path, headers=auth(token), json={"content": "eyes"})
    assert (again.status_code, again.json()["id"]) == (200, reaction["id"])
    assert client.post(path, headers=auth(token), json={"content": "rocket"}).status_code == 201

    bad = client.post(path, headers=auth(token), json={"content": "smile"})
    assert bad.status_code == 422 and "content" in bad.json()["message"]
    assert client.post(path, headers=auth(token), json={}).status_code == 422
    _forget_422s(fake)

    assert [(r.content, r.user.login) for r in fake.reactions(command)] == [
        ("eyes", "pr-warden[bot]"),
        ("rocket", "pr-warden[bot]"),
    ]
    listed = client.get(path, headers=auth(token)).json()
    assert [r["content"] for r in listed] == ["eyes", "rocket"]
    assert [r["content"] for r in client.get(path, params={"content": "eyes"}, headers=auth(token)).json()] == ["eyes"]
    rollup = client.get(f"/repos/{REPO}/issues/comments/{command.id}", headers=auth(token)).json()["reactions"]
    assert (rollup["total_count"], rollup["eyes"], rollup["rocket"], rollup["+1"]) == (2, 1, 1, 0)
    # Two accepted POSTs created something, one answered 200: all three were successful writes.
    assert fake.writes("POST", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions") == 3
    assert (
        client.post(
            f"/repos/{REPO}/issues/comments/1/reactions", headers=auth(token), json={"content": "eyes"}
        ).status_code
        == 404
    )


def test_reactions_need_write_on_the_conversation(client: httpx.Client, fake: FakeGitHub, ro_repo: FakeRepo) -> None:
    ro_pr = _new_pr(ro_repo, "react-ro")
    comment = fake.add_issue_comment(ro_repo, ro_pr.number, "/prwarden rescan")
    denied = client.post(
        f"/repos/ro-org/docs/issues/comments/{comment.id}/reactions",
        headers=auth(mint(client, fake, READ_ONLY)),
        json={"content": "eyes"},
    )
    assert (
        denied.status_code == 403
        and denied.headers["x-accepted-github-permissions"] == "issues=write; pull_requests=write"
    )
    assert fake.reactions(comment) == []


# ----------------------------------------------------------------------------- collaborators
def test_collaborator_permission_levels(
    client: httpx.Client, fake: FakeGitHub, repo: FakeRepo, ci_repo: FakeRepo, token: str
) -> None:
    expected = {  # role -> legacy ``permission`` (maintain -> write, triage -> read)
        "admin": "admin",
        "maintain": "write",
        "write": "write",
        "triage": "read",
        "read": "read",
    }
    for role in expected:
        repo.set_role(f"user-{role}", role)
    repo.set_role("user-revoked", "none")
    fake.add_user("outsider")

    def permission(login: str) -> httpx.Response:
        return client.get(f"/repos/{REPO}/collaborators/{login}/permission", headers=auth(token))

    for role, legacy in expected.items():
        body = permission(f"user-{role}").json()
        assert (body["permission"], body["role_name"], body["user"]["login"]) == (legacy, role, f"user-{role}")
        assert body["user"]["role_name"] == role
        assert body["user"]["permissions"]["push"] is (role in ("admin", "maintain", "write"))
    owner = permission("octo-org").json()
    assert (owner["permission"], owner["role_name"]) == ("admin", "admin")
    for login in ("outsider", "user-revoked", "USER-REVOKED"):
        assert (permission(login).json()["permission"], permission(login).json()["role_name"]) == ("none", "none")
    missing = permission("nobody-at-all")
    assert (missing.status_code, missing.json()["message"]) == (404, "Not Found")
    public = fake.create_repo("octo-org/public-talk", installation_id=INSTALLATION, private=False)
    public.commit({"a": "1\n"})
    assert (
        client.get("/repos/octo-org/public-talk/collaborators/outsider/permission", headers=auth(token)).json()[
            "permission"
        ]
        == "read"
    )
    with pytest.raises(ValueError):
        repo.set_role("someone", "owner")
    # Metadata suffices: even a checks-only installation may ask (about its own repositories).
    ci_repo.set_role("dev", "write")
    response = client.get(
        "/repos/checks-org/ci/collaborators/dev/permission", headers=auth(mint(client, fake, CHECKS_ONLY))
    )
    assert (response.status_code, response.json()["permission"]) == (200, "write")


# ----------------------------------------------------------------------------- diff hunks
def test_parse_patch_numbers_lines_and_positions() -> None:
    patch = "@@ -1,3 +1,3 @@ def f():\n a\n-b\n+B\n c\n@@ -10,2 +10,3 @@\n x\n+y\n z\n\\ No newline at end of file"
    hunks = parse_patch("f.py", patch)
    assert [len(h.lines) for h in hunks.hunks] == [4, 3]
    assert hunks.line("LEFT", 2) == hunks.at_position(2)  # "-b": position 2 (1 is " a")
    assert hunks.line("RIGHT", 2) == hunks.at_position(3)  # "+B"
    assert hunks.at_position(5) is None  # the second "@@" takes a position of its own
    assert hunks.line("RIGHT", 11) == hunks.at_position(7)  # "+y"
    assert hunks.line("RIGHT", 12) is not None and hunks.line("RIGHT", 13) is None
    assert hunks.diff_hunk(hunks.line("RIGHT", 11)) == "@@ -10,2 +10,3 @@\n x\n+y"  # type: ignore[arg-type]
    assert parse_patch("bin", None).hunks == ()
    assert to_sentence(["a"]) == "a" and to_sentence(["a", "b"]) == "a and b"
    assert to_sentence(["a", "b", "c"]) == "a, b, and c"


# ----------------------------------------------------------------------------- reviews
def _review(client: httpx.Client, token: str, pr: FakePull, **body: Any) -> httpx.Response:
    return client.post(f"/repos/{REPO}/pulls/{pr.number}/reviews", headers=auth(token), json=body)


def _c(path: str = "app.py", **anchor: Any) -> dict[str, Any]:
    return {"path": path, "body": f"finding at {anchor}", **anchor}


VALID_COMMENTS = [
    _c(line=5),  # added line, side RIGHT by default
    _c(line=30, side="RIGHT"),  # added line in the third hunk
    _c(line=15, side="LEFT"),  # the deleted line, by its old number
    _c(line=12),  # context line, right side
    _c(line=12, side="LEFT"),  # the same context line, left side
    _c(start_line=27, line=30),  # multi-line within one hunk
    _c(start_line=5, start_side="LEFT", line=5, side="RIGHT"),  # "-line 5" to "+changed 5"
    _c(position=21),  # legacy position: "+added after 30"
    _c("gone.py", line=2, side="LEFT"),  # deleted file
    _c("new.py", start_line=1, line=3),  # added file
]


def test_review_with_valid_anchors_is_stored(
    client: httpx.Client, fake: FakeGitHub, repo: FakeRepo, pr: FakePull, commits: dict[str, str], token: str
) -> None:
    before = fake.writes("POST", REVIEWS)
    response = _review(
        client, token, pr, commit_id=pr.head_sha, event="COMMENT", body="2 findings", comments=VALID_COMMENTS
    )
    assert response.status_code == 200, response.text  # GitHub answers 200 here
    review = response.json()
    assert (review["state"], review["body"], review["commit_id"]) == ("COMMENTED", "2 findings", pr.head_sha)
    assert review["user"]["login"] == "pr-warden[bot]" and TIMESTAMP_RE.match(review["submitted_at"])
    assert fake.writes("POST", REVIEWS) == before + 1

    listed = client.get(
        f"/repos/{REPO}/pulls/{pr.number}/comments", params={"per_page": 100}, headers=auth(token)
    ).json()
    mine = [c for c in listed if c["pull_request_review_id"] == review["id"]]
    anchors = [(c["path"], c["start_line"], c["start_side"], c["line"], c["side"], c["position"]) for c in mine]
    assert anchors == [
        ("app.py", None, None, 5, "RIGHT", 5),
        ("app.py", None, None, 30, "RIGHT", 21),
        ("app.py", None, None, 15, "LEFT", 13),
        ("app.py", None, None, 12, "RIGHT", 10),
        ("app.py", None, None, 12, "LEFT", 10),
        ("app.py", 27, "RIGHT", 30, "RIGHT", 21),
        ("app.py", 5, "LEFT", 5, "RIGHT", 5),
        ("app.py", None, None, 30, "RIGHT", 21),
        ("gone.py", None, None, 2, "LEFT", 2),
        ("new.py", 1, "RIGHT", 3, "RIGHT", 3),
    ]
    assert mine[0]["diff_hunk"] == "@@ -2,7 +2,7 @@ line 1\n line 2\n line 3\n line 4\n-line 5\n+changed 5"
    assert all(c["commit_id"] == pr.head_sha and c["subject_type"] == "line" for c in mine)
    assert [r["id"] for r in client.get(f"/repos/{REPO}/pulls/{pr.number}/reviews", headers=auth(token)).json()].count(
        review["id"]
    ) == 1
    stored = next(r for r in fake.reviews(repo, pr.number) if r.id == review["id"])
    assert len(stored.comments) == len(VALID_COMMENTS) and stored.request["event"] == "COMMENT"
    assert client.get(f"/repos/{REPO}/pulls/{pr.number}", headers=auth(token)).json()["review_comments"] == len(
        fake.review_comments(repo, pr.number)
    )


@pytest.mark.parametrize(
    ("comment", "problems"),
    [
        (_c(line=20), ["line must be part of the diff", "diff hunk can't be blank"]),  # between hunks
        (_c(line=40), ["line must be part of the diff", "diff hunk can't be blank"]),  # after the last hunk
        (_c(line=9, side="LEFT"), ["line must be part of the diff", "diff hunk can't be blank"]),
        (_c("gone.py", line=1), ["line must be part of the diff", "diff hunk can't be blank"]),  # deleted: no RIGHT
        (_c("new/name.py", line=1), ["line must be part of the diff", "diff hunk can't be blank"]),  # pure rename
        (_c(start_line=5, line=12), ["start line must be part of the same hunk as the line."]),
        (_c(start_line=5, line=5), ["start line must precede the end line."]),
        (_c(start_line=7, line=5), ["start line must precede the end line."]),
        (_c("untouched.py", line=1), ["path is invalid", "diff hunk can't be blank"]),
        (_c("nope.py", line=1), ["path is invalid", "diff hunk can't be blank"]),
        (_c(position=9), ["position is invalid", "diff hunk can't be blank"]),  # a hunk header
        (_c(position=99), ["position is invalid", "diff hunk can't be blank"]),
        (
            _c(start_line=19, line=20),
            [
                "line must be part of the diff",
                "start line must be part of the same hunk as the line.",
                "diff hunk can't be blank",
            ],
        ),
        (_c(), ["line must be part of the diff", "diff hunk can't be blank"]),  # no line, no position
    ],
    ids=[
        "between-hunks",
        "after-hunks",
        "left-outside",
        "right-of-deleted-file",
        "pure-rename",
        "start-other-hunk",
        "start-equals-line",
        "start-after-line",
        "path-not-in-diff",
        "path-unknown",
        "position-on-header",
        "position-past-end",
        "all-three",
        "no-anchor",
    ],
)
def test_one_bad_anchor_fails_the_whole_review(
    client: httpx.Client,
    fake: FakeGitHub,
    repo: FakeRepo,
    pr: FakePull,
    token: str,
    comment: dict[str, Any],
    problems: list[str],
) -> None:
    reviews_before = len(fake.reviews(repo, pr.number))
    writes_before = fake.writes("POST", REVIEWS)
    response = _review(
        client, token, pr, event="COMMENT", body="b", comments=[*VALID_COMMENTS[:5], comment, *VALID_COMMENTS[5:]]
    )
    assert response.status_code == 422
    expected = to_sentence([f"{THREAD} {p}" for p in problems])
    assert response.json() == {
        "message": "Unprocessable Entity",
        "errors": [expected],
        "documentation_url": "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request",
        "status": "422",
    }
    assert len(fake.reviews(repo, pr.number)) == reviews_before  # nothing of the review was kept
    assert fake.writes("POST", REVIEWS) == writes_before
    assert fake.write_counts(successful_only=False)[f"POST {REVIEWS}"] > writes_before
    _forget_422s(fake)


def test_review_anchors_use_the_diff_at_commit_id(
    client: httpx.Client, fake: FakeGitHub, pr: FakePull, commits: dict[str, str], token: str
) -> None:
    late = [_c("late.py", line=1)]
    at_first = _review(client, token, pr, commit_id=commits["first"], event="COMMENT", body="b", comments=late)
    assert at_first.status_code == 422
    assert at_first.json()["errors"] == [f"{THREAD} path is invalid and {THREAD} diff hunk can't be blank"]
    ok = _review(client, token, pr, commit_id=commits["first"], event="COMMENT", body="b", comments=[_c(line=5)])
    assert ok.status_code == 200 and ok.json()["commit_id"] == commits["first"]
    assert _review(client, token, pr, event="COMMENT", body="b", comments=late).status_code == 200  # head by default

    outside = _review(client, token, pr, commit_id=commits["base"], event="COMMENT", body="b")
    assert outside.status_code == 422
    assert outside.json()["errors"] == [f"{THREAD} end commit oid is not part of the pull request"]
    unknown = _review(client, token, pr, commit_id="f" * 40, event="COMMENT", body="b")
    assert (unknown.status_code, unknown.json()["message"]) == (422, f"No commit found for SHA: {'f' * 40}")
    _forget_422s(fake)


def test_review_events_bodies_and_pending(client: httpx.Client, fake: FakeGitHub, repo: FakeRepo, token: str) -> None:
    pr = _new_pr(repo, "events")
    for event in ("COMMENT", "REQUEST_CHANGES"):
        empty = _review(client, token, pr, event=event)
        assert empty.status_code == 422 and empty.json()["message"] == "Unprocessable Entity"
    inline_only = _review(client, token, pr, event="COMMENT", comments=[_c("events.txt", line=1)])
    assert inline_only.status_code == 200
    approved = _review(client, token, pr, event="APPROVE")
    assert (approved.status_code, approved.json()["state"]) == (200, "APPROVED")

    pending = _review(client, token, pr, body="draft", comments=[_c("events.txt", line=1)])
    assert pending.status_code == 200 and pending.json()["state"] == "PENDING"
    assert "submitted_at" not in pending.json()
    second = _review(client, token, pr, body="another draft")
    assert second.status_code == 422
    assert second.json()["errors"] == ["User can only have one pending review per pull request"]
    # Pending comments stay private to their author: not listed until submitted.
    listed = client.get(f"/repos/{REPO}/pulls/{pr.number}/comments", headers=auth(token)).json()
    assert [c["pull_request_review_id"] for c in listed] == [inline_only.json()["id"]]
    states = [r["state"] for r in client.get(f"/repos/{REPO}/pulls/{pr.number}/reviews", headers=auth(token)).json()]
    assert states == ["COMMENTED", "APPROVED", "PENDING"]

    bad_side = _review(client, token, pr, event="COMMENT", body="b", comments=[_c("events.txt", line=1, side="right")])
    assert bad_side.status_code == 422 and "side" in bad_side.json()["message"]
    bad_event = _review(client, token, pr, event="LGTM", body="b")
    assert bad_event.status_code == 422 and any("event" in v for v in fake.schema_violations)
    _forget_422s(fake)


def test_reviews_need_pull_requests_write(client: httpx.Client, fake: FakeGitHub, tracker: FakeRepo) -> None:
    topic = _new_pr(tracker, "review-denied")
    response = client.post(
        f"/repos/issue-org/tracker/pulls/{topic.number}/reviews",
        headers=auth(mint(client, fake, ISSUES_ONLY)),
        json={"event": "COMMENT", "body": "b"},
    )
    assert (response.status_code, response.headers["x-accepted-github-permissions"]) == (403, "pull_requests=write")
    assert (
        client.get(
            f"/repos/issue-org/tracker/pulls/{topic.number}/reviews", headers=auth(mint(client, fake, ISSUES_ONLY))
        ).status_code
        == 403
    )


# ----------------------------------------------------------------------------- check runs: buttons and re-runs
def _create_run(client: httpx.Client, token: str, head_sha: str, **extra: Any) -> httpx.Response:
    return client.post(
        f"/repos/{REPO}/check-runs", headers=auth(token), json={"name": "drift-security", "head_sha": head_sha, **extra}
    )


ACTION = {"label": "Re-scan", "description": "Scan this commit again", "identifier": "rescan"}


@pytest.mark.parametrize(
    "actions",
    [
        [dict(ACTION, identifier=f"a{i}") for i in range(4)],
        [dict(ACTION, label="x" * 21)],
        [dict(ACTION, description="x" * 41)],
        [dict(ACTION, identifier="x" * 21)],
        [{"label": "Re-scan", "identifier": "rescan"}],
    ],
    ids=["4-actions", "label-21", "description-41", "identifier-21", "no-description"],
)
def test_check_run_actions_limits(
    client: httpx.Client, fake: FakeGitHub, pr: FakePull, token: str, actions: list[dict[str, str]]
) -> None:
    assert _create_run(client, token, pr.head_sha, actions=actions).status_code == 422
    run_id = _create_run(client, token, pr.head_sha).json()["id"]
    assert (
        client.patch(f"/repos/{REPO}/check-runs/{run_id}", headers=auth(token), json={"actions": actions}).status_code
        == 422
    )
    _forget_422s(fake)


def test_check_run_actions_at_the_limits_are_kept(
    client: httpx.Client, fake: FakeGitHub, pr: FakePull, token: str
) -> None:
    actions = [
        {"label": "x" * 20, "description": "d" * 40, "identifier": "i" * 20},
        dict(ACTION, identifier="a2"),
        dict(ACTION, identifier="a3"),
    ]
    run = _create_run(client, token, pr.head_sha, conclusion="failure", actions=actions)
    assert run.status_code == 201
    assert fake.check_runs[run.json()["id"]].actions == actions


def test_rerequest_check_run_and_suite(
    client: httpx.Client, fake: FakeGitHub, repo: FakeRepo, ro_repo: FakeRepo, token: str
) -> None:
    fresh = _new_pr(repo, "rerun")
    done = _create_run(client, token, fresh.head_sha, conclusion="failure").json()
    suite = fake.check_suite(fake.check_runs[done["id"]])
    assert fake.checks.status_of(suite) == ("completed", "failure")
    fake.triggered_events.clear()

    response = client.post(f"/repos/{REPO}/check-runs/{done['id']}/rerequest", headers=auth(token))
    assert (response.status_code, response.json()) == (201, {})
    assert fake.checks.status_of(suite) == ("queued", None)  # the suite is reset ...
    assert fake.check_runs[done["id"]].conclusion == "failure"  # ... the run is not touched
    assert suite.rerequests == 1
    event, payload = fake.triggered_events[-1]
    assert (event, payload["action"], payload["check_run"]["id"]) == ("check_run", "rerequested", done["id"])
    assert openapi.description().validate_webhook("check_run", "rerequested", payload) == []

    # The app answers with a new run on the same commit: the suite reflects it again.
    _create_run(client, token, fresh.head_sha, conclusion="success")
    assert fake.checks.status_of(suite) == ("completed", "failure")  # highest-priority conclusion wins

    suite_rerun = client.post(f"/repos/{REPO}/check-suites/{suite.id}/rerequest", headers=auth(token))
    assert (suite_rerun.status_code, suite_rerun.json()) == (201, {})
    assert fake.checks.status_of(suite) == ("queued", None) and suite.rerequests == 2
    event, payload = fake.triggered_events[-1]
    assert (event, payload["action"], payload["check_suite"]["id"]) == ("check_suite", "rerequested", suite.id)
    assert openapi.description().validate_webhook("check_suite", "rerequested", payload) == []

    running = _create_run(client, token, fresh.head_sha, status="in_progress").json()
    not_done = client.post(f"/repos/{REPO}/check-runs/{running['id']}/rerequest", headers=auth(token))
    assert not_done.status_code == 422
    foreign = fake.create_check_run(repo, fresh.head_sha, "other-ci", app_id=1111, app_slug="other-ci")
    assert client.post(f"/repos/{REPO}/check-runs/{foreign.id}/rerequest", headers=auth(token)).status_code == 403
    assert (
        client.post(f"/repos/{REPO}/check-suites/{foreign.check_suite_id}/rerequest", headers=auth(token)).status_code
        == 403
    )
    assert client.post(f"/repos/{REPO}/check-suites/123/rerequest", headers=auth(token)).status_code == 404
    assert client.post(f"/repos/{REPO}/check-runs/123/rerequest", headers=auth(token)).status_code == 404
    ro_run = fake.create_check_run(ro_repo, ro_repo.head("main"), "drift-security", app_id=fake.app_id)
    denied = client.post(
        f"/repos/ro-org/docs/check-runs/{ro_run.id}/rerequest", headers=auth(mint(client, fake, READ_ONLY))
    )
    assert (denied.status_code, denied.headers["x-accepted-github-permissions"]) == (403, "checks=write")
    _forget_422s(fake)


# ----------------------------------------------------------------------------- webhook payloads
def test_issue_comment_payloads_on_prs_and_issues(fake: FakeGitHub, repo: FakeRepo) -> None:
    pr = _new_pr(repo, "hooks")
    issue: FakeIssue = repo.open_issue(title="Plain issue")
    repo.set_role("maint", "maintain")
    on_pr = fake.add_issue_comment(repo, pr.number, "/prwarden rescan", user="maint")
    on_issue = fake.add_issue_comment(repo, issue.number, "/prwarden rescan", user="maint")
    by_bot = fake.add_issue_comment(repo, pr.number, "<!-- prwarden:summary -->", user="pr-warden[bot]")
    by_other_bot = fake.add_issue_comment(repo, pr.number, "/prwarden rescan", user="renovate[bot]")

    payload = fake.issue_comment_payload(repo, on_pr, installation_id=INSTALLATION)
    assert openapi.description().validate_webhook("issue_comment", "created", payload) == []
    assert payload["action"] == "created" and payload["installation"]["id"] == INSTALLATION
    assert payload["issue"]["number"] == pr.number and payload["issue"]["pull_request"]["url"].endswith(
        f"/repos/{REPO}/pulls/{pr.number}"
    )
    assert (payload["comment"]["id"], payload["comment"]["body"]) == (on_pr.id, "/prwarden rescan")
    assert payload["comment"]["author_association"] == "COLLABORATOR"
    assert payload["comment"]["user"]["login"] == payload["sender"]["login"] == "maint"
    assert payload["repository"]["full_name"] == REPO and payload["organization"]["login"] == "octo-org"

    plain = fake.issue_comment_payload(repo, on_issue)
    assert openapi.description().validate_webhook("issue_comment", "created", plain) == []
    assert "pull_request" not in plain["issue"] and plain["issue"]["title"] == "Plain issue"
    assert plain["issue"]["html_url"].endswith(f"/issues/{issue.number}")

    for comment, login in ((by_bot, "pr-warden[bot]"), (by_other_bot, "renovate[bot]")):
        bot_payload = fake.issue_comment_payload(repo, comment)
        assert openapi.description().validate_webhook("issue_comment", "created", bot_payload) == []
        assert (bot_payload["comment"]["user"]["type"], bot_payload["sender"]["login"]) == ("Bot", login)
    assert fake.issue_comment_payload(repo, by_bot)["comment"]["performed_via_github_app"]["id"] == fake.app_id

    on_pr.history.append(on_pr.body)
    on_pr.body = "/prwarden rescan please"
    edited = fake.issue_comment_payload(repo, on_pr, "edited")
    assert openapi.description().validate_webhook("issue_comment", "edited", edited) == []
    assert edited["changes"] == {"body": {"from": "/prwarden rescan"}}


def test_check_run_and_suite_payloads(client: httpx.Client, fake: FakeGitHub, repo: FakeRepo, token: str) -> None:
    pr = _new_pr(repo, "buttons")
    created = _create_run(client, token, pr.head_sha, conclusion="failure", actions=[ACTION]).json()
    run = fake.check_runs[created["id"]]

    rerun = fake.check_run_payload(repo, run, "rerequested", INSTALLATION)
    assert openapi.description().validate_webhook("check_run", "rerequested", rerun) == []
    body = rerun["check_run"]
    assert (body["id"], body["head_sha"], body["app"]["id"]) == (run.id, pr.head_sha, fake.app_id)
    assert body["check_suite"]["id"] == run.check_suite_id and body["check_suite"]["head_branch"] == "buttons"
    assert [p["number"] for p in body["pull_requests"]] == [pr.number]
    assert "requested_action" not in rerun and rerun["sender"]["login"] == "octocat"

    clicked = fake.check_run_payload(repo, run, "requested_action", identifier="rescan", sender="maint")
    assert openapi.description().validate_webhook("check_run", "requested_action", clicked) == []
    assert clicked["requested_action"] == {"identifier": "rescan"} and clicked["sender"]["login"] == "maint"
    with pytest.raises(ValueError, match="not 'deploy'"):
        fake.check_run_payload(repo, run, "requested_action", identifier="deploy")

    foreign = fake.create_check_run(repo, pr.head_sha, "other-ci", app_id=1111, app_slug="other-ci")
    assert fake.check_run_payload(repo, foreign)["check_run"]["app"]["id"] == 1111

    suite = fake.check_suite_payload(repo, run, "rerequested", INSTALLATION)
    assert openapi.description().validate_webhook("check_suite", "rerequested", suite) == []
    assert (suite["check_suite"]["id"], suite["check_suite"]["head_sha"]) == (run.check_suite_id, pr.head_sha)
    assert suite["check_suite"]["app"]["id"] == fake.app_id
    assert suite["check_suite"]["head_commit"]["id"] == pr.head_sha
    assert [p["number"] for p in suite["check_suite"]["pull_requests"]] == [pr.number]
    assert (suite["check_suite"]["status"], suite["check_suite"]["conclusion"]) == ("completed", "failure")

    fork = fake.check_suite_payload(repo, run, fork=True)
    assert (fork["check_suite"]["pull_requests"], fork["check_suite"]["head_branch"]) == ([], None)
    assert fake.check_run_payload(repo, run, fork=True)["check_run"]["pull_requests"] == []


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_built_payloads_are_delivered_signed(fake: FakeGitHub, repo: FakeRepo) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        pr = _new_pr(repo, "signed")
        comment = fake.add_issue_comment(repo, pr.number, "/prwarden rescan", user="maint")
        url = f"http://127.0.0.1:{server.server_address[1]}/webhooks"
        response = fake.deliver(url, "issue_comment", fake.issue_comment_payload(repo, comment), secret="s3cret")
        assert response.status_code == 202
    finally:
        server.shutdown()
        server.server_close()
    headers, body = _Receiver.received[-1]
    assert headers["x-github-event"] == "issue_comment"
    assert headers["x-hub-signature-256"] == "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert json.loads(body)["comment"]["id"] == comment.id


# ----------------------------------------------------------------------------- accounting and clients
def test_write_counts_ignore_failures_and_faults(
    client: httpx.Client, fake: FakeGitHub, repo: FakeRepo, token: str
) -> None:
    pr = _new_pr(repo, "counting")
    fake.clear_records()
    path = f"/repos/{REPO}/issues/{pr.number}/comments"
    fake.inject("POST", re.escape(path) + "$", Fault.status(502))
    assert client.post(path, headers=auth(token), json={"body": "summary"}).status_code == 502
    created = client.post(path, headers=auth(token), json={"body": "summary"}).json()
    client.patch(f"/repos/{REPO}/issues/comments/{created['id']}", headers=auth(token), json={"body": "summary v2"})
    assert client.post(path, headers=auth(token), json={"body": ""}).status_code == 422
    assert fake.write_counts() == {f"POST {COMMENTS}": 1, f"PATCH {COMMENT}": 1}
    assert fake.write_counts(successful_only=False)[f"POST {COMMENTS}"] == 3
    assert [c.body for c in fake.bot_comments(repo, pr.number)] == ["summary v2"]
    pulled = client.get(f"/repos/{REPO}/pulls/{pr.number}", headers=auth(token)).json()
    assert pulled["comments"] == 1
    _forget_422s(fake)


def test_unimplemented_endpoints_still_404_and_check_bodies(
    client: httpx.Client, fake: FakeGitHub, pr: FakePull, token: str
) -> None:
    response = client.post(f"/repos/{REPO}/issues/{pr.number}/labels", headers=auth(token), json={"labels": 5})
    assert response.status_code == 404 and fake.unhandled[-1] == f"POST /repos/{REPO}/issues/{pr.number}/labels"
    assert "labels" in fake.schema_violations[-1]
    _forget_422s(fake)


def test_githubkit_round_trip(fake: FakeGitHub, repo: FakeRepo, pr: FakePull) -> None:
    """The bot's client parses every new answer with GitHub's models."""
    from githubkit import AppAuthStrategy, GitHub
    from githubkit.cache import MemCacheStrategy

    # githubkit's default token cache is process-wide and keyed without the base URL: a token
    # minted by an earlier fake with the same app and installation ids would be reused (401).
    app = GitHub(
        AppAuthStrategy(str(fake.app_id), fake.private_key_pem),
        base_url=fake.url + "/",
        cache_strategy=MemCacheStrategy(),
    )
    github = app.with_auth(app.auth.as_installation(INSTALLATION))
    owner, name = REPO.split("/")
    comment = github.rest.issues.create_comment(owner, name, pr.number, data={"body": "summary"}).parsed_data
    github.rest.issues.update_comment(owner, name, comment.id, data={"body": "summary v2"})
    comments: list[Any] = list(
        github.rest.paginate(github.rest.issues.list_comments, owner=owner, repo=name, issue_number=pr.number)
    )
    assert comment.id in [c.id for c in comments] and comments[-1].user.type == "Bot"
    reaction = github.rest.reactions.create_for_issue_comment(owner, name, comment.id, data={"content": "eyes"})
    assert reaction.status_code == 201 and reaction.parsed_data.content == "eyes"
    assert (
        github.rest.reactions.create_for_issue_comment(owner, name, comment.id, data={"content": "eyes"}).status_code
        == 200
    )
    repo.set_role("maint", "maintain")
    level = github.rest.repos.get_collaborator_permission_level(owner, name, "maint").parsed_data
    assert (level.permission, level.role_name) == ("write", "maintain")
    review = github.rest.pulls.create_review(
        owner,
        name,
        pr.number,
        data={"event": "COMMENT", "body": "b", "comments": [{"path": "app.py", "line": 5, "body": "x"}]},
    ).parsed_data
    assert review.state == "COMMENTED"
    listed: list[Any] = list(
        github.rest.paginate(github.rest.pulls.list_review_comments, owner=owner, repo=name, pull_number=pr.number)
    )
    assert any(c.pull_request_review_id == review.id and c.line == 5 for c in listed)
    run = github.rest.checks.create(
        owner, name, data={"name": "drift", "head_sha": pr.head_sha, "conclusion": "neutral"}
    ).parsed_data
    assert github.rest.checks.rerequest_run(owner, name, run.id).status_code == 201
    github.rest.issues.delete_comment(owner, name, comment.id)
    assert fake.schema_violations == []
