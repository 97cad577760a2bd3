"""The pull request's summary comment: one per PR, found again by a hidden marker, edited in place.

Pure: `render_comment` turns a `ScanResult` (and the state hidden in the comment's previous
version) into a body; publishing it is another module's job. The body starts with `MARKER` and
ends with a hidden, versioned state comment that lets the next scan say what is new and what was
fixed. Anyone with write access can edit the comment, so `parse_state` trusts nothing it reads.

Everything taken from the repository (paths, messages, code, package names) is escaped so it
cannot mention people, cross-reference issues, add links, HTML or markdown, break a table, or
produce `<!--` (and so cannot forge our marker or state).

Limit: GitHub rejects comment bodies over 65,536 characters (422 "Body is too long (maximum is
65536 characters)", shared/github-facts.md 4.4). Bodies are kept under `COMMENT_BUDGET`, counted
in UTF-16 code units (never fewer than characters), by leaving whole list items out and saying so.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from bot.model import Finding, Kind, Notice, NoticeKind, ScannerStatus, ScanResult, Severity, short_id
from bot.report.jsonout import (
    KIND_ORDER,
    MAX_REASON_CHARS,
    NO_REASON,
    PREEXISTING_LABEL,
    finding_sort_key,
    sort_notices,
    sort_scanners,
)

__all__ = [
    "COMMENT_BUDGET",
    "MARKER",
    "MAX_COMMENT_CHARS",
    "MAX_STATE_FINDINGS",
    "CommentState",
    "RenderedComment",
    "StateEntry",
    "blob_url",
    "is_summary_comment",
    "parse_state",
    "render_comment",
    "short_id",
]

MARKER = "<!-- prwarden:summary -->"
"""First line of every summary comment. Repository text can never contain `<!--` once escaped."""

MAX_COMMENT_CHARS = 65_536
"""GitHub's issue comment body limit (422 "Body is too long (maximum is 65536 characters)")."""
COMMENT_BUDGET = 60_000
"""What we allow ourselves: a margin under MAX_COMMENT_CHARS for how GitHub counts characters."""

MAX_STATE_FINDINGS = 1_000
"""Fingerprints remembered for the next scan; beyond this the new/fixed diff is approximate."""
MAX_STATE_CHARS = 24_000
"""Longest state payload written or read (1,000 entries without rule ids take about 15,000)."""
MAX_STATE_JSON_BYTES = 256 * 1024
"""Decompressed state read at most: a crafted payload cannot inflate into a memory bomb."""
MAX_STATE_TOTAL = 10**9
"""Largest finding count a state may claim; anything above is tampering."""

MAX_FINDINGS_SHOWN = 500
"""Hard cap on `max_findings`: no more rows than could ever fit the budget get rendered."""
MAX_FIXED_SHOWN = 20
MAX_ACCEPTED_SHOWN = 20
MAX_SCANNERS_SHOWN = 20
MAX_NOTICES_PER_KIND = 10
MAX_REASONS_SHOWN = 5

MAX_PATH_CHARS = 200
MAX_TEXT_CHARS = 300
MAX_SNIPPET_CHARS = 80
MAX_NAME_CHARS = 100
MAX_URL_CHARS = 2_000
"""A longer link (a very long path) is left out; the location is still shown as text."""

_STATE_OPEN = "<!-- prwarden:state v1 "
_STATE_CLOSE = " -->"
_STATE_PREFIX = "<!-- prwarden:state "

KIND_HEADINGS: dict[Kind, str] = {Kind.DRIFT: "DRIFT", Kind.OWASP: "OWASP", Kind.SCANNER: "SCANNER"}
_SEVERITIES_WORST_FIRST: tuple[Severity, ...] = tuple(sorted(Severity, key=lambda s: s.rank, reverse=True))
_NOTICE_LABELS: dict[NoticeKind, str] = {
    NoticeKind.NOT_SCANNED: "Not scanned",
    NoticeKind.PARTIAL: "Partly scanned",
    NoticeKind.UNPARSEABLE: "Could not be parsed",
    NoticeKind.SKIPPED: "Skipped",
    NoticeKind.SUPPRESSION: "`prwarden-ignore` comments that did not apply",
}

