"""Inline review comments: one review per scan, each finding anchored on a line GitHub will accept.

Why so careful about anchors: GitHub rejects a review *as a whole* with 422 when one comment
points outside the diff, and does not say which one (shared/github-facts.md 4.3). So
`plan_review` anchors only on lines the pull request adds or changes (`ChangedFile.changed_lines`,
always inside a hunk on the RIGHT side) and leaves out, with a reason, every finding it cannot
anchor for certain. If GitHub still disagrees, `ReviewPublisher.post` posts nothing inline and
says so; the findings are not lost, because the summary comment and the check run list all of them.

Pure planning and I/O are split so the anchoring rules can be tested without a server.

Everything taken from the repository is escaped like the summary comment does it (no mentions,
issue references, links, HTML or markdown), and bodies stay under GitHub's 65,536-character limit.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from bot.github.client import InstallationClient
from bot.github.errors import GitHubError
from bot.model import ChangedFile, Finding, Kind
from bot.report.comment import COMMENT_BUDGET, KIND_HEADINGS, inert_markdown, short_id
from bot.report.comment import utf16_size as _size
from bot.report.jsonout import finding_sort_key

__all__ = [
    "FINDING_MARKER",
    "MAX_REVIEW_COMMENTS",
    "REVIEW_BODY_BUDGET",
    "SKIP_ALREADY",
    "SKIP_NO_CHANGED_LINE",
    "SKIP_NO_PATCH",
    "SKIP_NOT_IN_DIFF",
    "SKIP_OVER_CAP",
    "ReviewPlan",
    "ReviewPublisher",
    "comment_body",
    "commented_fingerprints",
    "plan_review",
]

log = logging.getLogger(__name__)

MAX_REVIEW_COMMENTS = 50
"""Default cap on inline comments in one review: each one notifies people, and a PR with hundreds
of findings reads better in the summary comment than as hundreds of threads."""

REVIEW_BODY_BUDGET = COMMENT_BUDGET
"""What a comment or review body may take, in UTF-16 code units: the summary comment's margin under
GitHub's 65,536-character limit, for how GitHub counts characters."""

MAX_TITLE_CHARS = 200
MAX_MESSAGE_CHARS = 4_000
MAX_FIX_CHARS = 2_000
"""Repository text is cut to these before escaping; even at the worst escaping growth (6x) a body
stays far below REVIEW_BODY_BUDGET."""

SKIP_NOT_IN_DIFF = "the file is not part of the pull request's diff"
SKIP_NO_PATCH = "GitHub sent no patch for the file (binary or too large), so no line can be anchored"
SKIP_NO_CHANGED_LINE = "none of the finding's lines are added or changed by the pull request"
SKIP_ALREADY = "already commented"
"""In an earlier review (the caller's `already`) or earlier in this plan (same fingerprint twice)."""
SKIP_OVER_CAP = "over the cap of inline comments per review"

FINDING_MARKER = "<!-- prwarden:finding {fingerprint} -->"
"""Hidden last line of each inline comment, so a later scan can tell which findings already have
one (`commented_fingerprints`). Escaped repository text can never contain `<!--`."""
_MARKER_RE = re.compile(r"<!-- prwarden:finding ([0-9a-f]{16}) -->")

_TRUNCATED = "\n\n… (truncated)"


