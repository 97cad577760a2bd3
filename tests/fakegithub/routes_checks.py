"""Checks endpoints: create/update/get check runs, annotations, runs for a ref."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from . import auth, shapes, webhooks
from .checks import CheckRunState, annotation_json, apply_body, check_run_json, validate_check_run_body
from .common import SHA_RE, endpoint, json_body, json_response, paginate, require_repo
from .errors import ApiError, not_found
from .routes_app import app_json_for

if TYPE_CHECKING:
    from .fake import FakeGitHub, FakeRepo


def _run_pull_requests(fake: FakeGitHub, repo: FakeRepo, head_sha: str) -> list[dict[str, Any]]:
    return [shapes.pull_request_simple_json(fake, repo, pr) for pr in repo.pulls_for_sha(head_sha)]


def _render_run(fake: FakeGitHub, repo: FakeRepo, run: CheckRunState) -> dict[str, Any]:
    pulls = _run_pull_requests(fake, repo, run.head_sha)
    return check_run_json(run, fake.url, pulls, app_json_for(fake, run.app_id, run.app_slug))


def _run(fake: FakeGitHub, repo: FakeRepo, request: Request) -> CheckRunState:
    try:
        run_id = int(request.path_params["check_run_id"])
    except ValueError:
        raise not_found() from None
    run = fake.checks.runs.get(run_id)
    if run is None or run.repo_id != repo.id:
        raise not_found()
    return run


@endpoint
async def create_check_run(fake: FakeGitHub, request: Request) -> Response:
    repo, _ = require_repo(fake, request, "checks", "write")
    body = await json_body(fake, request)
    validate_check_run_body(body, creating=True)
    head_sha = body["head_sha"]
    if not SHA_RE.match(head_sha) or not repo.git.is_commit(head_sha):
        raise ApiError(422, f"No commit found for SHA: {head_sha}")
    now_iso = auth.format_timestamp(fake.now())
    run = fake.checks.new_run(
        repo=repo.full_name,
        repo_id=repo.id,
        head_sha=head_sha,
        name=body["name"],
        app_id=fake.app_id,
        app_slug=fake.app_slug,
        now_iso=now_iso,
    )
    run.started_at = body.get("started_at") or now_iso
    apply_body(run, body, now_iso)
    return json_response(_render_run(fake, repo, run), 201)


@endpoint
async def update_check_run(fake: FakeGitHub, request: Request) -> Response:
    repo, _ = require_repo(fake, request, "checks", "write")
    run = _run(fake, repo, request)
    body = await json_body(fake, request)
    if run.app_id != fake.app_id:
        raise ApiError(
            403, f"Invalid app_id `{fake.app_id}` - check run can only be modified by the GitHub App that created it."
        )
    validate_check_run_body(body, creating=False)
    now_iso = auth.format_timestamp(fake.now())
    apply_body(run, body, now_iso)
    fake.checks.touch_suite(run, now_iso)
    return json_response(_render_run(fake, repo, run))


@endpoint
async def get_check_run(fake: FakeGitHub, request: Request) -> Response:
    repo, _ = require_repo(fake, request, "checks", "read")
    run = _run(fake, repo, request)
    return json_response(_render_run(fake, repo, run))


@endpoint
async def list_annotations(fake: FakeGitHub, request: Request) -> Response:
    repo, _ = require_repo(fake, request, "checks", "read")
    run = _run(fake, repo, request)
    items = [annotation_json(a, fake.url, run) for a in run.annotations]
    page, headers = paginate(request, items, f"{fake.url}/repositories/{repo.id}/check-runs/{run.id}/annotations")
    return json_response(page, headers=headers)


@endpoint
async def list_check_runs_for_ref(fake: FakeGitHub, request: Request) -> Response:
    repo, _ = require_repo(fake, request, "checks", "read")
    ref = request.path_params["ref"]
    sha = repo.git.resolve(ref)
    if sha is None:
        raise ApiError(422, f"No commit found for SHA: {ref}")
    runs = sorted(fake.checks.for_commit(repo.id, sha), key=lambda r: -r.id)
    params = request.query_params
    if params.get("check_name"):
        runs = [r for r in runs if r.name == params["check_name"]]
    if params.get("status"):
        runs = [r for r in runs if r.status == params["status"]]
    if params.get("app_id"):
        runs = [r for r in runs if str(r.app_id) == params["app_id"]]
    if params.get("filter", "latest") == "latest":
        seen: set[tuple[int, str]] = set()
        latest = []
        for run in runs:
            if (run.app_id, run.name) not in seen:
                seen.add((run.app_id, run.name))
                latest.append(run)
        runs = latest
    page, headers = paginate(
        request, runs, f"{fake.url}/repositories/{repo.id}/commits/{quote(ref, safe='')}/check-runs"
    )
    return json_response(
        {"total_count": len(runs), "check_runs": [_render_run(fake, repo, r) for r in page]}, headers=headers
    )


# ----------------------------------------------------------------------------- re-runs
@endpoint
async def rerequest_check_run(fake: FakeGitHub, request: Request) -> Response:
    """Reset the run's *suite* to queued (the run itself is not updated) and send ``check_run.rerequested``.

    The event is recorded in ``fake.triggered_events`` (the fake delivers nothing by itself).
    """
    repo, _ = require_repo(fake, request, "checks", "write")
    run = _run(fake, repo, request)
    # Documented: 403 for a run of another app, 422 when it is not rerequestable (only completed
    # runs offer "Re-run"); the message texts are the fake's (UNCERTAIN).
    if run.app_id != fake.app_id:
        raise ApiError(403, "This check run does not belong to the authenticated GitHub App.")
    if run.status != "completed":
        raise ApiError(422, "This check run is not rerequestable.")
    suite = fake.checks.suites[run.check_suite_id]
    fake.checks.rerequest_suite(suite, auth.format_timestamp(fake.now()))
    payload = webhooks.check_run_payload(fake, repo, run, "rerequested", sender=fake.bot_user.login)
    fake.triggered_events.append(("check_run", payload))
    return json_response({}, 201)


@endpoint
async def rerequest_check_suite(fake: FakeGitHub, request: Request) -> Response:
    """Reset the suite to queued with no conclusion and send ``check_suite.rerequested``."""
    repo, _ = require_repo(fake, request, "checks", "write")
    try:
        suite = fake.checks.suites.get(int(request.path_params["check_suite_id"]))
    except ValueError:
        raise not_found() from None
    if suite is None or suite.repo_id != repo.id:
        raise not_found()
    if suite.app_id != fake.app_id:
        raise ApiError(403, "This check suite does not belong to the authenticated GitHub App.")  # (UNCERTAIN text)
    fake.checks.rerequest_suite(suite, auth.format_timestamp(fake.now()))
    payload = webhooks.check_suite_payload(fake, repo, suite, "rerequested", sender=fake.bot_user.login)
    fake.triggered_events.append(("check_suite", payload))
    return json_response({}, 201)
