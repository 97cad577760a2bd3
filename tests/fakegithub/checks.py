"""Check runs: GitHub's validation rules, append-only annotations and the JSON shape.

Why: the Checks API is where PR Warden reports; its limits (50 annotations per request,
65 535 *bytes* of summary, conclusion rules, ``stale``) are enforced server-side only, so the
fake must enforce them exactly (facts §3).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from . import limits
from .errors import invalid_request, validation_failed

_ANNOTATION_KEYS = (
    "path",
    "start_line",
    "end_line",
    "start_column",
    "end_column",
    "annotation_level",
    "title",
    "message",
    "raw_details",
)


@dataclass
class CheckRunState:
    """Everything the fake knows about one check run (tests inspect this directly)."""

    id: int
    repo: str  # full name
    repo_id: int
    head_sha: str
    name: str
    app_id: int
    app_slug: str
    check_suite_id: int
    status: str = "queued"
    conclusion: str | None = None
    external_id: str = ""
    details_url: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    title: str | None = None
    summary: str | None = None
    text: str | None = None
    annotations: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    #: Every accepted request body (create first, then each PATCH) for assertions.
    bodies: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class CheckSuiteState:
    """A check suite: one app's runs on one commit (GitHub creates it with the first run)."""

    id: int
    repo: str  # full name
    repo_id: int
    head_sha: str
    app_id: int
    app_slug: str
    created_at: str = ""
    updated_at: str = ""
    #: Set by a rerequest of the suite or of one of its runs: the suite is ``queued`` with no
    #: conclusion until the app creates or updates a run of it.
    rerequested: bool = False
    #: How often the suite or one of its runs was rerequested (for assertions).
    rerequests: int = 0


def suite_status(suite: CheckSuiteState, runs: list[CheckRunState]) -> tuple[str, str | None]:
    """(status, conclusion) of a suite, summarised from its runs like GitHub does."""
    if suite.rerequested or not runs:
        return "queued", None
    if any(run.status != "completed" for run in runs):
        return ("queued" if all(run.status == "queued" for run in runs) else "in_progress"), None
    conclusions = [run.conclusion for run in runs if run.conclusion is not None]
    ranked = sorted(conclusions, key=lambda c: limits.CHECK_CONCLUSION_PRIORITY.index(c))
    return "completed", (ranked[0] if ranked else None)


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def validate_check_run_body(body: dict[str, Any], *, creating: bool) -> None:
    """Apply GitHub's semantic rules for ``POST``/``PATCH`` check-run bodies (after the schema)."""
    status = body.get("status")
    conclusion = body.get("conclusion")
    if status is not None and status not in limits.CHECK_STATUSES:
        raise invalid_request(f"For 'status', {status!r} is not one of {list(limits.CHECK_STATUSES)}.")
    if conclusion == limits.CHECK_CONCLUSION_ONLY_GITHUB:
        raise validation_failed(
            "CheckRun", "conclusion", "Conclusion can't be set to stale. Only GitHub can set it.", "invalid"
        )
    if conclusion is not None and conclusion not in limits.CHECK_CONCLUSIONS:
        raise invalid_request(f"For 'conclusion', {conclusion!r} is not one of {list(limits.CHECK_CONCLUSIONS)}.")
    if conclusion is None and (status == "completed" or body.get("completed_at") is not None):
        raise invalid_request('"conclusion" wasn\'t supplied.')
    if creating and (not body.get("name") or not body.get("head_sha")):
        raise invalid_request('"name" and "head_sha" are required.')
    output = body.get("output")
    if output is not None:
        _validate_output(output)
    actions = body.get("actions")
    if actions is not None:
        _validate_actions(actions)


def _validate_output(output: dict[str, Any]) -> None:
    if not output.get("title"):
        raise invalid_request('"title" wasn\'t supplied.')
    for name in ("summary", "text"):
        value = output.get(name)
        if isinstance(value, str) and _utf8_len(value) > limits.CHECK_OUTPUT_MAX_BYTES:
            raise validation_failed(
                "CheckRun", name, f"{name} exceeds a maximum bytesize of {limits.CHECK_OUTPUT_MAX_BYTES}"
            )
    annotations = output.get("annotations") or []
    if len(annotations) > limits.CHECK_MAX_ANNOTATIONS_PER_REQUEST:
        raise invalid_request(
            f"For 'properties/annotations', {len(annotations)} items exceed the maximum of "
            f"{limits.CHECK_MAX_ANNOTATIONS_PER_REQUEST} annotations per request."
        )
    for index, annotation in enumerate(annotations):
        _validate_annotation(index, annotation)


