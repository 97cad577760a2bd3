"""Repository endpoints: repository, pull requests and their files, compare, contents, blobs."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from . import limits, shapes, users
from .common import SHA_RE, endpoint, json_response, paginate, require_repo, wants
from .errors import ApiError, invalid_request, not_found
from .git import FileDiff

if TYPE_CHECKING:
    from .fake import FakeGitHub, FakePull, FakeRepo


RAW_MEDIA_TYPES = (
    "application/vnd.github.raw",
    "application/vnd.github.raw+json",
    "application/vnd.github.v3.raw",
    "application/vnd.github.v3.raw+json",
)
DIFF_MEDIA_TYPES = ("application/vnd.github.diff", "application/vnd.github.v3.diff")
_DIFF_STATUS = {"A": "added", "D": "removed", "M": "modified", "R": "renamed", "C": "copied", "T": "changed"}


@endpoint
async def get_repo(fake: FakeGitHub, request: Request) -> Response:
    repo, _ = require_repo(fake, request, "metadata", "read")
    # ``full-repository`` adds these counters to the ``repository`` shape.
    return json_response(shapes.repository_json(fake, repo) | {"network_count": 0, "subscribers_count": 1})


@endpoint
async def get_collaborator_permission(fake: FakeGitHub, request: Request) -> Response:
    """``GET .../collaborators/{username}/permission``: legacy ``permission`` plus ``role_name``.

    Unknown accounts are 404; known accounts without a role on a private repository get
    ``none`` (owners are admins; everyone may read a public repository).
    """
    repo, _ = require_repo(fake, request, "metadata", "read")
    user = fake.users.get(request.path_params["username"].lower())
    if user is None:
        raise not_found()
    role = users.role_of(repo, user)
    return json_response(
        {
            "permission": limits.LEGACY_PERMISSION.get(role, "none"),
            "role_name": role,
            "user": users.collaborator_json(fake.url, user, role),
        }
    )


def pull_or_404(repo: FakeRepo, request: Request) -> FakePull:
    """The PR named by the URL's ``pull_number``."""
    try:
        number = int(request.path_params["pull_number"])
    except ValueError:
        raise not_found() from None
    pr = repo.pulls.get(number)
    if pr is None:
        raise not_found()
    return pr


@endpoint
async def list_pulls(fake: FakeGitHub, request: Request) -> Response:
    repo, _ = require_repo(fake, request, "pull_requests", "read")
    state = request.query_params.get("state", "open")
    pulls = [p for p in sorted(repo.pulls.values(), key=lambda p: -p.number) if state == "all" or p.state == state]
    items = [shapes.pull_request_json(fake, repo, p) for p in pulls]
    page, headers = paginate(request, items, f"{fake.url}/repositories/{repo.id}/pulls")
    return json_response(page, headers=headers)


@endpoint
async def get_pull(fake: FakeGitHub, request: Request) -> Response:
    repo, _ = require_repo(fake, request, "pull_requests", "read")
    pr = pull_or_404(repo, request)
    if wants(request, DIFF_MEDIA_TYPES):
        diffs = repo.pull_diff(pr)
        lines = sum(d.additions + d.deletions for d in diffs)
        if len(diffs) > limits.PR_DIFF_MAX_FILES or lines > limits.PR_DIFF_MAX_LINES:
            kind = (
                f"number of files ({limits.PR_DIFF_MAX_FILES})"
                if len(diffs) > limits.PR_DIFF_MAX_FILES
                else f"number of lines ({limits.PR_DIFF_MAX_LINES})"
            )
            raise ApiError(
                406,
                f"Sorry, the diff exceeded the maximum {kind}. Consider using 'List pull requests files' API or "
                "locally cloning the repository instead.",
                errors=[{"resource": "PullRequest", "field": "diff", "code": "too_large"}],
            )
        text = repo.git.run("diff", "-M", "--no-color", "--no-ext-diff", repo.merge_base(pr), pr.head_sha)
        return Response(text, media_type="application/vnd.github.diff; charset=utf-8")
    return json_response(shapes.pull_request_json(fake, repo, pr))


def _diff_entry(fake: FakeGitHub, repo: FakeRepo, head_sha: str, diff: FileDiff) -> dict[str, Any]:
    change = diff.change
    status = _DIFF_STATUS.get(change.status, "modified")
    filename = change.new_path
    quoted = quote(filename)
    entry: dict[str, Any] = {
        "sha": change.old_sha if status == "removed" else change.new_sha,
        "filename": filename,
        "status": status,
        "additions": diff.additions,
        "deletions": diff.deletions,
        "changes": diff.additions + diff.deletions,
        "blob_url": f"{fake.url}/{repo.full_name}/blob/{head_sha}/{quoted}",
        "raw_url": f"{fake.url}/{repo.full_name}/raw/{head_sha}/{quoted}",
        "contents_url": f"{fake.url}/repos/{repo.full_name}/contents/{quoted}?ref={head_sha}",
    }
    # GitHub omits ``patch`` for binary files and for diffs it considers too large.
    if diff.patch is not None and diff.additions + diff.deletions <= fake.max_patch_lines:
        entry["patch"] = diff.patch
    if status in ("renamed", "copied"):
        entry["previous_filename"] = change.old_path
    return entry


