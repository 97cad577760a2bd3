"""Starlette routes of the fake GitHub REST API, and the uvicorn thread that serves them.

Each handler follows GitHub's order of checks: authentication (401), repository visibility
(404), permission (403), body schema (422), then the endpoint's own rules (422/404).
"""

from __future__ import annotations

import base64
import functools
import json
import math
import re
import socket
import threading
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import auth, limits, openapi, shapes
from .checks import annotation_json, apply_body, check_run_json, validate_check_run_body
from .errors import JSON_CONTENT_TYPE, ApiError, bad_credentials, invalid_request, not_accessible, not_found
from .git import FileDiff
from .middleware import FakeGitHubMiddleware

if TYPE_CHECKING:
    from .auth import InstallationToken
    from .fake import FakeGitHub, FakePull, FakeRepo

Handler = Callable[[Request], Awaitable[Response]]
_SHA_RE = re.compile(r"^[0-9a-f]{40}$")
RAW_MEDIA_TYPES = (
    "application/vnd.github.raw",
    "application/vnd.github.raw+json",
    "application/vnd.github.v3.raw",
    "application/vnd.github.v3.raw+json",
)
DIFF_MEDIA_TYPES = ("application/vnd.github.diff", "application/vnd.github.v3.diff")
#: "List pull requests files" is the way out when the diff media type refuses (facts §4.1).
PR_DIFF_MAX_FILES = 300
PR_DIFF_MAX_LINES = 20000
_DIFF_STATUS = {"A": "added", "D": "removed", "M": "modified", "R": "renamed", "C": "copied", "T": "changed"}


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers=headers, media_type=JSON_CONTENT_TYPE)


def endpoint(fn: Callable[[FakeGitHub, Request], Awaitable[Response]]) -> Handler:
    """Turn ApiError into GitHub's JSON error and log 422s/crashes on the fake for assertions."""

    @functools.wraps(fn)
    async def handler(request: Request) -> Response:
        fake: FakeGitHub = request.app.state.fake
        try:
            with fake.lock:
                return await fn(fake, request)
        except ApiError as error:
            if error.status == 422:
                fake.validation_errors.append(
                    f"{request.method} {request.url.path}: {error.message}"
                    + (f" {json.dumps(error.errors)}" if error.errors else "")
                )
            return error.response()
        except Exception:  # noqa: BLE001 - report fake bugs to the test instead of hanging it
            fake.server_errors.append(f"{request.method} {request.url.path}\n{traceback.format_exc()}")
            return _json({"message": "Server Error (fake bug)", "documentation_url": limits.DOCS}, 500)

    return handler


# ------------------------------------------------------------------------- auth helpers
def _require_app_jwt(fake: FakeGitHub, request: Request) -> dict[str, Any]:
    scheme, credential = auth.parse_authorization(request.headers.get("authorization"))
    if credential is None:
        raise ApiError(401, "A JSON web token could not be decoded")
    if scheme != "bearer" or not auth.looks_like_jwt(credential):
        raise ApiError(401, auth.MSG_JWT_UNDECODABLE)
    return auth.verify_app_jwt(
        credential,
        public_key=fake.public_key,
        app_id=fake.app_id,
        client_id=fake.client_id,
        now=fake.now(),
        policy=fake.jwt_policy,
    )