_KIND_CODE: dict[Kind, str] = {Kind.DRIFT: "d", Kind.OWASP: "o", Kind.SCANNER: "s"}
_SEVERITY_CODE: dict[Severity, str] = {
    Severity.CRITICAL: "c",
    Severity.HIGH: "h",
    Severity.MEDIUM: "m",
    Severity.LOW: "l",
    Severity.INFO: "i",
}
_KIND_BY_CODE = {code: kind for kind, code in _KIND_CODE.items()}
_SEVERITY_BY_CODE = {code: severity for severity, code in _SEVERITY_CODE.items()}
_ENTRY = re.compile(r"([0-9a-f]{16})([dos])([chmli])([0-9]{1,4})?")
"""One state entry: fingerprint, kind code, severity code, optional index into the rule table."""
_RULE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+-]{0,79}")
_SHA = re.compile(r"[0-9a-f]{7,64}")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_FINGERPRINT = re.compile(r"[0-9a-f]{16}")


# --- escaping --------------------------------------------------------------------------------

_ZWJ = "\u200d"
_UNSAFE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb\ud800-\udfff]"
)
"""Controls, invisible and bidirectional characters (Trojan Source) and lone surrogates: shown as
visible escapes, so nothing hides in a name and our own zero-width joiners stay recognisable."""
_MD_ESCAPES = str.maketrans(
    {
        "\\": "\\\\",
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "`": "\\`",
        "*": "\\*",
        "_": "\\_",
        "[": "\\[",
        "]": "\\]",
        "|": "\\|",
        "~": "\\~",
        "$": "\\$",
    }
)
"""HTML (and with it `<!--`), emphasis, links, images, tables, strikethrough, math."""
_AUTOLINKS = re.compile(r"@|#(?=[0-9])|(?<![A-Za-z0-9])GH(?=-[0-9])|:(?=//)|(?<![A-Za-z0-9])www(?=\.)", re.IGNORECASE)
"""What GitHub turns into mentions (`@user`, `@org/team`, `a@b.c`), issue references (`#12`,
`o/r#12`, `GH-12`) or links (`https://`, `www.`): a zero-width joiner after it breaks them.
Entities would not do: `&#64;` renders as a text `@`, which GitHub then mentions."""


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _clean(text: str, limit: int, *, keep_end: bool = False) -> str:
    """One line of at most `limit` characters (plus "…"), invisible characters made visible."""
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = "…" + text[len(text) - limit + 1 :] if keep_end else text[: limit - 1] + "…"
    return _UNSAFE.sub(_visible, text)


def _md(text: str, limit: int = MAX_TEXT_CHARS, *, keep_end: bool = False) -> str:
    """Repository text as inert markdown: cut first, then escaped, so no cut lands in an escape."""
    escaped = _clean(text, limit, keep_end=keep_end).translate(_MD_ESCAPES)
    return _AUTOLINKS.sub(lambda m: m.group() + _ZWJ, escaped)


def inert_markdown(text: object, limit: int) -> str:
    """Repository text as one line of inert markdown (no mentions, HTML, links, tables): what
    other reporters (review comments) use for the same guarantee."""
    return _md(str(text), limit)


def _code(text: str, limit: int = MAX_SNIPPET_CHARS, *, in_table: bool = False) -> str:
    """Repository text as an inline code span, fenced by more backticks than any run inside.

    Code spans render no HTML, mentions or references; only `<!--` (which must never appear in
    the raw body) and, in a table, `|` (which GFM splits cells on even in code) are altered.
    """
    text = _clean(text, limit).replace("<!--", "<" + _ZWJ + "!--")
    if in_table:
        text = text.replace("|", "\\|")
    if not text:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text[0] == "`" or text[-1] == "`" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _utf8(segment: str) -> bytes:
    """A path segment's bytes: undecodable bytes (surrogate-escaped) come back as they were."""
    try:
        return segment.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return segment.encode("utf-8", "replace")


def _repo_url(server_url: str, repo: str) -> str:
    return server_url.rstrip("/") + "/" + "/".join(quote(part, safe="") for part in repo.split("/"))


def blob_url(server_url: str, repo: str, head_sha: str, path: str, start_line: int, end_line: int) -> str:
    """The file at the head commit, anchored at its lines; every path segment percent-encoded, so
    no character of a file name can end the markdown link or add to it."""
    path_part = "/".join(quote(_utf8(segment), safe="") for segment in path.split("/"))
    url = f"{_repo_url(server_url, repo)}/blob/{quote(head_sha, safe='')}/{path_part}"
    if start_line >= 1:
        url += f"#L{start_line}" + (f"-L{end_line}" if end_line > start_line else "")
    return url


