"""The intake answers every delivery deliberately: refused, ignored or queued; never a 5xx."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from bot.queue import open_queue
from bot.web.signature import sign
from tests.botserver import BotServer
from tests.peers import webhook_examples

SECRET = "intake-secret"
HANDLED_PR_ACTIONS = {"opened", "synchronize", "reopened", "ready_for_review"}


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory):
    from tests.fakegithub.auth import generate_private_key_pem

    pem, _ = generate_private_key_pem()
    settings = Settings(app_id="4242", private_key=pem, webhook_secret=SECRET, api_url="http://127.0.0.1:9", data_dir=tmp_path_factory.mktemp("data"))
    with BotServer(settings, worker=False) as server:
        yield server


def post(bot: BotServer, body: bytes, *, event: str | None = "pull_request", delivery: str | None = "d-1", signature: str | None = "sign", extra: dict[str, str] | None = None) -> httpx.Response:
    headers = {"Content-Type": "application/json", "User-Agent": "GitHub-Hookshot/test"}
    if event:
        headers["X-GitHub-Event"] = event
    if delivery:
        headers["X-GitHub-Delivery"] = delivery
    if signature == "sign":
        headers["X-Hub-Signature-256"] = sign(SECRET, body)
    elif signature:
        headers["X-Hub-Signature-256"] = signature
    headers.update(extra or {})
    return httpx.post(bot.webhook_url, content=body, headers=headers, timeout=30)


def test_missing_or_bad_signature_is_401_and_sha1_is_never_accepted(bot: BotServer) -> None:
    body = b'{"zen": "Keep it logically awesome."}'
    assert post(bot, body, signature=None).status_code == 401
    assert post(bot, body, signature="sha256=" + "0" * 64).status_code == 401
    import hashlib
    import hmac

    sha1 = "sha1=" + hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
    assert post(bot, body, signature=None, extra={"X-Hub-Signature": sha1}).status_code == 401


def test_reserialised_json_with_the_original_signature_is_refused(bot: BotServer) -> None:
    original = b'{"action": "opened",  "number": 1}'
    reserialised = json.dumps(json.loads(original)).encode()
    assert post(bot, reserialised, signature=sign(SECRET, original)).status_code == 401


def test_malformed_json_and_missing_headers_are_400(bot: BotServer) -> None:
    assert post(bot, b"{not json").status_code == 400
    assert post(bot, b"[1, 2]").status_code == 400
    assert post(bot, b"{}", event=None).status_code == 400
    assert post(bot, b"{}", delivery=None).status_code == 400


def test_a_pull_request_payload_without_needed_fields_is_400(bot: BotServer) -> None:
    assert post(bot, b'{"action": "opened"}', delivery="d-missing").status_code == 400


def test_over_25_mb_is_413(bot: BotServer) -> None:
    body = b"{" + b" " * (25 * 1024 * 1024) + b"}"
    assert post(bot, body).status_code == 413


def test_ping_and_unhandled_events_are_acknowledged_without_work(bot: BotServer) -> None:
    before = _stats(bot)
    assert post(bot, b'{"zen": "Design for failure.", "hook_id": 1}', event="ping", delivery="p-1").status_code == 200
    assert post(bot, b'{"action": "labeled"}', event="pull_request", delivery="p-2").status_code == 200
    assert post(bot, b'{"action": "created"}', event="installation", delivery="p-3").status_code == 200
    assert _stats(bot) == before


def _stats(bot: BotServer) -> dict:
    return httpx.get(bot.url + "/readyz").json()["queue"]


def expects_job(event: str, action: str | None, payload: dict) -> bool:
    """What PR Warden acts on: PR pushes, GitHub's re-run buttons and our Rescan action, and
    `/prwarden` commands by people on pull requests."""
    if event == "pull_request":
        return action in HANDLED_PR_ACTIONS
    if event == "check_run":
        return action in ("rerequested", "requested_action")
    if event == "check_suite":
        return action == "rerequested"
    if event == "issue_comment" and action == "created":
        comment = payload["comment"]
        return (
            "pull_request" in payload["issue"]
            and comment["user"]["type"] != "Bot"
            and str(comment.get("body") or "").lstrip().lower().startswith("/prwarden")
        )
    return False


def test_every_published_example_gets_a_deliberate_answer(bot: BotServer) -> None:
    """GitHub's own examples (@octokit/webhooks-examples): 2xx or a deliberate 4xx, never 5xx.

    Each is sent twice: as published (repository-webhook examples carry no `installation`) and
    adjusted to an App delivery for the test repository, which always carries one.
    """
    seen = 0
    for index, (event, action, payload) in enumerate(webhook_examples()):
        if event not in ("pull_request", "issue_comment", "check_run", "check_suite"):
            continue
        seen += 1
        raw = post(bot, json.dumps(payload).encode(), event=event, delivery=f"example-raw-{index}")
        assert raw.status_code < 500 and raw.status_code in (200, 202, 400), (event, action, raw.text)
        adjusted = {**payload, "installation": {"id": 31337, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMzEzMzc="}}
        adjusted["repository"] = {**payload["repository"], "full_name": "octo-org/app"}
        answer = post(bot, json.dumps(adjusted).encode(), event=event, delivery=f"example-{index}")
        if expects_job(event, action, adjusted):
            assert answer.status_code == 202, (event, action, answer.text)
            assert answer.json()["status"] in ("accepted", "coalesced")
        else:
            assert answer.status_code == 200, (event, action, answer.text)
            assert answer.json()["status"] == "ignored"
    assert seen >= 50


def test_healthz_and_readyz(bot: BotServer) -> None:
    assert httpx.get(bot.url + "/healthz").json() == {"status": "ok"}
    assert httpx.get(bot.url + "/readyz").status_code == 200


def test_unconfigured_server_starts_and_explains(tmp_path: Path) -> None:
    with BotServer(Settings(data_dir=tmp_path / "data")) as server:
        home = httpx.get(server.url + "/")
        assert home.status_code == 200
        for name in ("APP_ID", "PRIVATE_KEY", "WEBHOOK_SECRET", "app.yml"):
            assert name in home.text
        hook = httpx.post(server.webhook_url, content=b"{}", headers={"X-GitHub-Event": "ping"})
        assert hook.status_code == 503 and "APP_ID" in hook.text
        assert httpx.get(server.url + "/readyz").status_code == 503
        assert httpx.get(server.url + "/healthz").status_code == 200


def test_accepted_jobs_are_durable(tmp_path: Path) -> None:
    from tests.fakegithub.auth import generate_private_key_pem

    pem, _ = generate_private_key_pem()
    data = tmp_path / "data"
    settings = Settings(app_id="1", private_key=pem, webhook_secret=SECRET, api_url="http://127.0.0.1:9", data_dir=data)
    payload = {
        "action": "opened", "number": 3,
        "pull_request": {"number": 3, "head": {"sha": "a" * 40}, "base": {"sha": "b" * 40}},
        "repository": {"full_name": "octo/repo"}, "installation": {"id": 9},
    }
    with BotServer(settings, worker=False) as server:
        assert post(server, json.dumps(payload).encode(), delivery="durable-1").status_code == 202

    import asyncio

    async def claim():
        queue = open_queue(data)
        try:
            return await queue.claim()
        finally:
            await queue.close()

    job = asyncio.run(claim())
    assert job is not None and job.payload["head_sha"] == "a" * 40 and job.key == "octo/repo#3@" + "a" * 40