def _require_repo(
    fake: FakeGitHub, request: Request, permission: str, level: str
) -> tuple[FakeRepo, InstallationToken]:
    """Authenticate an installation token and authorise it for the URL's repository."""
    scheme, credential = auth.parse_authorization(request.headers.get("authorization"))
    if credential is None:
        if request.method == "GET":
            raise not_found()  # repositories are private: anonymous callers cannot see them
        raise ApiError(401, "Requires authentication")
    if scheme not in ("token", "bearer"):
        raise bad_credentials()
    if auth.looks_like_jwt(credential):
        _require_app_jwt(fake, request)  # JWT errors (expired, ...) surface as such
        # A valid app JWT is the app itself, not an installation: it has no repository access.
        raise not_accessible()
    token = fake.tokens.get(credential)
    if token is None or not token.alive(fake.now()):
        raise bad_credentials()
    installation = fake.installations.get(token.installation_id)
    if installation is None:
        raise bad_credentials()
    owner, name = request.path_params["owner"], request.path_params["repo"]
    repo = fake.repos.get(f"{owner}/{name}".lower())
    if (
        repo is None
        or repo.installation_id != token.installation_id
        or (token.repository_ids is not None and repo.id not in token.repository_ids)
    ):
        raise not_found()
    if installation.suspended:
        raise ApiError(403, auth.MSG_SUSPENDED)
    if permission != "metadata" and not token.allows(permission, level):
        raise not_accessible(f"{permission}={level}")
    return repo, token


async def _json_body(fake: FakeGitHub, request: Request, *, required: bool = True) -> dict[str, Any]:
    """Parse the body and validate it against GitHub's OpenAPI request schema."""
    raw = await request.body()
    if not raw.strip():
        if required:
            raise ApiError(400, "Problems parsing JSON")
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise ApiError(400, "Problems parsing JSON") from None
    problems = openapi.description().validate_body(request.method, request.url.path, body)
    if problems:
        fake.schema_violations.append(f"{request.method} {request.url.path}: " + " | ".join(problems))
        raise invalid_request(problems[0])
    if not isinstance(body, dict):
        raise invalid_request("Body should be a JSON object")
    return body


# ------------------------------------------------------------------------- pagination
def _paginate(
    request: Request, items: list[Any], link_base: str
) -> tuple[list[Any], dict[str, str]]:
    """Slice ``items`` by ``per_page``/``page`` and build GitHub's absolute ``Link`` header."""
    params = dict(request.query_params)
    try:
        per_page = int(params.get("per_page", limits.DEFAULT_PER_PAGE))
    except ValueError:
        per_page = limits.DEFAULT_PER_PAGE
    per_page = limits.DEFAULT_PER_PAGE if per_page < 1 else min(per_page, limits.MAX_PER_PAGE)
    try:
        page = max(1, int(params.get("page", 1)))
    except ValueError:
        page = 1
    last = max(1, math.ceil(len(items) / per_page))
    chunk = items[(page - 1) * per_page : page * per_page]
    params.pop("page", None)

    def link(number: int, rel: str) -> str:
        return f'<{link_base}?{urlencode({**params, "page": number})}>; rel="{rel}"'

    links = []
    if page > 1:
        links.append(link(min(page - 1, last), "prev"))
    if page < last:
        links.append(link(page + 1, "next"))
        links.append(link(last, "last"))
    if page > 1:
        links.append(link(1, "first"))
    return chunk, ({"link": ", ".join(links)} if links else {})


def _wants(request: Request, media_types: tuple[str, ...]) -> bool:
    accept = request.headers.get("accept", "")
    offered = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    return any(media in offered for media in media_types)


# ------------------------------------------------------------------------- app endpoints
def _installation_json(fake: FakeGitHub, installation_id: int) -> dict[str, Any]:
    installation = fake.installations[installation_id]
    created = auth.format_timestamp(fake.now() - 86400)
    account = shapes.user_json(fake.url, installation.account, installation.account_id, "Organization")
    return {
        "id": installation.id,
        "account": account,
        "repository_selection": "selected",
        "access_tokens_url": f"{fake.url}/app/installations/{installation.id}/access_tokens",
        "repositories_url": f"{fake.url}/installation/repositories",
        "html_url": f"{fake.url}/organizations/{installation.account}/settings/installations/{installation.id}",
        "app_id": fake.app_id,
        "app_slug": fake.app_slug,
        "target_id": installation.account_id,
        "target_type": "Organization",
        "permissions": dict(installation.permissions),
        "events": ["check_run", "check_suite", "issue_comment", "pull_request"],
        "created_at": created,
        "updated_at": created,
        "single_file_name": None,
        "has_multiple_single_files": False,
        "single_file_paths": [],
        "suspended_at": auth.format_timestamp(fake.now()) if installation.suspended else None,
        "suspended_by": None,
    }