# --- hidden state ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StateEntry:
    """One reported finding, as much of it as the next scan needs to say it was fixed."""

    fingerprint: str
    kind: Kind
    severity: Severity
    rule_id: str = ""
    """Empty when the rule id was not a plain id, or rule ids did not fit the state."""

    @property
    def short_id(self) -> str:
        return short_id(self.fingerprint)


@dataclass(frozen=True)
class CommentState:
    """What a summary comment reported, hidden in it for the next scan to compare against."""

    head_sha: str
    """The commit the comment describes (lowercase hex), or "" when unknown."""
    total: int
    """Findings reported; more than len(entries) when the state was capped."""
    entries: tuple[StateEntry, ...] = ()
    """The most important findings first, at most MAX_STATE_FINDINGS."""

    @property
    def complete(self) -> bool:
        """False when some reported findings were not remembered: the next diff is approximate."""
        return len(self.entries) >= self.total

    def fingerprints(self) -> frozenset[str]:
        return frozenset(entry.fingerprint for entry in self.entries)


def _pack(document: dict[str, Any]) -> str:
    data = zlib.compress(json.dumps(document, separators=(",", ":")).encode("utf-8"), 9)
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _state_document(state: CommentState, *, with_rules: bool) -> dict[str, Any]:
    rules: dict[str, int] = {}
    codes: list[str] = []
    for entry in state.entries:
        code = entry.fingerprint + _KIND_CODE[entry.kind] + _SEVERITY_CODE[entry.severity]
        if with_rules and entry.rule_id:
            code += str(rules.setdefault(entry.rule_id, len(rules)))
        codes.append(code)
    return {"sha": state.head_sha, "n": state.total, "r": list(rules), "f": codes}


def _encode_state(state: CommentState) -> tuple[str, CommentState]:
    """The payload and the state it really holds: rule ids are dropped when they would not fit."""
    payload = _pack(_state_document(state, with_rules=True))
    if len(payload) <= MAX_STATE_CHARS:
        return payload, state
    bare = CommentState(
        state.head_sha,
        state.total,
        tuple(StateEntry(e.fingerprint, e.kind, e.severity) for e in state.entries),
    )
    return _pack(_state_document(bare, with_rules=False)), bare


def _decode_document(payload: str) -> Any:
    """The JSON a payload holds, or None; bounded before and after decompression."""
    if not payload or len(payload) > MAX_STATE_CHARS or not _BASE64URL.fullmatch(payload):
        return None
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        inflater = zlib.decompressobj()
        data = inflater.decompress(raw, MAX_STATE_JSON_BYTES)
        if inflater.unconsumed_tail or inflater.unused_data or not inflater.eof:
            return None
        return json.loads(data.decode("utf-8"))
    except (binascii.Error, zlib.error, ValueError, RecursionError):
        return None


def _state_from_document(document: Any) -> CommentState | None:
    """Validate every field: the comment is editable by anyone with write access."""
    if not isinstance(document, dict):
        return None
    sha, total, rules, codes = document.get("sha"), document.get("n"), document.get("r", []), document.get("f")
    if not isinstance(sha, str) or not (sha == "" or _SHA.fullmatch(sha)):
        return None
    if type(total) is not int or not 0 <= total <= MAX_STATE_TOTAL:
        return None
    if not isinstance(rules, list) or len(rules) > MAX_STATE_FINDINGS:
        return None
    if not all(isinstance(rule, str) and _RULE.fullmatch(rule) for rule in rules):
        return None
    if not isinstance(codes, list) or len(codes) > MAX_STATE_FINDINGS:
        return None
    entries: dict[str, StateEntry] = {}
    for code in codes:
        match = _ENTRY.fullmatch(code) if isinstance(code, str) else None
        if match is None:
            return None
        fingerprint, kind, severity, index = match.groups()
        if index is not None and int(index) >= len(rules):
            return None
        rule = rules[int(index)] if index is not None else ""
        entries.setdefault(fingerprint, StateEntry(fingerprint, _KIND_BY_CODE[kind], _SEVERITY_BY_CODE[severity], rule))
    return CommentState(sha, max(total, len(entries)), tuple(entries.values()))


