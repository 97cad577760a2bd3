"""Helpers shared by the route modules: GitHub-style auth checks, bodies, pagination, media types.

Each handler follows GitHub's order of checks: authentication (401), repository visibility
(404), permission (403), body schema (422), then the endpoint's own rules (422/404).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
import traceback
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import auth, limits, openapi
from .errors import JSON_CONTENT_TYPE, ApiError, bad_credentials, invalid_request, not_accessible, not_found

if TYPE_CHECKING:
    from .auth import InstallationToken
    from .fake import FakeGitHub, FakeRepo

Handler = Callable[[Request], Awaitable[Response]]
SHA_RE = re.compile(r"^[0-9a-f]{40}$")


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
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
            return json_response({"message": "Server Error (fake bug)", "documentation_url": limits.DOCS}, 500)

    return handler


# ------------------------------------------------------------------------- auth helpers
def require_app_jwt(fake: FakeGitHub, request: Request) -> dict[str, Any]:
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


def require_repo(
    fake: FakeGitHub, request: Request, permission: str | tuple[str, ...], level: str
) -> tuple[FakeRepo, InstallationToken]:
    """Authenticate an installation token and authorise it for the URL's repository.

    ``permission`` may name alternatives (any one suffices), as GitHub documents for endpoints
    such as issue comments ("issues" or "pull_requests"); the 403 then lists every accepted set
    in ``x-accepted-github-permissions``, separated by "; " like GitHub.
    """
    scheme, credential = auth.parse_authorization(request.headers.get("authorization"))
    if credential is None:
        if request.method == "GET":
            raise not_found()  # repositories are private: anonymous callers cannot see them
        raise ApiError(401, "Requires authentication")
    if scheme not in ("token", "bearer"):
        raise bad_credentials()
    if auth.looks_like_jwt(credential):
        require_app_jwt(fake, request)  # JWT errors (expired, ...) surface as such
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
    require_permission(token, permission, level)
    return repo, token


def require_permission(token: InstallationToken, permission: str | tuple[str, ...], level: str) -> None:
    """403 unless the token holds ``level`` on ``permission`` (or on one of the alternatives)."""
    alternatives = (permission,) if isinstance(permission, str) else permission
    if "metadata" in alternatives or any(token.allows(name, level) for name in alternatives):
        return
    raise not_accessible("; ".join(f"{name}={level}" for name in alternatives))


async def json_body(fake: FakeGitHub, request: Request, *, required: bool = True) -> dict[str, Any]:
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
def paginate(request: Request, items: list[Any], link_base: str) -> tuple[list[Any], dict[str, str]]:
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


def wants(request: Request, media_types: tuple[str, ...]) -> bool:
    accept = request.headers.get("accept", "")
    offered = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    return any(media in offered for media in media_types)


def since_param(request: Request) -> float | None:
    """The ``since`` query parameter (ISO 8601, ``YYYY-MM-DDTHH:MM:SSZ``) as epoch seconds."""
    raw = request.query_params.get("since")
    if not raw:
        return None
    try:
        parsed = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise invalid_request(f"Invalid value for 'since': {raw!r} is not an ISO 8601 timestamp.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()
