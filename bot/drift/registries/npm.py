"""The npm registry protocol: abbreviated packuments, configured the way npm itself is.

Which registry and which credentials come from where npm reads them, so a deployment that can
`npm install` can be checked with the same settings: `npm_config_registry` in the environment,
else the `registry=` line of a project `.npmrc`, then of the user's (`npm_config_userconfig` or
`$HOME/.npmrc`); `@scope:registry=` lines route a scope elsewhere. Tokens are the `.npmrc`
lines keyed by the registry's "nerf dart" (`//host[:port]/path/:_authToken=...`), with
`${ENV}` expansion, which is how CI usually passes `NPM_TOKEN`. Nothing configured means no
registry (None), never a public default.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import orjson

from bot.drift.model import Ecosystem, PackageInfo, PackageNotFound
from bot.drift.registries.base import Registry, UnreadableAnswer

log = logging.getLogger(__name__)

NPM_ACCEPT = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"
"""What npm sends: the abbreviated ("corgi") packument, which has what drift needs (dist-tags,
versions, `deprecated`) at a fraction of the full document's size."""
MAX_NAME_LENGTH = 214
"""npm's own limit (validate-npm-package-name)."""
MAX_NPMRC_BYTES = 1024 * 1024

_NAME = re.compile(r"^(?:@(?P<scope>[^/@\s]+)/)?(?P<bare>[^/@\s]+)$")
_ENV_REFERENCE = re.compile(r"(?P<escapes>\\*)\$\{(?P<name>[^${}?]+)(?P<optional>\?)?\}")