@endpoint
async def get_app(fake: FakeGitHub, request: Request) -> Response:
    _require_app_jwt(fake, request)
    created = auth.format_timestamp(fake.now() - 30 * 86400)
    owner = shapes.user_json(fake.url, "octo-org", 1, "Organization")
    return _json(
        {
            "id": fake.app_id,
            "slug": fake.app_slug,
            "client_id": fake.client_id,
            "node_id": f"A_fake{fake.app_id}",
            "owner": owner,
            "name": fake.app_name,
            "description": "Fake PR Warden app",
            "external_url": fake.url,
            "html_url": f"{fake.url}/apps/{fake.app_slug}",
            "created_at": created,
            "updated_at": created,
            "permissions": dict(auth.DEFAULT_PERMISSIONS),
            "events": ["check_run", "check_suite", "issue_comment", "pull_request"],
            "installations_count": len(fake.installations),
        }
    )


@endpoint
async def list_installations(fake: FakeGitHub, request: Request) -> Response:
    _require_app_jwt(fake, request)
    items = [_installation_json(fake, i) for i in sorted(fake.installations)]
    page, headers = _paginate(request, items, f"{fake.url}/app/installations")
    return _json(page, headers=headers)


@endpoint
async def get_installation(fake: FakeGitHub, request: Request) -> Response:
    _require_app_jwt(fake, request)
    installation_id = int(request.path_params["installation_id"])
    if installation_id not in fake.installations:
        raise not_found()
    return _json(_installation_json(fake, installation_id))


@endpoint
async def get_repo_installation(fake: FakeGitHub, request: Request) -> Response:
    _require_app_jwt(fake, request)
    repo = fake.repos.get(f"{request.path_params['owner']}/{request.path_params['repo']}".lower())
    if repo is None or repo.installation_id is None:
        raise not_found()
    return _json(_installation_json(fake, repo.installation_id))


@endpoint
async def create_access_token(fake: FakeGitHub, request: Request) -> Response:
    _require_app_jwt(fake, request)
    installation_id = int(request.path_params["installation_id"])
    installation = fake.installations.get(installation_id)
    if installation is None:
        raise not_found()
    body = await _json_body(fake, request, required=False)
    if installation.suspended:
        raise ApiError(403, auth.MSG_SUSPENDED)
    permissions = auth.downscope(installation.permissions, body.get("permissions"))
    repo_ids: set[int] | None = None
    names, ids = body.get("repositories"), body.get("repository_ids")
    if names is not None or ids is not None:
        if len(names or []) + len(ids or []) > limits.TOKEN_MAX_REPOSITORIES:
            raise invalid_request(f"Too many repositories (maximum is {limits.TOKEN_MAX_REPOSITORIES}).")
        repo_ids = set()
        installed = [r for r in fake.repos.values() if r.id in installation.repository_ids]
        for name in names or []:
            match = next((r for r in installed if r.name.lower() == str(name).lower()), None)
            if match is None:
                raise invalid_request(f"There is at least one repository that does not exist or is not accessible to the parent installation: {name}")
            repo_ids.add(match.id)
        for rid in ids or []:
            if rid not in installation.repository_ids:
                raise invalid_request("There is at least one repository that does not exist or is not accessible to the parent installation.")
            repo_ids.add(rid)
    token = fake.tokens.mint(
        installation_id,
        now=fake.now(),
        ttl=fake.token_ttl,
        permissions=permissions,
        repository_ids=frozenset(repo_ids) if repo_ids is not None else None,
    )
    payload: dict[str, Any] = {
        "token": token.token,
        "expires_at": auth.format_timestamp(token.expires_at),
        "permissions": permissions,
        "repository_selection": "all" if repo_ids is None else "selected",
    }
    if repo_ids is not None:
        payload["repositories"] = [shapes.repository_json(fake, r) for r in fake.repos.values() if r.id in repo_ids]
    return _json(payload, 201)


