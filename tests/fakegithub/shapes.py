"""JSON shapes of GitHub objects (users, repositories, pull requests, installations).

Why: hand-typing GitHub's 80-field repository object invites drift.  The repository and user
objects are derived from GitHub's real webhook examples (tests/peers.py) with names, ids and
URLs rewritten to the fake, so clients that parse full models (githubkit/pydantic) accept them.
"""

from __future__ import annotations

import copy
import functools
import json
from typing import TYPE_CHECKING, Any

from tests import peers

if TYPE_CHECKING:
    from .fake import FakeGitHub, FakePull, FakeRepo
    from .git import CommitInfo, GitIdent

_EXAMPLE_OWNER = "Codertocat"
_EXAMPLE_NAME = "Hello-World"
_EXAMPLE_OWNER_ID = 21031067
_EXAMPLE_REPO_ID = 186853002


@functools.lru_cache(maxsize=1)
def _templates() -> tuple[str, str]:
    example = peers.webhook_example("pull_request", "opened")
    return json.dumps(example["repository"]), json.dumps(example["sender"])


def _rewrite(template: str, base_url: str, owner: str, name: str | None) -> Any:
    text = template.replace("https://api.github.com", base_url).replace("https://github.com", base_url)
    text = text.replace("git@github.com:", f"git@{base_url.split('//', 1)[-1]}:").replace(
        "git://github.com", base_url.replace("http", "git", 1)
    )
    if name is not None:
        text = text.replace(f"{_EXAMPLE_OWNER}/{_EXAMPLE_NAME}", f"{owner}/{name}").replace(
            f'"{_EXAMPLE_NAME}"', json.dumps(name)
        )
    text = text.replace(f"/{_EXAMPLE_OWNER}", f"/{owner}").replace(f'"{_EXAMPLE_OWNER}"', json.dumps(owner))
    return json.loads(text)


def user_json(base_url: str, login: str, user_id: int, kind: str = "User") -> dict[str, Any]:
    """A ``simple-user`` object."""
    user: dict[str, Any] = _rewrite(_templates()[1], base_url, login, None)
    user.update({"login": login, "id": user_id, "node_id": f"U_fake{user_id}", "type": kind})
    user["avatar_url"] = f"{base_url}/avatars/u/{user_id}?v=4"
    return user


def repository_json(fake: FakeGitHub, repo: FakeRepo) -> dict[str, Any]:
    """A ``repository`` object for ``repo`` as the fake serves it."""
    data: dict[str, Any] = _rewrite(_templates()[0], fake.url, repo.owner, repo.name)
    data.update(
        {
            "id": repo.id,
            "node_id": f"R_fake{repo.id}",
            "name": repo.name,
            "full_name": repo.full_name,
            "private": repo.private,
            "visibility": "private" if repo.private else "public",
            "default_branch": repo.default_branch,
            "master_branch": repo.default_branch,
            "fork": False,
            "has_discussions": False,
            "owner": user_json(fake.url, repo.owner, repo.owner_id, "Organization"),
        }
    )
    return data


