"""Issue comments (the PR "conversation") and their reactions: state, GitHub's rules, JSON shapes.

Why: PR Warden keeps one summary comment per PR (create once, then edit in place) and
acknowledges ``/prwarden rescan`` with an ``eyes`` reaction.  GitHub enforces the comment body
limit (65 536 characters, 422) and makes reactions idempotent (201 when created, 200 when the
same user already reacted with that content) server-side only (facts §4.4).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import auth, limits
from .errors import validation_failed

if TYPE_CHECKING:
    from .fake import FakeGitHub
    from .users import FakeUser

ISSUE_COMMENT_DOCS = "https://docs.github.com/rest/issues/comments#create-an-issue-comment"


@dataclass
class ReactionState:
    id: int
    content: str
    user: FakeUser
    created_at: float


@dataclass
class IssueCommentState:
    """One comment on an issue or a pull request's conversation (tests inspect this directly)."""

    id: int
    repo: str  # full name
    repo_id: int
    issue_number: int
    body: str
    user: FakeUser
    author_association: str
    created_at: float
    updated_at: float
    #: True when written through an installation token: ``performed_via_github_app`` is the app.
    via_app: bool = False
    #: Written by another App's installation: its (id, slug), shown as ``performed_via_github_app``.
    other_app: tuple[int, str] | None = None
    deleted: bool = False
    reactions: list[ReactionState] = field(default_factory=list)
    #: Earlier bodies, oldest first (one entry per accepted edit).
    history: list[str] = field(default_factory=list)


def validate_body(body: str, *, creating: bool) -> None:
    """GitHub's rules for a comment body (the schema already requires a string)."""
    if not body.strip():
        raise validation_failed("IssueComment", "body", "Body cannot be blank", "missing_field")
    if len(body) > limits.ISSUE_COMMENT_BODY_MAX_CHARS:
        # Observed: creating answers with field "data"/"unprocessable", editing with
        # field "body"/"custom" and a lower-case message (facts §4.4 [S30]).
        if creating:
            raise validation_failed(
                "IssueComment",
                "data",
                f"Body is too long (maximum is {limits.ISSUE_COMMENT_BODY_MAX_CHARS} characters)",
                "unprocessable",
            )
        raise validation_failed(
            "IssueComment", "body", f"body is too long (maximum is {limits.ISSUE_COMMENT_BODY_MAX_CHARS} characters)"
        )


class CommentStore:
    """Issue comments of all repositories, with their reactions."""

    def __init__(self) -> None:
        self.comments: dict[int, IssueCommentState] = {}
        self.lock = threading.RLock()

    def add(self, comment: IssueCommentState) -> IssueCommentState:
        with self.lock:
            self.comments[comment.id] = comment
            return comment

    def get(self, repo_id: int, comment_id: int) -> IssueCommentState | None:
        """A live comment of that repository (deleted ones are gone, like on GitHub)."""
        with self.lock:
            comment = self.comments.get(comment_id)
            if comment is None or comment.deleted or comment.repo_id != repo_id:
                return None
            return comment

    def for_issue(self, repo_id: int, number: int, *, include_deleted: bool = False) -> list[IssueCommentState]:
        """Comments of one issue or PR in ascending id order (GitHub's order)."""
        with self.lock:
            return sorted(
                (
                    c
                    for c in self.comments.values()
                    if c.repo_id == repo_id and c.issue_number == number and (include_deleted or not c.deleted)
                ),
                key=lambda c: c.id,
            )

    def react(
        self, comment: IssueCommentState, user: FakeUser, content: str, reaction_id: int, now: float
    ) -> tuple[ReactionState, bool]:
        """Add a reaction; returns (reaction, created).  An existing same-user same-content one is reused."""
        with self.lock:
            for reaction in comment.reactions:
                if reaction.user.id == user.id and reaction.content == content:
                    return reaction, False
            reaction = ReactionState(reaction_id, content, user, now)
            comment.reactions.append(reaction)
            return reaction, True


# ----------------------------------------------------------------------------- JSON shapes
def reaction_rollup(url: str, reactions: list[ReactionState]) -> dict[str, Any]:
    """The ``reactions`` summary embedded in comments and issues."""
    rollup: dict[str, Any] = {"url": url, "total_count": len(reactions)}
    for content in limits.REACTION_CONTENTS:
        rollup[content] = sum(1 for r in reactions if r.content == content)
    return rollup


def reaction_json(fake: FakeGitHub, reaction: ReactionState) -> dict[str, Any]:
    return {
        "id": reaction.id,
        "node_id": f"REA_fake{reaction.id}",
        "user": reaction.user.json(fake.url),
        "content": reaction.content,
        "created_at": auth.format_timestamp(reaction.created_at),
    }


def issue_comment_json(fake: FakeGitHub, comment: IssueCommentState) -> dict[str, Any]:
    """The ``issue-comment`` object as the REST API (and webhooks) return it."""
    from .routes_app import app_json_for

    api = f"{fake.url}/repos/{comment.repo}"
    repo = fake.repo(comment.repo)
    kind = "pull" if comment.issue_number in repo.pulls else "issues"
    url = f"{api}/issues/comments/{comment.id}"
    return {
        "id": comment.id,
        "node_id": f"IC_fake{comment.id}",
        "url": url,
        "html_url": f"{fake.url}/{comment.repo}/{kind}/{comment.issue_number}#issuecomment-{comment.id}",
        "issue_url": f"{api}/issues/{comment.issue_number}",
        "body": comment.body,
        "user": comment.user.json(fake.url),
        "created_at": auth.format_timestamp(comment.created_at),
        "updated_at": auth.format_timestamp(comment.updated_at),
        "author_association": comment.author_association,
        "performed_via_github_app": (
            app_json_for(fake, *comment.other_app) if comment.other_app else app_json_for(fake) if comment.via_app else None
        ),
        "reactions": reaction_rollup(f"{url}/reactions", comment.reactions),
    }