# ------------------------------------------------------------------------- repos & pulls
@endpoint
async def get_repo(fake: FakeGitHub, request: Request) -> Response:
    repo, _ = _require_repo(fake, request, "metadata", "read")
    return _json(shapes.repository_json(fake, repo))


def _pull(repo: FakeRepo, request: Request) -> FakePull:
    try:
        number = int(request.path_params["pull_number"])
    except ValueError:
        raise not_found() from None
    pr = repo.pulls.get(number)
    if pr is None:
        raise not_found()
    return pr


@endpoint
async def list_pulls(fake: FakeGitHub, request: Request) -> Response:
    repo, _ = _require_repo(fake, request, "pull_requests", "read")
    state = request.query_params.get("state", "open")
    pulls = [p for p in sorted(repo.pulls.values(), key=lambda p: -p.number) if state == "all" or p.state == state]
    items = [shapes.pull_request_json(fake, repo, p) for p in pulls]
    page, headers = _paginate(request, items, f"{fake.url}/repositories/{repo.id}/pulls")
    return _json(page, headers=headers)


@endpoint
async def get_pull(fake: FakeGitHub, request: Request) -> Response:
    repo, _ = _require_repo(fake, request, "pull_requests", "read")
    pr = _pull(repo, request)
    if _wants(request, DIFF_MEDIA_TYPES):
        diffs = repo.pull_diff(pr)
        lines = sum(d.additions + d.deletions for d in diffs)
        if len(diffs) > PR_DIFF_MAX_FILES or lines > PR_DIFF_MAX_LINES:
            kind = f"number of files ({PR_DIFF_MAX_FILES})" if len(diffs) > PR_DIFF_MAX_FILES else f"number of lines ({PR_DIFF_MAX_LINES})"
            raise ApiError(
                406,
                f"Sorry, the diff exceeded the maximum {kind}. Consider using 'List pull requests files' API or "
                "locally cloning the repository instead.",
                errors=[{"resource": "PullRequest", "field": "diff", "code": "too_large"}],
            )
        text = repo.git.run("diff", "-M", "--no-color", "--no-ext-diff", repo.merge_base(pr), pr.head_sha)
        return Response(text, media_type="application/vnd.github.diff; charset=utf-8")
    return _json(shapes.pull_request_json(fake, repo, pr))


def _diff_entry(fake: FakeGitHub, repo: FakeRepo, head_sha: str, diff: FileDiff) -> dict[str, Any]:
    change = diff.change
    status = _DIFF_STATUS.get(change.status, "modified")
    filename = change.new_path
    quoted = quote(filename)
    entry: dict[str, Any] = {
        "sha": change.old_sha if status == "removed" else change.new_sha,
        "filename": filename,
        "status": status,
        "additions": diff.additions,
        "deletions": diff.deletions,
        "changes": diff.additions + diff.deletions,
        "blob_url": f"{fake.url}/{repo.full_name}/blob/{head_sha}/{quoted}",
        "raw_url": f"{fake.url}/{repo.full_name}/raw/{head_sha}/{quoted}",
        "contents_url": f"{fake.url}/repos/{repo.full_name}/contents/{quoted}?ref={head_sha}",
    }
    # GitHub omits ``patch`` for binary files and for diffs it considers too large.
    if diff.patch is not None and diff.additions + diff.deletions <= fake.max_patch_lines:
        entry["patch"] = diff.patch
    if status in ("renamed", "copied"):
        entry["previous_filename"] = change.old_path
    return entry


