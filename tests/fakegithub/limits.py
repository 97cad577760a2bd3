"""GitHub's documented limits, in one place, each with its source.

Sources are GitHub's REST API docs (docs.github.com/rest) and the captured behaviour collected in
shared/github-facts.md (section numbers given as "facts §x").
"""

from __future__ import annotations

# --- App authentication (REST docs "Generating a JWT for a GitHub App"; facts §2.1) ---
#: ``exp`` may be at most 10 minutes after GitHub's "now".
JWT_MAX_EXP_AHEAD_SECONDS = 600
#: Clock drift GitHub tolerates on ``iat`` (docs recommend iat = now - 60 s).
JWT_DEFAULT_IAT_SKEW_SECONDS = 60
#: ``exp - iat`` beyond this is rejected: 10 min lifetime plus the 60 s back-dating allowance.
JWT_MAX_LIFETIME_SECONDS = 600 + 60

# --- Installation tokens (REST docs "Create an installation access token"; facts §2.2) ---
INSTALLATION_TOKEN_TTL_SECONDS = 3600
#: ``repositories``/``repository_ids`` may list at most 500 entries.
TOKEN_MAX_REPOSITORIES = 500
#: GitHub's format for ``expires_at`` (githubkit parses exactly this).
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

# --- Checks (REST docs "Create a check run" / "Update a check run"; facts §3.3) ---
CHECK_OUTPUT_MAX_BYTES = 65535  # summary and text, measured in UTF-8 bytes
CHECK_MAX_ANNOTATIONS_PER_REQUEST = 50
CHECK_ANNOTATION_TITLE_MAX_CHARS = 255
CHECK_ANNOTATION_MESSAGE_MAX_BYTES = 64 * 1024  # "The maximum size is 64 KB."
CHECK_ANNOTATION_RAW_DETAILS_MAX_BYTES = 64 * 1024
CHECK_ANNOTATION_LEVELS = ("notice", "warning", "failure")
CHECK_MAX_ACTIONS = 3
CHECK_ACTION_LABEL_MAX = 20
CHECK_ACTION_DESCRIPTION_MAX = 40
CHECK_ACTION_IDENTIFIER_MAX = 20
CHECK_STATUSES = ("queued", "in_progress", "completed")
CHECK_CONCLUSIONS = ("action_required", "cancelled", "failure", "neutral", "success", "skipped", "timed_out")
#: Only GitHub may set this conclusion (runs incomplete for 14 days).
CHECK_CONCLUSION_ONLY_GITHUB = "stale"
#: A suite's conclusion is its runs' highest-priority conclusion (REST guide "Using the checks API":
#: timed_out beats success and neutral); the full order below is the fake's assumption.
CHECK_CONCLUSION_PRIORITY = (
    "action_required",
    "cancelled",
    "timed_out",
    "failure",
    "neutral",
    "success",
    "skipped",
    "stale",
)

# --- Issue comments and reactions (REST docs "Issue comments", "Reactions"; facts §4.4) ---
#: Longer bodies are rejected: 422 "Body is too long (maximum is 65536 characters)".
ISSUE_COMMENT_BODY_MAX_CHARS = 65536
REACTION_CONTENTS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")

# --- Repository roles (REST docs "Get repository permissions for a user"), strongest first ---
COLLABORATOR_ROLES = ("admin", "maintain", "write", "triage", "read")
#: ``permission`` holds the legacy base role: "maintain is mapped to write, triage to read".
LEGACY_PERMISSION = {"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read"}

# --- Pull request reviews (REST docs "Create a review for a pull request"; facts §4.3) ---
REVIEW_EVENT_STATES = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}
#: Events whose review needs a ``body`` (unless it carries inline comments).
REVIEW_EVENTS_NEEDING_BODY = ("REQUEST_CHANGES", "COMMENT")

# --- Pagination (REST docs "Using pagination in the REST API"; facts §4.1) ---
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100

# --- Pull request files (REST docs "List pull requests files"; facts §4.1) ---
PR_FILES_MAX = 3000
#: Undocumented threshold beyond which GitHub omits ``patch`` (facts §4.1: UNCERTAIN).
PR_FILE_PATCH_MAX_CHANGED_LINES = 3000

#: The diff media type on ``GET /pulls/{n}`` answers 406 ``too_large`` beyond these (facts §4.1).
PR_DIFF_MAX_FILES = 300
PR_DIFF_MAX_LINES = 20000

# --- Compare two commits (REST docs "Compare two commits") ---
#: Without ``page``/``per_page`` the list holds at most 250 commits, ending with the newest.
COMPARE_MAX_COMMITS = 250
#: ``files`` lists at most 300 changed files for the whole comparison (first page only).
COMPARE_MAX_FILES = 300

# --- Contents / blobs (REST docs "Get repository content", "Get a blob"; facts §4.2) ---
CONTENTS_FULL_FEATURE_MAX_BYTES = 1024 * 1024  # <= 1 MB: base64 content in JSON
CONTENTS_MAX_BYTES = 100 * 1024 * 1024  # 1-100 MB: raw/object only; > 100 MB unsupported
CONTENTS_DIR_MAX_ENTRIES = 1000
BASE64_LINE_LENGTH = 60  # GitHub wraps base64 ``content`` with "\n" every 60 characters

# --- Rate limits (REST docs "Rate limits for the REST API"; facts §5.1) ---
RATE_LIMIT_INSTALLATION = 5000
RATE_LIMIT_UNAUTHENTICATED = 60
RATE_LIMIT_WINDOW_SECONDS = 3600

# --- API versions githubkit 0.16 may send in X-GitHub-Api-Version (facts §6.1) ---
SUPPORTED_API_VERSIONS = frozenset({"2022-11-28", "2026-03-10"})

DOCS = "https://docs.github.com/rest"