def is_summary_comment(body: str) -> bool:
    """Our summary comment starts with MARKER; a reply quoting it starts with `>` instead.

    The caller must still check the comment's author is this app: anyone can type the marker.
    """
    return isinstance(body, str) and body.lstrip("\ufeff \t\r\n").startswith(MARKER)


def parse_state(body: str) -> CommentState | None:
    """The state the last render hid in `body`; None when absent, of another version, or invalid.

    Only the last state comment counts (ours is the body's last line). Never raises.
    """
    if not is_summary_comment(body):
        return None
    start = body.rfind(_STATE_PREFIX)
    if start < 0 or not body.startswith(_STATE_OPEN, start):
        return None
    end = body.find(_STATE_CLOSE, start + len(_STATE_OPEN))
    if end < 0:
        return None
    return _state_from_document(_decode_document(body[start + len(_STATE_OPEN) : end]))


def _state_line(payload: str) -> str:
    return f"{_STATE_OPEN}{payload}{_STATE_CLOSE}"


# --- layout ----------------------------------------------------------------------------------


def utf16_size(text: str) -> int:
    """Length in UTF-16 code units: never less than the character count, whichever GitHub uses
    (lone surrogates counted, never an error)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word if count == 1 else word + 's'}"


@dataclass
class _Block:
    """A list that loses items from its end, and says how many, when the body is too long."""

    priority: int
    """Lower keeps its items first when space runs short."""
    head: list[str]
    items: list[str]
    capped: int
    """Items left out by the count cap before any size limit applied."""
    more: Callable[[int], str]
    """The "and N more" line for N items left out."""
    shown: int = field(init=False)

    def __post_init__(self) -> None:
        self.shown = len(self.items)

    @property
    def dropped(self) -> int:
        """Items left out to fit the body, beyond the count cap."""
        return len(self.items) - self.shown

    def lines(self) -> list[str]:
        if not self.items and not self.capped:
            return []
        omitted = self.capped + self.dropped
        return [*self.head, *self.items[: self.shown], *([self.more(omitted)] if omitted else [])]


_Part = str | _Block
_SHORTENED_RESERVE = 300
"""Room kept for the "shortened" note and for "and N more" lines growing by a digit."""


def _join(parts: Iterable[_Part], shortened: int) -> str:
    chunks = [part if isinstance(part, str) else "\n".join(part.lines()) for part in parts]
    if shortened:
        chunks.append(
            f"_This comment was shortened to stay under GitHub's {MAX_COMMENT_CHARS:,}-character limit: "
            f"{_plural(shortened, 'item')} left out._"
        )
    return "\n\n".join(chunk for chunk in chunks if chunk)


def _fit(parts: list[_Part], budget: int) -> str:
    """Fill blocks in priority order while the body stays within `budget`, then render it."""
    blocks = sorted((p for p in parts if isinstance(p, _Block)), key=lambda b: b.priority)
    for block in blocks:
        block.shown = 0
    size = utf16_size(_join(parts, 0)) + _SHORTENED_RESERVE
    for block in blocks:
        for item in block.items:
            cost = utf16_size(item) + 1
            if size + cost > budget:
                break
            block.shown += 1
            size += cost
    body = _join(parts, sum(b.dropped for b in blocks))
    while utf16_size(body) > budget:  # only if the estimate was off: keep cutting from the end
        shrinkable = [b for b in blocks if b.shown]
        if not shrinkable:
            break
        shrinkable[-1].shown -= 1
        body = _join(parts, sum(b.dropped for b in blocks))
    return body


# --- content ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedComment:
    body: str
    state: CommentState
    """Exactly what `parse_state(body)` returns."""
    shortened: int = 0
    """List items left out to fit GitHub's size limit (beyond the count caps)."""


@dataclass(frozen=True)
class _Links:
    server_url: str
    repo: str
    head_sha: str

    def location(self, finding: Finding) -> str:
        """`path:line` as escaped link text to the line at the head commit."""
        where = _md(finding.path, MAX_PATH_CHARS, keep_end=True)
        if finding.start_line >= 1:
            where += f":{finding.start_line}"
            if finding.end_line > finding.start_line:
                where += f"-{finding.end_line}"
        url = blob_url(self.server_url, self.repo, self.head_sha, finding.path, finding.start_line, finding.end_line)
        return f"[{where}]({url})" if len(url) <= MAX_URL_CHARS else where

    def commit(self, sha: str) -> str:
        """A commit as a short, linked id; `sha` is validated hex."""
        return f"[`{sha[:7]}`]({_repo_url(self.server_url, self.repo)}/commit/{sha})"


