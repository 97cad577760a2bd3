"""Pull request review endpoints: create a review (all or nothing), list reviews and review comments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from . import users
from .common import endpoint, json_body, json_response, paginate, require_repo, since_param
from .reviews import build_review, review_comment_json, review_json
from .routes_repos import pull_or_404

if TYPE_CHECKING:
    from .fake import FakeGitHub


@endpoint
async def create_review(fake: FakeGitHub, request: Request) -> Response:
    repo, _ = require_repo(fake, request, "pull_requests", "write")
    pr = pull_or_404(repo, request)
    body = await json_body(fake, request, required=False)
    bot = fake.bot_user
    review = build_review(fake, repo, pr, body, bot, users.author_association(repo, bot))
    fake.review_store.add(review)
    return json_response(review_json(fake, review))  # GitHub answers 200, not 201


@endpoint
async def list_reviews(fake: FakeGitHub, request: Request) -> Response:
    repo, _ = require_repo(fake, request, "pull_requests", "read")
    pr = pull_or_404(repo, request)
    reviews = fake.review_store.for_pull(repo.id, pr.number)
    page, headers = paginate(request, reviews, f"{fake.url}/repositories/{repo.id}/pulls/{pr.number}/reviews")
    return json_response([review_json(fake, r) for r in page], headers=headers)


@endpoint
async def list_review_comments(fake: FakeGitHub, request: Request) -> Response:
    """``GET .../pulls/{n}/comments``: ascending by id unless ``direction=desc``; ``since`` filters."""
    repo, _ = require_repo(fake, request, "pull_requests", "read")
    pr = pull_or_404(repo, request)
    comments = fake.review_store.comments_for_pull(repo.id, pr.number)
    since = since_param(request)
    if since is not None:
        comments = [c for c in comments if int(c.created_at) >= int(since)]
    if request.query_params.get("direction") == "desc":
        comments.reverse()
    page, headers = paginate(request, comments, f"{fake.url}/repositories/{repo.id}/pulls/{pr.number}/comments")
    return json_response([review_comment_json(fake, c) for c in page], headers=headers)
