"""The PR summary comment, rendered without a server: structure, links, escaping, diff, size."""

from __future__ import annotations

import base64
import json
import random
import re
import string
import zlib
from typing import Any

import pytest

from bot.model import Finding, Kind, Notice, NoticeKind, ScannerState, ScannerStatus, ScanResult, Severity
from bot.report.comment import (
    COMMENT_BUDGET,
    MARKER,
    MAX_COMMENT_CHARS,
    MAX_STATE_CHARS,
    MAX_STATE_FINDINGS,
    CommentState,
    RenderedComment,
    StateEntry,
    is_summary_comment,
    parse_state,
    render_comment,
    short_id,
)
from tests.factories import make_finding

REPO = "acme/web"
SHA = "0123456789abcdef0123456789abcdef01234567"
SHA2 = "89abcdef0123456789abcdef0123456789abcdef"
BLOB = f"https://github.com/{REPO}/blob/{SHA}"


def _render(result: ScanResult, **options: Any) -> RenderedComment:
    values: dict[str, Any] = {"repo": REPO, "head_sha": SHA, "previous": None, "fail_on": Severity.HIGH}
    return render_comment(result, **(values | options))


def _drift(**overrides: Any) -> Finding:
    values: dict[str, Any] = {
        "kind": Kind.DRIFT,
        "rule_id": "drift-majors-behind",
        "title": "Next.js",
        "message": "Next.js is 2 major versions behind (current: 14.2.35, latest: 16.1.6).",
        "path": "package.json",
        "start_line": 5,
        "end_line": 5,
        "severity": Severity.MEDIUM,
        "snippet": "npm dependencies next",
        "cwe": (),
        "owasp": None,
    }
    return make_finding(**(values | overrides))


def _many(count: int, **overrides: Any) -> tuple[Finding, ...]:
    severities = list(Severity)
    return tuple(
        make_finding(
            **(
                {
                    "path": f"src/f{i}.js",
                    "start_line": i + 1,
                    "end_line": i + 1,
                    "severity": severities[i % len(severities)],
                    "snippet": f"eval(x{i})",
                }
                | overrides
            )
        )
        for i in range(count)
    )


def _outside_code(markdown: str) -> str:
    """The markdown with inline code spans removed (backslash escapes kept), as GitHub parses it."""
    out: list[str] = []
    i = 0
    while i < len(markdown):
        char = markdown[i]
        if char == "\\":
            out.append(markdown[i : i + 2])
            i += 2
            continue
        if char == "`":
            run = re.match(r"`+", markdown[i:])
            assert run is not None
            fence = run.group()
            closing = re.compile(rf"(?<!`){fence}(?!`)").search(markdown, i + len(fence))
            if closing is not None:
                i = closing.end()
                continue
            out.append(fence)
            i += len(fence)
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _unescaped_pipes(line: str) -> int:
    """Pipes GFM splits table cells on. cmark-gfm scans a cell as `(escaped_char|[^|])+` with
    re2c's longest match, so any pipe right after a backslash stays in the cell."""
    return len(re.findall(r"(?<!\\)\|", line))


def _table_rows(body: str) -> list[str]:
    lines = body.split("\n")
    start = lines.index("| Severity | Kind | Location | Finding | ID |") + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("| "):
            break
        rows.append(line)
    return rows


# --- structure ---------------------------------------------------------------------------------


