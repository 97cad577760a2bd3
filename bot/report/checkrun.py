"""The `PR Warden` check run: conclusion, byte-safe summary, and annotations in batches of 50.

Limits are GitHub's (REST docs, "Create a check run"): at most 50 annotations a request (more go in
further updates, which append), output.summary and output.text at most 65535 bytes, annotation
title 255 characters, message and raw_details 64 KB.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from bot.github.client import InstallationClient
from bot.model import Finding, Kind, ScanResult, Severity, short_id
from bot.report.jsonout import PREEXISTING_LABEL, suppressed_reasons

CHECK_NAME = "PR Warden"
"""The run a required status check names; only full scans use it."""

MAX_ANNOTATIONS_PER_REQUEST = 50
MAX_OUTPUT_BYTES = 65535
MAX_ANNOTATION_TITLE_CHARS = 255
MAX_ANNOTATION_TEXT_BYTES = 64 * 1024
TRUNCATION_MARKER = "\n\n… (truncated: the full list is in the annotations and in `prwarden scan --format sarif`)"

LEVEL_BY_SEVERITY = {
    Severity.CRITICAL: "failure",
    Severity.HIGH: "failure",
    Severity.MEDIUM: "warning",
    Severity.LOW: "notice",
    Severity.INFO: "notice",
}

KIND_HEADINGS = {Kind.DRIFT: "DRIFT", Kind.OWASP: "OWASP", Kind.SCANNER: "SCANNER"}


def check_name(only: frozenset[Kind] = frozenset()) -> str:
    """A `/prwarden rescan drift` run is "PR Warden (DRIFT only)": under the gate's name, a run
    that skipped OWASP could turn a failing gate green."""
    if not only:
        return CHECK_NAME
    return f"{CHECK_NAME} ({' and '.join(KIND_HEADINGS[k] for k in Kind if k in only)} only)"


def truncate_utf8(text: str, limit: int, marker: str = TRUNCATION_MARKER) -> str:
    """Cut `text` to at most `limit` UTF-8 bytes, never inside a character, marking the cut."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    room = limit - len(marker.encode("utf-8"))
    return data[: max(room, 0)].decode("utf-8", errors="ignore") + marker


def annotation(finding: Finding) -> dict[str, Any]:
    body: dict[str, Any] = {
        "path": finding.path,
        "start_line": finding.start_line,
        "end_line": max(finding.end_line, finding.start_line),
        "annotation_level": LEVEL_BY_SEVERITY[finding.severity],
        "title": finding.title[:MAX_ANNOTATION_TITLE_CHARS],
        "message": truncate_utf8(finding.message, MAX_ANNOTATION_TEXT_BYTES, "…"),
        "raw_details": truncate_utf8(finding.to_json_text(), MAX_ANNOTATION_TEXT_BYTES, "…"),
    }
    return body


def batches(items: Sequence[dict[str, Any]], size: int = MAX_ANNOTATIONS_PER_REQUEST) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _escape_md(text: str) -> str:
    """Repository text in markdown: no HTML, no mentions, no table breaks."""
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("`", "\\`").replace("*", "\\*").replace("_", "\\_").replace("[", "\\[").replace("]", "\\]")
    return text.replace("@", "@\u200b").replace("\n", " ")


def _code(text: str) -> str:
    """A path as an inline code span inside a table cell."""
    return "`" + text.replace("`", "'").replace("|", "\\|").replace("\n", " ") + "`"


@dataclass(frozen=True)
class CheckOutput:
    conclusion: str
    title: str
    summary: str
    annotations: tuple[dict[str, Any], ...]


RESCAN_ACTION = {"label": "Rescan", "description": "Scan this pull request again", "identifier": "rescan"}
"""The button on our completed run (GitHub: label <= 20, description <= 40, identifier <= 20)."""
CONFIG_PATH = ".github/prwarden.yml"


