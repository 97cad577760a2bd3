"""Webhook deliveries as GitHub sends them: exact bytes, HMAC-SHA256 signature, headers.

Why: signature checks must run on the raw bytes and dedupe on ``X-GitHub-Delivery``; the fake
therefore signs exactly the bytes it sends and lets tests re-send the same delivery id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import TYPE_CHECKING, Any

import httpx

from tests import peers

from . import shapes, users
from .checks import check_run_json
from .comments import issue_comment_json, reaction_rollup
from .git import ZERO_SHA
from .routes_app import app_json_for

if TYPE_CHECKING:
    from .checks import CheckRunState, CheckSuiteState
    from .comments import IssueCommentState
    from .fake import FakeGitHub, FakePull, FakeRepo

#: GitHub's hook user agent is always ``GitHub-Hookshot/<build>`` (facts §1.1).
HOOKSHOT_USER_AGENT = "GitHub-Hookshot/abc123"
#: github.com gives up on a delivery after 10 s (facts §1.3).
DELIVERY_TIMEOUT_SECONDS = 10.0


def sign(secret: str | bytes, body: bytes) -> str:
    """``X-Hub-Signature-256`` value for ``body``."""
    key = secret.encode() if isinstance(secret, str) else secret
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def sign_sha1(secret: str | bytes, body: bytes) -> str:
    """Legacy ``X-Hub-Signature`` value (GitHub still sends it; bots must ignore it)."""
    key = secret.encode() if isinstance(secret, str) else secret
    return "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest()


def encode_payload(payload: dict[str, Any] | bytes) -> bytes:
    """Compact JSON like GitHub's deliveries; bytes are sent untouched."""
    if isinstance(payload, bytes):
        return payload
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def delivery_headers(
    fake: FakeGitHub, event: str, body: bytes, secret: str | None, delivery_id: str | None
) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": HOOKSHOT_USER_AGENT,
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
        "X-GitHub-Hook-ID": str(fake.hook_id),
        "X-GitHub-Hook-Installation-Target-Type": "integration",
        "X-GitHub-Hook-Installation-Target-ID": str(fake.app_id),
    }
    if secret is not None:
        headers["X-Hub-Signature"] = sign_sha1(secret, body)
        headers["X-Hub-Signature-256"] = sign(secret, body)
    return headers


def deliver(
    fake: FakeGitHub,
    target_url: str,
    event: str,
    payload: dict[str, Any] | bytes,
    secret: str | None,
    delivery_id: str | None = None,
    headers: dict[str, str | None] | None = None,
    timeout: float = DELIVERY_TIMEOUT_SECONDS,
) -> httpx.Response:
    """POST one delivery; ``headers`` overrides (a None value removes that header)."""
    body = encode_payload(payload)
    merged: dict[str, str | None] = dict(delivery_headers(fake, event, body, secret, delivery_id))
    lowered = {key.lower(): key for key in merged}
    for key, value in (headers or {}).items():
        merged.pop(lowered.get(key.lower(), key), None)
        merged[key] = value
    final = {key: value for key, value in merged.items() if value is not None}
    with httpx.Client(timeout=timeout) as client:
        response = client.post(target_url, content=body, headers=final)
    fake.deliveries.append(
        {"event": event, "delivery_id": final.get("X-GitHub-Delivery"), "status": response.status_code}
    )
    return response