@endpoint
async def list_pull_files(fake: FakeGitHub, request: Request) -> Response:
    repo, _ = _require_repo(fake, request, "pull_requests", "read")
    pr = _pull(repo, request)
    head_sha = pr.head_sha
    diffs = repo.pull_diff(pr)[: fake.max_pr_files]  # GitHub lists at most 3000 files
    page, headers = _paginate(request, diffs, f"{fake.url}/repositories/{repo.id}/pulls/{pr.number}/files")
    return _json([_diff_entry(fake, repo, head_sha, d) for d in page], headers=headers)


# ------------------------------------------------------------------------- contents & blobs
def _b64(data: bytes) -> str:
    """Base64 wrapped every 60 characters with a trailing newline, as GitHub sends it."""
    encoded = base64.b64encode(data).decode()
    step = limits.BASE64_LINE_LENGTH
    return "".join(encoded[i : i + step] + "\n" for i in range(0, len(encoded), step))


def _too_large(size: int) -> ApiError:
    return ApiError(
        403,
        "This API returns blobs up to 100 MB in size. The requested blob is too large to fetch via the API, "
        "but you can always clone the repository via Git to obtain it.",
        errors=[{"resource": "Blob", "field": "data", "code": "too_large"}],
    )


def _raw(data: bytes) -> Response:
    return Response(data, media_type="application/vnd.github.raw")


def _content_urls(fake: FakeGitHub, repo: FakeRepo, path: str, ref: str, sha: str, kind: str) -> dict[str, Any]:
    quoted = quote(path)
    self_url = f"{fake.url}/repos/{repo.full_name}/contents/{quoted}?ref={quote(ref)}"
    git_url = f"{fake.url}/repos/{repo.full_name}/git/{'trees' if kind == 'dir' else 'blobs'}/{sha}"
    html_url = f"{fake.url}/{repo.full_name}/{'tree' if kind == 'dir' else 'blob'}/{quote(ref)}/{quoted}"
    return {
        "url": self_url,
        "git_url": git_url,
        "html_url": html_url,
        "download_url": None if kind == "dir" else f"{fake.url}/{repo.full_name}/raw/{quote(ref)}/{quoted}",
        "_links": {"self": self_url, "git": git_url, "html": html_url},
    }


@endpoint
async def get_contents(fake: FakeGitHub, request: Request) -> Response:
    repo, _ = _require_repo(fake, request, "contents", "read")
    path = request.path_params.get("path", "").strip("/")
    ref = request.query_params.get("ref") or repo.default_branch
    commit = repo.git.resolve(ref)
    if commit is None:
        raise ApiError(404, f"No commit found for the ref {ref}")
    spec = f"{commit}:{path}" if path else f"{commit}^{{tree}}"
    kind = repo.git.object_type(spec)
    if kind is None:
        raise not_found()
    if kind == "tree":
        entries = []
        for mode, obj_type, sha, size, name in repo.git.ls_tree(commit, path)[: limits.CONTENTS_DIR_MAX_ENTRIES]:
            entry_path = f"{path}/{name}" if path else name
            entry_kind = {"tree": "dir", "commit": "submodule"}.get(obj_type, "symlink" if mode == "120000" else "file")
            entries.append(
                {"type": entry_kind, "size": size, "name": name, "path": entry_path, "sha": sha}
                | _content_urls(fake, repo, entry_path, ref, sha, entry_kind)
            )
        return _json(entries)
    sha = repo.git.rev_sha(spec) or ""
    size = repo.git.object_size(spec)
    if size > limits.CONTENTS_MAX_BYTES:
        raise _too_large(size)
    if _wants(request, RAW_MEDIA_TYPES):
        return _raw(repo.git.blob_bytes(spec))
    if size <= limits.CONTENTS_FULL_FEATURE_MAX_BYTES:
        content, encoding = _b64(repo.git.blob_bytes(spec)), "base64"
    else:
        content, encoding = "", "none"  # 1-100 MB: metadata only; use raw media type or blobs
    return _json(
        {
            "type": "file",
            "encoding": encoding,
            "size": size,
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "content": content,
            "sha": sha,
        }
        | _content_urls(fake, repo, path, ref, sha, "file")
    )


