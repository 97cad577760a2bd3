"""The fake's ASGI app (routes + middleware) and the uvicorn thread that serves it."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import TYPE_CHECKING

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import routes_app, routes_checks, routes_issues, routes_repos, routes_reviews
from .common import endpoint, json_body
from .errors import ApiError, not_found
from .middleware import FakeGitHubMiddleware

if TYPE_CHECKING:
    from .fake import FakeGitHub


@endpoint
async def unknown(fake: FakeGitHub, request: Request) -> Response:
    """Anything the fake does not implement: 404 like an unknown GitHub route, logged.

    A JSON body is still checked against GitHub's schema, so even calls to endpoints the fake
    lacks cannot smuggle malformed bodies past ``schema_violations``.
    """
    if request.method in ("POST", "PATCH", "PUT") and (await request.body()).strip():
        with contextlib.suppress(ApiError):  # recorded in schema_violations; still a 404
            await json_body(fake, request)
    fake.unhandled.append(f"{request.method} {request.url.path}")
    raise not_found()


REPO = "/repos/{owner}/{repo}"
ROUTES = [
    Route("/app", routes_app.get_app, methods=["GET"]),
    Route("/app/installations", routes_app.list_installations, methods=["GET"]),
    Route("/app/installations/{installation_id:int}", routes_app.get_installation, methods=["GET"]),
    Route("/app/installations/{installation_id:int}/access_tokens", routes_app.create_access_token, methods=["POST"]),
    Route(f"{REPO}", routes_repos.get_repo, methods=["GET"]),
    Route(f"{REPO}/installation", routes_app.get_repo_installation, methods=["GET"]),
    Route(f"{REPO}/pulls", routes_repos.list_pulls, methods=["GET"]),
    Route(f"{REPO}/pulls/{{pull_number}}", routes_repos.get_pull, methods=["GET"]),
    Route(f"{REPO}/pulls/{{pull_number}}/files", routes_repos.list_pull_files, methods=["GET"]),
    Route(f"{REPO}/pulls/{{pull_number}}/reviews", routes_reviews.list_reviews, methods=["GET"]),
    Route(f"{REPO}/pulls/{{pull_number}}/reviews", routes_reviews.create_review, methods=["POST"]),
    Route(f"{REPO}/pulls/{{pull_number}}/comments", routes_reviews.list_review_comments, methods=["GET"]),
    Route(f"{REPO}/issues/{{issue_number}}/comments", routes_issues.list_issue_comments, methods=["GET"]),
    Route(f"{REPO}/issues/{{issue_number}}/comments", routes_issues.create_issue_comment, methods=["POST"]),
    Route(f"{REPO}/issues/comments/{{comment_id}}", routes_issues.get_issue_comment, methods=["GET"]),
    Route(f"{REPO}/issues/comments/{{comment_id}}", routes_issues.update_issue_comment, methods=["PATCH"]),
    Route(f"{REPO}/issues/comments/{{comment_id}}", routes_issues.delete_issue_comment, methods=["DELETE"]),
    Route(f"{REPO}/issues/comments/{{comment_id}}/reactions", routes_issues.list_comment_reactions, methods=["GET"]),
    Route(f"{REPO}/issues/comments/{{comment_id}}/reactions", routes_issues.create_comment_reaction, methods=["POST"]),
    Route(f"{REPO}/collaborators/{{username}}/permission", routes_repos.get_collaborator_permission, methods=["GET"]),
    Route(f"{REPO}/compare/{{basehead:path}}", routes_repos.compare_commits, methods=["GET"]),
    Route(f"{REPO}/contents", routes_repos.get_contents, methods=["GET"]),
    Route(f"{REPO}/contents/{{path:path}}", routes_repos.get_contents, methods=["GET"]),
    Route(f"{REPO}/git/blobs/{{file_sha}}", routes_repos.get_blob, methods=["GET"]),
    Route(f"{REPO}/check-runs", routes_checks.create_check_run, methods=["POST"]),
    Route(f"{REPO}/check-runs/{{check_run_id}}", routes_checks.get_check_run, methods=["GET"]),
    Route(f"{REPO}/check-runs/{{check_run_id}}", routes_checks.update_check_run, methods=["PATCH"]),
    Route(f"{REPO}/check-runs/{{check_run_id}}/annotations", routes_checks.list_annotations, methods=["GET"]),
    Route(f"{REPO}/check-runs/{{check_run_id}}/rerequest", routes_checks.rerequest_check_run, methods=["POST"]),
    Route(f"{REPO}/check-suites/{{check_suite_id}}/rerequest", routes_checks.rerequest_check_suite, methods=["POST"]),
    Route(f"{REPO}/commits/{{ref:path}}/check-runs", routes_checks.list_check_runs_for_ref, methods=["GET"]),
    Route("/{owner}/{repo}/raw/{ref}/{path:path}", routes_repos.get_raw, methods=["GET"]),
    Route("/{rest:path}", unknown, methods=["GET", "POST", "PATCH", "PUT", "DELETE"]),
]


async def _routing_error(request: Request, exc: Exception) -> Response:
    """GitHub answers unknown method/path combinations with a JSON 404, not starlette's 405 text."""
    request.app.state.fake.unhandled.append(f"{request.method} {request.url.path}")
    return not_found().response()


def build_app(fake: FakeGitHub) -> FakeGitHubMiddleware:
    """The ASGI app for ``fake`` (usable in-process with ``httpx.ASGITransport`` too)."""
    app = Starlette(routes=ROUTES, exception_handlers={HTTPException: _routing_error})
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