def test_exact_structure_of_a_small_result() -> None:
    owasp, drift = make_finding(), _drift()
    result = ScanResult(
        findings=(drift, owasp),
        suppressed=(
            make_finding(path="test/a.js", properties={"suppressedReason": "test fixture"}),
            make_finding(path="test/b.js", properties={"suppressedReason": "test fixture"}),
            make_finding(path="test/c.js"),
        ),
        preexisting=(make_finding(path="src/old.js"),),
        notices=(Notice(NoticeKind.NOT_SCANNED, "binary file: not scanned", "logo.png"),),
        scanners=(
            ScannerStatus("semgrep", ScannerState.OK, "1.2.3"),
            ScannerStatus("npm registry", ScannerState.UNAVAILABLE, None, "HTTP 503"),
        ),
        files_scanned=3,
    )
    rendered = _render(result)
    body, state_line = rendered.body.rsplit("\n", 1)
    assert body == "\n".join(
        [
            MARKER,
            "## PR Warden: failing",
            "",
            "**1 finding** at or above **high**, the fail level. 2 findings on changed lines in all (worst: high). "
            f"Scanned 3 files at [`0123456`](https://github.com/{REPO}/commit/{SHA}).",
            "",
            "| Kind | critical | high | medium | low | info | total |",
            "|---|--:|--:|--:|--:|--:|--:|",
            "| DRIFT | 0 | 0 | 1 | 0 | 0 | 1 |",
            "| OWASP | 0 | 1 | 0 | 0 | 0 | 1 |",
            "| SCANNER | 0 | 0 | 0 | 0 | 0 | 0 |",
            "| **total** | 0 | 1 | 1 | 0 | 0 | **2** |",
            "",
            "### Findings",
            "",
            "| Severity | Kind | Location | Finding | ID |",
            "|---|---|---|---|---|",
            f"| high | OWASP | [src/app.js:12]({BLOB}/src/app.js#L12) | **A03:2021 – Injection**: eval() runs a "
            f"string built from request data. `eval(req.query.code)` | `{owasp.fingerprint[:8]}` |",
            f"| medium | DRIFT | [package.json:5]({BLOB}/package.json#L5) | Next.js is 2 major versions behind "
            f"(current: 14.2.35, latest: 16.1.6). | `{drift.fingerprint[:8]}` |",
            "",
            "### Not counted",
            "",
            "- 3 suppressed by `prwarden-ignore` comments: “test fixture” (2), no reason given (1)",
            "- 1 pre-existing (not new in this PR)",
            "",
            "### Scanners",
            "",
            "- npm registry: unavailable: HTTP 503",
            "- semgrep 1.2.3: ok",
            "",
            "### Skipped",
            "",
            "**Not scanned** (1)",
            "",
            "- logo.png: binary file: not scanned",
            "",
            "To accept a finding, reply `/prwarden ignore <id> <reason>` with its ID from the table.",
            "",
        ]
    )
    assert re.fullmatch(r"<!-- prwarden:state v1 [A-Za-z0-9_-]+ -->", state_line)
    assert rendered.state == CommentState(
        SHA,
        2,
        (
            StateEntry(owasp.fingerprint, Kind.OWASP, Severity.HIGH, "js-eval-injection"),
            StateEntry(drift.fingerprint, Kind.DRIFT, Severity.MEDIUM, "drift-majors-behind"),
        ),
    )
    assert parse_state(rendered.body) == rendered.state
    assert rendered.shortened == 0


def test_order_is_severity_then_kind_then_path_and_line() -> None:
    findings = (
        make_finding(path="b.js", start_line=9, end_line=9, severity=Severity.MEDIUM),
        _drift(severity=Severity.MEDIUM, path="z/package.json"),
        make_finding(path="b.js", start_line=2, end_line=2, severity=Severity.MEDIUM, snippet="eval(2)"),
        make_finding(kind=Kind.SCANNER, rule_id="gitleaks.key", path="a.env", severity=Severity.MEDIUM),
        make_finding(path="z.js", severity=Severity.CRITICAL),
    )
    rows = _table_rows(_render(ScanResult(findings=findings)).body)
    locations = [re.search(r"\[([^\]]+)\]", row).group(1) for row in rows]  # type: ignore[union-attr]
    assert locations == ["z.js:12", "z/package.json:5", "b.js:2", "b.js:9", "a.env:12"]


def test_passing_and_empty_results_still_say_something() -> None:
    below = _render(ScanResult(findings=(_drift(),), files_scanned=1)).body
    assert "## PR Warden: passing" in below
    assert "No findings at or above **high**, the fail level. 1 finding on changed lines in all (worst: medium)." in below
    empty = _render(ScanResult(files_scanned=0)).body
    assert "## PR Warden: passing" in empty and "No findings on the lines this pull request changes." in empty
    assert "| Kind |" not in empty and "/prwarden ignore" not in empty
    assert _render(ScanResult(findings=(_drift(),)), fail_on=Severity.MEDIUM).body.count("## PR Warden: failing") == 1