@endpoint
async def get_blob(fake: FakeGitHub, request: Request) -> Response:
    repo, _ = _require_repo(fake, request, "contents", "read")
    sha = request.path_params["file_sha"]
    if not _SHA_RE.match(sha):
        raise invalid_request("The sha parameter must be exactly 40 characters and contain only [0-9a-f].")
    if repo.git.object_type(sha) != "blob":
        raise not_found()
    size = repo.git.object_size(sha)
    if size > limits.CONTENTS_MAX_BYTES:
        raise _too_large(size)
    data = repo.git.blob_bytes(sha)
    if _wants(request, RAW_MEDIA_TYPES):
        return _raw(data)
    return _json(
        {
            "sha": sha,
            "node_id": f"B_fake{sha[:12]}",
            "size": size,
            "url": f"{fake.url}/repos/{repo.full_name}/git/blobs/{sha}",
            "content": _b64(data),
            "encoding": "base64",
        }
    )


@endpoint
async def get_raw(fake: FakeGitHub, request: Request) -> Response:
    """``raw_url``/``download_url`` targets (github.com web host in reality)."""
    repo, _ = _require_repo(fake, request, "contents", "read")
    commit = repo.git.resolve(request.path_params["ref"])
    path = request.path_params["path"]
    if commit is None or repo.git.object_type(f"{commit}:{path}") != "blob":
        raise not_found()
    return Response(repo.git.blob_bytes(f"{commit}:{path}"), media_type="text/plain; charset=utf-8")


# ------------------------------------------------------------------------- checks
def _run_pull_requests(fake: FakeGitHub, repo: FakeRepo, head_sha: str) -> list[dict[str, Any]]:
    return [shapes.pull_request_simple_json(fake, repo, pr) for pr in repo.pulls_for_sha(head_sha)]


def _run(fake: FakeGitHub, repo: FakeRepo, request: Request) -> Any:
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
    repo, _ = _require_repo(fake, request, "checks", "write")
    body = await _json_body(fake, request)
    validate_check_run_body(body, creating=True)
    head_sha = body["head_sha"]
    if not _SHA_RE.match(head_sha) or not repo.git.is_commit(head_sha):
        raise ApiError(422, f"No commit found for SHA: {head_sha}")
    run = fake.checks.new_run(
        repo=repo.full_name,
        repo_id=repo.id,
        head_sha=head_sha,
        name=body["name"],
        app_id=fake.app_id,
        app_slug=fake.app_slug,
    )
    now_iso = auth.format_timestamp(fake.now())
    run.started_at = body.get("started_at") or now_iso
    apply_body(run, body, now_iso)
    return _json(check_run_json(run, fake.url, _run_pull_requests(fake, repo, head_sha)), 201)


@endpoint
async def update_check_run(fake: FakeGitHub, request: Request) -> Response:
    repo, _ = _require_repo(fake, request, "checks", "write")
    run = _run(fake, repo, request)
    body = await _json_body(fake, request)
    if run.app_id != fake.app_id:
        raise ApiError(403, f"Invalid app_id `{fake.app_id}` - check run can only be modified by the GitHub App that created it.")
    validate_check_run_body(body, creating=False)
    apply_body(run, body, auth.format_timestamp(fake.now()))
    return _json(check_run_json(run, fake.url, _run_pull_requests(fake, repo, run.head_sha)))


@endpoint
async def get_check_run(fake: FakeGitHub, request: Request) -> Response:
    repo, _ = _require_repo(fake, request, "checks", "read")
    run = _run(fake, repo, request)
    return _json(check_run_json(run, fake.url, _run_pull_requests(fake, repo, run.head_sha)))