def _importance(finding: Finding) -> tuple[Any, ...]:
    """Worst severity first, then DRIFT/OWASP/SCANNER, then path and line."""
    return (-finding.severity.rank, KIND_ORDER.index(finding.kind), finding.path, finding.start_line, finding_sort_key(finding))


def _describe(finding: Finding, *, in_table: bool) -> str:
    # A drift message already names its package, which is its title.
    if finding.kind is Kind.DRIFT or not finding.title.strip():
        text = _md(finding.message)
    else:
        text = f"**{_md(finding.title, MAX_NAME_CHARS)}**: {_md(finding.message)}"
    # Only OWASP snippets are code a rule matched; a scanner's may hold the secret it found.
    snippet = _code(finding.snippet, in_table=in_table) if finding.kind is Kind.OWASP else ""
    return f"{text} {snippet}" if snippet else text


def _finding_row(finding: Finding, links: _Links, *, new: bool) -> str:
    severity = finding.severity.value + (" · **new**" if new else "")
    return (
        f"| {severity} | {KIND_HEADINGS[finding.kind]} | {links.location(finding)} | "
        f"{_describe(finding, in_table=True)} | `{short_id(finding.fingerprint)}` |"
    )


def _counts_table(findings: Sequence[Finding]) -> str:
    counts = Counter((f.kind, f.severity) for f in findings)
    header = "| Kind | " + " | ".join(s.value for s in _SEVERITIES_WORST_FIRST) + " | total |"
    rule = "|---|" + "--:|" * (len(_SEVERITIES_WORST_FIRST) + 1)
    rows = [header, rule]
    for kind in KIND_ORDER:
        cells = [counts[(kind, s)] for s in _SEVERITIES_WORST_FIRST]
        rows.append(f"| {KIND_HEADINGS[kind]} | " + " | ".join(f"{c:,}" for c in cells) + f" | {sum(cells):,} |")
    totals = [sum(counts[(k, s)] for k in KIND_ORDER) for s in _SEVERITIES_WORST_FIRST]
    rows.append("| **total** | " + " | ".join(f"{c:,}" for c in totals) + f" | **{sum(totals):,}** |")
    return "\n".join(rows)


def _headline(findings: Sequence[Finding], result: ScanResult, fail_on: Severity, links: _Links) -> str:
    """Title with the verdict at the fail level, then what was scanned."""
    failing = sum(1 for f in findings if f.severity.at_least(fail_on))
    title = f"## PR Warden: {'failing' if failing else 'passing'}"
    if failing:
        verdict = f"**{_plural(failing, 'finding')}** at or above **{fail_on.value}**, the fail level."
    else:
        verdict = f"No findings at or above **{fail_on.value}**, the fail level." if findings else ""
    if findings:
        worst = max((f.severity for f in findings), key=lambda s: s.rank).value
        scope = f"{_plural(len(findings), 'finding')} on changed lines in all (worst: {worst})."
    else:
        scope = "No findings on the lines this pull request changes."
    at = f" at {links.commit(links.head_sha.lower())}" if _SHA.fullmatch(links.head_sha.lower()) else ""
    scanned = f"Scanned {_plural(result.files_scanned, 'file')}{at}."
    return f"{title}\n\n" + " ".join(part for part in (verdict, scope, scanned) if part)


def _reason(finding: Finding) -> str:
    return " ".join(str(finding.properties.get("suppressedReason") or "").split())[:MAX_REASON_CHARS] or NO_REASON


def _not_counted(result: ScanResult) -> str:
    """Suppressed findings by reason, and the pre-existing count: kept, never silently dropped."""
    lines: list[str] = []
    if result.suppressed:
        reasons = Counter(_reason(f) for f in result.suppressed).most_common()
        shown = [
            f"{NO_REASON if reason == NO_REASON else '“' + _md(reason, MAX_REASON_CHARS) + '”'} ({count:,})"
            for reason, count in reasons[:MAX_REASONS_SHOWN]
        ]
        if len(reasons) > MAX_REASONS_SHOWN:
            shown.append(f"{_plural(len(reasons) - MAX_REASONS_SHOWN, 'more reason')}")
        lines.append(f"- {len(result.suppressed):,} suppressed by `prwarden-ignore` comments: " + ", ".join(shown))
    if result.preexisting:
        lines.append(f"- {len(result.preexisting):,} {PREEXISTING_LABEL}")
    return "\n".join(["### Not counted", "", *lines]) if lines else ""