@endpoint
async def list_pull_files(fake: FakeGitHub, request: Request) -> Response:
    repo, _ = require_repo(fake, request, "pull_requests", "read")
    pr = pull_or_404(repo, request)
    head_sha = pr.head_sha
    diffs = repo.pull_diff(pr)[: fake.max_pr_files]  # GitHub lists at most 3000 files
    page, headers = paginate(request, diffs, f"{fake.url}/repositories/{repo.id}/pulls/{pr.number}/files")
    return json_response([_diff_entry(fake, repo, head_sha, d) for d in page], headers=headers)


def _compare_side(repo: FakeRepo, side: str) -> str | None:
    """Commit SHA for one side of ``basehead``: a ref or SHA, optionally ``OWNER:``-prefixed."""
    owner, sep, ref = side.partition(":")  # git refs cannot contain ':'
    if not sep:
        owner, ref = repo.owner, side
    if owner.lower() != repo.owner.lower():
        return None  # other repositories of the network (forks) are not modelled
    return repo.git.resolve(ref)


@endpoint
async def compare_commits(fake: FakeGitHub, request: Request) -> Response:
    """``GET /repos/{o}/{r}/compare/{base}...{head}``: three-dot comparison from the merge base."""
    repo, _ = require_repo(fake, request, "contents", "read")
    basehead = request.path_params["basehead"]
    base_ref, sep, head_ref = basehead.partition("...")
    if not sep:
        raise not_found()  # GitHub only understands BASE...HEAD
    base_sha, head_sha = _compare_side(repo, base_ref), _compare_side(repo, head_ref)
    if base_sha is None or head_sha is None:
        raise not_found()
    merge_base = repo.git.merge_base(base_sha, head_sha)
    if merge_base is None:
        raise ApiError(404, f"No common ancestor between {base_ref} and {head_ref}.")
    if wants(request, DIFF_MEDIA_TYPES):
        text = repo.git.run("diff", "-M", "--no-color", "--no-ext-diff", merge_base, head_sha)
        return Response(text, media_type="application/vnd.github.diff; charset=utf-8")

    ahead = repo.git.rev_list(f"{merge_base}..{head_sha}", reverse=True)  # oldest first, like GitHub
    behind_by = repo.git.count(f"{merge_base}..{base_sha}")
    if ahead and behind_by:
        status = "diverged"
    elif ahead:
        status = "ahead"
    elif behind_by:
        status = "behind"
    else:
        status = "identical"

    quoted = quote(basehead, safe="/:")
    headers: dict[str, str] = {}
    first_page = True
    if "page" in request.query_params or "per_page" in request.query_params:
        shas, headers = paginate(request, ahead, f"{fake.url}/repositories/{repo.id}/compare/{quoted}")
        try:
            first_page = int(request.query_params.get("page", 1)) <= 1
        except ValueError:
            first_page = True
    else:
        # Unpaged: at most 250 commits, the last one being the newest of the comparison.
        shas = ahead[-limits.COMPARE_MAX_COMMITS :]

    infos = repo.git.commit_infos([base_sha, merge_base, *shas])
    web = f"{fake.url}/{repo.full_name}"
    body: dict[str, Any] = {
        "url": f"{fake.url}/repos/{repo.full_name}/compare/{quoted}",
        "html_url": f"{web}/compare/{quoted}",
        "permalink_url": f"{web}/compare/{repo.owner}:{base_sha}...{repo.owner}:{head_sha}",
        "diff_url": f"{web}/compare/{quoted}.diff",
        "patch_url": f"{web}/compare/{quoted}.patch",
        "base_commit": shapes.commit_json(fake, repo, base_sha, infos[0]),
        "merge_base_commit": shapes.commit_json(fake, repo, merge_base, infos[1]),
        "status": status,
        "ahead_by": len(ahead),
        "behind_by": behind_by,
        "total_commits": len(ahead),
        "commits": [shapes.commit_json(fake, repo, info.sha, info) for info in infos[2:]],
    }
    if first_page:  # when paginating, files are only on the first page
        diffs = repo.three_dot_diff(base_sha, head_sha)[: limits.COMPARE_MAX_FILES]
        body["files"] = [_diff_entry(fake, repo, head_sha, d) for d in diffs]
    return json_response(body, headers=headers)


def _b64(data: bytes) -> str:
    """Base64 wrapped every 60 characters with a trailing newline, as GitHub sends it."""
    encoded = base64.b64encode(data).decode()
    step = limits.BASE64_LINE_LENGTH
    return "".join(encoded[i : i + step] + "\n" for i in range(0, len(encoded), step))


