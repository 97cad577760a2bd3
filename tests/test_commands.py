"""`/prwarden` commands: what `bot.commands.parse_command` makes of a comment's first line, and
(with `bot.web.events.comment_created`) which comments reach it at all."""

from __future__ import annotations

from typing import Any

import pytest

from bot.commands import HELP, MAX_REASON_CHARS, Command, parse_command
from bot.model import Kind
from bot.web.events import comment_created

KIND_PROBLEM = "unknown kind {!r}: use drift, owasp or scanners"
USAGE = "usage: `/prwarden ignore <finding-id> <reason>`"
BAD_ID = "a finding id is the 8-character id shown in the summary comment"


# --- rescan --------------------------------------------------------------------------------


def test_rescan_alone_means_every_kind() -> None:
    assert parse_command("/prwarden rescan") == Command("rescan", kinds=frozenset(), finding_id="", reason="", problem="")


@pytest.mark.parametrize(
    ("line", "kinds"),
    [
        ("/prwarden rescan drift", {Kind.DRIFT}),
        ("/prwarden rescan owasp", {Kind.OWASP}),
        ("/prwarden rescan scanners", {Kind.SCANNER}),
        ("/prwarden rescan scanner", {Kind.SCANNER}),
        ("/prwarden rescan drift owasp", {Kind.DRIFT, Kind.OWASP}),
        ("/prwarden rescan drift drift", {Kind.DRIFT}),
        ("/prwarden rescan DRIFT Owasp", {Kind.DRIFT, Kind.OWASP}),
    ],
)
def test_rescan_of_named_kinds(line: str, kinds: set[Kind]) -> None:
    command = parse_command(line)
    assert command == Command("rescan", kinds=frozenset(kinds))
    assert command.problem == ""


@pytest.mark.parametrize(
    ("line", "word"),
    [
        ("/prwarden rescan all", "all"),
        ("/prwarden rescan secrets", "secrets"),
        ("/prwarden rescan drift Secrets", "Secrets"),  # the word as written, not lower-cased
        ("/prwarden rescan drift,owasp", "drift,owasp"),
    ],
)
def test_rescan_of_an_unknown_kind_is_a_problem_naming_the_word(line: str, word: str) -> None:
    command = parse_command(line)
    assert command == Command("rescan", problem=KIND_PROBLEM.format(word))
    assert command.kinds == frozenset()


def test_an_unknown_kind_word_is_cut_to_40_characters_in_the_problem() -> None:
    word = "x" * 100
    command = parse_command(f"/prwarden rescan {word}")
    assert command.problem == f"unknown kind {'x' * 40!r}: use drift, owasp or scanners"


# --- help ----------------------------------------------------------------------------------


@pytest.mark.parametrize("line", ["/prwarden help", "/prwarden", "/PRWARDEN HELP", "  /prwarden   help  ", "/prwarden help me please"])
def test_help(line: str) -> None:
    assert parse_command(line) == Command("help")


def test_help_text_names_every_command() -> None:
    for usage in ("`/prwarden rescan`", "`/prwarden ignore <finding-id> <reason>`", "`/prwarden help`"):
        assert usage in HELP


# --- ignore --------------------------------------------------------------------------------


def test_ignore_with_an_id_and_a_reason_with_spaces() -> None:
    command = parse_command("/prwarden ignore 1a2b3c4d test fixture, not production code")
    assert command == Command("ignore", finding_id="1a2b3c4d", reason="test fixture, not production code")
    assert command.problem == "" and command.kinds == frozenset()


def test_ignore_collapses_whitespace_in_the_reason_and_lowercases_the_id() -> None:
    command = parse_command("/prwarden  ignore\t`1A2B3C4D`   only   in\ttests  ")
    assert command == Command("ignore", finding_id="1a2b3c4d", reason="only in tests")


def test_ignore_reason_is_cut_to_the_maximum() -> None:
    reason = " ".join(["word"] * 200)  # 999 characters
    command = parse_command(f"/prwarden ignore 1a2b3c4d {reason}")
    assert command.problem == ""
    assert command.reason == reason[:MAX_REASON_CHARS] and len(command.reason) == MAX_REASON_CHARS == 500


@pytest.mark.parametrize("finding_id", ["abcd", "1a2b3c4d", "0123456789abcdef"])
def test_ignore_accepts_ids_from_4_to_16_hex_digits(finding_id: str) -> None:
    assert parse_command(f"/prwarden ignore {finding_id} because").finding_id == finding_id