def render(
    result: ScanResult,
    *,
    fail_on: Severity | None,
    config_problems: Sequence[tuple[int, str]] = (),
    config_warnings: Sequence[tuple[int, str]] = (),
    accepted: Sequence[tuple[Finding, str, str]] = (),
    only: frozenset[Kind] = frozenset(),
) -> CheckOutput:
    """What the completed check run says. Reporters decide no findings, only their wording.

    `fail_on` None: the repository asked never to fail. `config_problems` (line, message) of an
    invalid `.github/prwarden.yml`: annotated on that file, and the run is `neutral` (unless a
    finding fails it under the defaults the scan fell back to, so a broken config never opens
    the gate). `config_warnings`: annotated too, without changing the conclusion. `accepted`:
    findings triaged with `/prwarden ignore` (finding, who, why), listed, not annotated.
    `only`: the kinds a `/prwarden rescan <kind>` run looked at (empty: all)."""
    failed = fail_on is not None and result.fails(fail_on)
    counts = {kind: sum(1 for f in result.findings if f.kind is kind) for kind in Kind}
    total = len(result.findings)
    if total == 0:
        title = "No findings on changed lines"
    else:
        title = f"{total} finding{'s' if total != 1 else ''} on changed lines"
        worst = result.worst()
        if worst is not None:
            title += f" (worst: {worst.value})"
    if result.partial:
        title += " — partial scan"
    gate = f"findings at or above **{fail_on.value}** fail this check" if fail_on is not None else "this repository's config sets `fail_on: never`"
    lines = [
        f"**{'Failing' if failed else 'Passing'}**: {gate}.",
        "",
        f"Files scanned: {result.files_scanned}. Findings: "
        + ", ".join(f"{KIND_HEADINGS[k]} {counts[k]}" for k in Kind)
        + ".",
    ]
    if result.suppressed:
        reasons = suppressed_reasons(result.suppressed)
        detail = f" ({_escape_md('; '.join(reasons))})" if reasons else ""
        lines += ["", f"{len(result.suppressed)} suppressed{detail}"]
    if result.preexisting:
        lines += ["", f"{len(result.preexisting)} {PREEXISTING_LABEL}"]
    for kind in Kind:
        lines += ["", f"### {KIND_HEADINGS[kind]}"]
        mine = [f for f in result.findings if f.kind is kind]
        if kind is Kind.SCANNER:
            for status in result.scanners:
                detail = f": {_escape_md(status.detail)}" if status.detail else ""
                lines.append(f"- {_escape_md(status.name)}: {status.state.value}{detail}")
        if not mine and not (kind is Kind.SCANNER and result.scanners):
            lines.append("Nothing on changed lines.")
            continue
        if mine:
            lines += ["", "| Severity | Location | Finding | Id |", "|---|---|---|---|"]
            for f in mine:
                # A drift message already names its package, which is its title.
                text = f.message if kind is Kind.DRIFT else f"{f.title}: {f.message}"
                lines.append(f"| {f.severity.value} | {_code(f'{f.path}:{f.start_line}')} | {_escape_md(text)} | `{short_id(f.fingerprint)}` |")
    if accepted:
        lines += ["", "### Accepted", ""]
        for f, who, why in accepted:
            by = _escape_md(str(who).lstrip("@")) or "someone"
            reason = f": {_escape_md(why)}" if str(why).strip() else ""
            lines.append(f"- `{short_id(f.fingerprint)}` {_code(f'{f.path}:{f.start_line}')} {_escape_md(f.title)}, accepted by {by}{reason}")
    if result.notices:
        lines += ["", "### Notices"]
        for notice in result.notices:
            location = f"{notice.path}:{notice.line}" if notice.path and notice.line else notice.path
            where = f"{_code(location)}: " if location else ""
            lines.append(f"- {where}{_escape_md(notice.message)}")
    annotations = [annotation(f) for f in result.findings]
    conclusion = "failure" if failed else "success"
    if config_warnings:
        lines[:0] = [f"`{CONFIG_PATH}` has {len(config_warnings)} warning{'s' if len(config_warnings) != 1 else ''}: see the annotations on that file.", ""]
        annotations[:0] = [_config_annotation(line, message, warning=True) for line, message in config_warnings]
    if config_problems:
        lines[:0] = [f"**`{CONFIG_PATH}` is invalid**: this scan used the defaults. See the annotations on that file.", ""]
        annotations[:0] = [_config_annotation(line, message) for line, message in config_problems]
        if not failed:
            conclusion = "neutral"
    if only:
        kinds = " and ".join(KIND_HEADINGS[k] for k in Kind if k in only)
        lines[:0] = [
            f"This run looked at {kinds} only (`/prwarden rescan`). The merge gate is the **{CHECK_NAME}** run, which covers every kind.",
            "",
        ]
    summary = truncate_utf8("\n".join(lines), MAX_OUTPUT_BYTES)
    return CheckOutput(conclusion=conclusion, title=title, summary=summary, annotations=tuple(annotations))


