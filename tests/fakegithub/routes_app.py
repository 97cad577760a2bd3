"""App-level endpoints (JWT auth): the app, its installations, installation tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from . import auth, limits, shapes
from .common import endpoint, json_body, json_response, paginate, require_app_jwt
from .errors import ApiError, invalid_request, not_found

if TYPE_CHECKING:
    from .fake import FakeGitHub


_INACCESSIBLE_REPOSITORY = (
    "There is at least one repository that does not exist or is not accessible to the parent installation"
)


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


def app_json_for(fake: FakeGitHub, app_id: int | None = None, slug: str | None = None) -> dict[str, Any]:
    if app_id is None or app_id == fake.app_id:
        return shapes.app_json(
            fake.url, fake.app_id, fake.app_slug, fake.app_name, fake.client_id, len(fake.installations)
        )
    return shapes.app_json(fake.url, app_id, slug or f"app-{app_id}", slug or f"App {app_id}", f"Iv23li{app_id:014d}")


@endpoint
async def get_app(fake: FakeGitHub, request: Request) -> Response:
    require_app_jwt(fake, request)
    return json_response(app_json_for(fake))


@endpoint
async def list_installations(fake: FakeGitHub, request: Request) -> Response:
    require_app_jwt(fake, request)
    items = [_installation_json(fake, i) for i in sorted(fake.installations)]
    page, headers = paginate(request, items, f"{fake.url}/app/installations")
    return json_response(page, headers=headers)


@endpoint
async def get_installation(fake: FakeGitHub, request: Request) -> Response:
    require_app_jwt(fake, request)
    installation_id = int(request.path_params["installation_id"])
    if installation_id not in fake.installations:
        raise not_found()
    return json_response(_installation_json(fake, installation_id))


@endpoint
async def get_repo_installation(fake: FakeGitHub, request: Request) -> Response:
    require_app_jwt(fake, request)
    repo = fake.repos.get(f"{request.path_params['owner']}/{request.path_params['repo']}".lower())
    if repo is None or repo.installation_id is None:
        raise not_found()
    return json_response(_installation_json(fake, repo.installation_id))


@endpoint
async def create_access_token(fake: FakeGitHub, request: Request) -> Response:
    require_app_jwt(fake, request)
    installation_id = int(request.path_params["installation_id"])
    installation = fake.installations.get(installation_id)
    if installation is None:
        raise not_found()
    body = await json_body(fake, request, required=False)
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
                raise invalid_request(f"{_INACCESSIBLE_REPOSITORY}: {name}")
            repo_ids.add(match.id)
        for rid in ids or []:
            if rid not in installation.repository_ids:
                raise invalid_request(f"{_INACCESSIBLE_REPOSITORY}.")
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
    return json_response(payload, 201)