@dataclass(frozen=True)
class NpmConfig:
    registry: str
    """Base URL of the default registry, ending in "/"."""
    scopes: Mapping[str, str] = field(default_factory=dict)
    """"@scope" -> base URL, from `@scope:registry=` lines."""
    credentials: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Nerf dart ("//host:port/path/") -> Authorization header value."""


class NpmRegistry(Registry):
    ecosystem = Ecosystem.NPM
    label = "npm registry"
    max_body_bytes = 64 * 1024 * 1024
    """Abbreviated packuments of packages with thousands of canary builds reach tens of MB."""

    def __init__(self, config: NpmConfig, **options: Any) -> None:
        super().__init__(**options)
        self.config = config

    @property
    def url(self) -> str:
        return self.config.registry

    def registry_for(self, name: str) -> str:
        scope = name.split("/", 1)[0].lower() if name.startswith("@") else None
        return self.config.scopes.get(scope, self.config.registry) if scope else self.config.registry

    def package_url(self, name: str) -> str:
        return self.registry_for(name) + package_path(name)

    def request_headers(self, url: str) -> dict[str, str]:
        headers = {"Accept": NPM_ACCEPT}
        bases = sorted({*self.config.scopes.values(), self.config.registry}, key=len, reverse=True)
        registry = next((base for base in bases if url.startswith(base)), self.config.registry)
        authorization = credentials_for(registry, self.config.credentials)
        if authorization is not None:
            headers["Authorization"] = authorization
        return headers

    def parse(self, name: str, content_type: str, body: bytes) -> PackageInfo:
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise UnreadableAnswer("not JSON") from None
        return parse_packument(name, document)


def package_path(name: str) -> str:
    """The packument's path below the registry URL: `@scope%2fname` for a scoped name, as npm
    sends it. Raises PackageNotFound for what cannot be an npm name (no request is made)."""
    match = _NAME.match(name) if 0 < len(name) <= MAX_NAME_LENGTH and name.isprintable() else None
    if match is None or match["bare"].startswith(".") or (match["scope"] or "").startswith("."):
        raise PackageNotFound(f"{name!r} is not an npm package name")
    bare = quote(match["bare"], safe="")
    return f"@{quote(match['scope'], safe='')}%2f{bare}" if match["scope"] else bare


def parse_packument(name: str, document: Any) -> PackageInfo:
    """Reduce a packument (abbreviated or full) to what drift needs. Pure."""
    if not isinstance(document, dict):
        raise UnreadableAnswer("the packument is not an object")
    versions = document.get("versions") or {}
    tags = document.get("dist-tags") or {}
    if not isinstance(versions, dict) or not isinstance(tags, dict):
        raise UnreadableAnswer("`versions` or `dist-tags` is not an object")
    latest = tags.get("latest")
    deprecated = frozenset(
        version for version, meta in versions.items() if isinstance(meta, dict) and meta.get("deprecated")
    )
    return PackageInfo(
        ecosystem=Ecosystem.NPM,
        name=name,
        latest=latest if isinstance(latest, str) else None,
        versions=tuple(str(v) for v in versions),
        deprecated=deprecated,
    )


# -- configuration ----------------------------------------------------------------------------


def npm_registry_from_env(
    env: Mapping[str, str], npmrc_paths: Sequence[str | os.PathLike[str]] = (), **options: Any
) -> NpmRegistry | None:
    """The registry npm would use with this environment and these project `.npmrc` files
    (highest priority first; the user's `.npmrc` is read after them), or None if none is set.
    `options` go to `Registry` (cache, freshness, retry, concurrency).

    Pass only the deployment's own files, never an `.npmrc` from a repository under review:
    `${VAR}` expansion and a `registry=` of the author's choosing would send this process's
    secrets wherever that file says."""
    config = npm_config_from_env(env, npmrc_paths)
    return NpmRegistry(config, **options) if config is not None else None


def npm_config_from_env(env: Mapping[str, str], npmrc_paths: Sequence[str | os.PathLike[str]] = ()) -> NpmConfig | None:
    settings: dict[str, str] = {}
    for path in (*npmrc_paths, *_user_npmrc(env)):
        for key, value in _read_npmrc(Path(path), env).items():
            settings.setdefault(key, value)
    registry = _env_setting(env, "registry") or settings.get("registry")
    if not registry:
        return None
    base = _base_url(registry)
    if base is None:
        return None
    scopes: dict[str, str] = {}
    credentials: dict[str, str] = {}
    for key, value in settings.items():
        if key.startswith("@") and key.endswith(":registry"):
            scope_base = _base_url(value)
            if scope_base is not None:
                scopes[key[: -len(":registry")].lower()] = scope_base
        elif key.startswith("//"):
            _add_credential(credentials, key, value, settings)
    for url in (registry, *(v for k, v in settings.items() if k.startswith("@") and k.endswith(":registry"))):
        _add_userinfo_credential(credentials, url)
    return NpmConfig(registry=base, scopes=scopes, credentials=credentials)


def credentials_for(registry: str, credentials: Mapping[str, str]) -> str | None:
    """The Authorization value for `registry`, found as npm does: its nerf dart, then each
    parent path up to the host."""
    key = nerf_dart(registry)
    while len(key) > len("//"):
        if key in credentials:
            return credentials[key]
        key = re.sub(r"(?:[^/]+|/)$", "", key)
    return None


def nerf_dart(url: str) -> str:
    """`https://host:8443/a/b/?q` -> `//host:8443/a/b/` (npm's key for per-registry settings)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    port = f":{parts.port}" if parts.port and parts.port != default_port else ""
    path = parts.path if parts.path.endswith("/") else parts.path.rsplit("/", 1)[0] + "/"
    return f"//{host}{port}{path or '/'}"


def read_npmrc(text: str, env: Mapping[str, str]) -> dict[str, str]:
    """`key=value` lines of an .npmrc with `${VAR}` expanded; sections and comments skipped.
    A line naming an unset variable is dropped (npm refuses the whole file). Pure."""
    settings: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#;[" or "=" not in line:
            continue
        key, value = (part.strip() for part in line.split("=", 1))
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        expanded_key, expanded_value = _expand(key, env), _expand(value, env)
        if expanded_key is None or expanded_value is None:
            log.warning(".npmrc line %d (%s) names an unset environment variable: ignored", number, _safe_key(key))
            continue
        settings[expanded_key] = expanded_value
    return settings


def _read_npmrc(path: Path, env: Mapping[str, str]) -> dict[str, str]:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_NPMRC_BYTES + 1)
    except FileNotFoundError:
        return {}
    except OSError as exc:
        log.warning("%s: cannot read (%s)", path, exc.strerror)
        return {}
    if len(data) > MAX_NPMRC_BYTES:
        log.warning("%s: larger than %d bytes, ignored", path, MAX_NPMRC_BYTES)
        return {}
    return read_npmrc(data.decode("utf-8", errors="replace"), env)


def _user_npmrc(env: Mapping[str, str]) -> Iterable[str]:
    configured = _env_setting(env, "userconfig")
    if configured:
        yield configured
    elif env.get("HOME"):
        yield os.path.join(env["HOME"], ".npmrc")


def _env_setting(env: Mapping[str, str], name: str) -> str | None:
    """`npm_config_<name>`, any case (npm's rule); the lower-case spelling wins a tie."""
    wanted = f"npm_config_{name}"
    if env.get(wanted):
        return env[wanted]
    for key, value in env.items():
        if key.lower() == wanted and value:
            return value
    return None


def _base_url(url: str) -> str | None:
    """The registry URL ending in "/", credentials removed (see `_add_userinfo_credential`)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        log.warning("npm registry setting is not an http(s) URL: ignored")
        return None
    host = parts.netloc.rpartition("@")[2]
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return f"{parts.scheme}://{host}{path}"


def _add_userinfo_credential(credentials: dict[str, str], url: str) -> None:
    """`registry=https://user:pass@host/` still works in npm: basic auth, unless .npmrc has a
    credential for that registry."""
    parts = urlsplit(url.strip())
    base = _base_url(url) if parts.username else None
    if base is not None:
        pair = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}".encode()
        credentials.setdefault(nerf_dart(base), "Basic " + base64.b64encode(pair).decode("ascii"))


def _add_credential(credentials: dict[str, str], key: str, value: str, settings: Mapping[str, str]) -> None:
    nerf, _, field_name = key.rpartition(":")
    if not nerf.endswith("/"):
        return
    if field_name == "_authToken" and value:
        credentials[nerf] = f"Bearer {value}"
    elif field_name == "_auth" and value:
        credentials.setdefault(nerf, f"Basic {value}")
    elif field_name == "username" and value:
        encoded_password = settings.get(f"{nerf}:_password")
        try:
            password = base64.b64decode(encoded_password or "", validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            log.warning(".npmrc %s:_password is not base64: ignored", nerf)
            return
        if password:
            pair = base64.b64encode(f"{value}:{password}".encode()).decode("ascii")
            credentials.setdefault(nerf, f"Basic {pair}")


def _expand(text: str, env: Mapping[str, str]) -> str | None:
    missing = False

    def substitute(match: re.Match[str]) -> str:
        nonlocal missing
        escapes = match["escapes"]
        if len(escapes) % 2:
            return match[0][(len(escapes) + 1) // 2 :]  # an escaped reference stays literal
        value = env.get(match["name"])
        if value is None:
            if not match["optional"]:
                missing = True
            value = ""
        return escapes[: len(escapes) // 2] + value

    expanded = _ENV_REFERENCE.sub(substitute, text)
    return None if missing else expanded


def _safe_key(key: str) -> str:
    """A key fit for a log line: the nerf dart and field, never a value."""
    return key if len(key) <= 200 else key[:200] + "..."
