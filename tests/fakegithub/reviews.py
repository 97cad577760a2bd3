"""Pull request reviews and their inline comments: state, GitHub's all-or-nothing rules, JSON.

Why: a review with N inline comments is accepted or rejected as a whole; one comment anchored
outside the diff fails the review with a 422 that does not say which comment is wrong (facts
§4.3).  The fake checks every anchor against the hunks of the PR's real diff at the review's
``commit_id`` (diffhunks.py) before storing anything.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import auth, diffhunks, limits
from .errors import ApiError, invalid_request, unprocessable

if TYPE_CHECKING:
    from .fake import FakeGitHub, FakePull, FakeRepo
    from .users import FakeUser

REVIEW_DOCS = "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request"
#: Observed for a second pending review by the same user (facts §4.3 neighbours; github/app#3371).
MSG_ONE_PENDING = "User can only have one pending review per pull request"
#: (UNCERTAIN: GitHub's exact text is unpublished; a 422 is documented and observed.)
MSG_BODY_REQUIRED = "Body can't be blank"
#: (UNCERTAIN) derived from the review-comment error ``pull_request_review_thread.end_commit_oid
#: is not part of the pull request`` (PyGithub#2501), humanised like the other thread errors.
MSG_COMMIT_NOT_IN_PR = "Pull request review thread end commit oid is not part of the pull request"


@dataclass
class ReviewCommentState:
    """One inline comment of a review."""

    id: int
    review_id: int
    repo: str
    repo_id: int
    pull_number: int
    commit_id: str
    path: str
    body: str
    line: int
    side: str
    start_line: int | None
    start_side: str | None
    position: int
    diff_hunk: str
    user: FakeUser
    author_association: str
    created_at: float


@dataclass
class ReviewState:
    """A review (tests inspect this directly); PENDING reviews have no ``submitted_at``."""

    id: int
    repo: str
    repo_id: int
    pull_number: int
    commit_id: str
    state: str
    body: str
    user: FakeUser
    author_association: str
    submitted_at: float | None
    comments: list[ReviewCommentState] = field(default_factory=list)
    #: The accepted request body, for assertions.
    request: dict[str, Any] = field(default_factory=dict)


class ReviewStore:
    def __init__(self) -> None:
        self.reviews: dict[int, ReviewState] = {}
        self.lock = threading.RLock()

    def add(self, review: ReviewState) -> ReviewState:
        with self.lock:
            self.reviews[review.id] = review
            return review

    def for_pull(self, repo_id: int, number: int) -> list[ReviewState]:
        with self.lock:
            return sorted(
                (r for r in self.reviews.values() if r.repo_id == repo_id and r.pull_number == number),
                key=lambda r: r.id,
            )

    def comments_for_pull(self, repo_id: int, number: int) -> list[ReviewCommentState]:
        """Inline comments of submitted reviews (pending ones are private to their author)."""
        return sorted(
            (c for r in self.for_pull(repo_id, number) if r.state != "PENDING" for c in r.comments),
            key=lambda c: c.id,
        )


def _commit_in_pull(repo: FakeRepo, pr: FakePull, commit_id: str) -> bool:
    """True for the PR's head and the commits it adds on top of the merge base."""
    if commit_id == pr.head_sha:
        return True
    return commit_id in repo.git.rev_list(f"{repo.merge_base(pr)}..{pr.head_sha}")


def diff_files(repo: FakeRepo, pr: FakePull, commit_id: str) -> dict[str, diffhunks.FileHunks]:
    """Hunks per path of the PR's diff at ``commit_id`` (merge base .. commit, like GitHub)."""
    files: dict[str, diffhunks.FileHunks] = {}
    for diff in repo.three_dot_diff(pr.base_sha, commit_id):
        path = diff.change.new_path
        files[path] = diffhunks.parse_patch(path, diff.patch)
    return files