def test_partial_scan_is_said() -> None:
    assert "**Partial scan**" in _render(ScanResult(partial=True)).body


# --- links and ids -----------------------------------------------------------------------------


def test_links_point_at_the_line_at_the_head_commit_and_ids_are_code() -> None:
    spaced = make_finding(path="src/my dir/ä#1?.js", start_line=3, end_line=5)
    whole_file = _drift(start_line=0, end_line=0, path="pkg/package.json")
    rendered = _render(ScanResult(findings=(spaced, whole_file)), server_url="https://ghe.example.com/")
    body = rendered.body
    assert "(https://ghe.example.com/acme/web/blob/" + SHA + "/src/my%20dir/%C3%A4%231%3F.js#L3-L5)" in body
    assert "[src/my dir/ä#\u200d1?.js:3-5](" in body  # `#1` would cross-reference issue 1
    assert f"[pkg/package.json](https://ghe.example.com/acme/web/blob/{SHA}/pkg/package.json)" in body
    for finding in (spaced, whole_file):
        assert short_id(finding.fingerprint) == finding.fingerprint[:8]
        assert f"| `{finding.fingerprint[:8]}` |" in body


def test_undecodable_path_bytes_are_linked_as_their_bytes() -> None:
    path = b"src/caf\xe9.js".decode("utf-8", "surrogateescape")
    body = _render(ScanResult(findings=(make_finding(path=path),))).body
    assert f"({BLOB}/src/caf%E9.js#L12)" in body
    assert "caf\\\\udce9.js:12](" in body  # the lone surrogate is shown, escaped, not written raw


def test_a_huge_path_keeps_its_text_but_not_its_link() -> None:
    path = "/".join(["d" * 200] * 20) + "/x.js"
    row = _table_rows(_render(ScanResult(findings=(make_finding(path=path),))).body)[0]
    assert "blob/" not in row and "…" in row and "/x.js:12" in row


# --- escaping ----------------------------------------------------------------------------------


HOSTILE_PATH = "src/<!--x-->@octocat|#12\n`a`/[l](http://evil.com) *b* _c_ ~~d~~ $x$\u202e.js"
HOSTILE_MESSAGE = (
    "ping @octocat and @org/team about #12, GH-34 and o/r#56 | cell\nnew line <script>alert(1)</script> "
    "<!-- forged --> ``` see https://evil.com or www.evil.com &#64;bob [x](javascript:1) ![i](http://x/i.png)"
)


def _hostile_result() -> ScanResult:
    hostile = make_finding(
        path=HOSTILE_PATH,
        title="<img src=x onerror=alert(1)>",
        message=HOSTILE_MESSAGE,
        snippet="a = `b` + ``c`` | d <!-- @octocat",
    )
    return ScanResult(
        findings=(hostile,),
        suppressed=(make_finding(path="s.js", properties={"suppressedReason": "ok @octocat <!-- | #9"}),),
        notices=(Notice(NoticeKind.SKIPPED, "too big <b>@octocat</b> #7", "weird|<name>\n.bin", 3),),
        scanners=(ScannerStatus("npm registry", ScannerState.UNAVAILABLE, None, "503 from @octocat | <i>"),),
    )