def _fit(text: str, budget: int = REVIEW_BODY_BUDGET) -> str:
    """`text` cut to `budget` UTF-16 units with a visible marker; a last guard, not the plan."""
    if _size(text) <= budget:
        return text
    room = budget - _size(_TRUNCATED)
    cut = text[:room]
    while _size(cut) > room:
        cut = cut[: len(cut) - max(1, (_size(cut) - room) // 2)]
    return cut + _TRUNCATED


# --- planning (pure) -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewPlan:
    """What one review would post.

    `comments` are GitHub `comments[]` entries of `POST .../reviews`; `fingerprints[i]` is the
    finding of `comments[i]` (add them to `already` once posted). Every finding passed to
    `plan_review` is in exactly one of the two: commented, or in `skipped` with one of the
    `SKIP_*` reasons, so the caller can say what is not inline.
    """

    comments: tuple[dict[str, Any], ...]
    fingerprints: tuple[str, ...]
    skipped: tuple[tuple[Finding, str], ...]


def comment_body(finding: Finding) -> str:
    """The inline comment for one finding: severity, kind and short id; title and message; the
    fix hint (`properties["fix"]`) when the rule has one; a hidden fingerprint marker."""
    fingerprint = finding.fingerprint
    head = f"**PR Warden** · {finding.severity.value} · {KIND_HEADINGS[finding.kind]} · ID `{short_id(fingerprint)}`"
    # A drift message already names its package, which is its title (as in the summary comment).
    if finding.kind is Kind.DRIFT or not finding.title.strip():
        text = inert_markdown(finding.message, MAX_MESSAGE_CHARS)
    else:
        text = f"**{inert_markdown(finding.title, MAX_TITLE_CHARS)}**: {inert_markdown(finding.message, MAX_MESSAGE_CHARS)}"
    parts = [head, text]
    fix = finding.properties.get("fix")
    if isinstance(fix, str) and fix.strip():
        parts.append(f"**Fix**: {inert_markdown(fix, MAX_FIX_CHARS)}")
    marker = FINDING_MARKER.format(fingerprint=fingerprint)
    return _fit("\n\n".join(parts), REVIEW_BODY_BUDGET - _size(marker) - 2) + "\n\n" + marker


def commented_fingerprints(bodies: Iterable[str]) -> set[str]:
    """Fingerprints named by our hidden markers in review comment bodies: the `already` of the
    next plan. Callers pass only bodies written by a bot, as a marker by anyone else means nothing."""
    found: set[str] = set()
    for body in bodies:
        found.update(_MARKER_RE.findall(str(body)))
    return found


def _importance(finding: Finding) -> tuple[Any, ...]:
    """Worst severity first, so a cap drops the least important comments."""
    return (-finding.severity.rank, *finding_sort_key(finding))


def _anchor(finding: Finding, lines: frozenset[int]) -> dict[str, Any] | None:
    """`line` (and `start_line`) on the RIGHT side, or None when no line of the span is changed.

    A changed line is a `+` line of the patch, so always inside a hunk. A range is used only when
    both ends are changed lines of one unbroken run (so one hunk, start before end, which GitHub
    requires); otherwise the first changed line of the span carries a single-line comment.
    """
    first = max(1, finding.start_line)
    last = max(finding.end_line, first)
    # Walk whichever is shorter: a finding may span a whole file, a file may change thousands of lines.
    if last - first < len(lines):
        inside = [line for line in range(first, last + 1) if line in lines]
    else:
        inside = [line for line in lines if first <= line <= last]
    if not inside:
        return None
    if last > first and len(inside) == last - first + 1:
        return {"start_line": first, "start_side": "RIGHT", "line": last, "side": "RIGHT"}
    return {"line": min(inside), "side": "RIGHT"}


def plan_review(
    findings: Sequence[Finding],
    changed: Mapping[str, ChangedFile],
    already: AbstractSet[str],
    *,
    max_comments: int = MAX_REVIEW_COMMENTS,
) -> ReviewPlan:
    """One comment per finding not yet commented (by fingerprint), worst first, at most
    `max_comments`, each anchored on a line that is certainly in the diff; the rest skipped with
    the reason, never silently dropped."""
    comments: list[dict[str, Any]] = []
    fingerprints: list[str] = []
    skipped: list[tuple[Finding, str]] = []
    seen = set(already)
    cap = max(0, max_comments)
    for finding in sorted(findings, key=_importance):
        fingerprint = finding.fingerprint
        if fingerprint in seen:
            skipped.append((finding, SKIP_ALREADY))
            continue
        file = changed.get(finding.path)
        if file is None:
            skipped.append((finding, SKIP_NOT_IN_DIFF))
            continue
        if file.patch_missing:
            skipped.append((finding, SKIP_NO_PATCH))
            continue
        anchor = _anchor(finding, file.changed_lines)
        if anchor is None:
            skipped.append((finding, SKIP_NO_CHANGED_LINE))
            continue
        if len(comments) >= cap:
            skipped.append((finding, SKIP_OVER_CAP))
            continue
        seen.add(fingerprint)
        comments.append({"path": finding.path, **anchor, "body": comment_body(finding)})
        fingerprints.append(fingerprint)
    return ReviewPlan(tuple(comments), tuple(fingerprints), tuple(skipped))


# --- publishing ------------------------------------------------------------------------------

MAX_REVIEW_COMMENTS_LISTED = 3000
"""Review comments read while looking for ours (30 pages), as the summary comment does."""


class ReviewPublisher:
    """Posts a plan as one `COMMENT` review (never approve or request changes: the check run is
    the gate). All or nothing, as GitHub is: a 422 posts nothing and is never retried."""

    def __init__(self, client: InstallationClient, repo: str) -> None:
        self.client = client
        self.repo = repo

    async def commented(self, number: int) -> set[str]:
        """Fingerprints that already have an inline comment by a bot on this PR, from the hidden
        markers: lets a later scan pass them as `already` without keeping state of its own."""
        comments = await self.client.paginate(
            f"/repos/{self.repo}/pulls/{number}/comments", limit=MAX_REVIEW_COMMENTS_LISTED
        )
        return commented_fingerprints(
            str(c.get("body") or "") for c in comments if (c.get("user") or {}).get("type") == "Bot"
        )

    async def post(self, number: int, head_sha: str, plan: ReviewPlan, *, summary: str) -> bool:
        """True when the review with every planned comment was created.

        False, without raising, when there is nothing to post or GitHub answered 422 (an anchor it
        disagrees with, the head moved on): the caller then says so, and the summary comment still
        lists every finding. Other errors (rate limits, outages) are raised for the job to handle.
        """
        if not plan.comments:
            log.info("review on %s#%d: no inline comment to post (%d findings skipped)", self.repo, number, len(plan.skipped))
            return False
        count = len(plan.comments)
        body = summary if summary.strip() else f"PR Warden: {count} finding{'s' if count != 1 else ''} on changed lines."
        payload = {
            "commit_id": head_sha,
            "event": "COMMENT",
            "body": _fit(body),
            "comments": [dict(c) for c in plan.comments],
        }
        try:
            await self.client.request("POST", f"/repos/{self.repo}/pulls/{number}/reviews", json=payload)
        except GitHubError as exc:
            if exc.status != 422:
                raise
            # GitHub does not say which comment it refused; retrying the same review cannot help.
            log.warning(
                "review on %s#%d with %d inline comments refused, nothing posted inline: %s",
                self.repo,
                number,
                len(plan.comments),
                exc,
            )
            return False
        return True

