"""Issue comment endpoints (a PR's conversation is its issue's) and reactions to them.

Permissions (GitHub's "Permissions required for GitHub Apps", facts §4.4): these endpoints are
listed under both ``issues`` and ``pull_requests``.  Either suffices for a pull request's
comments; a plain issue's comments need ``issues``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from . import users
from .comments import IssueCommentState, issue_comment_json, reaction_json, validate_body
from .common import endpoint, json_body, json_response, paginate, require_permission, require_repo, since_param
from .errors import not_found

if TYPE_CHECKING:
    from .auth import InstallationToken
    from .fake import FakeGitHub, FakeRepo

CONVERSATION = ("issues", "pull_requests")


def _authorize(repo: FakeRepo, token: InstallationToken, number: int, level: str) -> None:
    """A plain issue is out of reach of a token that only holds ``pull_requests``."""
    if number not in repo.pulls:
        require_permission(token, "issues", level)


def _issue_number(repo: FakeRepo, request: Request) -> int:
    try:
        number = int(request.path_params["issue_number"])
    except ValueError:
        raise not_found() from None
    if number not in repo.pulls and number not in repo.issues:
        raise not_found()
    return number


def _comment(fake: FakeGitHub, repo: FakeRepo, request: Request) -> IssueCommentState:
    try:
        comment_id = int(request.path_params["comment_id"])
    except ValueError:
        raise not_found() from None
    comment = fake.comment_store.get(repo.id, comment_id)
    if comment is None:
        raise not_found()
    return comment


@endpoint
async def list_issue_comments(fake: FakeGitHub, request: Request) -> Response:
    repo, token = require_repo(fake, request, CONVERSATION, "read")
    number = _issue_number(repo, request)
    _authorize(repo, token, number, "read")
    comments = fake.comment_store.for_issue(repo.id, number)
    since = since_param(request)
    if since is not None:
        comments = [c for c in comments if int(c.updated_at) >= int(since)]
    page, headers = paginate(request, comments, f"{fake.url}/repositories/{repo.id}/issues/{number}/comments")
    return json_response([issue_comment_json(fake, c) for c in page], headers=headers)


@endpoint
async def create_issue_comment(fake: FakeGitHub, request: Request) -> Response:
    repo, token = require_repo(fake, request, CONVERSATION, "write")
    number = _issue_number(repo, request)
    _authorize(repo, token, number, "write")
    body = await json_body(fake, request)
    validate_body(body["body"], creating=True)
    bot = fake.bot_user
    comment = fake.add_issue_comment(
        repo, number, body["body"], user=bot.login, author_association=users.author_association(repo, bot), via_app=True
    )
    data = issue_comment_json(fake, comment)
    return json_response(data, 201, headers={"location": data["url"]})


@endpoint
async def get_issue_comment(fake: FakeGitHub, request: Request) -> Response:
    repo, token = require_repo(fake, request, CONVERSATION, "read")
    comment = _comment(fake, repo, request)
    _authorize(repo, token, comment.issue_number, "read")
    return json_response(issue_comment_json(fake, comment))


@endpoint
async def update_issue_comment(fake: FakeGitHub, request: Request) -> Response:
    repo, token = require_repo(fake, request, CONVERSATION, "write")
    comment = _comment(fake, repo, request)
    _authorize(repo, token, comment.issue_number, "write")
    body = await json_body(fake, request)
    validate_body(body["body"], creating=False)
    with fake.comment_store.lock:
        comment.history.append(comment.body)
        comment.body = body["body"]
        comment.updated_at = fake.now()
    return json_response(issue_comment_json(fake, comment))


@endpoint
async def delete_issue_comment(fake: FakeGitHub, request: Request) -> Response:
    repo, token = require_repo(fake, request, CONVERSATION, "write")
    comment = _comment(fake, repo, request)
    _authorize(repo, token, comment.issue_number, "write")
    comment.deleted = True
    return Response(status_code=204)


@endpoint
async def list_comment_reactions(fake: FakeGitHub, request: Request) -> Response:
    repo, token = require_repo(fake, request, CONVERSATION, "read")
    comment = _comment(fake, repo, request)
    _authorize(repo, token, comment.issue_number, "read")
    reactions = list(comment.reactions)
    content = request.query_params.get("content")
    if content:
        reactions = [r for r in reactions if r.content == content]
    page, headers = paginate(
        request, reactions, f"{fake.url}/repositories/{repo.id}/issues/comments/{comment.id}/reactions"
    )
    return json_response([reaction_json(fake, r) for r in page], headers=headers)


@endpoint
async def create_comment_reaction(fake: FakeGitHub, request: Request) -> Response:
    """201 for a new reaction, 200 with the existing one when the bot already reacted so."""
    repo, token = require_repo(fake, request, CONVERSATION, "write")
    comment = _comment(fake, repo, request)
    _authorize(repo, token, comment.issue_number, "write")
    body = await json_body(fake, request)  # the schema's enum rejects unknown contents (422)
    reaction, created = fake.comment_store.react(comment, fake.bot_user, body["content"], fake._next_id(), fake.now())
    return json_response(reaction_json(fake, reaction), 201 if created else 200)