def test_hostile_repository_text_is_inert() -> None:
    accepted = [(make_finding(path="acc.js"), "octocat", "false positive, see #3 and @hubot <b>")]
    body = _render(_hostile_result(), accepted=accepted).body
    # Only our own two hidden comments exist, even inside code spans.
    assert body.count("<!--") == 2 and body.startswith(MARKER + "\n")
    assert "\u202e" not in body and "\\\\u202e" in body
    prose = _outside_code(body)
    assert "<" not in prose.replace(MARKER, "").split("<!-- prwarden:state")[0]
    assert not re.search(r"@[A-Za-z0-9]", prose)  # no mentions
    assert not re.search(r"#[0-9]|GH-[0-9]", prose)  # no issue references
    # Every unescaped bracket belongs to one of our links.
    closers = [m.end() for m in re.finditer(r"(?<!\\)(?:\\\\)*\]", prose)]
    assert all(prose.startswith(f"(https://github.com/{REPO}/", end) for end in closers)
    assert len(re.findall(r"(?<!\\)(?:\\\\)*\[", prose)) == len(closers)
    assert "http://evil" not in prose and "https://evil" not in prose and "www.evil" not in prose
    assert "&amp;#\u200d64;bob" in prose and "\\*b\\* \\_c\\_ \\~\\~d\\~\\~ \\$x\\$" in prose
    assert "\\[x\\](javascript:1) !\\[i\\]" in prose
    # The finding is one table row with exactly six cell separators.
    row = _table_rows(body)[0]
    assert _unescaped_pipes(row) == 6 and "\n" not in row
    # The path is a link whose destination cannot be broken out of.
    link = re.search(r"\]\((https://github\.com/[^)\s]*)\)", row)
    assert link is not None and "%3C%21--x--%3E%40octocat%7C%2312%0A%60a%60/%5Bl%5D%28http%3A" in link.group(1)
    # The snippet is one code span, fenced longer than its longest backtick run.
    assert "```a = `b` + ``c`` \\| d <\u200d!-- @octocat```" in row


def test_random_repository_text_never_breaks_the_body() -> None:
    rnd = random.Random(7)
    alphabet = string.printable + "@#<>!-|`*_[]~$&\\\u202e\u200d😀é\udce9"

    def text(limit: int) -> str:
        return "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, limit)))

    for _ in range(200):
        findings = tuple(
            make_finding(path=text(40), title=text(20), message=text(80), snippet=text(30),
                         start_line=rnd.randint(0, 9), end_line=rnd.randint(0, 12),
                         severity=rnd.choice(list(Severity)), kind=rnd.choice(list(Kind)))
            for _ in range(rnd.randint(0, 5))
        )
        result = ScanResult(
            findings=findings,
            notices=(Notice(rnd.choice(list(NoticeKind)), text(50), text(20) or None, rnd.randint(0, 3) or None),),
            scanners=(ScannerStatus(text(10), ScannerState.FAILED, text(5) or None, text(30)),),
        )
        rendered = _render(result, accepted=[(make_finding(path=text(10)), text(8), text(20))])
        assert rendered.body.count("<!--") == 2 and parse_state(rendered.body) == rendered.state
        assert all(_unescaped_pipes(row) == 6 for row in (_table_rows(rendered.body) if findings else []))
        chars = list(rendered.body)
        for _ in range(5):  # an edited comment never makes parsing raise
            chars[rnd.randrange(len(chars))] = rnd.choice(alphabet)
        parse_state("".join(chars))


def test_link_text_brackets_are_escaped() -> None:
    row = _table_rows(_render(ScanResult(findings=(make_finding(path="a]b[c.js"),))).body)[0]
    assert "[a\\]b\\[c.js:12](" in row


def test_code_spans_are_padded_when_the_code_starts_with_a_backtick() -> None:
    row = _table_rows(_render(ScanResult(findings=(make_finding(snippet="`x` + y`"),))).body)[0]
    assert "`` `x` + y` ``" in row


def test_accepted_findings_are_listed_and_do_not_count() -> None:
    critical = make_finding(path="acc.js", severity=Severity.CRITICAL)
    kept = _drift()
    rendered = _render(ScanResult(findings=(critical, kept)), accepted=[(critical, "@octocat", "tested, not reachable")])
    body = rendered.body
    assert "## PR Warden: passing" in body and "| critical | OWASP |" not in body
    line = next(line for line in body.split("\n") if line.startswith(f"- `{critical.fingerprint[:8]}`"))
    assert line.endswith("accepted by @\u200doctocat: tested, not reachable")
    assert f"[acc.js:12]({BLOB}/acc.js#L12)" in line
    assert [e.fingerprint for e in rendered.state.entries] == [kept.fingerprint]


# --- what changed ------------------------------------------------------------------------------