def _too_large(size: int) -> ApiError:
    return ApiError(
        403,
        "This API returns blobs up to 100 MB in size. The requested blob is too large to fetch via the API, "
        "but you can always clone the repository via Git to obtain it.",
        errors=[{"resource": "Blob", "field": "data", "code": "too_large"}],
    )


def _raw(data: bytes) -> Response:
    return Response(data, media_type="application/vnd.github.raw")


def _content_urls(fake: FakeGitHub, repo: FakeRepo, path: str, ref: str, sha: str, kind: str) -> dict[str, Any]:
    quoted = quote(path)
    self_url = f"{fake.url}/repos/{repo.full_name}/contents/{quoted}?ref={quote(ref)}"
    git_url = f"{fake.url}/repos/{repo.full_name}/git/{'trees' if kind == 'dir' else 'blobs'}/{sha}"
    html_url = f"{fake.url}/{repo.full_name}/{'tree' if kind == 'dir' else 'blob'}/{quote(ref)}/{quoted}"
    return {
        "url": self_url,
        "git_url": git_url,
        "html_url": html_url,
        "download_url": None if kind == "dir" else f"{fake.url}/{repo.full_name}/raw/{quote(ref)}/{quoted}",
        "_links": {"self": self_url, "git": git_url, "html": html_url},
    }


@endpoint
async def get_contents(fake: FakeGitHub, request: Request) -> Response:
    repo, _ = require_repo(fake, request, "contents", "read")
    path = request.path_params.get("path", "").strip("/")
    ref = request.query_params.get("ref") or repo.default_branch
    commit = repo.git.resolve(ref)
    if commit is None:
        raise ApiError(404, f"No commit found for the ref {ref}")
    spec = f"{commit}:{path}" if path else f"{commit}^{{tree}}"
    kind = repo.git.object_type(spec)
    if kind is None:
        raise not_found()
    if kind == "tree":
        entries = []
        for mode, obj_type, sha, size, name in repo.git.ls_tree(commit, path)[: limits.CONTENTS_DIR_MAX_ENTRIES]:
            entry_path = f"{path}/{name}" if path else name
            entry_kind = {"tree": "dir", "commit": "submodule"}.get(obj_type, "symlink" if mode == "120000" else "file")
            entries.append(
                {"type": entry_kind, "size": size, "name": name, "path": entry_path, "sha": sha}
                | _content_urls(fake, repo, entry_path, ref, sha, entry_kind)
            )
        return json_response(entries)
    sha = repo.git.rev_sha(spec) or ""
    size = repo.git.object_size(spec)
    if size > limits.CONTENTS_MAX_BYTES:
        raise _too_large(size)
    if wants(request, RAW_MEDIA_TYPES):
        return _raw(repo.git.blob_bytes(spec))
    if size <= limits.CONTENTS_FULL_FEATURE_MAX_BYTES:
        content, encoding = _b64(repo.git.blob_bytes(spec)), "base64"
    else:
        content, encoding = "", "none"  # 1-100 MB: metadata only; use raw media type or blobs
    return json_response(
        {
            "type": "file",
            "encoding": encoding,
            "size": size,
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "content": content,
            "sha": sha,
        }
        | _content_urls(fake, repo, path, ref, sha, "file")
    )


@endpoint
async def get_blob(fake: FakeGitHub, request: Request) -> Response:
    repo, _ = require_repo(fake, request, "contents", "read")
    sha = request.path_params["file_sha"]
    if not SHA_RE.match(sha):
        raise invalid_request("The sha parameter must be exactly 40 characters and contain only [0-9a-f].")
    if repo.git.object_type(sha) != "blob":
        raise not_found()
    size = repo.git.object_size(sha)
    if size > limits.CONTENTS_MAX_BYTES:
        raise _too_large(size)
    data = repo.git.blob_bytes(sha)
    if wants(request, RAW_MEDIA_TYPES):
        return _raw(data)
    return json_response(
        {
            "sha": sha,
            "node_id": f"B_fake{sha[:12]}",
            "size": size,
            "url": f"{fake.url}/repos/{repo.full_name}/git/blobs/{sha}",
            "content": _b64(data),
            "encoding": "base64",
        }
    )


@endpoint
async def get_raw(fake: FakeGitHub, request: Request) -> Response:
    """``raw_url``/``download_url`` targets (github.com web host in reality)."""
    repo, _ = require_repo(fake, request, "contents", "read")
    commit = repo.git.resolve(request.path_params["ref"])
    path = request.path_params["path"]
    if commit is None or repo.git.object_type(f"{commit}:{path}") != "blob":
        raise not_found()
    return Response(repo.git.blob_bytes(f"{commit}:{path}"), media_type="text/plain; charset=utf-8")