@dataclass(frozen=True)
class _Changes:
    new: frozenset[str]
    fixed: tuple[StateEntry, ...]
    fixed_total: int
    suppressed: int
    accepted: int
    preexisting: int


def _changes(
    previous: CommentState, findings: Sequence[Finding], result: ScanResult, accepted: frozenset[str]
) -> _Changes:
    """New: reported now, not remembered. Gone: remembered, not reported now, by where it went."""
    current = {f.fingerprint for f in findings}
    remembered = previous.fingerprints()
    gone = [e for e in previous.entries if e.fingerprint not in current]
    suppressed = {f.fingerprint for f in result.suppressed}
    preexisting = {f.fingerprint for f in result.preexisting}
    elsewhere = suppressed | accepted | preexisting
    fixed = tuple(e for e in gone if e.fingerprint not in elsewhere)
    # With nothing reported now, the findings a capped state did not remember are gone as well.
    fixed_total = previous.total - (len(gone) - len(fixed)) if not findings else len(fixed)
    return _Changes(
        new=frozenset(fp for fp in current if fp not in remembered),
        fixed=fixed,
        fixed_total=fixed_total,
        suppressed=sum(1 for e in gone if e.fingerprint in suppressed),
        accepted=sum(1 for e in gone if e.fingerprint in accepted and e.fingerprint not in suppressed),
        preexisting=sum(1 for e in gone if e.fingerprint in preexisting and e.fingerprint not in suppressed | accepted),
    )


def _changes_line(previous: CommentState, changes: _Changes, findings: Sequence[Finding], links: _Links) -> str:
    """New and fixed counts since the state the previous render left; explicit when all are fixed."""
    since = f"the last scan ({links.commit(previous.head_sha)})" if previous.head_sha else "the last scan"
    elsewhere = [
        f"{changes.suppressed:,} now suppressed" if changes.suppressed else "",
        f"{changes.accepted:,} accepted" if changes.accepted else "",
        f"{changes.preexisting:,} now {PREEXISTING_LABEL}" if changes.preexisting else "",
    ]
    elsewhere = [part for part in elsewhere if part]
    total = previous.total
    if not findings and total:
        if elsewhere:
            return (
                f"**None of the {_plural(total, 'finding')} from the previous scan remain**: "
                + ", ".join([f"{changes.fixed_total:,} fixed", *elsewhere])
                + "."
            )
        if total == 1:
            return "**The finding from the previous scan is fixed.**"
        return f"**All {total:,} findings from the previous scan are fixed.**"
    if not changes.new and not changes.fixed and not elsewhere:
        return f"No change since {since}."
    approximate = (
        ""
        if previous.complete
        else f" (approximate: the last scan remembered {len(previous.entries):,} of its {total:,} findings)"
    )
    parts = [f"**{len(changes.new):,} new**", f"**{len(changes.fixed):,} fixed**", *elsewhere]
    return f"Since {since}: " + ", ".join(parts) + approximate + "."


def _fixed_block(changes: _Changes) -> _Block:
    items = [
        f"- `{e.short_id}` {e.severity.value} {KIND_HEADINGS[e.kind]}" + (f" {_code(e.rule_id)}" if e.rule_id else "")
        for e in changes.fixed[:MAX_FIXED_SHOWN]
    ]
    return _Block(
        priority=2,
        head=["### Fixed since the last scan", ""],
        items=items,
        capped=max(len(changes.fixed) - MAX_FIXED_SHOWN, 0),
        more=lambda n: f"- and {n:,} more",
    )


def _accepted_block(accepted: Sequence[tuple[Finding, str, str]], links: _Links) -> _Block:
    ordered = sorted(accepted, key=lambda entry: _importance(entry[0]))
    items: list[str] = []
    for finding, who, why in ordered[:MAX_ACCEPTED_SHOWN]:
        by = _md("@" + str(who).lstrip("@"), MAX_NAME_CHARS) if str(who).strip() else "someone"
        reason = f": {_md(why)}" if str(why).strip() else ""
        items.append(
            f"- `{short_id(finding.fingerprint)}` {finding.severity.value} {KIND_HEADINGS[finding.kind]} "
            f"{links.location(finding)}: {_describe(finding, in_table=False)} — accepted by {by}{reason}"
        )
    return _Block(
        priority=3,
        head=["### Accepted", ""],
        items=items,
        capped=max(len(ordered) - MAX_ACCEPTED_SHOWN, 0),
        more=lambda n: f"- and {n:,} more accepted",
    )