@endpoint
async def list_annotations(fake: FakeGitHub, request: Request) -> Response:
    repo, _ = _require_repo(fake, request, "checks", "read")
    run = _run(fake, repo, request)
    items = [annotation_json(a, fake.url, run) for a in run.annotations]
    page, headers = _paginate(request, items, f"{fake.url}/repositories/{repo.id}/check-runs/{run.id}/annotations")
    return _json(page, headers=headers)


@endpoint
async def list_check_runs_for_ref(fake: FakeGitHub, request: Request) -> Response:
    repo, _ = _require_repo(fake, request, "checks", "read")
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
    pulls = _run_pull_requests(fake, repo, sha)
    page, headers = _paginate(request, runs, f"{fake.url}/repositories/{repo.id}/commits/{quote(ref, safe='')}/check-runs")
    return _json(
        {"total_count": len(runs), "check_runs": [check_run_json(r, fake.url, pulls) for r in page]}, headers=headers
    )


@endpoint
async def unknown(fake: FakeGitHub, request: Request) -> Response:
    """Anything the fake does not implement: 404 like an unknown GitHub route, logged."""
    raise not_found()


REPO = "/repos/{owner}/{repo}"
ROUTES = [
    Route("/app", get_app, methods=["GET"]),
    Route("/app/installations", list_installations, methods=["GET"]),
    Route("/app/installations/{installation_id:int}", get_installation, methods=["GET"]),
    Route("/app/installations/{installation_id:int}/access_tokens", create_access_token, methods=["POST"]),
    Route(f"{REPO}", get_repo, methods=["GET"]),
    Route(f"{REPO}/installation", get_repo_installation, methods=["GET"]),
    Route(f"{REPO}/pulls", list_pulls, methods=["GET"]),
    Route(f"{REPO}/pulls/{{pull_number}}", get_pull, methods=["GET"]),
    Route(f"{REPO}/pulls/{{pull_number}}/files", list_pull_files, methods=["GET"]),
    Route(f"{REPO}/contents", get_contents, methods=["GET"]),
    Route(f"{REPO}/contents/{{path:path}}", get_contents, methods=["GET"]),
    Route(f"{REPO}/git/blobs/{{file_sha}}", get_blob, methods=["GET"]),
    Route(f"{REPO}/check-runs", create_check_run, methods=["POST"]),
    Route(f"{REPO}/check-runs/{{check_run_id}}", get_check_run, methods=["GET"]),
    Route(f"{REPO}/check-runs/{{check_run_id}}", update_check_run, methods=["PATCH"]),
    Route(f"{REPO}/check-runs/{{check_run_id}}/annotations", list_annotations, methods=["GET"]),
    Route(f"{REPO}/commits/{{ref:path}}/check-runs", list_check_runs_for_ref, methods=["GET"]),
    Route("/{owner}/{repo}/raw/{ref}/{path:path}", get_raw, methods=["GET"]),
    Route("/{rest:path}", unknown, methods=["GET", "POST", "PATCH", "PUT", "DELETE"]),
]


def build_app(fake: FakeGitHub) -> FakeGitHubMiddleware:
    """The ASGI app for ``fake`` (usable in-process with ``httpx.ASGITransport`` too)."""
    app = Starlette(routes=ROUTES)
    app.state.fake = fake
    return FakeGitHubMiddleware(app, fake)


class ServerThread:
    """uvicorn on 127.0.0.1:<OS-chosen port> in a daemon thread."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            build_app(fake),
            log_level="warning",
            lifespan="off",
            http="h11",
            proxy_headers=False,
            server_header=False,
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, name=f"fakegithub-{self.port}", daemon=True
        )

    def start(self, timeout: float = 10.0) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("fake GitHub server failed to start")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
