"""The fake GitHub enforces what GitHub enforces (shared/github-facts.md §2-5, §8).

These tests talk to the fake over real HTTP with httpx and PyJWT only, so they also document
the exact requests and responses PR Warden's client code must handle.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests import peers
from tests.fakegithub import DEFAULT_PERMISSIONS, FakeGitHub, FakePull, FakeRepo, Fault, openapi
from tests.fakegithub import limits
from tests.fakegithub.auth import MSG_EXP_INVALID, MSG_EXP_TOO_FAR, MSG_IAT_INVALID, MSG_JWT_UNDECODABLE
from tests.fakegithub.fixtures import fake_github  # noqa: F401 - pytest fixture
from tests.fakegithub.webhooks import sign

INSTALLATION = 7
OTHER_INSTALLATION = 8
SUSPENDED_INSTALLATION = 9
READ_ONLY_INSTALLATION = 10
REPO = "octo-org/hello-world"
TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeGitHub]:
    server = FakeGitHub(app_id=4242, tmp_path=tmp_path_factory.mktemp("fakegithub"))
    server.add_installation(INSTALLATION)
    server.add_installation(OTHER_INSTALLATION, account="other-org")
    server.add_installation(SUSPENDED_INSTALLATION, account="sleepy-org", suspended=True)
    server.add_installation(
        READ_ONLY_INSTALLATION, account="ro-org", permissions={"metadata": "read", "checks": "read"}
    )
    with server:
        yield server
    assert not server.server_errors, "\n".join(server.server_errors)
    assert not server.response_violations, "\n".join(server.response_violations)


@pytest.fixture(scope="module")
def repo(fake: FakeGitHub) -> FakeRepo:
    repo = fake.create_repo(REPO, installation_id=INSTALLATION)
    repo.commit(
        {
            "README.md": "hello\nworld\n",
            "src/keep.py": "x = 1\n",
            "docs/old-name.md": "".join(f"line {i}\n" for i in range(40)),
            "doomed.txt": "bye\n",
            "logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00binary",
        },
        message="initial",
    )
    return repo


@pytest.fixture(scope="module")
def pr(repo: FakeRepo) -> FakePull:
    repo.branch("feature", "main")
    repo.commit(
        {
            "README.md": "hello\nbrave new\nworld\n",
            "app.py": "print('hi')\n",
            "logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00binary-v2\x00",
            "doomed.txt": None,
        },
        branch="feature",
        renames={"docs/old-name.md": "docs/new-name.md"},
        message="feature work",
    )
    # A commit on main after branching must not show up in the PR (three-dot diff).
    repo.commit({"main-only.txt": "later\n"}, branch="main", message="main moves on")
    return repo.open_pull(base="main", head="feature")


@pytest.fixture(scope="module")
def client(fake: FakeGitHub) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.url, timeout=10) as http:
        yield http


def mint(client: httpx.Client, fake: FakeGitHub, installation_id: int = INSTALLATION, body: Any = None) -> str:
    response = client.post(
        f"/app/installations/{installation_id}/access_tokens",
        headers={"Authorization": f"Bearer {fake.make_jwt()}"},
        json=body,
    )
    assert response.status_code == 201, response.text
    return response.json()["token"]


@pytest.fixture(scope="module")
def token(client: httpx.Client, fake: FakeGitHub) -> str:
    return mint(client, fake)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"token {token}", "X-GitHub-Api-Version": "2022-11-28"}


# ----------------------------------------------------------------------------- peers
def test_peers_are_cached_and_parse() -> None:
    first = peers.openapi_description_path()
    assert peers.openapi_description_path() == first  # second call reuses the cache
    assert json.loads(first.read_text(encoding="utf-8"))["openapi"] == "3.0.3"
    examples = peers.webhook_examples()
    assert any(ex.event == "pull_request" and ex.action == "opened" for ex in examples)
    assert all(isinstance(ex.payload, dict) for ex in examples)


def test_openapi_nullable_translation_accepts_null_where_github_does() -> None:
    description = openapi.description()
    operation = description.find_operation("PATCH", "/repos/o/r/check-runs/1")
    assert operation is not None and operation.template == "/repos/{owner}/{repo}/check-runs/{check_run_id}"
    assert description.find_operation("GET", "/repos/o/r/contents/a/b/c.py").template.endswith("{path}")
    # ``milestone`` is ``nullable: true`` in the update-issue schema.
    assert description.validate_body("PATCH", "/repos/o/r/issues/1", {"milestone": None}) == []
    assert description.validate_body("POST", "/repos/o/r/check-runs", {"name": "x", "head_sha": None})


# ----------------------------------------------------------------------------- app auth
def test_token_mint_shape_and_format(client: httpx.Client, fake: FakeGitHub) -> None:
    before = fake.tokens_minted
    response = client.post(
        f"/app/installations/{INSTALLATION}/access_tokens", headers={"Authorization": f"Bearer {fake.make_jwt()}"}
    )
    assert response.status_code == 201
    body = response.json()
    assert re.fullmatch(r"ghs_[A-Za-z0-9]{36}", body["token"])
    assert TIMESTAMP_RE.match(body["expires_at"])
    expires = dt.datetime.strptime(body["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    assert abs(expires.timestamp() - (time.time() + 3600)) < 5
    assert body["permissions"] == DEFAULT_PERMISSIONS
    assert body["repository_selection"] == "all"
    assert fake.tokens_minted == before + 1
    assert response.headers["content-type"].startswith("application/json")


def test_jwt_iss_may_be_int_or_str_or_client_id(client: httpx.Client, fake: FakeGitHub) -> None:
    for iss in (fake.app_id, str(fake.app_id), fake.client_id):
        response = client.get("/app", headers={"Authorization": f"Bearer {fake.make_jwt(iss=iss)}"})
        assert response.status_code == 200, (iss, response.text)
        assert response.json()["id"] == fake.app_id and response.json()["slug"] == "pr-warden"


def _foreign_key_jwt(fake: FakeGitHub) -> str:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    now = int(time.time())
    return jwt.encode({"iat": now - 60, "exp": now + 540, "iss": str(fake.app_id)}, pem, algorithm="RS256")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda f: f.make_jwt(iat_offset=-1000, lifetime=600), MSG_EXP_INVALID),  # expired
        (lambda f: f.make_jwt(iat_offset=-60, lifetime=900), MSG_EXP_TOO_FAR),  # exp = now + 840
        (lambda f: f.make_jwt(iat_offset=-300, lifetime=900), MSG_EXP_TOO_FAR),  # exp - iat = 900
        (lambda f: f.make_jwt(iat_offset=120, lifetime=300), MSG_IAT_INVALID),  # iat in the future
        (lambda f: f.make_jwt(iss=999999), MSG_JWT_UNDECODABLE),  # someone else's app
        (_foreign_key_jwt, MSG_JWT_UNDECODABLE),  # wrong private key
        (
            lambda f: jwt.encode(
                {"iat": int(time.time()), "exp": int(time.time()) + 60, "iss": "4242"}, "k" * 32, algorithm="HS256"
            ),
            MSG_JWT_UNDECODABLE,
        ),
        (lambda f: "not-a-jwt", MSG_JWT_UNDECODABLE),
    ],
    ids=["expired", "exp-too-far", "lifetime-too-long", "iat-future", "wrong-iss", "wrong-key", "hs256", "garbage"],
)
def test_bad_jwts_are_rejected_with_githubs_messages(
    client: httpx.Client, fake: FakeGitHub, make: Any, message: str
) -> None:
    response = client.post(
        f"/app/installations/{INSTALLATION}/access_tokens", headers={"Authorization": f"Bearer {make(fake)}"}
    )
    assert response.status_code == 401
    assert response.json()["message"] == message
    assert "documentation_url" in response.json()


def test_jwt_without_exp_and_jwt_as_token_scheme(client: httpx.Client, fake: FakeGitHub) -> None:
    no_exp = jwt.encode(
        {"iat": int(time.time()) - 60, "iss": str(fake.app_id)}, fake.private_key_pem, algorithm="RS256"
    )
    response = client.get("/app", headers={"Authorization": f"Bearer {no_exp}"})
    assert (response.status_code, response.json()["message"]) == (401, MSG_EXP_INVALID)
    response = client.get("/app", headers={"Authorization": f"token {fake.make_jwt()}"})
    assert (response.status_code, response.json()["message"]) == (401, MSG_JWT_UNDECODABLE)


def test_exp_allowance_and_clock_skew_are_configurable(
    client: httpx.Client, fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    generous = fake.make_jwt(iat_offset=0, lifetime=630)  # exp = now + 630 > 600
    assert client.get("/app", headers={"Authorization": f"Bearer {generous}"}).status_code == 401
    monkeypatch.setattr(fake.jwt_policy, "exp_allowance", 60)
    assert client.get("/app", headers={"Authorization": f"Bearer {generous}"}).status_code == 200

    # githubkit's window (iat = now - 60, exp = iat + 600) survives a bot clock 30 s ahead of
    # GitHub, but not 90 s ahead: exp would then be 630 s in GitHub's future.
    def bot_jwt() -> str:
        now = int(time.time())
        return jwt.encode(
            {"iat": now - 60, "exp": now + 540, "iss": str(fake.app_id)}, fake.private_key_pem, algorithm="RS256"
        )

    monkeypatch.setattr(fake.jwt_policy, "exp_allowance", 0)
    monkeypatch.setattr(fake, "clock_offset", -30.0)
    assert client.get("/app", headers={"Authorization": f"Bearer {bot_jwt()}"}).status_code == 200
    monkeypatch.setattr(fake, "clock_offset", -90.0)
    late = client.get("/app", headers={"Authorization": f"Bearer {bot_jwt()}"})
    assert (late.status_code, late.json()["message"]) == (401, MSG_EXP_TOO_FAR)


def test_suspended_installation_cannot_mint(client: httpx.Client, fake: FakeGitHub) -> None:
    response = client.post(
        f"/app/installations/{SUSPENDED_INSTALLATION}/access_tokens",
        headers={"Authorization": f"Bearer {fake.make_jwt()}"},
    )
    assert (response.status_code, response.json()["message"]) == (403, "This installation has been suspended")


def test_repo_installation_lookup_needs_jwt(client: httpx.Client, fake: FakeGitHub, repo: FakeRepo, token: str) -> None:
    response = client.get(f"/repos/{REPO}/installation", headers={"Authorization": f"Bearer {fake.make_jwt()}"})
    assert response.status_code == 200 and response.json()["id"] == INSTALLATION
    assert client.get(f"/repos/{REPO}/installation", headers=auth(token)).status_code == 401


# ----------------------------------------------------------------------------- repo auth
def test_repository_endpoints_check_token_repo_and_permission(
    client: httpx.Client, fake: FakeGitHub, repo: FakeRepo, pr: FakePull, token: str
) -> None:
    path = f"/repos/{REPO}/pulls/{pr.number}"
    assert client.get(path, headers=auth(token)).status_code == 200
    assert client.get(path, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    unknown = client.get(path, headers=auth("ghs_" + "x" * 36))
    assert (unknown.status_code, unknown.json()["message"]) == (401, "Bad credentials")
    with_jwt = client.get(path, headers={"Authorization": f"Bearer {fake.make_jwt()}"})
    assert with_jwt.status_code == 403
    other = mint(client, fake, OTHER_INSTALLATION)
    assert client.get(path, headers=auth(other)).status_code == 404  # repo not in that installation
    fake.create_repo("ro-org/tools", installation_id=READ_ONLY_INSTALLATION).commit({"a": "1\n"})
    read_only = mint(client, fake, READ_ONLY_INSTALLATION)
    denied = client.post(
        "/repos/ro-org/tools/check-runs", headers=auth(read_only), json={"name": "x", "head_sha": "0" * 40}
    )
    assert (denied.status_code, denied.json()["message"]) == (403, "Resource not accessible by integration")
    assert denied.headers["x-accepted-github-permissions"] == "checks=write"
    assert client.get("/repos/ro-org/tools/contents/a", headers=auth(read_only)).status_code == 403


def test_expired_and_downscoped_tokens(
    client: httpx.Client, fake: FakeGitHub, repo: FakeRepo, pr: FakePull, monkeypatch: pytest.MonkeyPatch
) -> None:
    scoped = mint(client, fake, body={"permissions": {"pull_requests": "read"}, "repositories": ["hello-world"]})
    assert client.get(f"/repos/{REPO}/pulls/{pr.number}", headers=auth(scoped)).status_code == 200
    assert client.get(f"/repos/{REPO}/contents/README.md", headers=auth(scoped)).status_code == 403
    too_much = client.post(
        f"/app/installations/{INSTALLATION}/access_tokens",
        headers={"Authorization": f"Bearer {fake.make_jwt()}"},
        json={"permissions": {"administration": "write"}},
    )
    assert too_much.status_code == 422
    monkeypatch.setattr(fake, "clock_offset", fake.clock_offset + 3601)
    expired = client.get(f"/repos/{REPO}/pulls/{pr.number}", headers=auth(scoped))
    assert (expired.status_code, expired.json()["message"]) == (401, "Bad credentials")


def test_rate_limit_headers_count_per_token_and_exhaust(
    client: httpx.Client, fake: FakeGitHub, repo: FakeRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = mint(client, fake)
    first = client.get(f"/repos/{REPO}", headers=auth(fresh))
    second = client.get(f"/repos/{REPO}", headers=auth(fresh))
    assert first.headers["x-ratelimit-limit"] == "5000"
    assert first.headers["x-ratelimit-resource"] == "core"
    assert int(first.headers["x-ratelimit-remaining"]) - 1 == int(second.headers["x-ratelimit-remaining"])
    assert int(second.headers["x-ratelimit-used"]) == 2
    assert int(second.headers["x-ratelimit-reset"]) > time.time()
    monkeypatch.setattr(fake, "rate_limit", 3)
    assert client.get(f"/repos/{REPO}", headers=auth(fresh)).status_code == 200
    exhausted = client.get(f"/repos/{REPO}", headers=auth(fresh))
    assert exhausted.status_code == 403
    assert exhausted.headers["x-ratelimit-remaining"] == "0"
    assert exhausted.json()["message"].startswith("API rate limit exceeded for installation ID")


def test_unsupported_api_version_is_rejected(client: httpx.Client, repo: FakeRepo, token: str) -> None:
    ok = client.get(f"/repos/{REPO}", headers={**auth(token), "X-GitHub-Api-Version": "2026-03-10"})
    assert ok.status_code == 200
    bad = client.get(f"/repos/{REPO}", headers={**auth(token), "X-GitHub-Api-Version": "1999-01-01"})
    assert bad.status_code == 400


# ----------------------------------------------------------------------------- pulls
def test_pull_request_shape_follows_branch_pushes(
    client: httpx.Client, repo: FakeRepo, pr: FakePull, token: str
) -> None:
    body = client.get(f"/repos/{REPO}/pulls/{pr.number}", headers=auth(token)).json()
    assert body["number"] == pr.number and body["state"] == "open" and body["draft"] is False
    assert body["head"]["ref"] == "feature" and body["head"]["sha"] == pr.head_sha
    assert body["base"]["ref"] == "main" and body["base"]["sha"] == pr.base_sha
    assert body["head"]["repo"]["full_name"] == REPO
    assert client.get(f"/repos/{REPO}/pulls/999", headers=auth(token)).status_code == 404


def test_pull_files_three_dot_diff_statuses_and_patches(
    client: httpx.Client, repo: FakeRepo, pr: FakePull, token: str
) -> None:
    files = {f["filename"]: f for f in client.get(f"/repos/{REPO}/pulls/{pr.number}/files", headers=auth(token)).json()}
    assert "main-only.txt" not in files  # merge-base semantics
    assert files["app.py"]["status"] == "added" and files["app.py"]["patch"].startswith("@@ -0,0 +1 @@")
    readme = files["README.md"]
    assert readme["status"] == "modified"
    assert (readme["additions"], readme["deletions"], readme["changes"]) == (1, 0, 1)
    assert readme["patch"].startswith("@@") and "diff --git" not in readme["patch"] and "+++" not in readme["patch"]
    assert "+brave new" in readme["patch"]
    assert files["doomed.txt"]["status"] == "removed"
    renamed = files["docs/new-name.md"]
    assert renamed["status"] == "renamed" and renamed["previous_filename"] == "docs/old-name.md"
    logo = files["logo.png"]
    assert logo["status"] == "modified" and "patch" not in logo  # binary: no patch
    assert readme["contents_url"].endswith(f"/contents/README.md?ref={pr.head_sha}")
    blob = client.get(f"/repos/{REPO}/git/blobs/{readme['sha']}", headers=auth(token)).json()
    assert base64.b64decode(blob["content"]) == b"hello\nbrave new\nworld\n"


def test_pull_files_patch_omitted_for_huge_diffs(
    client: httpx.Client, fake: FakeGitHub, repo: FakeRepo, pr: FakePull, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fake, "max_patch_lines", 1)
    files = {f["filename"]: f for f in client.get(f"/repos/{REPO}/pulls/{pr.number}/files", headers=auth(token)).json()}
    assert "patch" in files["app.py"]  # 1 changed line
    repo.commit({"big.txt": "".join(f"{i}\n" for i in range(5))}, branch="feature")
    try:
        files = {
            f["filename"]: f for f in client.get(f"/repos/{REPO}/pulls/{pr.number}/files", headers=auth(token)).json()
        }
        assert files["big.txt"]["additions"] == 5 and "patch" not in files["big.txt"]
    finally:
        repo.commit({"big.txt": None}, branch="feature")


@pytest.fixture(scope="module")
def wide_pr(repo: FakeRepo) -> FakePull:
    repo.branch("wide", "main")
    repo.commit({f"gen/file_{i:03d}.txt": f"{i}\n" for i in range(250)}, branch="wide", message="250 files")
    return repo.open_pull(base="main", head="wide")


def _links(response: httpx.Response) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers.get("link", ""))}


def test_pull_files_pagination_follows_link_headers(
    client: httpx.Client, fake: FakeGitHub, wide_pr: FakePull, token: str
) -> None:
    url: str | None = f"/repos/{REPO}/pulls/{wide_pr.number}/files?per_page=100"
    pages: list[list[dict[str, Any]]] = []
    link_sets = []
    while url:
        response = client.get(url, headers=auth(token))
        assert response.status_code == 200
        pages.append(response.json())
        link_sets.append(_links(response))
        url = link_sets[-1].get("next")
    assert [len(p) for p in pages] == [100, 100, 50]
    assert len({f["filename"] for p in pages for f in p}) == 250
    assert set(link_sets[0]) == {"next", "last"}
    assert set(link_sets[1]) == {"prev", "next", "last", "first"}
    assert set(link_sets[2]) == {"prev", "first"}
    assert link_sets[0]["next"].startswith(fake.url + "/")  # absolute, like GitHub
    assert "per_page=100" in link_sets[0]["next"] and link_sets[0]["last"].endswith("page=3")
    default = client.get(f"/repos/{REPO}/pulls/{wide_pr.number}/files", headers=auth(token))
    assert len(default.json()) == 30
    clamped = client.get(f"/repos/{REPO}/pulls/{wide_pr.number}/files?per_page=500", headers=auth(token))
    assert len(clamped.json()) == 100


def test_pull_files_cap(
    client: httpx.Client, fake: FakeGitHub, wide_pr: FakePull, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fake, "max_pr_files", 40)
    first = client.get(f"/repos/{REPO}/pulls/{wide_pr.number}/files?per_page=30", headers=auth(token))
    second = client.get(_links(first)["next"], headers=auth(token))
    assert len(first.json()) + len(second.json()) == 40 and "next" not in _links(second)
    # The PR itself still reports the true number of changed files.
    assert client.get(f"/repos/{REPO}/pulls/{wide_pr.number}", headers=auth(token)).json()["changed_files"] == 250


# ----------------------------------------------------------------------------- contents
def test_contents_base64_raw_and_errors(client: httpx.Client, repo: FakeRepo, pr: FakePull, token: str) -> None:
    text = "".join(f"line {i}\n" for i in range(40))
    body = client.get(f"/repos/{REPO}/contents/docs/old-name.md", headers=auth(token)).json()
    assert (body["type"], body["encoding"], body["path"], body["name"]) == (
        "file",
        "base64",
        "docs/old-name.md",
        "old-name.md",
    )
    assert body["size"] == len(text)
    lines = body["content"].split("\n")
    assert all(len(line) == 60 for line in lines[:-2]) and body["content"].endswith("\n")
    assert base64.b64decode(body["content"]).decode() == text
    for media in ("application/vnd.github.raw", "application/vnd.github.raw+json", "application/vnd.github.v3.raw"):
        raw = client.get(f"/repos/{REPO}/contents/docs/old-name.md", headers={**auth(token), "Accept": media})
        assert raw.content == text.encode(), media
    at_head = client.get(f"/repos/{REPO}/contents/app.py", params={"ref": pr.head_sha}, headers=auth(token))
    assert at_head.status_code == 200
    assert client.get(f"/repos/{REPO}/contents/app.py", headers=auth(token)).status_code == 404  # not on main
    assert client.get(f"/repos/{REPO}/contents/README.md?ref=nope", headers=auth(token)).status_code == 404
    listing = client.get(f"/repos/{REPO}/contents/docs", headers=auth(token)).json()
    assert [entry["name"] for entry in listing] == ["old-name.md"]


def test_large_contents_need_raw_media_type(client: httpx.Client, repo: FakeRepo, token: str) -> None:
    big = b"a" * (1024 * 1024 + 10)
    sha = repo.commit({"large.bin": big}, branch="large", from_ref="main")
    body = client.get(f"/repos/{REPO}/contents/large.bin?ref={sha}", headers=auth(token)).json()
    assert (body["content"], body["encoding"], body["size"]) == ("", "none", len(big))
    raw = client.get(
        f"/repos/{REPO}/contents/large.bin?ref={sha}", headers={**auth(token), "Accept": "application/vnd.github.raw"}
    )
    assert raw.content == big
    blob = client.get(
        f"/repos/{REPO}/git/blobs/{body['sha']}", headers={**auth(token), "Accept": "application/vnd.github.raw+json"}
    )
    assert blob.content == big
    assert client.get(f"/repos/{REPO}/git/blobs/{'f' * 40}", headers=auth(token)).status_code == 404


# ----------------------------------------------------------------------------- compare
COMPARE_REPO = "octo-org/compare-me"


@pytest.fixture(scope="module")
def compare_repo(fake: FakeGitHub) -> dict[str, str]:
    """main: root -> m1 (after topic branched); feature/x: root -> t1 -> t2."""
    repo = fake.create_repo(COMPARE_REPO, installation_id=INSTALLATION)
    root = repo.commit({"shared.txt": "base\n", "gone.txt": "bye\n"}, message="root")
    repo.branch("feature/x", "main")
    t1 = repo.commit({"shared.txt": "base\ntopic\n"}, branch="feature/x", message="topic one\n\nwith a body")
    t2 = repo.commit({"topic.txt": "new\n", "gone.txt": None}, branch="feature/x", message="topic two")
    m1 = repo.commit({"main-only.txt": "later\n"}, branch="main", message="main moves on")
    return {"root": root, "t1": t1, "t2": t2, "m1": m1}


def _compare(client: httpx.Client, token: str, basehead: str, **params: Any) -> httpx.Response:
    return client.get(f"/repos/{COMPARE_REPO}/compare/{basehead}", params=params, headers=auth(token))


def test_compare_uses_the_real_merge_base_after_base_moved(
    client: httpx.Client, fake: FakeGitHub, compare_repo: dict[str, str], token: str
) -> None:
    git = fake.repo(COMPARE_REPO).git
    assert git.merge_base(compare_repo["m1"], compare_repo["t2"]) == compare_repo["root"]
    response = _compare(client, token, "main...feature/x")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["base_commit"]["sha"] == compare_repo["m1"]  # the base tip, not the branch point
    assert body["merge_base_commit"]["sha"] == compare_repo["root"]
    assert (body["status"], body["ahead_by"], body["behind_by"], body["total_commits"]) == ("diverged", 2, 1, 2)
    assert [c["sha"] for c in body["commits"]] == [compare_repo["t1"], compare_repo["t2"]]  # oldest first
    first = body["commits"][0]
    assert first["parents"] == [
        {
            "sha": compare_repo["root"],
            "url": f"{fake.url}/repos/{COMPARE_REPO}/commits/{compare_repo['root']}",
            "html_url": f"{fake.url}/{COMPARE_REPO}/commit/{compare_repo['root']}",
        }
    ]
    assert first["commit"]["message"] == "topic one\n\nwith a body"
    assert first["commit"]["author"]["email"] == "octocat@example.com"
    assert TIMESTAMP_RE.match(first["commit"]["author"]["date"])
    assert first["commit"]["tree"]["sha"] == git.rev_sha(f"{compare_repo['t1']}^{{tree}}")
    assert first["commit"]["verification"]["verified"] is False
    # Three-dot diff: main's later commit is not part of the files.
    files = {f["filename"]: f for f in body["files"]}
    assert set(files) == {"shared.txt", "topic.txt", "gone.txt"}
    assert files["gone.txt"]["status"] == "removed" and files["topic.txt"]["status"] == "added"
    assert "+topic" in files["shared.txt"]["patch"]
    assert body["permalink_url"].endswith(f"/compare/octo-org:{compare_repo['m1']}...octo-org:{compare_repo['t2']}")

    reverse = _compare(client, token, "feature/x...main").json()
    assert (reverse["status"], reverse["ahead_by"], reverse["behind_by"]) == ("diverged", 1, 2)
    assert reverse["merge_base_commit"]["sha"] == compare_repo["root"]
    assert [f["filename"] for f in reverse["files"]] == ["main-only.txt"]
    ahead = _compare(client, token, f"{compare_repo['root']}...octo-org:feature/x").json()  # SHA and OWNER:ref
    assert (ahead["status"], ahead["ahead_by"], ahead["behind_by"]) == ("ahead", 2, 0)
    behind = _compare(client, token, f"feature/x...{compare_repo['t1']}").json()
    assert (behind["status"], behind["ahead_by"], behind["behind_by"], behind["commits"], behind["files"]) == (
        "behind",
        0,
        1,
        [],
        [],
    )
    assert _compare(client, token, "main...main").json()["status"] == "identical"
    assert fake.response_violations == []


def test_compare_caps_and_pages_commits(
    client: httpx.Client,
    fake: FakeGitHub,
    compare_repo: dict[str, str],
    token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(limits, "COMPARE_MAX_COMMITS", 1)
    capped = _compare(client, token, "main...feature/x").json()
    assert [c["sha"] for c in capped["commits"]] == [compare_repo["t2"]]  # the newest is kept
    assert capped["total_commits"] == 2
    page1 = _compare(client, token, "main...feature/x", per_page=1)
    assert [c["sha"] for c in page1.json()["commits"]] == [compare_repo["t1"]] and "files" in page1.json()
    page2 = client.get(_links(page1)["next"], headers=auth(token))
    assert [c["sha"] for c in page2.json()["commits"]] == [compare_repo["t2"]] and "files" not in page2.json()
    assert fake.response_violations == []


def test_compare_errors(client: httpx.Client, fake: FakeGitHub, compare_repo: dict[str, str], token: str) -> None:
    for basehead in ("main...nope", "nope...main", f"main...{'f' * 40}", "main..feature/x", "main", "other:main...main"):
        response = _compare(client, token, basehead)
        assert (response.status_code, response.json()["message"]) == (404, "Not Found"), basehead
    repo = fake.repo(COMPARE_REPO)
    repo.git.commit({"island.txt": "alone\n"}, "orphan", "unrelated root", None)
    unrelated = _compare(client, token, "main...orphan")
    assert unrelated.status_code == 404
    assert unrelated.json()["message"] == "No common ancestor between main and orphan."
    fake.create_repo("ro-org/compare-ro", installation_id=READ_ONLY_INSTALLATION).commit({"a": "1\n"})
    read_only = mint(client, fake, READ_ONLY_INSTALLATION)
    denied = client.get("/repos/ro-org/compare-ro/compare/main...main", headers=auth(read_only))
    assert denied.status_code == 403 and denied.headers["x-accepted-github-permissions"] == "contents=read"
    assert fake.response_violations == []


# ----------------------------------------------------------------------------- checks
def _annotation(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "path": "app.py",
        "start_line": 1,
        "end_line": 1,
        "annotation_level": "warning",
        "message": f"m{i}",
        **extra,
    }


def _create_run(client: httpx.Client, token: str, head_sha: str, **extra: Any) -> httpx.Response:
    return client.post(
        f"/repos/{REPO}/check-runs", headers=auth(token), json={"name": "drift", "head_sha": head_sha, **extra}
    )


def test_check_run_lifecycle_and_annotation_append(
    client: httpx.Client, fake: FakeGitHub, pr: FakePull, token: str
) -> None:
    created = _create_run(client, token, pr.head_sha, status="in_progress", external_id="job-1")
    assert created.status_code == 201
    run = created.json()
    assert run["status"] == "in_progress" and run["conclusion"] is None and TIMESTAMP_RE.match(run["started_at"])
    assert run["app"]["id"] == fake.app_id and run["pull_requests"][0]["number"] == pr.number
    url = f"/repos/{REPO}/check-runs/{run['id']}"
    for batch in (range(0, 50), range(50, 100), range(100, 120)):
        output = {"title": "t", "summary": "s", "annotations": [_annotation(i) for i in batch]}
        assert client.patch(url, headers=auth(token), json={"output": output}).status_code == 200
    done = client.patch(url, headers=auth(token), json={"conclusion": "failure"}).json()
    assert (
        done["status"] == "completed" and done["conclusion"] == "failure" and TIMESTAMP_RE.match(done["completed_at"])
    )
    assert done["output"]["annotations_count"] == 120
    state = fake.check_runs[run["id"]]
    assert [a["message"] for a in state.annotations] == [f"m{i}" for i in range(120)]
    first = client.get(f"{url}/annotations?per_page=100", headers=auth(token))
    second = client.get(_links(first)["next"], headers=auth(token))
    assert len(first.json()) + len(second.json()) == 120
    listed = client.get(f"/repos/{REPO}/commits/{pr.head_sha}/check-runs", headers=auth(token)).json()
    assert listed["total_count"] >= 1 and listed["check_runs"][0]["id"] == run["id"]
    assert (
        client.get(f"/repos/{REPO}/commits/feature/check-runs?check_name=nope", headers=auth(token)).json()[
            "total_count"
        ]
        == 0
    )


def test_51_annotations_rejected(client: httpx.Client, fake: FakeGitHub, pr: FakePull, token: str) -> None:
    output = {"title": "t", "summary": "s", "annotations": [_annotation(i) for i in range(51)]}
    response = _create_run(client, token, pr.head_sha, output=output)
    assert response.status_code == 422
    assert any("check-runs" in v for v in fake.schema_violations)  # maxItems 50 in GitHub's schema
    fake.schema_violations.clear()
    output["annotations"] = output["annotations"][:50]
    assert _create_run(client, token, pr.head_sha, output=output).status_code == 201


def test_summary_limit_is_in_bytes(client: httpx.Client, fake: FakeGitHub, pr: FakePull, token: str) -> None:
    summary = "😀" * 20000  # 20 000 characters, 80 000 UTF-8 bytes
    response = _create_run(client, token, pr.head_sha, output={"title": "t", "summary": summary})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "resource": "CheckRun",
            "code": "custom",
            "field": "summary",
            "message": "summary exceeds a maximum bytesize of 65535",
        }
    ]
    assert fake.schema_violations == []  # within maxLength in characters: only the byte rule fires
    fake.validation_errors.clear()


@pytest.mark.parametrize(
    "body",
    [
        {"status": "completed"},
        {"completed_at": "2026-01-01T00:00:00Z"},
        {"conclusion": "stale"},
        {"output": {"summary": "no title"}},
        {
            "output": {
                "title": "t",
                "summary": "s",
                "annotations": [_annotation(0, end_line=2, start_column=1, end_column=3)],
            }
        },
        {"output": {"title": "t", "summary": "s", "annotations": [_annotation(0, title="x" * 256)]}},
        {"output": {"title": "t", "summary": "s", "annotations": [_annotation(0, message="x" * (64 * 1024 + 1))]}},
        {"actions": [{"label": f"l{i}", "description": "d", "identifier": f"i{i}"} for i in range(4)]},
        {"actions": [{"label": "x" * 21, "description": "d", "identifier": "i"}]},
    ],
    ids=[
        "completed-no-conclusion",
        "completed_at-no-conclusion",
        "stale",
        "output-no-title",
        "columns-multiline",
        "title-256",
        "message-64k",
        "4-actions",
        "label-21",
    ],
)
def test_check_run_rules(
    client: httpx.Client, fake: FakeGitHub, pr: FakePull, token: str, body: dict[str, Any]
) -> None:
    assert _create_run(client, token, pr.head_sha, **body).status_code == 422
    run_id = _create_run(client, token, pr.head_sha).json()["id"]
    patched = client.patch(f"/repos/{REPO}/check-runs/{run_id}", headers=auth(token), json=body)
    assert patched.status_code == 422, patched.text
    fake.schema_violations.clear()
    fake.validation_errors.clear()


def test_conclusion_implies_completed(client: httpx.Client, pr: FakePull, token: str) -> None:
    run = _create_run(client, token, pr.head_sha, conclusion="neutral").json()
    assert run["status"] == "completed" and run["completed_at"] is not None


def test_head_sha_must_exist(client: httpx.Client, pr: FakePull, token: str) -> None:
    missing = "1234567890" * 4
    response = _create_run(client, token, missing)
    assert (response.status_code, response.json()["message"]) == (422, f"No commit found for SHA: {missing}")


def test_schema_violation_is_recorded(client: httpx.Client, fake: FakeGitHub, pr: FakePull, token: str) -> None:
    output = {"title": "t", "summary": "s", "annotations": [_annotation(0, annotation_level="error")]}
    response = _create_run(client, token, pr.head_sha, output=output)
    assert response.status_code == 422
    assert response.json()["message"].startswith("Invalid request.")
    assert len(fake.schema_violations) == 1 and "annotation_level" in fake.schema_violations[0]
    fake.schema_violations.clear()


def test_only_the_creating_app_may_update_a_run(
    client: httpx.Client, fake: FakeGitHub, repo: FakeRepo, pr: FakePull, token: str
) -> None:
    foreign = fake.create_check_run(repo, pr.head_sha, "drift", app_id=1111, app_slug="impostor")
    response = client.patch(
        f"/repos/{REPO}/check-runs/{foreign.id}", headers=auth(token), json={"conclusion": "success"}
    )
    assert response.status_code == 403
    runs = client.get(f"/repos/{REPO}/commits/{pr.head_sha}/check-runs?app_id=1111", headers=auth(token)).json()
    assert [r["app"]["slug"] for r in runs["check_runs"]] == ["impostor"]


# ----------------------------------------------------------------------------- faults
def test_faults_are_consumed_in_order(client: httpx.Client, fake: FakeGitHub, pr: FakePull, token: str) -> None:
    path = f"/repos/{REPO}/pulls/{pr.number}"
    fake.inject(
        "GET",
        re.escape(path) + "$",
        Fault.status(502),
        Fault.secondary_rate_limit(retry_after=1),
        Fault.primary_rate_limit(reset_in=1),
        Fault.status(403, headers={"retry-after": "2"}, json={"message": "You have exceeded a secondary rate limit"}),
    )
    responses = [client.get(path, headers=auth(token)) for _ in range(5)]
    assert [r.status_code for r in responses] == [502, 403, 403, 403, 200]
    assert responses[1].headers["retry-after"] == "1" and "secondary rate limit" in responses[1].json()["message"]
    assert responses[2].headers["x-ratelimit-remaining"] == "0"
    assert 0 < int(responses[2].headers["x-ratelimit-reset"]) - time.time() <= 2
    assert responses[3].headers["retry-after"] == "2"
    assert [r.fault for r in fake.requests[-5:]] == ["status", "status", "primary_rate_limit", "status", None]
    assert fake.faults.pending() == 0


def test_delay_reset_and_revoke_faults(client: httpx.Client, fake: FakeGitHub, pr: FakePull) -> None:
    victim = mint(client, fake)
    path = f"/repos/{REPO}/pulls/{pr.number}"
    fake.inject("GET", re.escape(path) + "$", Fault.delay(0.5), Fault.reset(), Fault.revoke_token())
    with pytest.raises(httpx.ReadTimeout):
        client.get(path, headers=auth(victim), timeout=0.1)
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(path, headers=auth(victim))
    revoked = client.get(path, headers=auth(victim))
    assert (revoked.status_code, revoked.json()["message"]) == (401, "Bad credentials")
    assert client.get(path, headers=auth(victim)).status_code == 401  # the token stays dead
    assert client.get(path, headers=auth(mint(client, fake))).status_code == 200
    assert any(r.fault == "reset" and r.status is None for r in fake.requests)


def test_requests_are_recorded_with_redacted_auth(
    client: httpx.Client, fake: FakeGitHub, pr: FakePull, token: str
) -> None:
    client.get(f"/repos/{REPO}/pulls/{pr.number}/files", params={"per_page": 5}, headers=auth(token))
    record = fake.requests[-1]
    assert (record.method, record.path, record.query, record.status) == (
        "GET",
        f"/repos/{REPO}/pulls/{pr.number}/files",
        {"per_page": "5"},
        200,
    )
    assert record.headers["authorization"] == "token" and record.auth == "installation"
    assert record.installation_id == INSTALLATION
    assert token not in json.dumps(record.headers)


# ----------------------------------------------------------------------------- webhooks
class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/webhooks"
    server.shutdown()
    server.server_close()


def test_signature_matches_githubs_test_vector() -> None:
    assert sign("It's a Secret to Everybody", b"Hello, World!") == (
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    )


def test_deliver_signs_exact_bytes_with_github_headers(
    fake: FakeGitHub, repo: FakeRepo, pr: FakePull, receiver: str
) -> None:
    payload = fake.pull_request_payload(repo, pr, installation_id=INSTALLATION)
    response = fake.deliver(receiver, "pull_request", payload, secret="s3cret", delivery_id="guid-1")
    assert response.status_code == 202
    headers, body = _Receiver.received[-1]
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["x-hub-signature-256"] == expected
    assert headers["x-github-event"] == "pull_request" and headers["x-github-delivery"] == "guid-1"
    assert headers["user-agent"].startswith("GitHub-Hookshot/")
    assert headers["x-github-hook-installation-target-type"] == "integration"
    assert headers["x-github-hook-installation-target-id"] == str(fake.app_id)
    assert headers["content-type"] == "application/json" and headers["x-github-hook-id"]
    sent = json.loads(body)
    assert sent["installation"]["id"] == INSTALLATION and sent["number"] == pr.number
    assert sent["pull_request"]["head"]["sha"] == pr.head_sha and sent["pull_request"]["base"]["sha"] == pr.base_sha
    assert sent["repository"]["full_name"] == REPO
    # Raw bytes are sent untouched and overrides can drop headers.
    fake.deliver(receiver, "ping", b'{"zen":"x"}', secret="s3cret", headers={"X-Hub-Signature-256": None})
    headers, body = _Receiver.received[-1]
    assert body == b'{"zen":"x"}' and "x-hub-signature-256" not in headers
    assert len(headers["x-github-delivery"]) == 36  # uuid4 by default


@pytest.mark.parametrize("action", ["opened", "synchronize", "reopened", "edited"])
def test_pull_request_payloads_match_githubs_webhook_schema(
    fake: FakeGitHub, repo: FakeRepo, pr: FakePull, action: str
) -> None:
    payload = fake.pull_request_payload(repo, pr, action)
    assert openapi.description().validate_webhook("pull_request", action, payload) == []
    assert payload["action"] == action


def test_fixture_and_githubkit_round_trip(fake_github: FakeGitHub) -> None:  # noqa: F811
    """The bot's client (githubkit, app auth) works against the fake end to end."""
    from githubkit import AppAuthStrategy, GitHub

    fake_github.add_installation(INSTALLATION)
    repo = fake_github.create_repo(REPO, installation_id=INSTALLATION)
    repo.commit({"a.py": "1\n"})
    repo.commit({"b.py": "2\n", "c.bin": b"\x00\x01"}, branch="feature")
    pr = repo.open_pull()
    app = GitHub(AppAuthStrategy(str(fake_github.app_id), fake_github.private_key_pem), base_url=fake_github.url + "/")
    github = app.with_auth(app.auth.as_installation(INSTALLATION))
    files = list(
        github.rest.paginate(
            github.rest.pulls.list_files, owner="octo-org", repo="hello-world", pull_number=pr.number, per_page=1
        )
    )
    assert [f.filename for f in files] == ["b.py", "c.bin"]
    run = github.rest.checks.create(
        "octo-org", "hello-world", data={"name": "drift", "head_sha": pr.head_sha}
    ).parsed_data
    output = {"title": "t", "summary": "s", "annotations": [_annotation(0, path="b.py")]}
    github.rest.checks.update("octo-org", "hello-world", run.id, data={"conclusion": "success", "output": output})
    content = github.rest.repos.get_content("octo-org", "hello-world", "b.py", ref=pr.head_sha).parsed_data
    assert base64.b64decode(content.content) == b"2\n"  # type: ignore[union-attr]
    assert fake_github.check_runs[run.id].conclusion == "success"
    assert fake_github.tokens_minted == 1 and fake_github.schema_violations == []


