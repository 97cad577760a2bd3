"""A fake GitHub REST API for PR Warden's tests, backed by real git repositories.

Tour::

    with FakeGitHub(app_id=4242, tmp_path=tmp_path) as fake:     # serves on 127.0.0.1:<port>
        fake.add_installation(7)
        repo = fake.create_repo("octo-org/hello-world", installation_id=7)
        repo.commit({"README.md": "hi\\n"})                       # main
        repo.commit({"app.py": "print(1)\\n"}, branch="feature")  # branched from main
        pr = repo.open_pull(base="main", head="feature")
        payload = fake.pull_request_payload(repo, pr)             # GitHub's real example, rewritten
        fake.deliver(bot_url, "pull_request", payload, secret="s3cret")
        ...
        assert fake.schema_violations == []

    Conversations (PR comments, ``/prwarden rescan``, reviews, re-runs)::

        repo.set_role("maint", "maintain")                        # COLLABORATOR, permission "write"
        comment = fake.add_issue_comment(repo, pr.number, "/prwarden rescan", user="maint")
        fake.deliver(bot_url, "issue_comment", fake.issue_comment_payload(repo, comment), secret="s3cret")
        ...
        assert [r.content for r in fake.reactions(comment)] == ["eyes"]
        assert len(fake.bot_comments(repo, pr.number)) == 1            # one summary comment
        assert fake.writes("POST", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews") == 1
        payload = fake.check_run_payload(repo, run, "requested_action", identifier="rescan")

The fake enforces GitHub's auth rules (App JWT, installation tokens, permissions), the Checks
API limits, pagination and diff semantics of ``pulls/{n}/files``, contents/blob media types,
issue-comment and reaction rules, review anchors checked against the PR's real diff, and
validates every JSON body against GitHub's OpenAPI description.
"""

from .auth import DEFAULT_PERMISSIONS, Installation, InstallationToken
from .checks import CheckRunState, CheckSuiteState
from .comments import IssueCommentState, ReactionState
from .fake import FakeGitHub, FakeIssue, FakePull, FakeRepo, RecordedRequest
from .faults import Fault
from .reviews import ReviewCommentState, ReviewState
from .users import FakeUser

__all__ = [
    "DEFAULT_PERMISSIONS",
    "CheckRunState",
    "CheckSuiteState",
    "FakeGitHub",
    "FakeIssue",
    "FakePull",
    "FakeRepo",
    "FakeUser",
    "Fault",
    "Installation",
    "InstallationToken",
    "IssueCommentState",
    "ReactionState",
    "RecordedRequest",
    "ReviewCommentState",
    "ReviewState",
]
