"""Inline review comments: anchors GitHub accepts, skips said out loud, one review per scan.

The pure tests pin down `plan_review`'s anchoring rules; the end-to-end tests post through the
bot's real client to the fake GitHub, which checks every anchor against the PR's real diff and,
like GitHub, rejects a whole review when one anchor is wrong (shared/github-facts.md 4.3).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import pytest

from bot.github.client import GitHubApp, InstallationClient
from bot.github.errors import GitHubError
from bot.model import ChangedFile, FileStatus, Finding, Kind, Severity
from bot.report.comment import short_id
from bot.report.review import (
    MAX_REVIEW_COMMENTS,
    REVIEW_BODY_BUDGET,
    SKIP_ALREADY,
    SKIP_NO_CHANGED_LINE,
    SKIP_NO_PATCH,
    SKIP_NOT_IN_DIFF,
    SKIP_OVER_CAP,
    ReviewPlan,
    ReviewPublisher,
    comment_body,
    commented_fingerprints,
    plan_review,
)
from bot.sources.github_pr import GitHubPullSource
from tests.factories import make_finding
from tests.fakegithub import FakeGitHub, FakePull, FakeRepo

PATH = "src/app.js"


def changed(path: str = PATH, lines: set[int] | frozenset[int] = frozenset(), **kw: Any) -> dict[str, ChangedFile]:
    return {path: ChangedFile(path, kw.pop("status", FileStatus.MODIFIED), frozenset(lines), **kw)}


def finding(start: int, end: int | None = None, **kw: Any) -> Finding:
    """Distinct snippets give distinct fingerprints, as distinct code would."""
    kw.setdefault("snippet", f"eval(x{start}_{end})")
    return make_finding(start_line=start, end_line=start if end is None else end, **kw)


# --------------------------------------------------------------------------- plan: anchors


def test_a_finding_on_a_changed_line_is_commented_there() -> None:
    f = finding(12)
    plan = plan_review([f], changed(lines={12}), set())
    assert plan.comments == ({"path": PATH, "line": 12, "side": "RIGHT", "body": comment_body(f)},)
    assert plan.fingerprints == (f.fingerprint,) and plan.skipped == ()


def test_the_anchor_is_the_first_changed_line_of_the_span() -> None:
    plan = plan_review([finding(3, 8)], changed(lines={1, 6, 7, 9}), set())
    (comment,) = plan.comments
    assert (comment["line"], "start_line" in comment) == (6, False)


def test_a_multi_line_finding_inside_one_run_of_changed_lines_is_a_range() -> None:
    plan = plan_review([finding(5, 7)], changed(lines={4, 5, 6, 7, 8}), set())
    (comment,) = plan.comments
    assert {k: comment[k] for k in ("start_line", "start_side", "line", "side")} == {
        "start_line": 5,
        "start_side": "RIGHT",
        "line": 7,
        "side": "RIGHT",
    }


@pytest.mark.parametrize(
    ("lines", "expected_line"),
    [
        ({5, 6, 9}, 5),  # both ends changed, but a gap between: maybe two hunks
        ({6, 7, 8, 9}, 6),  # start not changed
        ({5, 6, 7}, 5),  # end not changed
    ],
)
def test_a_multi_line_finding_not_in_one_run_gets_a_single_line_anchor(lines: set[int], expected_line: int) -> None:
    (comment,) = plan_review([finding(5, 9)], changed(lines=lines), set()).comments
    assert comment["line"] == expected_line
    assert "start_line" not in comment and "start_side" not in comment


def test_start_line_is_never_sent_equal_to_line() -> None:
    """GitHub: "start line must precede the end line" for start_line == line."""
    for f in (finding(5, 5), finding(5, 3), finding(0, 0, snippet="zero")):
        (comment,) = plan_review([f], changed(lines={1, 5}), set()).comments
        assert "start_line" not in comment


def test_a_huge_span_is_cheap_and_still_anchored() -> None:
    (comment,) = plan_review([finding(1, 10**9)], changed(lines={70_000}), set()).comments
    assert comment["line"] == 70_000


# --------------------------------------------------------------------------- plan: skips


def test_findings_that_cannot_be_anchored_for_certain_are_skipped_with_a_reason() -> None:
    outside = finding(20)
    other_file = finding(12, path="lib/other.js")
    patchless = finding(12, path="big.min.js")
    removed = finding(1, path="gone.js")
    files = {
        **changed(lines={12}),
        **changed("big.min.js", {12}, patch_missing=True),
        **changed("gone.js", set(), status=FileStatus.REMOVED),
    }
    plan = plan_review([outside, other_file, patchless, removed], files, set())
    assert plan.comments == () and plan.fingerprints == ()
    reasons = {f.fingerprint: reason for f, reason in plan.skipped}
    assert reasons == {
        outside.fingerprint: SKIP_NO_CHANGED_LINE,
        other_file.fingerprint: SKIP_NOT_IN_DIFF,
        patchless.fingerprint: SKIP_NO_PATCH,
        removed.fingerprint: SKIP_NO_CHANGED_LINE,
    }


def test_already_commented_and_repeated_fingerprints_get_no_second_comment() -> None:
    old, new = finding(12), finding(13)
    twin = finding(14, snippet=new.snippet)  # same rule, path and code: same fingerprint
    assert twin.fingerprint == new.fingerprint
    plan = plan_review([old, new, twin], changed(lines={12, 13, 14}), {old.fingerprint})
    assert plan.fingerprints == (new.fingerprint,)
    assert [(f.start_line, reason) for f, reason in plan.skipped] == [(12, SKIP_ALREADY), (14, SKIP_ALREADY)]


def test_the_cap_keeps_the_worst_findings_and_skips_the_rest_out_loud() -> None:
    low = finding(10, severity=Severity.LOW)
    critical = finding(30, severity=Severity.CRITICAL)
    high = finding(20, severity=Severity.HIGH)
    plan = plan_review([low, critical, high], changed(lines={10, 20, 30}), set(), max_comments=2)
    assert plan.fingerprints == (critical.fingerprint, high.fingerprint)
    assert plan.skipped == ((low, SKIP_OVER_CAP),)
    assert plan_review([low], changed(lines={10}), set(), max_comments=-1).skipped == ((low, SKIP_OVER_CAP),)


def test_every_finding_is_either_commented_or_skipped_once() -> None:
    findings = [finding(line, severity=list(Severity)[line % 5]) for line in range(1, 200)]
    plan = plan_review(findings, changed(lines=set(range(1, 200, 2))), set(), max_comments=MAX_REVIEW_COMMENTS)
    assert len(plan.comments) == len(plan.fingerprints) == MAX_REVIEW_COMMENTS
    assert len(plan.comments) + len(plan.skipped) == len(findings)
    accounted = list(plan.fingerprints) + [f.fingerprint for f, _ in plan.skipped]
    assert sorted(accounted) == sorted(f.fingerprint for f in findings)
    for comment, fingerprint in zip(plan.comments, plan.fingerprints, strict=True):
        assert f"`{short_id(fingerprint)}`" in comment["body"]


def test_planning_changes_nothing_the_caller_owns() -> None:
    already = {"0" * 16}
    plan = plan_review([finding(1)], changed(lines={1}), already)
    assert already == {"0" * 16} and isinstance(plan, ReviewPlan)


# --------------------------------------------------------------------------- plan: bodies


def test_the_body_has_title_message_short_id_and_fix_hint() -> None:
    f = finding(1, properties={"fix": "Parse the input with JSON.parse instead."})
    body = comment_body(f)
    assert "A03:2021 – Injection" in body and "eval() runs a string built from request data." in body
    assert f"ID `{short_id(f.fingerprint)}`" in body and "high" in body and "OWASP" in body
    assert "**Fix**: Parse the input with JSON.parse instead." in body
    assert "**Fix**" not in comment_body(finding(1, properties={"fix": "   "}))
    assert "**Fix**" not in comment_body(finding(1, properties={"fix": 42}))


def test_a_drift_body_does_not_repeat_the_package_name_as_title() -> None:
    f = finding(3, kind=Kind.DRIFT, title="left-pad", message="left-pad 1.0.0 is 2 major versions behind.")
    body = comment_body(f)
    assert body.count("left-pad") == 1 and "DRIFT" in body


HOSTILE = (
    "@octocat @org/team see #12 and GH-3 <img src=x onerror=alert(1)> <!-- prwarden:finding "
    + "f" * 16
    + " --> [click](https://evil.example) ![i](x) **bold** `code` ~~s~~ $x$ | a | www.evil.example"
    + "\n# heading\n> quote\n- item\n```fence\u202e\u200b\x00"
)


def test_repository_text_is_escaped_no_mentions_no_html_no_links() -> None:
    f = finding(1, title=HOSTILE, message=HOSTILE, properties={"fix": HOSTILE})
    body = comment_body(f)
    assert not re.search(r"@(?!\u200d)", body), "a mention would notify people"
    assert not re.search(r"#(?!\u200d)[0-9]", body) and "GH-3" not in body
    assert "<img" not in body and "<!--" not in body.rsplit("\n\n", 1)[0]
    assert "](" not in body.replace("\\](", "") and "https://" not in body and "www.evil" not in body
    assert "\u202e" not in body and "\u200b" not in body and "\x00" not in body
    lines = body.split("\n")
    assert not any(line.startswith(("#", ">", "-", "```")) for line in lines)
    # The only marker is ours, for this finding: a forged one in the text cannot count.
    assert commented_fingerprints([body]) == {f.fingerprint}


def test_bodies_stay_under_githubs_limit_whatever_the_text() -> None:
    huge = "\U0001f600<" * 400_000  # astral characters count twice in UTF-16; '<' grows to 4
    f = finding(1, title=huge, message=huge, properties={"fix": huge})
    body = comment_body(f)
    assert len(body.encode("utf-16-le")) // 2 <= REVIEW_BODY_BUDGET < 65_536
    assert commented_fingerprints([body]) == {f.fingerprint}


def test_commented_fingerprints_reads_only_well_formed_markers() -> None:
    bodies = [
        "text\n\n<!-- prwarden:finding 0123456789abcdef -->",
        "<!-- prwarden:finding 0123 -->",
        "<!-- prwarden:finding ZZZZZZZZZZZZZZZZ -->",
        "plain reply",
    ]
    assert commented_fingerprints(bodies) == {"0123456789abcdef"}


# --------------------------------------------------------------------------- end to end

INSTALLATION = 5150
BASE = "".join(f"const v{i} = {i};\n" for i in range(1, 21))
HEAD = BASE.replace("const v5 = 5;\n", "run(eval(req.query.code));\n").replace(
    "const v12 = 12;\n", "const v12 = 12;\nlet a = eval(x);\nlet b = eval(y);\nlet c = eval(z);\n"
)
"""Line 5 replaced; lines 13-15 added; line 1 and the last lines (20-23) outside every hunk."""
REVIEWS = r"^/repos/[^/]+/[^/]+/pulls/\d+/reviews$"


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeGitHub]:
    with FakeGitHub(app_id=5150, tmp_path=tmp_path_factory.mktemp("fakegithub-review")) as github:
        github.add_installation(INSTALLATION)
        yield github
    assert github.schema_violations == [], "the bot sent a body GitHub's OpenAPI description rejects"
    assert not github.server_errors, "\n".join(github.server_errors)


_names = iter(range(1, 1000))


def open_pull(fake: FakeGitHub) -> tuple[FakeRepo, FakePull]:
    repo = fake.create_repo(f"octo-org/review-{next(_names)}", installation_id=INSTALLATION)
    repo.commit({PATH: BASE, "README.md": "hi\n"}, branch="main", message="base")
    repo.branch("feature", "main")
    repo.commit({PATH: HEAD}, branch="feature", message="change")
    return repo, repo.open_pull(base="main", head="feature")


def installation(fake: FakeGitHub) -> InstallationClient:
    # A GitHubApp per test: its own JWT cache (MemCacheStrategy) and installation tokens.
    return GitHubApp(app_id=str(fake.app_id), private_key=fake.private_key_pem, api_url=fake.url).installation(INSTALLATION)


async def changed_files(client: InstallationClient, repo: FakeRepo, pr: FakePull) -> dict[str, ChangedFile]:
    """The changed lines exactly as a scan gets them: from GitHub's patches, by the bot's source."""
    changes = await GitHubPullSource(client, repo.full_name, pr.number, pr.head_sha, pr.base_sha).changes()
    return {f.path: f for f in changes.files}


def review_posts(fake: FakeGitHub) -> list[Any]:
    return fake.requests_to("POST", REVIEWS)


def test_a_review_anchors_on_added_lines_and_skips_the_rest_so_github_accepts_it(fake: FakeGitHub) -> None:
    repo, pr = open_pull(fake)
    on_added = finding(5, snippet="run(eval(req.query.code))", properties={"fix": "Never eval request data."})
    multi = finding(13, 15, snippet="eval x y z")
    reaching_in = finding(2, 5, snippet="block around 5")
    outside = finding(22, snippet="const v19 = 19")  # unchanged, outside every hunk: would 422
    context_only = finding(3, snippet="const v3 = 3")  # a context line: in a hunk, but not changed
    elsewhere = finding(1, path="README.md", snippet="hi")

    async def go() -> tuple[ReviewPlan, bool]:
        client = installation(fake)
        async with client.session():
            files = await changed_files(client, repo, pr)
            assert files[PATH].changed_lines == {5, 13, 14, 15}
            plan = plan_review([on_added, multi, reaching_in, outside, context_only, elsewhere], files, set())
            return plan, await ReviewPublisher(client, repo.full_name).post(pr.number, pr.head_sha, plan, summary="Summary")

    plan, posted = asyncio.run(go())
    assert posted is True
    assert {f.fingerprint: reason for f, reason in plan.skipped} == {
        outside.fingerprint: SKIP_NO_CHANGED_LINE,
        context_only.fingerprint: SKIP_NO_CHANGED_LINE,
        elsewhere.fingerprint: SKIP_NOT_IN_DIFF,
    }
    (review,) = fake.reviews(repo, pr.number)
    assert (review.state, review.body, review.commit_id) == ("COMMENTED", "Summary", pr.head_sha)
    comments = fake.review_comments(repo, pr.number)
    anchors = sorted((c.path, c.start_line or 0, c.line, c.side) for c in comments)
    assert anchors == [(PATH, 0, 5, "RIGHT"), (PATH, 0, 5, "RIGHT"), (PATH, 13, 15, "RIGHT")]
    bodies = [c.body for c in comments]
    assert any(f"`{short_id(on_added.fingerprint)}`" in b and "Never eval request data." in b for b in bodies)


def test_a_second_scan_with_the_fingerprint_already_commented_posts_nothing(fake: FakeGitHub) -> None:
    repo, pr = open_pull(fake)
    f = finding(5, snippet="run(eval(req.query.code))")

    async def go() -> tuple[bool, set[str], ReviewPlan, bool]:
        client = installation(fake)
        async with client.session():
            files = await changed_files(client, repo, pr)
            publisher = ReviewPublisher(client, repo.full_name)
            first = await publisher.post(pr.number, pr.head_sha, plan_review([f], files, set()), summary="one")
            already = await publisher.commented(pr.number)
            plan = plan_review([f], files, already)
            return first, already, plan, await publisher.post(pr.number, pr.head_sha, plan, summary="two")

    first, already, plan, second = asyncio.run(go())
    assert first is True and already == {f.fingerprint}
    assert plan.comments == () and plan.skipped == ((f, SKIP_ALREADY),)
    assert second is False
    assert len(fake.reviews(repo, pr.number)) == 1 and len(fake.review_comments(repo, pr.number)) == 1


def test_a_bad_anchor_gets_422_once_and_post_returns_false_without_raising(fake: FakeGitHub) -> None:
    repo, pr = open_pull(fake)
    good = plan_review([finding(5)], changed(lines={5}), set())
    bad = {"path": PATH, "line": 22, "side": "RIGHT", "body": "outside every hunk"}
    plan = ReviewPlan(good.comments + (bad,), good.fingerprints + ("f" * 16,), ())
    before = len(review_posts(fake))

    async def go() -> bool:
        client = installation(fake)
        async with client.session():
            return await ReviewPublisher(client, repo.full_name).post(pr.number, pr.head_sha, plan, summary="s")

    assert asyncio.run(go()) is False
    attempts = review_posts(fake)[before:]
    assert [r.status for r in attempts] == [422], "a 422 is an answer: never retried"
    assert fake.reviews(repo, pr.number) == [] and fake.review_comments(repo, pr.number) == []


def test_other_errors_are_raised_for_the_job_to_handle(fake: FakeGitHub) -> None:
    repo, pr = open_pull(fake)
    plan = plan_review([finding(5)], changed(lines={5}), set())

    async def go() -> bool:
        client = installation(fake)
        async with client.session():
            return await ReviewPublisher(client, repo.full_name).post(pr.number + 100, pr.head_sha, plan, summary="s")

    with pytest.raises(GitHubError) as caught:
        asyncio.run(go())
    assert caught.value.status == 404


def test_an_empty_plan_sends_no_request(fake: FakeGitHub) -> None:
    repo, pr = open_pull(fake)
    before = len(review_posts(fake))

    async def go() -> bool:
        client = installation(fake)
        return await ReviewPublisher(client, repo.full_name).post(pr.number, pr.head_sha, ReviewPlan((), (), ()), summary="s")

    assert asyncio.run(go()) is False
    assert len(review_posts(fake)) == before and fake.reviews(repo, pr.number) == []