def _validate_annotation(index: int, annotation: dict[str, Any]) -> None:
    where = f"output.annotations[{index}]"
    for key in ("path", "start_line", "end_line", "annotation_level", "message"):
        if annotation.get(key) in (None, ""):
            raise invalid_request(f'"{key}" wasn\'t supplied. ({where})')
    start, end = annotation["start_line"], annotation["end_line"]
    if not isinstance(start, int) or not isinstance(end, int) or start < 1 or end < start:
        raise validation_failed("CheckRun", "annotations", f"{where}: start_line must be >= 1 and <= end_line")
    if annotation["annotation_level"] not in limits.CHECK_ANNOTATION_LEVELS:
        raise invalid_request(
            f"For '{where}.annotation_level', {annotation['annotation_level']!r} is not one of "
            f"{list(limits.CHECK_ANNOTATION_LEVELS)}."
        )
    has_columns = annotation.get("start_column") is not None or annotation.get("end_column") is not None
    if has_columns and start != end:
        raise validation_failed(
            "CheckRun",
            "annotations",
            f"{where}: start_column and end_column may only be used when start_line == end_line",
        )
    title = annotation.get("title")
    if isinstance(title, str) and len(title) > limits.CHECK_ANNOTATION_TITLE_MAX_CHARS:
        raise validation_failed(
            "CheckRun",
            "annotations",
            f"{where}: title is too long (maximum is {limits.CHECK_ANNOTATION_TITLE_MAX_CHARS} characters)",
        )
    for key, cap in (
        ("message", limits.CHECK_ANNOTATION_MESSAGE_MAX_BYTES),
        ("raw_details", limits.CHECK_ANNOTATION_RAW_DETAILS_MAX_BYTES),
    ):
        value = annotation.get(key)
        if isinstance(value, str) and _utf8_len(value) > cap:
            raise validation_failed("CheckRun", "annotations", f"{where}: {key} exceeds a maximum bytesize of {cap}")


def _validate_actions(actions: list[dict[str, Any]]) -> None:
    if len(actions) > limits.CHECK_MAX_ACTIONS:
        raise invalid_request(f"For 'properties/actions', at most {limits.CHECK_MAX_ACTIONS} actions are allowed.")
    for index, action in enumerate(actions):
        for key, cap in (
            ("label", limits.CHECK_ACTION_LABEL_MAX),
            ("description", limits.CHECK_ACTION_DESCRIPTION_MAX),
            ("identifier", limits.CHECK_ACTION_IDENTIFIER_MAX),
        ):
            value = action.get(key)
            if not isinstance(value, str) or not value:
                raise invalid_request(f'"{key}" wasn\'t supplied. (actions[{index}])')
            if len(value) > cap:
                raise validation_failed(
                    "CheckRun", "actions", f"actions[{index}].{key} is too long (maximum is {cap} characters)"
                )


def apply_body(run: CheckRunState, body: dict[str, Any], now_iso: str) -> None:
    """Merge a validated body into the run: output replaced, annotations APPENDED."""
    for key in ("name", "external_id", "details_url", "started_at", "completed_at"):
        if key in body and body[key] is not None:
            setattr(run, key, body[key])
    if "status" in body and body["status"] is not None:
        run.status = body["status"]
    if body.get("conclusion") is not None:
        # "Providing conclusion will automatically set the status parameter to completed."
        run.conclusion = body["conclusion"]
        run.status = "completed"
    if run.status == "in_progress" and run.started_at is None:
        run.started_at = now_iso
    if run.status == "completed" and run.completed_at is None:
        run.completed_at = now_iso
    output = body.get("output")
    if output is not None:
        run.title = output.get("title", run.title)
        run.summary = output.get("summary", run.summary)
        run.text = output.get("text", run.text)
        for annotation in output.get("annotations") or []:
            run.annotations.append({key: annotation.get(key) for key in _ANNOTATION_KEYS})
    if body.get("actions") is not None:
        run.actions = list(body["actions"])
    run.bodies.append(body)