def test_new_and_fixed_between_two_renders() -> None:
    kept, fixed, becomes_suppressed = make_finding(), _drift(), make_finding(path="src/b.js")
    first = _render(ScanResult(findings=(kept, fixed, becomes_suppressed)))
    previous = parse_state(first.body)
    assert previous == first.state

    new = make_finding(path="src/new.js", severity=Severity.CRITICAL)
    second = _render(
        ScanResult(findings=(kept, new), suppressed=(becomes_suppressed,)), head_sha=SHA2, previous=previous
    )
    body = second.body
    assert (
        f"Since the last scan ([`0123456`](https://github.com/{REPO}/commit/{SHA})): "
        "**1 new**, **1 fixed**, 1 now suppressed." in body
    )
    rows = _table_rows(body)
    assert rows[0].startswith("| critical · **new** | OWASP | [src/new.js:12]")
    assert rows[1].startswith("| high | OWASP | [src/app.js:12]")
    fixed_section = body.split("### Fixed since the last scan\n\n", 1)[1].split("\n\n", 1)[0]
    assert fixed_section == f"- `{fixed.fingerprint[:8]}` medium DRIFT `drift-majors-behind`"

    third = _render(ScanResult(findings=(new, kept)), head_sha=SHA2, previous=parse_state(body))
    assert f"No change since the last scan ([`89abcde`](https://github.com/{REPO}/commit/{SHA2}))." in third.body
    assert "· **new**" not in third.body and "### Fixed" not in third.body


def test_all_fixed_is_said_explicitly() -> None:
    findings = (make_finding(), _drift(), make_finding(path="src/b.js"))
    previous = parse_state(_render(ScanResult(findings=findings)).body)
    rendered = _render(ScanResult(files_scanned=2), previous=previous)
    body = rendered.body
    assert "**All 3 findings from the previous scan are fixed.**" in body
    assert "## PR Warden: passing" in body and body.count("\n- `") == 3
    assert rendered.state == CommentState(SHA, 0, ())
    single = _render(ScanResult(), previous=parse_state(_render(ScanResult(findings=findings[:1])).body)).body
    assert "**The finding from the previous scan is fixed.**" in single
    elsewhere = _render(ScanResult(suppressed=findings[:1]), previous=previous).body
    assert "**None of the 3 findings from the previous scan remain**: 2 fixed, 1 now suppressed." in elsewhere


def test_diff_beyond_the_remembered_fingerprints_is_marked_approximate() -> None:
    first = _render(ScanResult(findings=_many(1_200)))
    assert len(first.state.entries) == MAX_STATE_FINDINGS and first.state.total == 1_200
    assert not first.state.complete
    previous = parse_state(first.body)
    assert previous == first.state
    second = _render(ScanResult(findings=_many(1_100)), previous=previous).body
    assert "(approximate: the last scan remembered 1,000 of its 1,200 findings)" in second
    assert "**All 1,200 findings from the previous scan are fixed.**" in _render(ScanResult(), previous=previous).body


# --- size --------------------------------------------------------------------------------------


def test_five_thousand_findings_stay_under_the_limit() -> None:
    message = "<&>@x|😀" * 60  # escapes grow it; the emoji count twice in UTF-16
    findings = _many(5_000, message=message)
    notices = tuple(Notice(NoticeKind.SKIPPED, "n" * 400, f"dir/{i}.bin") for i in range(3_000))
    for max_findings in (20, 5_000):
        rendered = _render(ScanResult(findings=findings, notices=notices), max_findings=max_findings)
        body = rendered.body
        assert len(body.encode("utf-16-le")) // 2 <= COMMENT_BUDGET < MAX_COMMENT_CHARS
        assert parse_state(body) == rendered.state and len(rendered.state.entries) == MAX_STATE_FINDINGS
        rows = _table_rows(body)
        assert rows and all(_unescaped_pipes(row) == 6 and row.endswith("` |") for row in rows)
        assert all(re.search(r"\]\(https://github\.com/\S+#L\d+\) \| ", row) for row in rows)
        assert f"…and {5_000 - len(rows):,} more findings, all annotated in the **PR Warden** check run." in body
        assert "**Skipped** (3,000)" in body
        if max_findings == 20:
            assert len(rows) == 20
        else:
            assert rendered.shortened > 0 and len(rows) < 500
            assert "_This comment was shortened to stay under GitHub's 65,536-character limit:" in body


