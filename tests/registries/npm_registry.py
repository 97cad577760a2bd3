"""A real npm registry for the tests: Verdaccio, installed with npm, run with node, no uplinks.

Install: once per machine into the test cache (`tests.peers.cache_dir()`), from a package.json
that carries the override Verdaccio 6.8 needs on Node 20 (shared/deps-notes.md). Like
`tests/peers.py`, it is idempotent and race-safe: npm installs into a private temporary folder
that is renamed into place; a loser of the race discards its copy.

Run: a fresh storage and htpasswd file per session, anonymous reads (except `@private/*`,
readers must log in), publishing for logged-in users. Fixture packages are tarballs built here;
one is published with the real `npm publish`, the many others with the HTTP PUT that npm sends.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from tests.peers import NPM_TIMEOUT_SECONDS, cache_dir
from tests.registries.process import free_port, stop_process, tail, wait_until_ready

VERDACCIO_SPEC = "~6.8.0"
"""6.10 needs Node 22; this machine has Node 20 (shared/deps-notes.md)."""
VERDACCIO_OVERRIDES = {"node-fetch@cjs": "2.7.0"}
"""Without it `npm install verdaccio` fails on this registry (shared/deps-notes.md)."""

PRIVATE_SCOPE = "@private"
"""Packages under this scope can be read only with a token."""


@dataclass(frozen=True)
class FixturePackage:
    name: str
    versions: tuple[str, ...]
    dist_tags: Mapping[str, str]
    deprecated: Mapping[str, str] = field(default_factory=dict)
    """version -> deprecation message."""


NPM_FIXTURES: tuple[FixturePackage, ...] = (
    FixturePackage(
        "vitest",
        ("0.34.6", "1.6.1", "2.1.9", "3.2.4", "4.0.18", "5.0.0-beta.1"),
        {"latest": "4.0.18", "next": "5.0.0-beta.1"},
    ),
    FixturePackage("next", ("14.2.35", "15.5.9", "16.1.6"), {"latest": "16.1.6"}),
    FixturePackage("@types/node", ("20.19.9", "22.15.29", "25.2.3"), {"latest": "25.2.3"}),
    FixturePackage(
        "left-pad",
        ("1.0.0", "1.1.3", "1.3.0"),
        {"latest": "1.3.0"},
        {"1.0.0": "use String.prototype.padStart()", "1.1.3": "use String.prototype.padStart()"},
    ),
    FixturePackage("@private/secret-sauce", ("1.0.0", "2.0.0"), {"latest": "2.0.0"}),
)
NPM_CLI_FIXTURE = FixturePackage("@acme/widgets", ("1.0.0",), {"latest": "1.0.0"})
"""Published with the real `npm publish`, to prove that flow; later versions over HTTP."""
NPM_CLI_FOLLOWUPS = ("1.1.0", "2.0.0")


def verdaccio_home() -> Path:
    """The folder holding node_modules/verdaccio, installed on first use."""
    final = cache_dir() / "verdaccio-6.8"
    if (final / "node_modules" / "verdaccio" / "package.json").is_file():
        return final
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is required to install Verdaccio for the registry tests")
    staging = Path(tempfile.mkdtemp(dir=cache_dir(), prefix=".verdaccio-"))
    try:
        manifest = {
            "name": "prwarden-test-verdaccio",
            "private": True,
            "version": "0.0.0",
            "dependencies": {"verdaccio": VERDACCIO_SPEC},
            "overrides": VERDACCIO_OVERRIDES,
        }
        (staging / "package.json").write_text(json.dumps(manifest, indent=2))
        proc = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
            cwd=staging,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT_SECONDS,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"npm install verdaccio failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
        try:
            os.rename(staging, final)
        except OSError:
            if not (final / "node_modules" / "verdaccio" / "package.json").is_file():
                raise
            # another process installed it first: use theirs
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return final


class Verdaccio:
    """One Verdaccio process with its own storage under `workdir`."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.startup_seconds = 0.0

    @property
    def url(self) -> str:
        """The registry URL, as npm wants it (ending in "/")."""
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> Verdaccio:
        verdaccio_bin = verdaccio_home() / "node_modules" / "verdaccio" / "bin" / "verdaccio"
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node is required to run Verdaccio")
        (self.workdir / "storage").mkdir(parents=True, exist_ok=True)
        config = self.workdir / "config.yaml"
        config.write_text(_config_yaml(self.workdir))
        log_path = self.workdir / "verdaccio.log"
        began = time.monotonic()
        for _ in range(3):  # a free port can be taken between the probe and the bind
            self.port = free_port()
            with open(log_path, "wb") as log:
                self.proc = subprocess.Popen(
                    [node, str(verdaccio_bin), "--config", str(config), "--listen", f"127.0.0.1:{self.port}"],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=self.workdir,
                    start_new_session=True,
                )
            try:
                wait_until_ready(self.url + "-/ping", self.proc, log_path)
                break
            except RuntimeError:
                stop_process(self.proc)
                if "EADDRINUSE" not in tail(log_path):
                    raise
        self.startup_seconds = time.monotonic() - began
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)

    def add_user(self, name: str, password: str) -> str:
        """Create (or log in) a user the way `npm adduser` does; returns the auth token."""
        body = {"_id": f"org.couchdb.user:{name}", "name": name, "password": password, "type": "user", "roles": []}
        url = f"{self.url}-/user/org.couchdb.user:{quote(name)}"
        response = httpx.put(url, json=body, timeout=10)
        if response.status_code == 409:  # exists: log in
            response = httpx.put(url, json=body, auth=(name, password), timeout=10)
        response.raise_for_status()
        return str(response.json()["token"])

    def seed(self, token: str, packages: Sequence[FixturePackage] = NPM_FIXTURES) -> None:
        """Publish the fixtures: one with `npm publish`, the rest over HTTP, a package a thread."""
        with httpx.Client(timeout=30) as client, ThreadPoolExecutor(4) as pool:
            cli = pool.submit(self._seed_cli_fixture, client, token)
            for done in [pool.submit(self._seed_package, client, token, p) for p in packages] + [cli]:
                done.result()

    def _seed_cli_fixture(self, client: httpx.Client, token: str) -> None:
        npm_publish(self.url, token, tarball_manifest(NPM_CLI_FIXTURE.name, NPM_CLI_FIXTURE.versions[0]), self.workdir)
        for version in NPM_CLI_FOLLOWUPS:
            publish(client, self.url, token, tarball_manifest(NPM_CLI_FIXTURE.name, version), tag="latest")
        deprecate(client, self.url, token, NPM_CLI_FIXTURE.name, "1.0.0", "1.x is no longer supported")

    def _seed_package(self, client: httpx.Client, token: str, package: FixturePackage) -> None:
        for version in package.versions:
            tag = next((t for t, v in package.dist_tags.items() if v == version), None)
            publish(client, self.url, token, tarball_manifest(package.name, version), tag=tag)
        published = client.get(self.url + _path(package.name), headers=_bearer(token)).json().get("dist-tags", {})
        for tag, version in package.dist_tags.items():
            if published.get(tag) != version:
                set_dist_tag(client, self.url, token, package.name, tag, version)
        for version, message in package.deprecated.items():
            deprecate(client, self.url, token, package.name, version, message)


