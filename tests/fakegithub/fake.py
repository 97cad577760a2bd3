"""The test-facing API of the fake GitHub: app, installations, repos, PRs, inspection, faults."""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from . import auth, limits, openapi, users, webhooks
from .auth import Installation, InstallationToken, JwtPolicy, TokenStore
from .checks import CheckRunState, CheckStore, CheckSuiteState
from .comments import CommentStore, IssueCommentState, ReactionState
from .faults import Fault, FaultPlan
from .git import FileDiff, GitRepo
from .reviews import ReviewCommentState, ReviewState, ReviewStore
from .users import FakeUser

#: The default author of pull requests and issues (GitHub's mascot account).
OCTOCAT_LOGIN, OCTOCAT_ID = "octocat", 583231
#: Methods that change state: what ``write_counts`` counts.
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})

if TYPE_CHECKING:
    from .server import ServerThread


@dataclass
class RecordedRequest:
    """One request the fake received (``Authorization`` reduced to its scheme)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    body: bytes
    started_at: float
    status: int | None = None  # None: connection dropped by Fault.reset()
    fault: str | None = None  # kind of the injected fault that answered, if any
    auth: str | None = None  # "jwt", "installation", "unknown" or None
    installation_id: int | None = None
    finished_at: float | None = None

    @property
    def succeeded(self) -> bool:
        """Answered 2xx by the fake itself (not by an injected fault)."""
        return self.fault is None and self.status is not None and 200 <= self.status < 300


@dataclass
class PullStats:
    commits: int
    additions: int
    deletions: int
    changed_files: int


@dataclass
class FakePull:
    """A pull request between two branches of a FakeRepo; SHAs are read live from the branches."""

    repo: FakeRepo = field(repr=False)
    number: int
    base: str
    head: str
    id: int
    title: str = "Update the code"
    body: str | None = "Please review."
    draft: bool = False
    state: str = "open"
    author: str = OCTOCAT_LOGIN
    author_id: int = OCTOCAT_ID
    created_at: str = ""
    updated_at: str = ""
    closed_at: str | None = None

    @property
    def head_sha(self) -> str:
        return self.repo.head(self.head)

    @property
    def base_sha(self) -> str:
        return self.repo.head(self.base)

    def close(self) -> None:
        self.state = "closed"
        self.closed_at = auth.format_timestamp(self.repo.fake.now())


@dataclass
class FakeIssue:
    """A plain issue (not a pull request); it shares the repository's numbering with PRs."""

    repo: FakeRepo = field(repr=False)
    number: int
    id: int
    title: str = "Something is wrong"
    body: str | None = "Steps to reproduce: ..."
    state: str = "open"
    author: str = OCTOCAT_LOGIN
    author_id: int = OCTOCAT_ID
    created_at: str = ""
    updated_at: str = ""
    closed_at: str | None = None


