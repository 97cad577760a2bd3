"""Test peers fetched from the npm registry with the ordinary ``npm`` client.

Why: the fake GitHub validates request bodies against GitHub's own OpenAPI description and
builds webhook payloads from GitHub's own examples, so that the fake cannot drift from the
real API by our own guesswork.  Both are published as npm packages by the Octokit project.

Everything is cached in ``$PRWARDEN_TEST_CACHE`` (default ``~/.cache/prwarden-tests``).
Fetching is idempotent and safe when several processes race (pytest-xdist, two terminals):
files are extracted into a private temporary directory and moved into place with
``os.replace``, which is atomic on one file system.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

#: GitHub's REST API description (OpenAPI 3.0.3), as published by octokit/openapi.
OPENAPI_PACKAGE = "@octokit/openapi@23.0.2"
OPENAPI_MEMBER = "package/generated/api.github.com.json"
#: Real webhook payload examples for every event, as published by octokit/webhooks.
WEBHOOK_EXAMPLES_PACKAGE = "@octokit/webhooks-examples@7.6.1"
WEBHOOK_EXAMPLES_MEMBER = "package/api.github.com/index.json"

NPM_TIMEOUT_SECONDS = 300


class WebhookExample(NamedTuple):
    """One example delivery: the ``X-GitHub-Event`` name, the payload's action and the body."""

    event: str
    action: str | None
    payload: dict[str, Any]


def cache_dir() -> Path:
    """Where fetched peers live; shared by all checkouts so the 29 MB tarball is fetched once."""
    root = os.environ.get("PRWARDEN_TEST_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "prwarden-tests")
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _slug(spec: str) -> str:
    return spec.lstrip("@").replace("/", "-").replace("@", "-")


def _npm_pack(spec: str, destination: Path) -> Path:
    """Download ``spec``'s tarball with ``npm pack`` (no install, no scripts run)."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(f"npm is required to fetch the test peer {spec}")
    # From npm's own configuration: never from a registry a test pointed NPM_CONFIG_REGISTRY at.
    env = {k: v for k, v in os.environ.items() if k.lower() != "npm_config_registry"}
    proc = subprocess.run(
        [npm, "pack", spec, "--pack-destination", str(destination), "--json", "--ignore-scripts"],
        cwd=destination,
        env=env,
        capture_output=True,
        text=True,
        timeout=NPM_TIMEOUT_SECONDS,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"npm pack {spec} failed ({proc.returncode}): {proc.stderr.strip()}")
    try:
        filename = json.loads(proc.stdout)[0]["filename"]
        tarball = destination / str(filename)
    except (ValueError, LookupError, TypeError):
        tarballs = sorted(destination.glob("*.tgz"))
        if len(tarballs) != 1:
            raise RuntimeError(f"npm pack {spec}: cannot find the tarball in {destination}") from None
        tarball = tarballs[0]
    if not tarball.is_file():
        raise RuntimeError(f"npm pack {spec}: {tarball} is missing")
    return tarball


def fetch_member(spec: str, member: str) -> Path:
    """Return a cached local copy of one file (``member``) of the npm package ``spec``."""
    final = cache_dir() / _slug(spec) / Path(member).name
    if final.is_file():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir(), prefix=".fetch-") as tmp:
        tmp_path = Path(tmp)
        tarball = _npm_pack(spec, tmp_path)
        staged = tmp_path / "member.part"
        with tarfile.open(tarball, "r:gz") as archive:
            source = archive.extractfile(member)
            if source is None:
                raise RuntimeError(f"{spec}: {member} is not a regular file in the tarball")
            with source, open(staged, "wb") as sink:
                shutil.copyfileobj(source, sink)
        os.replace(staged, final)
    return final


def openapi_description_path() -> Path:
    """Path of GitHub's REST API description (``api.github.com.json``, OpenAPI 3.0.3)."""
    return fetch_member(OPENAPI_PACKAGE, OPENAPI_MEMBER)


def webhook_examples_path() -> Path:
    """Path of the examples JSON: ``[{name, description, actions, properties, examples}]``."""
    return fetch_member(WEBHOOK_EXAMPLES_PACKAGE, WEBHOOK_EXAMPLES_MEMBER)


@functools.lru_cache(maxsize=1)
def _load_webhook_examples() -> tuple[WebhookExample, ...]:
    with open(webhook_examples_path(), encoding="utf-8") as handle:
        events = json.load(handle)
    examples: list[WebhookExample] = []
    for event in events:
        for payload in event.get("examples", []):
            examples.append(WebhookExample(event["name"], payload.get("action"), payload))
    return tuple(examples)


def webhook_examples() -> list[WebhookExample]:
    """All example deliveries as ``(event, action, payload)``; payloads are shared: copy first."""
    return list(_load_webhook_examples())


def webhook_example(event: str, action: str | None = None, *, with_installation: bool = True) -> dict[str, Any]:
    """A deep copy of the first example of ``event``/``action`` (prefer ones sent to an App)."""
    matches = [
        ex.payload for ex in _load_webhook_examples() if ex.event == event and (action is None or ex.action == action)
    ]
    if not matches:
        raise LookupError(f"no webhook example for {event}.{action}")
    if with_installation:
        matches.sort(key=lambda payload: "installation" not in payload)
    copy: dict[str, Any] = json.loads(json.dumps(matches[0]))
    return copy