def _config_yaml(workdir: Path) -> str:
    return f"""\
storage: {workdir / "storage"}
auth:
  htpasswd:
    file: {workdir / "htpasswd"}
    max_users: 100
uplinks: {{}}
packages:
  '{PRIVATE_SCOPE}/*':
    access: $authenticated
    publish: $authenticated
  '@*/*':
    access: $all
    publish: $authenticated
  '**':
    access: $all
    publish: $authenticated
server:
  keepAliveTimeout: 60
log: {{ type: stdout, format: json, level: warn }}
"""


def tarball_manifest(name: str, version: str) -> dict[str, Any]:
    return {"name": name, "version": version, "description": f"{name} fixture", "license": "MIT", "main": "index.js"}


def build_tarball(manifest: Mapping[str, Any]) -> bytes:
    """A package tarball as `npm pack` makes it: `package/package.json` and `package/index.js`."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for member, data in (
            ("package/package.json", json.dumps(manifest, indent=2).encode()),
            ("package/index.js", b"module.exports = {};\n"),
        ):
            info = tarfile.TarInfo(member)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 499162500  # npm's fixed date: tarballs are reproducible
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _path(name: str) -> str:
    return quote(name, safe="@").replace("/", "%2f")


def publish(client: httpx.Client, registry: str, token: str, manifest: Mapping[str, Any], *, tag: str | None = "latest") -> None:
    """The PUT `npm publish` sends: the version's manifest with the tarball attached."""
    name, version = manifest["name"], manifest["version"]
    tarball = build_tarball(manifest)
    filename = f"{name.split('/')[-1]}-{version}.tgz"
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    document = {
        "_id": name,
        "name": name,
        "dist-tags": {tag: version} if tag else {},
        "versions": {
            version: {
                **manifest,
                "_id": f"{name}@{version}",
                "dist": {
                    "shasum": hashlib.sha1(tarball).hexdigest(),
                    "integrity": integrity,
                    "tarball": f"{registry}{name}/-/{filename}",
                },
            }
        },
        "access": None,
        "_attachments": {
            filename: {"content_type": "application/octet-stream", "data": base64.b64encode(tarball).decode(), "length": len(tarball)}
        },
    }
    response = client.put(registry + _path(name), json=document, headers=_bearer(token))
    if response.status_code >= 300:
        raise RuntimeError(f"publish {name}@{version}: HTTP {response.status_code} {response.text[:500]}")


