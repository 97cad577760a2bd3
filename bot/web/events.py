"""The events PR Warden acts on. Adding one is adding a function here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.web.routing import JobSpec, Router

router = Router()

SCAN = "scan"


def scan_job(
    repo: str, number: int, head_sha: str, base_sha: str, installation_id: int, reason: str, changed_files: int | None = None
) -> JobSpec:
    return JobSpec(
        SCAN,
        key=f"{repo}#{number}@{head_sha}",
        payload={
            "repo": repo,
            "number": number,
            "head_sha": head_sha,
            "base_sha": base_sha,
            "installation_id": installation_id,
            "reason": reason,
            "changed_files": changed_files,
        },
    )


@router.on("pull_request", "opened", "synchronize", "reopened", "ready_for_review")
def pull_request_changed(payload: Mapping[str, Any]) -> list[JobSpec]:
    """Scan the head SHA. Read only the fields we need: GitHub's payloads vary across versions."""
    try:
        pull = payload["pull_request"]
        repo = payload["repository"]["full_name"]
        installation_id = int(payload["installation"]["id"])
        changed = pull.get("changed_files")
        job = scan_job(
            repo, int(pull["number"]), str(pull["head"]["sha"]), str(pull["base"]["sha"]), installation_id,
            str(payload["action"]), int(changed) if isinstance(changed, int) else None,
        )
    except (KeyError, TypeError, ValueError):
        raise BadPayload("pull_request payload lacks pull_request.number/head.sha/base.sha, repository.full_name or installation.id") from None
    return [job]


class BadPayload(ValueError):
    """A signed payload we handle is missing fields we need: a 400, not a 500."""


COMMAND = "command"
RERUN = "rerun"
COMMAND_PREFIX = "/prwarden"
MAX_COMMAND_CHARS = 1000
"""Only a comment's first line is read, and only this much of it."""


@router.on("issue_comment", "created")
def comment_created(payload: Mapping[str, Any]) -> list[JobSpec]:
    """`/prwarden ...` on a pull request by a person. Edited and deleted comments, comments on
    plain issues and comments by bots (ours included) do nothing. Who may run it is asked of
    the API by the worker, never guessed from author_association."""
    try:
        issue = payload["issue"]
        comment = payload["comment"]
        user = comment["user"]
        body = str(comment.get("body") or "")
        if "pull_request" not in issue or str(user.get("type")) == "Bot" or str(user.get("login", "")).endswith("[bot]"):
            return []
        first = body.lstrip()[:MAX_COMMAND_CHARS].split("\n", 1)[0].strip()
        if (first.split(None, 1) or [""])[0].lower() != COMMAND_PREFIX:
            return []
        repo = payload["repository"]["full_name"]
        job = JobSpec(
            COMMAND,
            key=f"command:{repo}:{int(comment['id'])}",
            payload={
                "repo": repo,
                "number": int(issue["number"]),
                "comment_id": int(comment["id"]),
                "login": str(user["login"]),
                "command": first,
                "installation_id": int(payload["installation"]["id"]),
            },
        )
    except (KeyError, TypeError, ValueError):
        raise BadPayload("issue_comment payload lacks issue.number, comment.id/user, repository.full_name or installation.id") from None
    return [job]


def _rerun(payload: Mapping[str, Any], section: str, reason: str) -> list[JobSpec]:
    try:
        item = payload[section]
        repo = payload["repository"]["full_name"]
        pulls = [
            {"number": int(p["number"]), "base_sha": str(p["base"]["sha"])}
            for p in item.get("pull_requests") or []
            if isinstance(p, Mapping) and "number" in p
        ]
        app_id = (item.get("app") or {}).get("id")
        job = JobSpec(
            RERUN,
            key=f"rerun:{repo}@{item['head_sha']}:{reason}:{item['id']}",
            payload={
                "repo": repo,
                "head_sha": str(item["head_sha"]),
                "pulls": pulls,
                "app_id": int(app_id) if app_id is not None else None,
                "installation_id": int(payload["installation"]["id"]),
                "reason": reason,
                "identifier": (payload.get("requested_action") or {}).get("identifier"),
            },
        )
    except (KeyError, TypeError, ValueError):
        raise BadPayload(f"{section} payload lacks {section}.id/head_sha, repository.full_name or installation.id") from None
    return [job]


@router.on("check_run", "rerequested")
def check_run_rerequested(payload: Mapping[str, Any]) -> list[JobSpec]:
    """GitHub's "Re-run" on one of our runs (other apps' runs are dropped by the worker, which
    knows our app id)."""
    return _rerun(payload, "check_run", "rerequested")


@router.on("check_run", "requested_action")
def check_run_action(payload: Mapping[str, Any]) -> list[JobSpec]:
    """The "Rescan" button on our run."""
    return _rerun(payload, "check_run", "requested_action")


@router.on("check_suite", "rerequested")
def check_suite_rerequested(payload: Mapping[str, Any]) -> list[JobSpec]:
    """"Re-run all checks": fork PRs arrive with an empty pull_requests list."""
    return _rerun(payload, "check_suite", "rerequested")
