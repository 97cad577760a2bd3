"""Webhook deliveries as GitHub sends them: exact bytes, HMAC-SHA256 signature, headers.

Why: signature checks must run on the raw bytes and dedupe on ``X-GitHub-Delivery``; the fake
therefore signs exactly the bytes it sends and lets tests re-send the same delivery id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import TYPE_CHECKING, Any

import httpx

from tests import peers

from . import shapes

if TYPE_CHECKING:
    from .fake import FakeGitHub, FakePull, FakeRepo

#: GitHub's hook user agent is always ``GitHub-Hookshot/<build>`` (facts §1.1).
HOOKSHOT_USER_AGENT = "GitHub-Hookshot/abc123"
#: github.com gives up on a delivery after 10 s (facts §1.3).
DELIVERY_TIMEOUT_SECONDS = 10.0


def sign(secret: str | bytes, body: bytes) -> str:
    """``X-Hub-Signature-256`` value for ``body``."""
    key = secret.encode() if isinstance(secret, str) else secret
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def sign_sha1(secret: str | bytes, body: bytes) -> str:
    """Legacy ``X-Hub-Signature`` value (GitHub still sends it; bots must ignore it)."""
    key = secret.encode() if isinstance(secret, str) else secret
    return "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest()


def encode_payload(payload: dict[str, Any] | bytes) -> bytes:
    """Compact JSON like GitHub's deliveries; bytes are sent untouched."""
    if isinstance(payload, bytes):
        return payload
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def delivery_headers(
    fake: FakeGitHub, event: str, body: bytes, secret: str | None, delivery_id: str | None
) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": HOOKSHOT_USER_AGENT,
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
        "X-GitHub-Hook-ID": str(fake.hook_id),
        "X-GitHub-Hook-Installation-Target-Type": "integration",
        "X-GitHub-Hook-Installation-Target-ID": str(fake.app_id),
    }
    if secret is not None:
        headers["X-Hub-Signature"] = sign_sha1(secret, body)
        headers["X-Hub-Signature-256"] = sign(secret, body)
    return headers


def deliver(
    fake: FakeGitHub,
    target_url: str,
    event: str,
    payload: dict[str, Any] | bytes,
    secret: str | None,
    delivery_id: str | None = None,
    headers: dict[str, str | None] | None = None,
    timeout: float = DELIVERY_TIMEOUT_SECONDS,
) -> httpx.Response:
    """POST one delivery; ``headers`` overrides (a None value removes that header)."""
    body = encode_payload(payload)
    merged: dict[str, str | None] = dict(delivery_headers(fake, event, body, secret, delivery_id))
    lowered = {key.lower(): key for key in merged}
    for key, value in (headers or {}).items():
        merged.pop(lowered.get(key.lower(), key), None)
        merged[key] = value
    final = {key: value for key, value in merged.items() if value is not None}
    with httpx.Client(timeout=timeout) as client:
        response = client.post(target_url, content=body, headers=final)
    fake.deliveries.append(
        {"event": event, "delivery_id": final.get("X-GitHub-Delivery"), "status": response.status_code}
    )
    return response


def pull_request_payload(
    fake: FakeGitHub,
    repo: FakeRepo,
    pr: FakePull,
    action: str = "opened",
    installation_id: int | None = None,
    *,
    before: str | None = None,
    after: str | None = None,
    changes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A ``pull_request`` payload built on GitHub's real example for ``action``."""
    try:
        payload = peers.webhook_example("pull_request", action)
    except LookupError:
        payload = peers.webhook_example("pull_request", "opened")
    payload["action"] = action
    payload["number"] = pr.number
    pull = shapes.pull_request_json(fake, repo, pr)
    example_pull = payload.get("pull_request", {})
    # Keep keys only the webhook variant has, but every value comes from the fake's state.
    payload["pull_request"] = {**{k: v for k, v in example_pull.items() if k not in pull}, **pull}
    payload["repository"] = shapes.repository_json(fake, repo)
    payload["installation"] = {
        "id": installation_id if installation_id is not None else repo.installation_id,
        "node_id": f"MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u{installation_id or repo.installation_id}",
    }
    if "organization" in payload:
        payload["organization"] = {**payload["organization"], "login": repo.owner, "id": repo.owner_id}
    if action == "edited" or changes is not None:
        payload["changes"] = changes if changes is not None else payload.get("changes", {})
    if action == "synchronize":
        payload["before"] = before or pr.base_sha
        payload["after"] = after or pr.head_sha
    return payload