@pytest.mark.parametrize("line", ["/prwarden ignore", "/prwarden ignore 1a2b3c4d", "/prwarden ignore 1a2b3c4d   ", "/PRWARDEN IGNORE 1a2b3c4d"])
def test_ignore_without_a_reason_is_a_usage_problem(line: str) -> None:
    assert parse_command(line) == Command("ignore", problem=USAGE)


@pytest.mark.parametrize(
    "finding_id",
    [
        "abc",  # too short
        "0123456789abcdef0",  # 17: too long
        "xyz12345",  # not hex
        "1a2b-3c4d",
        "#1a2b3c4d",
        "``",
    ],
)
def test_ignore_with_a_malformed_id_is_a_problem(finding_id: str) -> None:
    command = parse_command(f"/prwarden ignore {finding_id} it is fine")
    assert command == Command("ignore", problem=BAD_ID)
    assert command.finding_id == "" and command.reason == ""


# --- unknown and not commands --------------------------------------------------------------


def test_an_unknown_command_names_the_word_as_written() -> None:
    assert parse_command("/prwarden Frobnicate now") == Command("unknown", problem="unknown command 'Frobnicate'")


def test_an_unknown_command_word_is_cut_to_40_characters() -> None:
    assert parse_command("/prwarden " + "y" * 80).problem == f"unknown command {'y' * 40!r}"


@pytest.mark.parametrize("line", ["", "   ", "please /prwarden rescan", "/prwardenrescan", "/prwarden: rescan", "prwarden rescan"])
def test_a_line_not_starting_with_the_command_word_is_not_a_command(line: str) -> None:
    assert parse_command(line) == Command("unknown", problem="not a /prwarden command")


def test_case_and_extra_whitespace_do_not_matter() -> None:
    assert parse_command("   /PrWarden    RESCAN     Drift   ") == Command("rescan", kinds=frozenset({Kind.DRIFT}))
    assert parse_command("\t/prwarden\trescan\towasp\t") == Command("rescan", kinds=frozenset({Kind.OWASP}))


# --- which comments reach the parser -------------------------------------------------------


def _comment(body: str, *, login: str = "octocat", user_type: str = "User", on_pull: bool = True) -> dict[str, Any]:
    issue: dict[str, Any] = {"number": 7}
    if on_pull:
        issue["pull_request"] = {"url": "https://api.github.com/repos/octo-org/app/pulls/7"}
    return {
        "action": "created",
        "issue": issue,
        "comment": {"id": 99, "body": body, "user": {"login": login, "type": user_type}},
        "repository": {"full_name": "octo-org/app"},
        "installation": {"id": 31337},
    }


def parsed(body: str) -> Command | None:
    """What the worker would parse for a new PR comment with this body; None: no job."""
    jobs = comment_created(_comment(body))
    if not jobs:
        return None
    [job] = jobs
    return parse_command(str(job.payload["command"]))


def test_only_the_first_line_is_the_command() -> None:
    body = "/prwarden rescan drift\nThe registry was down earlier.\n/prwarden ignore 1a2b3c4d nope"
    jobs = comment_created(_comment(body))
    assert [job.payload["command"] for job in jobs] == ["/prwarden rescan drift"]
    assert parsed(body) == Command("rescan", kinds=frozenset({Kind.DRIFT}))


def test_an_ignore_reason_does_not_run_onto_later_lines() -> None:
    body = "/prwarden ignore 1a2b3c4d vendored code\r\n\r\nSee the discussion above."
    assert parsed(body) == Command("ignore", finding_id="1a2b3c4d", reason="vendored code")


def test_leading_blank_lines_before_the_command_are_skipped() -> None:
    assert parsed("\n\n   /prwarden help\nthanks") == Command("help")


@pytest.mark.parametrize(
    "body",
    [
        "Could someone run /prwarden rescan on this?",
        "I think `/prwarden ignore 1a2b3c4d` would hide it",
        "LGTM\n/prwarden rescan",  # the command on a later line is not read
        "> /prwarden rescan\nquoting the earlier comment",
    ],
)
def test_a_comment_that_only_mentions_the_command_does_nothing(body: str) -> None:
    assert parsed(body) is None


def test_comments_by_bots_and_on_plain_issues_do_nothing() -> None:
    assert comment_created(_comment("/prwarden rescan", user_type="Bot")) == []
    assert comment_created(_comment("/prwarden rescan", login="prwarden[bot]")) == []
    assert comment_created(_comment("/prwarden rescan", on_pull=False)) == []


def test_the_job_carries_who_asked_and_where() -> None:
    [job] = comment_created(_comment("/prwarden rescan"))
    assert job.payload == {
        "repo": "octo-org/app",
        "number": 7,
        "comment_id": 99,
        "login": "octocat",
        "command": "/prwarden rescan",
        "installation_id": 31337,
    }