def pull_request_json(fake: FakeGitHub, repo: FakeRepo, pr: FakePull) -> dict[str, Any]:
    """A full ``pull-request`` object, with head/base SHAs read from the branches right now."""
    base_url = fake.url
    api = f"{base_url}/repos/{repo.full_name}"
    web = f"{base_url}/{repo.full_name}"
    head_sha, base_sha = pr.head_sha, pr.base_sha
    stats = repo.pull_stats(pr)
    repo_obj = repository_json(fake, repo)
    owner = user_json(base_url, repo.owner, repo.owner_id, "Organization")
    author = user_json(base_url, pr.author, pr.author_id)
    number = pr.number

    def side(ref: str, sha: str) -> dict[str, Any]:
        return {"label": f"{repo.owner}:{ref}", "ref": ref, "sha": sha, "user": owner, "repo": copy.deepcopy(repo_obj)}

    return {
        "url": f"{api}/pulls/{number}",
        "id": pr.id,
        "node_id": f"PR_fake{pr.id}",
        "html_url": f"{web}/pull/{number}",
        "diff_url": f"{web}/pull/{number}.diff",
        "patch_url": f"{web}/pull/{number}.patch",
        "issue_url": f"{api}/issues/{number}",
        "commits_url": f"{api}/pulls/{number}/commits",
        "review_comments_url": f"{api}/pulls/{number}/comments",
        "review_comment_url": f"{api}/pulls/comments{{/number}}",
        "comments_url": f"{api}/issues/{number}/comments",
        "statuses_url": f"{api}/statuses/{head_sha}",
        "number": number,
        "state": pr.state,
        "locked": False,
        "title": pr.title,
        "user": author,
        "body": pr.body,
        "labels": [],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": pr.created_at,
        "updated_at": pr.updated_at,
        "closed_at": pr.closed_at,
        "merged_at": None,
        "merge_commit_sha": None,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": side(pr.head, head_sha),
        "base": side(pr.base, base_sha),
        "_links": {
            "self": {"href": f"{api}/pulls/{number}"},
            "html": {"href": f"{web}/pull/{number}"},
            "issue": {"href": f"{api}/issues/{number}"},
            "comments": {"href": f"{api}/issues/{number}/comments"},
            "review_comments": {"href": f"{api}/pulls/{number}/comments"},
            "review_comment": {"href": f"{api}/pulls/comments{{/number}}"},
            "commits": {"href": f"{api}/pulls/{number}/commits"},
            "statuses": {"href": f"{api}/statuses/{head_sha}"},
        },
        "author_association": "MEMBER",
        "auto_merge": None,
        "draft": pr.draft,
        "merged": False,
        "mergeable": True,
        "rebaseable": True,
        "mergeable_state": "clean",
        "merged_by": None,
        "comments": len(fake.comment_store.for_issue(repo.id, number)),
        "review_comments": len(fake.review_store.comments_for_pull(repo.id, number)),
        "maintainer_can_modify": False,
        "commits": stats.commits,
        "additions": stats.additions,
        "deletions": stats.deletions,
        "changed_files": stats.changed_files,
    }


def commit_json(fake: FakeGitHub, repo: FakeRepo, sha: str, info: CommitInfo | None = None) -> dict[str, Any]:
    """A ``commit`` object for ``sha``, read from the repository's git objects.

    The fake links no commit to a GitHub account, so ``author``/``committer`` are null (as
    GitHub sends them for emails it cannot match to a user); commits are unsigned.
    """
    info = info or repo.git.commit_info(sha)
    api = f"{fake.url}/repos/{repo.full_name}"
    web = f"{fake.url}/{repo.full_name}"

    def ident(person: GitIdent) -> dict[str, str]:
        return {"name": person.name, "email": person.email, "date": person.date}

    return {
        "sha": info.sha,
        "node_id": f"C_fake{info.sha}",
        "url": f"{api}/commits/{info.sha}",
        "html_url": f"{web}/commit/{info.sha}",
        "comments_url": f"{api}/commits/{info.sha}/comments",
        "commit": {
            "url": f"{api}/git/commits/{info.sha}",
            "author": ident(info.author),
            "committer": ident(info.committer),
            "message": info.message,
            "comment_count": 0,
            "tree": {"sha": info.tree, "url": f"{api}/git/trees/{info.tree}"},
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        },
        "author": None,
        "committer": None,
        "parents": [
            {"sha": parent, "url": f"{api}/commits/{parent}", "html_url": f"{web}/commit/{parent}"}
            for parent in info.parents
        ],
    }


def pull_request_simple_json(fake: FakeGitHub, repo: FakeRepo, pr: FakePull) -> dict[str, Any]:
    """The minimal PR reference embedded in check runs (``pull-request-minimal``)."""
    mini_repo = {"id": repo.id, "url": f"{fake.url}/repos/{repo.full_name}", "name": repo.name}
    return {
        "url": f"{fake.url}/repos/{repo.full_name}/pulls/{pr.number}",
        "id": pr.id,
        "number": pr.number,
        "head": {"ref": pr.head, "sha": pr.head_sha, "repo": mini_repo},
        "base": {"ref": pr.base, "sha": pr.base_sha, "repo": mini_repo},
    }


def app_json(
    base_url: str, app_id: int, slug: str, name: str, client_id: str, installations: int = 1
) -> dict[str, Any]:
    """The ``integration`` object (``GET /app``, and ``app`` inside check runs)."""
    created = "2024-01-01T00:00:00Z"
    return {
        "id": app_id,
        "slug": slug,
        "client_id": client_id,
        "node_id": f"A_fake{app_id}",
        "owner": user_json(base_url, "octo-org", 1, "Organization"),
        "name": name,
        "description": f"Fake {name}",
        "external_url": base_url,
        "html_url": f"{base_url}/apps/{slug}",
        "created_at": created,
        "updated_at": created,
        "permissions": {"checks": "write", "contents": "read", "metadata": "read", "pull_requests": "write"},
        "events": ["check_run", "check_suite", "issue_comment", "pull_request"],
        "installations_count": installations,
    }
