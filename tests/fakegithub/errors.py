"""GitHub-shaped error responses.

Why: clients (githubkit, octokit) branch on status *and* message text (e.g. "secondary rate
limit", "Bad credentials"), so the fake must produce GitHub's exact body shape:
``{"message", "documentation_url", "status"}`` plus ``errors`` for validation failures.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from .limits import DOCS

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


class ApiError(Exception):
    """Raised inside handlers; rendered as GitHub's JSON error body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[dict[str, Any]] | list[str] | None = None,
        documentation_url: str = DOCS,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.errors = errors
        self.documentation_url = documentation_url
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "documentation_url": self.documentation_url}
        if self.errors is not None:
            body["errors"] = self.errors
        body["status"] = str(self.status)
        return body

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers, media_type=JSON_CONTENT_TYPE)


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def bad_credentials() -> ApiError:
    return ApiError(401, "Bad credentials")


def not_accessible(permission: str | None = None) -> ApiError:
    """403 for a token lacking a permission; GitHub names the needed one in a header."""
    headers = {"x-accepted-github-permissions": permission} if permission else None
    return ApiError(403, "Resource not accessible by integration", headers=headers)


def invalid_request(detail: str) -> ApiError:
    """422 the way GitHub reports schema-level problems."""
    return ApiError(422, f"Invalid request.\n\n{detail}")


def validation_failed(resource: str, field: str, message: str, code: str = "custom") -> ApiError:
    """422 ``Validation Failed`` with GitHub's ``errors`` list."""
    return ApiError(
        422,
        "Validation Failed",
        errors=[{"resource": resource, "code": code, "field": field, "message": message}],
    )


def unprocessable(message: str, documentation_url: str = DOCS) -> ApiError:
    """422 ``Unprocessable Entity`` with ``errors`` as plain strings (``validation-error-simple``).

    The shape GitHub uses for review-thread problems, e.g. ``{"message": "Unprocessable Entity",
    "errors": ["Pull request review thread line must be part of the diff and ..."]}``.
    """
    return ApiError(422, "Unprocessable Entity", errors=[message], documentation_url=documentation_url)