def build_review(
    fake: FakeGitHub, repo: FakeRepo, pr: FakePull, body: dict[str, Any], user: FakeUser, association: str
) -> ReviewState:
    """Validate a ``POST .../reviews`` body against the PR and build the review (not stored yet)."""
    commit_id = body.get("commit_id") or pr.head_sha
    if not repo.git.is_commit(commit_id):
        raise ApiError(422, f"No commit found for SHA: {commit_id}")
    if not _commit_in_pull(repo, pr, commit_id):
        raise unprocessable(MSG_COMMIT_NOT_IN_PR, REVIEW_DOCS)
    event = body.get("event")
    state = limits.REVIEW_EVENT_STATES.get(event, "PENDING") if event else "PENDING"
    comments: list[dict[str, Any]] = body.get("comments") or []
    text = body.get("body") or ""
    if event in limits.REVIEW_EVENTS_NEEDING_BODY and not text.strip() and not comments:
        raise unprocessable(MSG_BODY_REQUIRED, REVIEW_DOCS)
    if state == "PENDING" and any(
        r.state == "PENDING" and r.user.id == user.id for r in fake.review_store.for_pull(repo.id, pr.number)
    ):
        raise unprocessable(MSG_ONE_PENDING, REVIEW_DOCS)
    for index, comment in enumerate(comments):
        for key in ("side", "start_side"):
            value = comment.get(key)
            if value is not None and value not in diffhunks.SIDES:
                raise invalid_request(f"For 'comments/{index}/{key}', {value!r} is not one of {list(diffhunks.SIDES)}.")
    files = diff_files(repo, pr, commit_id)
    anchors: list[diffhunks.Anchor] = []
    for comment in comments:
        try:
            anchors.append(diffhunks.resolve(files, comment))
        except diffhunks.AnchorError as error:
            raise unprocessable(error.message, REVIEW_DOCS) from None  # nothing of the review is kept

    now = fake.now()
    review = ReviewState(
        id=fake._next_id(),
        repo=repo.full_name,
        repo_id=repo.id,
        pull_number=pr.number,
        commit_id=commit_id,
        state=state,
        body=text,
        user=user,
        author_association=association,
        submitted_at=None if state == "PENDING" else now,
        request=body,
    )
    for comment, anchor in zip(comments, anchors, strict=True):
        review.comments.append(
            ReviewCommentState(
                id=fake._next_id(),
                review_id=review.id,
                repo=repo.full_name,
                repo_id=repo.id,
                pull_number=pr.number,
                commit_id=commit_id,
                path=anchor.path,
                body=comment.get("body", ""),
                line=anchor.line,
                side=anchor.side,
                start_line=anchor.start_line,
                start_side=anchor.start_side,
                position=anchor.position,
                diff_hunk=anchor.diff_hunk,
                user=user,
                author_association=association,
                created_at=now,
            )
        )
    return review


# ----------------------------------------------------------------------------- JSON shapes
def review_json(fake: FakeGitHub, review: ReviewState) -> dict[str, Any]:
    """The ``pull-request-review`` object."""
    pull_url = f"{fake.url}/repos/{review.repo}/pulls/{review.pull_number}"
    html = f"{fake.url}/{review.repo}/pull/{review.pull_number}#pullrequestreview-{review.id}"
    data: dict[str, Any] = {
        "id": review.id,
        "node_id": f"PRR_fake{review.id}",
        "user": review.user.json(fake.url),
        "body": review.body,
        "state": review.state,
        "html_url": html,
        "pull_request_url": pull_url,
        "_links": {"html": {"href": html}, "pull_request": {"href": pull_url}},
        "commit_id": review.commit_id,
        "author_association": review.author_association,
    }
    if review.submitted_at is not None:
        data["submitted_at"] = auth.format_timestamp(review.submitted_at)
    return data


def review_comment_json(fake: FakeGitHub, comment: ReviewCommentState) -> dict[str, Any]:
    """The ``pull-request-review-comment`` object."""
    url = f"{fake.url}/repos/{comment.repo}/pulls/comments/{comment.id}"
    pull_url = f"{fake.url}/repos/{comment.repo}/pulls/{comment.pull_number}"
    html = f"{fake.url}/{comment.repo}/pull/{comment.pull_number}#discussion_r{comment.id}"
    stamp = auth.format_timestamp(comment.created_at)
    return {
        "url": url,
        "pull_request_review_id": comment.review_id,
        "id": comment.id,
        "node_id": f"PRRC_fake{comment.id}",
        "diff_hunk": comment.diff_hunk,
        "path": comment.path,
        "position": comment.position,
        "original_position": comment.position,
        "commit_id": comment.commit_id,
        "original_commit_id": comment.commit_id,
        "user": comment.user.json(fake.url),
        "body": comment.body,
        "created_at": stamp,
        "updated_at": stamp,
        "html_url": html,
        "pull_request_url": pull_url,
        "author_association": comment.author_association,
        "_links": {"self": {"href": url}, "html": {"href": html}, "pull_request": {"href": pull_url}},
        "start_line": comment.start_line,
        "original_start_line": comment.start_line,
        "start_side": comment.start_side,
        "line": comment.line,
        "original_line": comment.line,
        "side": comment.side,
        "subject_type": "line",
    }