def _config_annotation(line: int, message: str, *, warning: bool = False) -> dict[str, Any]:
    return {
        "path": CONFIG_PATH,
        "start_line": max(1, line),
        "end_line": max(1, line),
        "annotation_level": "warning" if warning else "failure",
        "title": "PR Warden config warning" if warning else "Invalid PR Warden config",
        "message": truncate_utf8(message, MAX_ANNOTATION_TEXT_BYTES, "…"),
    }


def superseded_output(newer_sha: str) -> CheckOutput:
    """A scan of an older head: a newer push made it moot."""
    return CheckOutput(
        conclusion="cancelled",
        title=f"Superseded by {newer_sha[:12]}",
        summary=f"Superseded by {newer_sha}: a newer commit was pushed to this pull request, and that one is scanned instead.",
        annotations=(),
    )


def failure_output(reason: str) -> CheckOutput:
    """A job that failed for good still completes its run, and says why."""
    summary = truncate_utf8(
        "PR Warden could not finish this scan, so this check does not vouch for the change.\n\n"
        f"Reason: {_escape_md(reason)}\n\nPush again or use **Re-run** to retry.",
        MAX_OUTPUT_BYTES,
    )
    return CheckOutput("failure", "Scan failed", summary, ())


class CheckRunPublisher:
    """Creates the run when a job starts and completes it, spreading annotations over updates."""

    def __init__(self, client: InstallationClient, repo: str, name: str = CHECK_NAME) -> None:
        self.client = client
        self.repo = repo
        self.name = name

    async def find(self, head_sha: str, external_id: str) -> tuple[int, int] | None:
        """Our run for this job from an earlier attempt (id, annotations already sent), so a
        retried job resumes it instead of leaving it in progress or repeating annotations."""
        data = await self.client.json(
            "GET", f"/repos/{self.repo}/commits/{head_sha}/check-runs", params={"check_name": self.name, "per_page": 100}
        )
        for run in data.get("check_runs", []):
            if run.get("external_id") == external_id:
                return int(run["id"]), int((run.get("output") or {}).get("annotations_count") or 0)
        return None

    async def start(self, head_sha: str, external_id: str, *, resume: bool = False) -> tuple[int, int]:
        """The run's id and how many annotations it already carries (`resume`: a retried job)."""
        existing = await self.find(head_sha, external_id) if resume else None
        if existing is not None:
            return existing
        run = await self.client.json(
            "POST",
            f"/repos/{self.repo}/check-runs",
            json={
                "name": self.name,
                "head_sha": head_sha,
                "external_id": external_id,
                "status": "in_progress",
                "output": {"title": "Scanning the changed lines", "summary": "PR Warden is scanning this pull request."},
            },
        )
        return int(run["id"]), 0

    async def complete(self, run_id: int, output: CheckOutput, *, already_sent: int = 0) -> None:
        """Send annotations 50 at a time (updates append); the last request completes the run.

        Findings come in a stable order, so a resumed run skips the ones an earlier attempt sent.
        """
        path = f"/repos/{self.repo}/check-runs/{run_id}"
        chunks = list(batches(output.annotations[already_sent:])) or [[]]
        for index, chunk in enumerate(chunks):
            body: dict[str, Any] = {"output": {"title": output.title, "summary": output.summary, "annotations": chunk}}
            if index == len(chunks) - 1:
                body["status"] = "completed"
                body["conclusion"] = output.conclusion
                if output.conclusion != "cancelled":
                    body["actions"] = [RESCAN_ACTION]
            await self.client.request("PATCH", path, json=body)