def test_state_with_pathological_rule_ids_stays_bounded() -> None:
    findings = tuple(
        make_finding(rule_id=f"rule-{i}-" + "x" * 70, path=f"f{i}.js", snippet=f"s{i}") for i in range(1_500)
    )
    rendered = _render(ScanResult(findings=findings))
    payload = re.search(r"<!-- prwarden:state v1 (\S+) -->$", rendered.body)
    assert payload is not None and len(payload.group(1)) <= MAX_STATE_CHARS
    assert parse_state(rendered.body) == rendered.state
    assert len(rendered.state.entries) == MAX_STATE_FINDINGS


# --- tampering ---------------------------------------------------------------------------------


def _with_payload(payload: str) -> str:
    return f"{MARKER}\nhello\n\n<!-- prwarden:state v1 {payload} -->"


def _encode(document: Any, raw: bytes | None = None) -> str:
    data = raw if raw is not None else json.dumps(document).encode()
    return base64.urlsafe_b64encode(zlib.compress(data)).decode().rstrip("=")


GOOD = {"sha": SHA, "n": 1, "r": ["js-eval"], "f": ["0123456789abcdefoh0"]}


def test_a_valid_hand_made_state_parses() -> None:
    state = parse_state(_with_payload(_encode(GOOD)))
    assert state == CommentState(SHA, 1, (StateEntry("0123456789abcdef", Kind.OWASP, Severity.HIGH, "js-eval"),))


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "!!!notbase64",
        "A",
        base64.urlsafe_b64encode(b"not zlib").decode(),
        _encode(None, raw=b"{not json"),
        _encode(None, raw=b"\xff\xfe"),
        _encode([1, 2]),
        _encode(GOOD | {"n": -1}),
        _encode(GOOD | {"n": True}),
        _encode(GOOD | {"n": 1.5}),
        _encode(GOOD | {"sha": "<script>"}),
        _encode(GOOD | {"f": ["zz"]}),
        _encode(GOOD | {"f": ["0123456789abcdefoh7"]}),  # rule index out of range
        _encode(GOOD | {"f": ["0123456789abcdefxh"]}),
        _encode(GOOD | {"f": [["0123456789abcdefoh"]]}),
        _encode(GOOD | {"f": "0123456789abcdefoh"}),
        _encode(GOOD | {"r": ["<b>"]}),
        _encode(GOOD | {"f": [f"{i:016x}oh" for i in range(MAX_STATE_FINDINGS + 1)]}),
        _encode(None, raw=b"[" * 100_000 + b"]" * 100_000),  # recursion
        _encode(None, raw=b'{"n":' + b"9" * 5_000 + b"}"),  # int too long to parse
        _encode(None, raw=b'{"f":[' + b" " * 20_000_000 + b"]}"),  # inflates past the cap
        base64.urlsafe_b64encode(zlib.compress(json.dumps(GOOD).encode()) + b"trailing").decode(),
        "A" * (MAX_STATE_CHARS + 4),
    ],
)
def test_tampered_or_oversized_state_is_none(payload: str) -> None:
    assert parse_state(_with_payload(payload)) is None


def test_state_needs_our_marker_version_and_closing() -> None:
    good = _with_payload(_encode(GOOD))
    assert parse_state(good) is not None
    assert parse_state(good.replace(MARKER, "")) is None
    assert parse_state(good.replace("state v1 ", "state v2 ")) is None
    assert parse_state(good.removesuffix(" -->")) is None
    assert parse_state(good.replace("\n", "\r\n")) is not None  # edited in the web UI
    assert parse_state(None) is None  # type: ignore[arg-type]
    # Only the last state counts: an editor appending one wins, but gets validated like any other.
    assert parse_state(good + "\n<!-- prwarden:state v1 AAAA -->") is None


# --- marker ------------------------------------------------------------------------------------


def test_marker_detection() -> None:
    body = _render(_hostile_result()).body
    assert MARKER.startswith("<!--") and MARKER.endswith("-->")
    assert is_summary_comment(body)
    assert is_summary_comment("\ufeff\r\n  " + body)
    assert not is_summary_comment("> " + body)  # a reply quoting the bot
    assert not is_summary_comment("LGTM\n" + MARKER)
    assert not is_summary_comment("")
    assert not is_summary_comment("<!-- prwarden:summary")