def _scanner_line(status: ScannerStatus) -> str:
    version = f" {_md(status.version, MAX_NAME_CHARS)}" if status.version else ""
    detail = f": {_md(status.detail)}" if status.detail.strip() else ""
    return f"- {_md(status.name, MAX_NAME_CHARS)}{version}: {status.state.value}{detail}"


def _scanners_block(scanners: Sequence[ScannerStatus]) -> _Block:
    ordered = sort_scanners(scanners)
    return _Block(
        priority=4,
        head=["### Scanners", ""],
        items=[_scanner_line(s) for s in ordered[:MAX_SCANNERS_SHOWN]],
        capped=max(len(ordered) - MAX_SCANNERS_SHOWN, 0),
        more=lambda n: f"- and {n:,} more scanners",
    )


def _notice_line(notice: Notice) -> str:
    if notice.path:
        where = _md(notice.path, MAX_PATH_CHARS, keep_end=True) + (f":{notice.line}" if notice.line else "")
        return f"- {where}: {_md(notice.message)}"
    return f"- {_md(notice.message)}"


def _skipped(result: ScanResult) -> list[_Part]:
    """Notices grouped by kind, each group capped, under one heading."""
    notices = sort_notices(result.notices)
    parts: list[_Part] = []
    for kind in NoticeKind:
        group = [n for n in notices if n.kind is kind]
        if not group:
            continue
        parts.append(
            _Block(
                priority=5,
                head=[f"**{_NOTICE_LABELS[kind]}** ({len(group):,})", ""],
                items=[_notice_line(n) for n in group[:MAX_NOTICES_PER_KIND]],
                capped=max(len(group) - MAX_NOTICES_PER_KIND, 0),
                more=lambda n: f"- and {n:,} more",
            )
        )
    return ["### Skipped", *parts] if parts else []


def render_comment(
    result: ScanResult,
    *,
    repo: str,
    head_sha: str,
    previous: CommentState | None,
    fail_on: Severity,
    server_url: str = "https://github.com",
    max_findings: int = 20,
    accepted: Sequence[tuple[Finding, str, str]] = (),
) -> RenderedComment:
    """The whole summary comment for one scan, under COMMENT_BUDGET, with its hidden state.

    `accepted` holds triaged findings as (finding, who, why). The verdict should agree with the
    check run, so the caller passes a `result` without them; any that are still in
    `result.findings` are shown only as accepted, and neither counted nor gating here.
    """
    links = _Links(server_url, repo, head_sha)
    accepted_fps = frozenset(f.fingerprint for f, _, _ in accepted)
    findings = sorted((f for f in result.findings if f.fingerprint not in accepted_fps), key=_importance)

    unique = [f for f in _unique(findings) if _FINGERPRINT.fullmatch(f.fingerprint)]
    state = CommentState(
        head_sha.lower() if _SHA.fullmatch(head_sha.lower()) else "",
        len(unique),
        tuple(
            StateEntry(f.fingerprint, f.kind, f.severity, f.rule_id if _RULE.fullmatch(f.rule_id) else "")
            for f in unique[:MAX_STATE_FINDINGS]
        ),
    )
    payload, state = _encode_state(state)
    state_line = _state_line(payload)

    parts: list[_Part] = [MARKER + "\n" + _headline(findings, result, fail_on, links)]
    if result.partial:
        parts.append("**Partial scan**: the change is larger than GitHub lists, so only part of it was scanned.")
    changes = _changes(previous, findings, result, accepted_fps) if previous is not None else None
    if previous is not None and changes is not None:
        parts.append(_changes_line(previous, changes, findings, links))
    if findings:
        shown = findings[: max(0, min(max_findings, MAX_FINDINGS_SHOWN))]
        new = changes.new if changes is not None else frozenset()
        parts.append(_counts_table(findings))
        parts.append(
            _Block(
                priority=1,
                head=["### Findings", "", "| Severity | Kind | Location | Finding | ID |", "|---|---|---|---|---|"],
                items=[_finding_row(f, links, new=f.fingerprint in new) for f in shown],
                capped=len(findings) - len(shown),
                more=lambda n: f"\n…and {_plural(n, 'more finding')}, all annotated in the **PR Warden** check run.",
            )
        )
    if changes is not None and changes.fixed:
        parts.append(_fixed_block(changes))
    if accepted:
        parts.append(_accepted_block(accepted, links))
    parts.append(_not_counted(result))
    if result.scanners:
        parts.append(_scanners_block(result.scanners))
    parts.extend(_skipped(result))
    if findings:
        parts.append("To accept a finding, reply `/prwarden ignore <id> <reason>` with its ID from the table.")
    body = _fit(parts, COMMENT_BUDGET - utf16_size(state_line) - 2) + "\n\n" + state_line
    shortened = sum(p.dropped for p in parts if isinstance(p, _Block))
    return RenderedComment(body=body, state=state, shortened=shortened)


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    """First of each fingerprint: the same finding twice is one finding to remember."""
    seen: set[str] = set()
    out: list[Finding] = []
    for finding in findings:
        if finding.fingerprint not in seen:
            seen.add(finding.fingerprint)
            out.append(finding)
    return out