def npm_publish(registry: str, token: str, manifest: Mapping[str, Any], workdir: Path) -> None:
    """Publish with the real npm client (its own userconfig: the user's .npmrc is not touched)."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is required to publish fixtures")
    package_dir = Path(tempfile.mkdtemp(dir=workdir, prefix="npm-publish-"))
    with tarfile.open(fileobj=io.BytesIO(build_tarball(manifest)), mode="r:gz") as archive:
        archive.extractall(package_dir, filter="data")
    userconfig = package_dir / ".npmrc-publish"
    host = registry.split("://", 1)[1]
    userconfig.write_text(f"registry={registry}\n//{host}:_authToken={token}\n")
    proc = subprocess.run(
        [npm, "publish", "--registry", registry, "--userconfig", str(userconfig), "--access", "public", "--ignore-scripts"],
        cwd=package_dir / "package",
        capture_output=True,
        text=True,
        timeout=NPM_TIMEOUT_SECONDS,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"npm publish {manifest['name']}: {proc.stderr.strip()[-2000:]}")


def set_dist_tag(client: httpx.Client, registry: str, token: str, name: str, tag: str, version: str) -> None:
    """What `npm dist-tag add name@version tag` sends."""
    url = f"{registry}-/package/{_path(name)}/dist-tags/{quote(tag)}"
    response = client.put(url, content=json.dumps(version), headers={**_bearer(token), "Content-Type": "application/json"})
    if response.status_code >= 300:
        raise RuntimeError(f"dist-tag {name} {tag}: HTTP {response.status_code} {response.text[:500]}")


def deprecate(client: httpx.Client, registry: str, token: str, name: str, version: str, message: str) -> None:
    """What `npm deprecate` sends: the full packument, back with `deprecated` set, to its revision."""
    response = client.get(registry + _path(name), headers={**_bearer(token), "Accept": "application/json"})
    response.raise_for_status()
    document = response.json()
    document["versions"][version]["deprecated"] = message
    revision = document.get("_rev", "0-0")
    response = client.put(f"{registry}{_path(name)}/-rev/{revision}", json=document, headers=_bearer(token))
    if response.status_code >= 300:
        raise RuntimeError(f"deprecate {name}@{version}: HTTP {response.status_code} {response.text[:500]}")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