def check_run_json(
    run: CheckRunState, base_url: str, pull_requests: list[dict[str, Any]], app: dict[str, Any]
) -> dict[str, Any]:
    """The check-run object as GitHub returns it."""
    api = f"{base_url}/repos/{run.repo}/check-runs/{run.id}"
    return {
        "id": run.id,
        "head_sha": run.head_sha,
        "node_id": f"CR_fake{run.id}",
        "external_id": run.external_id,
        "url": api,
        "html_url": f"{base_url}/{run.repo}/runs/{run.id}",
        "details_url": run.details_url or f"{base_url}/apps/{run.app_slug}",
        "status": run.status,
        "conclusion": run.conclusion,
        "started_at": run.started_at,
        "completed_at": run.completed_at,
        "output": {
            "title": run.title,
            "summary": run.summary,
            "text": run.text,
            "annotations_count": len(run.annotations),
            "annotations_url": f"{api}/annotations",
        },
        "name": run.name,
        "check_suite": {"id": run.check_suite_id},
        "app": app,
        "pull_requests": pull_requests,
    }


def annotation_json(annotation: dict[str, Any], base_url: str, run: CheckRunState) -> dict[str, Any]:
    """An annotation as ``GET .../annotations`` lists it."""
    out = {key: annotation.get(key) for key in _ANNOTATION_KEYS}
    out["blob_href"] = f"{base_url}/{run.repo}/blob/{run.head_sha}/{annotation.get('path')}"
    return out


class CheckStore:
    """Check runs and suites of all repos, with ids unique across the fake like GitHub's."""

    def __init__(self) -> None:
        self.runs: dict[int, CheckRunState] = {}
        self.suites: dict[int, CheckSuiteState] = {}
        self._suite_ids: dict[tuple[int, str, int], int] = {}
        self._next_run = 4000000001
        self._next_suite = 5000000001
        self.lock = threading.RLock()

    def new_run(
        self,
        *,
        repo: str,
        repo_id: int,
        head_sha: str,
        name: str,
        app_id: int,
        app_slug: str,
        now_iso: str = "",
    ) -> CheckRunState:
        with self.lock:
            suite_key = (repo_id, head_sha, app_id)
            if suite_key not in self._suite_ids:  # GitHub auto-creates the suite
                suite = CheckSuiteState(self._next_suite, repo, repo_id, head_sha, app_id, app_slug, now_iso, now_iso)
                self.suites[suite.id] = suite
                self._suite_ids[suite_key] = suite.id
                self._next_suite += 1
            suite = self.suites[self._suite_ids[suite_key]]
            run = CheckRunState(
                id=self._next_run,
                repo=repo,
                repo_id=repo_id,
                head_sha=head_sha,
                name=name,
                app_id=app_id,
                app_slug=app_slug,
                check_suite_id=suite.id,
            )
            self._next_run += 1
            self.runs[run.id] = run
            self.touch_suite(run, now_iso)
            return run

    def touch_suite(self, run: CheckRunState, now_iso: str) -> None:
        """A run of the suite was created or updated: a pending rerequest is answered."""
        with self.lock:
            suite = self.suites[run.check_suite_id]
            suite.rerequested = False
            suite.updated_at = now_iso or suite.updated_at

    def rerequest_suite(self, suite: CheckSuiteState, now_iso: str) -> None:
        """Reset the suite to ``queued`` and clear its conclusion; its runs are not touched."""
        with self.lock:
            suite.rerequested = True
            suite.rerequests += 1
            suite.updated_at = now_iso

    def suite_runs(self, suite_id: int) -> list[CheckRunState]:
        with self.lock:
            return [run for run in self.runs.values() if run.check_suite_id == suite_id]

    def status_of(self, suite: CheckSuiteState) -> tuple[str, str | None]:
        return suite_status(suite, self.suite_runs(suite.id))

    def for_commit(self, repo_id: int, head_sha: str) -> list[CheckRunState]:
        with self.lock:
            return [r for r in self.runs.values() if r.repo_id == repo_id and r.head_sha == head_sha]