@dataclass
class FakeRepo:
    """A repository backed by a real bare git repository under the fake's temp dir."""

    fake: FakeGitHub = field(repr=False)
    full_name: str
    id: int
    installation_id: int | None
    git: GitRepo = field(repr=False)
    owner_id: int
    default_branch: str = "main"
    private: bool = True
    pulls: dict[int, FakePull] = field(default_factory=dict, repr=False)
    issues: dict[int, FakeIssue] = field(default_factory=dict, repr=False)
    #: login (lower-case) -> role granted on this repository (see ``set_role``).
    roles: dict[str, str] = field(default_factory=dict, repr=False)
    #: logins (lower-case) of members of the owning organization (author_association MEMBER).
    members: set[str] = field(default_factory=set, repr=False)
    _diff_cache: dict[tuple[str, str], list[FileDiff]] = field(default_factory=dict, repr=False)

    @property
    def owner(self) -> str:
        return self.full_name.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.full_name.split("/", 1)[1]

    def head(self, branch: str) -> str:
        sha = self.git.resolve(f"refs/heads/{branch}")
        if sha is None:
            raise KeyError(f"{self.full_name}: no branch {branch!r}")
        return sha

    def commit(
        self,
        files: dict[str, str | bytes | None],
        branch: str | None = None,
        message: str = "Update files",
        *,
        renames: dict[str, str] | None = None,
        from_ref: str | None = None,
        executable: frozenset[str] | set[str] = frozenset(),
    ) -> str:
        """Commit ``files`` (None deletes) to ``branch``; returns the new commit SHA.

        A missing branch is created from ``from_ref``, else from the default branch's tip, else
        as the repository's first (root) commit.
        """
        branch = branch or self.default_branch
        if self.git.branch_exists(branch):
            parent: str | None = self.head(branch)
        elif from_ref is not None:
            parent = self.git.resolve(from_ref)
            if parent is None:
                raise KeyError(f"{self.full_name}: unknown ref {from_ref!r}")
        elif self.git.branch_exists(self.default_branch):
            parent = self.head(self.default_branch)
        else:
            parent = None
        return self.git.commit(files, branch, message, parent, renames, frozenset(executable))

    def branch(self, name: str, from_ref: str | None = None) -> str:
        """Create (or move) branch ``name`` at ``from_ref`` (default branch by default)."""
        return self.git.create_branch(name, from_ref or self.default_branch)

    def rename(
        self,
        old: str,
        new: str,
        branch: str | None = None,
        message: str | None = None,
        content: str | bytes | None = None,
    ) -> str:
        """Rename ``old`` to ``new`` (optionally rewriting its content) in one commit."""
        files: dict[str, str | bytes | None] = {new: content} if content is not None else {}
        return self.commit(files, branch, message or f"Rename {old} to {new}", renames={old: new})

    def open_pull(
        self,
        base: str = "main",
        head: str = "feature",
        number: int | None = None,
        *,
        title: str = "Update the code",
        body: str | None = "Please review.",
        draft: bool = False,
    ) -> FakePull:
        """Open a PR; both branches must exist."""
        for branch in (base, head):
            self.head(branch)  # raises KeyError for a missing branch
        number = number if number is not None else self.fake._next_issue_number(self)
        now = auth.format_timestamp(self.fake.now())
        pr = FakePull(
            self, number, base, head, self.fake._next_id(), title, body, draft, created_at=now, updated_at=now
        )
        self.pulls[number] = pr
        return pr

    def open_issue(
        self,
        number: int | None = None,
        *,
        title: str = "Something is wrong",
        body: str | None = "Steps to reproduce: ...",
        author: str = OCTOCAT_LOGIN,
    ) -> FakeIssue:
        """Open a plain issue (comments on it arrive as ``issue_comment`` without ``issue.pull_request``)."""
        number = number if number is not None else self.fake._next_issue_number(self)
        now = auth.format_timestamp(self.fake.now())
        user = self.fake.user(author)
        issue = FakeIssue(
            self,
            number,
            self.fake._next_id(),
            title,
            body,
            author=user.login,
            author_id=user.id,
            created_at=now,
            updated_at=now,
        )
        self.issues[number] = issue
        return issue

    def set_role(self, login: str, role: str, *, member: bool = False) -> FakeUser:
        """Grant ``login`` a role here (admin, maintain, write, triage, read, or "none" to revoke).

        ``member`` makes the account a member of the owning organization (author_association
        MEMBER instead of COLLABORATOR).  Unknown logins become known ``User`` accounts.
        """
        if role != "none" and role not in limits.COLLABORATOR_ROLES:
            raise ValueError(f"unknown role {role!r}; expected one of {limits.COLLABORATOR_ROLES} or 'none'")
        user = self.fake.user(login)
        self.roles[user.login.lower()] = role
        if member:
            self.members.add(user.login.lower())
        else:
            self.members.discard(user.login.lower())
        return user

    def merge_base(self, pr: FakePull) -> str:
        base = self.git.merge_base(pr.base_sha, pr.head_sha)
        return base or pr.base_sha

    def pull_diff(self, pr: FakePull) -> list[FileDiff]:
        """Three-dot diff of the PR (merge base .. head), cached per SHA pair."""
        return self.three_dot_diff(pr.base_sha, pr.head_sha)

    def three_dot_diff(self, base_sha: str, head_sha: str) -> list[FileDiff]:
        """``git diff base...head``: merge base of the two .. head, cached per SHA pair."""
        key = (base_sha, head_sha)
        cached = self._diff_cache.get(key)
        if cached is None:
            cached = self.git.diff(self.git.merge_base(base_sha, head_sha) or base_sha, head_sha)
            self._diff_cache[key] = cached
        return cached

    def pull_stats(self, pr: FakePull) -> PullStats:
        diffs = self.pull_diff(pr)
        commits = int(self.git.run("rev-list", "--count", f"{self.merge_base(pr)}..{pr.head_sha}").decode().strip())
        return PullStats(
            commits,
            sum(d.additions for d in diffs),
            sum(d.deletions for d in diffs),
            len(diffs),
        )

    def pulls_for_sha(self, sha: str) -> list[FakePull]:
        return [pr for pr in self.pulls.values() if pr.state == "open" and pr.head_sha == sha]