def test_diff_media_type_and_unknown_endpoints(
    client: httpx.Client, fake: FakeGitHub, pr: FakePull, token: str
) -> None:
    diff = client.get(
        f"/repos/{REPO}/pulls/{pr.number}", headers={**auth(token), "Accept": "application/vnd.github.diff"}
    )
    assert diff.status_code == 200 and diff.text.startswith("diff --git")
    missing = client.post(f"/repos/{REPO}/issues/{pr.number}/labels", headers=auth(token), json={"labels": 5})
    assert missing.status_code == 404 and missing.json()["message"] == "Not Found"
    assert fake.unhandled[-1] == f"POST /repos/{REPO}/issues/{pr.number}/labels"
    assert "'labels'" in fake.schema_violations[-1]  # bodies are schema-checked even there
    fake.schema_violations.clear()


def test_fault_patterns_search_the_path(client: httpx.Client, fake: FakeGitHub, pr: FakePull, token: str) -> None:
    fake.inject("GET", r"/pulls/\d+/files", Fault.status(502))
    assert client.get(f"/repos/{REPO}/pulls/{pr.number}", headers=auth(token)).status_code == 200
    assert client.get(f"/repos/{REPO}/pulls/{pr.number}/files", headers=auth(token)).status_code == 502
    assert client.get(f"/repos/{REPO}/pulls/{pr.number}/files", headers=auth(token)).status_code == 200