# -- publishing ----------------------------------------------------------------------------------

MAX_COMMENTS_LISTED = 3000
"""A PR's comments read while looking for ours (30 pages); very long threads are rare."""


class SummaryCommentPublisher:
    """Keeps ONE summary comment per PR: found by its marker among comments by a bot (ours),
    edited in place, recreated if someone deleted it. Two scans that both create one converge:
    each deletes every copy but the oldest, then edits that one."""

    def __init__(self, client: Any, repo: str, app_id: str | int | None = None) -> None:
        """`app_id`: ours. A marked comment another App wrote (a copycat, or a marker quoted by
        another bot) is neither edited (GitHub would refuse) nor read for its state."""
        self.client = client
        self.repo = repo
        self.app_id = None if app_id is None else str(app_id)
        self._listed: dict[int, list[dict[str, Any]]] = {}
        """The listing `previous` read, reused by the `publish` that follows it."""

    def _by_us(self, comment: dict[str, Any]) -> bool:
        if (comment.get("user") or {}).get("type") != "Bot":
            return False
        if self.app_id is None:
            return True
        # GitHub names the App behind every comment written with an installation token.
        app = comment.get("performed_via_github_app")
        return isinstance(app, dict) and str(app.get("id")) == self.app_id

    async def _ours(self, number: int, *, fresh: bool = False) -> list[dict[str, Any]]:
        if not fresh and number in self._listed:
            return self._listed.pop(number)
        comments = await self.client.paginate(f"/repos/{self.repo}/issues/{number}/comments", params={"per_page": 100}, limit=MAX_COMMENTS_LISTED)
        return sorted(
            (c for c in comments if self._by_us(c) and is_summary_comment(str(c.get("body") or ""))),
            key=lambda c: int(c["id"]),
        )

    async def previous(self, number: int) -> CommentState | None:
        ours = self._listed[number] = await self._ours(number, fresh=True)
        return parse_state(str(ours[0].get("body") or "")) if ours else None

    async def publish(self, number: int, body: str) -> int:
        """Create or edit the comment; the id of the one left."""
        from bot.github.errors import GitHubError

        ours = await self._ours(number)
        if ours:
            try:
                await self.client.request("PATCH", f"/repos/{self.repo}/issues/comments/{ours[0]['id']}", json={"body": body})
                return int(ours[0]["id"])
            except GitHubError as exc:
                if exc.status != 404:
                    raise  # deleted meanwhile: create it again below
        created = await self.client.json("POST", f"/repos/{self.repo}/issues/{number}/comments", json={"body": body})
        ours = await self._ours(number, fresh=True)
        keep = int(ours[0]["id"]) if ours else int(created["id"])
        for extra in ours[1:]:
            try:
                await self.client.request("DELETE", f"/repos/{self.repo}/issues/comments/{extra['id']}")
            except GitHubError as exc:
                if exc.status != 404:
                    raise
        if keep != int(created["id"]):
            await self.client.request("PATCH", f"/repos/{self.repo}/issues/comments/{keep}", json={"body": body})
        return keep
