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