class FakeGitHub:
    """An in-process GitHub REST API double (see tests/fakegithub/__init__.py for the tour)."""

    def __init__(
        self,
        app_id: int = 4242,
        tmp_path: Path | str | None = None,
        *,
        app_slug: str = "pr-warden",
        client_id: str | None = None,
    ) -> None:
        self.app_id = app_id
        self.app_slug = app_slug
        self.client_id = client_id or f"Iv23li{app_id:014d}"
        self.app_name = "PR Warden"
        self.private_key_pem, self.public_key = auth.generate_private_key_pem()
        self._own_tmp = tmp_path is None
        self.tmp_path = Path(tmp_path) if tmp_path is not None else Path(tempfile.mkdtemp(prefix="fakegithub-"))
        # Knobs tests may turn (defaults are GitHub's).
        self.jwt_policy = JwtPolicy()
        self.token_ttl: float = limits.INSTALLATION_TOKEN_TTL_SECONDS
        self.max_patch_lines: int = limits.PR_FILE_PATCH_MAX_CHANGED_LINES
        self.max_pr_files: int = limits.PR_FILES_MAX
        self.rate_limit: int = limits.RATE_LIMIT_INSTALLATION
        self.supported_api_versions: set[str] = set(limits.SUPPORTED_API_VERSIONS)
        self.validate_responses: bool = True
        self.clock_offset: float = 0.0
        self.hook_id = 123456789
        # Inspection.
        self.requests: list[RecordedRequest] = []
        self.schema_violations: list[str] = []
        self.validation_errors: list[str] = []
        self.response_violations: list[str] = []
        self.server_errors: list[str] = []
        #: "METHOD path" of requests to endpoints the fake does not implement (answered 404).
        self.unhandled: list[str] = []
        self.deliveries: list[dict[str, Any]] = []
        #: Webhooks GitHub would now send because of an API call (e.g. ``check_run.rerequested``
        #: after ``POST .../rerequest``), as (event, payload); deliver them with ``deliver``.
        self.triggered_events: list[tuple[str, dict[str, Any]]] = []
        # State.
        self.installations: dict[int, Installation] = {}
        self.repos: dict[str, FakeRepo] = {}
        self.tokens = TokenStore()
        self.checks = CheckStore()
        self.comment_store = CommentStore()
        self.review_store = ReviewStore()
        self.faults = FaultPlan()
        self.lock = threading.RLock()
        self._ids = 700000000
        self._issue_numbers: dict[int, int] = {}
        self._server: ServerThread | None = None
        #: Known accounts by lower-case login; the app's bot user is always there.
        self.users: dict[str, FakeUser] = {}
        self.bot_user = self.add_user(f"{app_slug}[bot]", kind="Bot")
        self.users[OCTOCAT_LOGIN] = FakeUser(OCTOCAT_LOGIN, OCTOCAT_ID)

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> FakeGitHub:
        """Serve on 127.0.0.1 with an OS-chosen port (idempotent)."""
        from .server import ServerThread

        if self._server is None:
            self._server = ServerThread(self)
            self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._own_tmp:
            shutil.rmtree(self.tmp_path, ignore_errors=True)

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """API base URL, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        if self._server is None:
            raise RuntimeError("FakeGitHub is not started")
        return self._server.url

    # ----------------------------------------------------------------- clock
    def now(self) -> float:
        """GitHub's clock: real time plus ``clock_offset`` (move it with ``advance_clock``)."""
        return time.time() + self.clock_offset

    def advance_clock(self, seconds: float) -> None:
        self.clock_offset += seconds

    # ----------------------------------------------------------------- setup
    def _next_id(self) -> int:
        with self.lock:
            self._ids += 1
            return self._ids

    def _next_issue_number(self, repo: FakeRepo) -> int:
        with self.lock:
            used = set(repo.pulls) | set(repo.issues)
            number = self._issue_numbers.get(repo.id, 0) + 1
            while number in used:
                number += 1
            self._issue_numbers[repo.id] = number
            return number

    def add_installation(
        self,
        installation_id: int,
        account: str = "octo-org",
        permissions: dict[str, str] | None = None,
        suspended: bool = False,
    ) -> Installation:
        installation = Installation(
            installation_id,
            account,
            dict(permissions if permissions is not None else auth.DEFAULT_PERMISSIONS),
            suspended,
            account_id=self._next_id(),
        )
        with self.lock:
            self.installations[installation_id] = installation
        return installation

    def suspend_installation(self, installation_id: int, suspended: bool = True) -> None:
        self.installations[installation_id].suspended = suspended

    def create_repo(
        self, full_name: str, installation_id: int | None = None, *, default_branch: str = "main", private: bool = True
    ) -> FakeRepo:
        """A new empty repository; commit to it to create branches."""
        owner, _, name = full_name.partition("/")
        if not owner or not name or "/" in name:
            raise ValueError(f"expected owner/name, got {full_name!r}")
        if installation_id is not None and installation_id not in self.installations:
            raise KeyError(f"unknown installation {installation_id}; call add_installation first")
        repo_id = self._next_id()
        git = GitRepo(self.tmp_path / "repos" / f"{repo_id}-{owner}-{name}.git")
        if default_branch != "main":
            git.run("symbolic-ref", "HEAD", f"refs/heads/{default_branch}")
        owner_id = next(
            (i.account_id for i in self.installations.values() if i.account.lower() == owner.lower()),
            self._next_id(),
        )
        repo = FakeRepo(self, full_name, repo_id, installation_id, git, owner_id, default_branch, private)
        with self.lock:
            self.users.setdefault(owner.lower(), FakeUser(owner, owner_id, "Organization"))
            self.repos[full_name.lower()] = repo
            if installation_id is not None:
                self.installations[installation_id].repository_ids.add(repo_id)
        return repo

    def repo(self, full_name: str) -> FakeRepo:
        return self.repos[full_name.lower()]

    def repo_by_id(self, repo_id: int) -> FakeRepo | None:
        return next((r for r in self.repos.values() if r.id == repo_id), None)

    # ----------------------------------------------------------------- users
    def add_user(self, login: str, kind: str = "User") -> FakeUser:
        """Register an account (``kind``: "User", "Bot" or "Organization"); returns the existing one if known."""
        with self.lock:
            existing = self.users.get(login.lower())
            if existing is not None:
                return existing
            user = FakeUser(login, self._next_id(), kind)
            self.users[login.lower()] = user
            return user

    def user(self, login: str) -> FakeUser:
        """The known account ``login``, registered as a ``User`` (``[bot]`` logins: ``Bot``) if new."""
        return self.add_user(login, "Bot" if login.endswith("[bot]") else "User")

    # ----------------------------------------------------------------- auth helpers
    def make_jwt(
        self, *, iat_offset: int = -60, lifetime: int = 600, iss: int | str | None = None, **extra: Any
    ) -> str:
        """A JWT signed with the app key (defaults like githubkit: iat=now-60, exp=iat+600)."""
        now = int(self.now())
        claims = {
            "iat": now + iat_offset,
            "exp": now + iat_offset + lifetime,
            "iss": iss if iss is not None else self.app_id,
        }
        claims.update(extra)
        return auth.encode_jwt(claims, self.private_key_pem)

    def issue_token(self, installation_id: int, permissions: dict[str, str] | None = None) -> str:
        """Mint a token directly (no HTTP) for tests that don't exercise the JWT flow."""
        installation = self.installations[installation_id]
        record = self.tokens.mint(
            installation_id,
            now=self.now(),
            ttl=self.token_ttl,
            permissions=auth.downscope(installation.permissions, permissions),
            repository_ids=None,
        )
        return record.token

    def revoke_tokens(self, installation_id: int) -> int:
        return self.tokens.revoke_installation(installation_id)

    @property
    def tokens_minted(self) -> int:
        return self.tokens.minted

    def live_tokens(self) -> list[InstallationToken]:
        now = self.now()
        return [t for t in self.tokens.all() if t.alive(now)]

    # ----------------------------------------------------------------- checks
    @property
    def check_runs(self) -> dict[int, CheckRunState]:
        return self.checks.runs

    def create_check_run(
        self,
        repo: FakeRepo,
        head_sha: str,
        name: str,
        *,
        app_id: int | None = None,
        app_slug: str = "other-app",
        status: str = "completed",
        conclusion: str | None = "success",
    ) -> CheckRunState:
        """Test-side helper: a run by another app (or ours) without going through HTTP."""
        run = self.checks.new_run(
            repo=repo.full_name,
            repo_id=repo.id,
            head_sha=head_sha,
            name=name,
            app_id=app_id if app_id is not None else self.app_id + 1,
            app_slug=app_slug if app_id != self.app_id else self.app_slug,
            now_iso=auth.format_timestamp(self.now()),
        )
        run.status, run.conclusion = status, conclusion
        return run

    def check_suite(self, run_or_id: CheckRunState | int) -> CheckSuiteState:
        """The suite of a run (or the suite with this id)."""
        suite_id = run_or_id.check_suite_id if isinstance(run_or_id, CheckRunState) else run_or_id
        return self.checks.suites[suite_id]

    # ----------------------------------------------------------------- conversation
    def add_issue_comment(
        self,
        repo: FakeRepo,
        number: int,
        body: str,
        *,
        user: str = OCTOCAT_LOGIN,
        author_association: str | None = None,
        via_app: bool = False,
        other_app: tuple[int, str] | None = None,
    ) -> IssueCommentState:
        """Test-side: a comment written by ``user`` on issue/PR ``number`` (no HTTP, no body checks).

        ``author_association`` defaults to what the repository's roles imply (users.py); pass
        e.g. "FIRST_TIMER" or "CONTRIBUTOR" explicitly.  Bot accounts are logins ending in
        ``[bot]`` (or registered with ``add_user(login, "Bot")``); comments by our own bot
        (``fake.bot_user.login``) carry ``performed_via_github_app`` like those made over HTTP;
        ``other_app=(id, slug)`` makes it another App's comment.
        """
        if number not in repo.pulls and number not in repo.issues:
            raise KeyError(f"{repo.full_name}: no issue or pull request #{number}")
        author = self.user(user)
        now = self.now()
        comment = IssueCommentState(
            id=self._next_id(),
            repo=repo.full_name,
            repo_id=repo.id,
            issue_number=number,
            body=body,
            user=author,
            author_association=author_association or users.author_association(repo, author),
            created_at=now,
            updated_at=now,
            via_app=via_app or author.id == self.bot_user.id,
            other_app=other_app,
        )
        return self.comment_store.add(comment)

    def issue_comments(self, repo: FakeRepo, number: int, *, include_deleted: bool = False) -> list[IssueCommentState]:
        """Comments of issue/PR ``number``, oldest first (deleted ones only if asked)."""
        return self.comment_store.for_issue(repo.id, number, include_deleted=include_deleted)

    def bot_comments(self, repo: FakeRepo, number: int) -> list[IssueCommentState]:
        """The live comments our app's bot wrote on issue/PR ``number``."""
        return [c for c in self.issue_comments(repo, number) if c.user.id == self.bot_user.id]

    def reactions(self, comment: IssueCommentState | int) -> list[ReactionState]:
        """Reactions to an issue comment (object or id)."""
        comment_id = comment.id if isinstance(comment, IssueCommentState) else comment
        return list(self.comment_store.comments[comment_id].reactions)

    def reviews(self, repo: FakeRepo, number: int) -> list[ReviewState]:
        """Reviews of PR ``number`` (pending ones included), oldest first."""
        return self.review_store.for_pull(repo.id, number)

    def review_comments(self, repo: FakeRepo, number: int) -> list[ReviewCommentState]:
        """Inline comments of PR ``number``'s submitted reviews, oldest first."""
        return self.review_store.comments_for_pull(repo.id, number)

    # ----------------------------------------------------------------- write accounting
    def write_counts(self, *, successful_only: bool = True) -> Counter[str]:
        """Recorded write requests per endpoint, keyed ``"METHOD /template"`` as GitHub's API
        description names it, e.g. ``"POST /repos/{owner}/{repo}/issues/{issue_number}/comments"``.

        ``successful_only`` counts only 2xx answers that no fault replaced.
        """
        description = openapi.description()
        counts: Counter[str] = Counter()
        for record in list(self.requests):
            if record.method not in WRITE_METHODS or (successful_only and not record.succeeded):
                continue
            operation = description.find_operation(record.method, record.path)
            counts[f"{record.method} {operation.template if operation else record.path}"] += 1
        return counts

    def writes(self, method: str, template: str, *, successful_only: bool = True) -> int:
        """Successful writes to one endpoint, named by its template in GitHub's API description.

        E.g. ``writes("POST", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews") == 1``.
        """
        return self.write_counts(successful_only=successful_only)[f"{method.upper()} {template}"]

    # ----------------------------------------------------------------- faults
    def inject(self, method: str, path_regex: str, *faults: Fault) -> None:
        """Queue faults for requests with this method (or "*") whose path ``re.search``-matches.

        Each matching request consumes one fault, in order; afterwards service is normal.
        """
        self.faults.add(method, path_regex, faults)

    # ----------------------------------------------------------------- webhooks
    def deliver(
        self,
        target_url: str,
        event: str,
        payload: dict[str, Any] | bytes,
        secret: str | None,
        delivery_id: str | None = None,
        headers: dict[str, str | None] | None = None,
        timeout: float = webhooks.DELIVERY_TIMEOUT_SECONDS,
    ) -> httpx.Response:
        """Send a signed webhook delivery to the bot (see webhooks.deliver)."""
        return webhooks.deliver(self, target_url, event, payload, secret, delivery_id, headers, timeout)

    def pull_request_payload(
        self,
        repo: FakeRepo,
        pr: FakePull,
        action: str = "opened",
        installation_id: int | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        return webhooks.pull_request_payload(self, repo, pr, action, installation_id, **kwargs)

    def issue_comment_payload(
        self,
        repo: FakeRepo,
        comment: IssueCommentState,
        action: str = "created",
        installation_id: int | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        return webhooks.issue_comment_payload(self, repo, comment, action, installation_id, **kwargs)

    def check_run_payload(
        self,
        repo: FakeRepo,
        run: CheckRunState,
        action: str = "rerequested",
        installation_id: int | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        return webhooks.check_run_payload(self, repo, run, action, installation_id, **kwargs)

    def check_suite_payload(
        self,
        repo: FakeRepo,
        suite: CheckSuiteState | CheckRunState,
        action: str = "rerequested",
        installation_id: int | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        if isinstance(suite, CheckRunState):
            suite = self.check_suite(suite)
        return webhooks.check_suite_payload(self, repo, suite, action, installation_id, **kwargs)

    # ----------------------------------------------------------------- inspection
    def requests_to(self, method: str, path_regex: str) -> list[RecordedRequest]:
        """Recorded requests with this method whose path ``re.search``-matches ``path_regex``."""
        pattern = re.compile(path_regex)
        return [r for r in self.requests if r.method == method.upper() and pattern.search(r.path)]

    def clear_records(self) -> None:
        """Forget recorded requests and violations (state such as repos and runs is kept)."""
        self.requests.clear()
        self.schema_violations.clear()
        self.validation_errors.clear()
        self.response_violations.clear()
        self.server_errors.clear()
        self.unhandled.clear()
        self.deliveries.clear()
        self.triggered_events.clear()