def pull_request_payload(
    fake: FakeGitHub,
    repo: FakeRepo,
    pr: FakePull,
    action: str = "opened",
    installation_id: int | None = None,
    *,
    before: str | None = None,
    after: str | None = None,
    changes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A ``pull_request`` payload built on GitHub's real example for ``action``."""
    try:
        payload = peers.webhook_example("pull_request", action)
    except LookupError:
        payload = peers.webhook_example("pull_request", "opened")
    payload["action"] = action
    payload["number"] = pr.number
    pull = shapes.pull_request_json(fake, repo, pr)
    example_pull = payload.get("pull_request", {})
    # Keep keys only the webhook variant has, but every value comes from the fake's state.
    payload["pull_request"] = {**{k: v for k, v in example_pull.items() if k not in pull}, **pull}
    _rewrite_context(fake, payload, repo, installation_id)
    if action == "edited" or changes is not None:
        payload["changes"] = changes if changes is not None else payload.get("changes", {})
    if action == "synchronize":
        payload["before"] = before or pr.base_sha
        payload["after"] = after or pr.head_sha
    return payload


# ----------------------------------------------------------------------------- shared parts
def _example(event: str, action: str, fallback: str) -> dict[str, Any]:
    """GitHub's published example for ``event.action`` (an App delivery when there is one)."""
    try:
        return peers.webhook_example(event, action)
    except LookupError:
        return peers.webhook_example(event, fallback)


def _rewrite_context(fake: FakeGitHub, payload: dict[str, Any], repo: FakeRepo, installation_id: int | None) -> None:
    """Point ``repository``, ``installation`` and ``organization`` at the fake's state."""
    installation = installation_id if installation_id is not None else repo.installation_id
    payload["repository"] = shapes.repository_json(fake, repo)
    payload["installation"] = {"id": installation, "node_id": f"MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u{installation}"}
    if "organization" in payload:
        payload["organization"] = {**payload["organization"], "login": repo.owner, "id": repo.owner_id}


def _merge(example: dict[str, Any], ours: dict[str, Any]) -> dict[str, Any]:
    """Keep keys only the webhook variant has; every value the fake knows comes from its state."""
    return {**{k: v for k, v in example.items() if k not in ours}, **ours}


# ----------------------------------------------------------------------------- issue_comment
def _issue_object(fake: FakeGitHub, repo: FakeRepo, number: int, example: dict[str, Any]) -> dict[str, Any]:
    """The ``issue`` of an ``issue_comment`` delivery; ``pull_request`` is present only for PRs."""
    pr = repo.pulls.get(number)
    target = pr if pr is not None else repo.issues[number]
    api = f"{fake.url}/repos/{repo.full_name}"
    web = f"{fake.url}/{repo.full_name}"
    author = users.FakeUser(target.author, target.author_id)
    issue = _merge(
        example,
        {
            "url": f"{api}/issues/{number}",
            "repository_url": api,
            "labels_url": f"{api}/issues/{number}/labels{{/name}}",
            "comments_url": f"{api}/issues/{number}/comments",
            "events_url": f"{api}/issues/{number}/events",
            "html_url": f"{web}/{'pull' if pr is not None else 'issues'}/{number}",
            "id": target.id,
            "node_id": f"{'PR' if pr is not None else 'I'}_fake{target.id}",
            "number": number,
            "title": target.title,
            "user": author.json(fake.url),
            "labels": [],
            "state": target.state,
            "locked": False,
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "comments": len(fake.comment_store.for_issue(repo.id, number)),
            "created_at": target.created_at,
            "updated_at": target.updated_at,
            "closed_at": target.closed_at,
            "author_association": users.author_association(repo, author),
            "active_lock_reason": None,
            "body": target.body,
            "reactions": reaction_rollup(f"{api}/issues/{number}/reactions", []),
        },
    )
    if pr is not None:
        issue["pull_request"] = {
            "url": f"{api}/pulls/{number}",
            "html_url": f"{web}/pull/{number}",
            "diff_url": f"{web}/pull/{number}.diff",
            "patch_url": f"{web}/pull/{number}.patch",
            "merged_at": None,
        }
        issue["draft"] = pr.draft
    else:
        issue.pop("pull_request", None)
    return issue


def issue_comment_payload(
    fake: FakeGitHub,
    repo: FakeRepo,
    comment: IssueCommentState,
    action: str = "created",
    installation_id: int | None = None,
    *,
    changes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An ``issue_comment`` delivery for ``comment`` (its author is the sender).

    On a pull request ``issue.pull_request`` is present, on a plain issue it is absent; the
    comment's ``user``, ``author_association`` and ``body`` are the fake's.  ``edited``
    carries ``changes.body.from`` (the previous body) unless ``changes`` is given.
    """
    payload = _example("issue_comment", action, "created")
    payload["action"] = action
    _rewrite_context(fake, payload, repo, installation_id)
    payload["issue"] = _issue_object(fake, repo, comment.issue_number, payload["issue"])
    payload["comment"] = _merge(payload["comment"], issue_comment_json(fake, comment))
    payload["sender"] = comment.user.json(fake.url)
    if action == "edited" or changes is not None:
        previous = comment.history[-1] if comment.history else comment.body
        payload["changes"] = changes if changes is not None else {"body": {"from": previous}}
    return payload


# ----------------------------------------------------------------------------- check_run / check_suite
def _pull_refs(fake: FakeGitHub, repo: FakeRepo, sha: str, fork: bool) -> list[dict[str, Any]]:
    """Open PRs whose head is ``sha``; GitHub sends none for a head branch in a fork (facts §1.4)."""
    if fork:
        return []
    return [shapes.pull_request_simple_json(fake, repo, pr) for pr in repo.pulls_for_sha(sha)]


def _head_branch(repo: FakeRepo, sha: str) -> str | None:
    for pr in repo.pulls_for_sha(sha):
        return pr.head
    branches = repo.git.branches_at(sha)
    return branches[0] if branches else None


def _suite_object(
    fake: FakeGitHub,
    repo: FakeRepo,
    suite: CheckSuiteState,
    example: dict[str, Any],
    *,
    fork: bool,
) -> dict[str, Any]:
    """A check suite as webhooks embed it; a fork PR's suite has no PRs and no head branch."""
    status, conclusion = fake.checks.status_of(suite)
    parents = repo.git.commit_info(suite.head_sha).parents
    pulls = _pull_refs(fake, repo, suite.head_sha, fork)
    api = f"{fake.url}/repos/{repo.full_name}"
    return _merge(
        example,
        {
            "id": suite.id,
            "node_id": f"CS_fake{suite.id}",
            "head_branch": None if fork else _head_branch(repo, suite.head_sha),
            "head_sha": suite.head_sha,
            "status": status,
            "conclusion": conclusion,
            "url": f"{api}/check-suites/{suite.id}",
            "before": parents[0] if parents else ZERO_SHA,
            "after": suite.head_sha,
            "pull_requests": pulls,
            "app": app_json_for(fake, suite.app_id, suite.app_slug),
            "created_at": suite.created_at,
            "updated_at": suite.updated_at,
        },
    )


def check_run_payload(
    fake: FakeGitHub,
    repo: FakeRepo,
    run: CheckRunState,
    action: str = "rerequested",
    installation_id: int | None = None,
    *,
    identifier: str | None = None,
    sender: str = "octocat",
    fork: bool = False,
) -> dict[str, Any]:
    """A ``check_run`` delivery (``rerequested``, ``requested_action``, ``created``, ``completed``).

    ``check_run.app`` is the run's app, so a run of another app yields a delivery the bot must
    ignore.  ``requested_action`` needs ``identifier``, which must be one of the run's actions
    (GitHub only sends the identifiers of buttons the run shows); edit the returned dict to
    forge anything else.  ``fork`` empties ``pull_requests`` and nulls ``head_branch``.
    """
    payload = _example("check_run", action, "rerequested")
    payload["action"] = action
    _rewrite_context(fake, payload, repo, installation_id)
    suite = fake.checks.suites[run.check_suite_id]
    example_run = payload["check_run"]
    pulls = _pull_refs(fake, repo, run.head_sha, fork)
    data = check_run_json(run, fake.url, pulls, app_json_for(fake, run.app_id, run.app_slug))
    data["check_suite"] = _suite_object(fake, repo, suite, example_run.get("check_suite", {}), fork=fork)
    payload["check_run"] = _merge(example_run, data)
    if action == "requested_action":
        offered = [a.get("identifier") for a in run.actions]
        if identifier not in offered:
            raise ValueError(f"check run {run.id} offers the actions {offered}, not {identifier!r}")
        payload["requested_action"] = {"identifier": identifier}
    else:
        payload.pop("requested_action", None)
    payload["sender"] = fake.user(sender).json(fake.url)
    return payload


def check_suite_payload(
    fake: FakeGitHub,
    repo: FakeRepo,
    suite: CheckSuiteState,
    action: str = "rerequested",
    installation_id: int | None = None,
    *,
    sender: str = "octocat",
    fork: bool = False,
) -> dict[str, Any]:
    """A ``check_suite`` delivery (``rerequested``, ``requested``, ``completed``) for ``suite``."""
    payload = _example("check_suite", action, "rerequested")
    payload["action"] = action
    _rewrite_context(fake, payload, repo, installation_id)
    info = repo.git.commit_info(suite.head_sha)
    api = f"{fake.url}/repos/{repo.full_name}"
    data = _suite_object(fake, repo, suite, payload["check_suite"], fork=fork)
    data["latest_check_runs_count"] = len(fake.checks.suite_runs(suite.id))
    data["check_runs_url"] = f"{api}/check-suites/{suite.id}/check-runs"
    data["head_commit"] = {
        "id": info.sha,
        "tree_id": info.tree,
        "message": info.message,
        "timestamp": info.committer.date,
        "author": {"name": info.author.name, "email": info.author.email},
        "committer": {"name": info.committer.name, "email": info.committer.email},
    }
    payload["check_suite"] = data
    payload["sender"] = fake.user(sender).json(fake.url)
    return payload
