"""Process settings from the environment, with Probot's names so existing deployments carry over.

Missing App settings are not fatal: the server starts and says what to set. A malformed value is
a `SettingsError` with a message a person can act on, never a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.model import Severity

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_PORT = 3000


class SettingsError(ValueError):
    """A setting is present but unusable."""


@dataclass(frozen=True)
class Settings:
    app_id: str | None = None
    private_key: str | None = field(default=None, repr=False)
    webhook_secret: str | None = field(default=None, repr=False)
    api_url: str = DEFAULT_API_URL
    host: str = "0.0.0.0"
    port: int = DEFAULT_PORT
    data_dir: Path = Path(".prwarden")
    fail_on: Severity = Severity.HIGH
    workers: int = 2
    """Jobs the embedded worker runs at once."""
    run_worker: bool = True
    """Whether `serve` runs the embedded worker in-process (the default)."""
    analysis_process: bool = True
    """Analyse large changes in a separate process, so the web loop never waits on the GIL."""
    queue_sync: str = "normal"
    """SQLite `synchronous` for the embedded queue: normal survives crashes, full power loss."""

    @property
    def missing(self) -> list[str]:
        """Settings the App cannot work without, in the order a newcomer should set them."""
        names = []
        if not self.app_id:
            names.append("APP_ID")
        if not self.private_key:
            names.append("PRIVATE_KEY or PRIVATE_KEY_PATH")
        if not self.webhook_secret:
            names.append("WEBHOOK_SECRET")
        return names

    @property
    def configured(self) -> bool:
        return not self.missing


def _private_key(env: Mapping[str, str]) -> str | None:
    inline = env.get("PRIVATE_KEY")
    path = env.get("PRIVATE_KEY_PATH")
    if inline:
        # Probot accepts keys whose newlines were flattened to "\n" in an env file.
        key = inline.replace("\\n", "\n").strip() + "\n"
    elif path:
        try:
            key = Path(path).expanduser().read_text()
        except OSError as exc:
            raise SettingsError(f"PRIVATE_KEY_PATH={path}: cannot read the key file ({exc.strerror})") from None
    else:
        return None
    _check_private_key(key)
    return key


def _check_private_key(pem: str) -> None:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise SettingsError(
            "PRIVATE_KEY is not a readable PEM private key: use the .pem file GitHub generated "
            f"for the App (it starts with -----BEGIN RSA PRIVATE KEY-----). Detail: {exc}"
        ) from None
    if not isinstance(key, RSAPrivateKey):
        raise SettingsError("PRIVATE_KEY must be an RSA key: GitHub signs App JWTs with RS256")


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = env.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise SettingsError(f"{name}={text!r} is not a whole number") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}={value} is out of range ({low}..{high})")
    return value


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    app_id = env.get("APP_ID") or None
    if app_id is not None and not (app_id.isdigit() or app_id.startswith("Iv")):
        raise SettingsError(f"APP_ID={app_id!r}: expected the App's numeric id (or its client id, Iv...)")
    api_url = (env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
    if not api_url.startswith(("http://", "https://")):
        raise SettingsError(f"GITHUB_API_URL={api_url!r} must start with http:// or https://")
    try:
        fail_on = Severity.parse(env.get("PRWARDEN_FAIL_ON", "high"))
    except ValueError as exc:
        raise SettingsError(f"PRWARDEN_FAIL_ON: {exc}") from None
    return Settings(
        app_id=app_id,
        private_key=_private_key(env),
        webhook_secret=env.get("WEBHOOK_SECRET") or None,
        api_url=api_url,
        host=env.get("HOST") or "0.0.0.0",
        port=_int(env, "PORT", DEFAULT_PORT, 1, 65535),
        data_dir=Path(env.get("PRWARDEN_DATA_DIR") or ".prwarden"),
        fail_on=fail_on,
        workers=_int(env, "PRWARDEN_WORKERS", 2, 1, 64),
        run_worker=(env.get("PRWARDEN_EMBEDDED_WORKER", "1") not in ("0", "false", "no")),
        queue_sync=_choice(env, "PRWARDEN_QUEUE_SYNC", "normal", ("normal", "full")),
        analysis_process=(env.get("PRWARDEN_ANALYSIS_PROCESS", "1") not in ("0", "false", "no")),
    )


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = (env.get(name) or default).strip().lower()
    if value not in choices:
        raise SettingsError(f"{name}={value!r}: choose one of {', '.join(choices)}")
    return value
