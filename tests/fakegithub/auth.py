"""App JWT verification and installation tokens, with GitHub's rules and error messages.

Why: most production failures of GitHub Apps are auth edge cases (clock skew, a too-long
``exp``, a revoked or expired token, a suspended installation).  The fake reproduces GitHub's
checks and its exact 401/403 messages so the bot's handling of them can be tested.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import string
import threading
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from . import limits
from .errors import ApiError

#: Default permissions of an installation: what PR Warden's app.yml asks for (facts §7.4).
DEFAULT_PERMISSIONS: dict[str, str] = {
    "checks": "write",
    "pull_requests": "write",
    "contents": "read",
    "issues": "read",
    "metadata": "read",
}

MSG_JWT_UNDECODABLE = "A JSON web token could not be decoded"
MSG_EXP_TOO_FAR = "'Expiration time' claim ('exp') is too far in the future"
MSG_EXP_INVALID = (
    "'Expiration time' claim ('exp') must be a numeric value representing the future time at which "
    "the assertion expires"
)
MSG_IAT_INVALID = "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
MSG_ISS_INVALID = "'Issuer' claim ('iss') must be an Integer"
MSG_SUSPENDED = "This installation has been suspended"
_TOKEN_ALPHABET = string.ascii_letters + string.digits


def generate_private_key_pem() -> tuple[str, rsa.RSAPublicKey]:
    """A fresh RSA-2048 key in PKCS#1 PEM ("BEGIN RSA PRIVATE KEY"), as GitHub hands out."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.TraditionalOpenSSL,
        encryption_algorithm=serialization.NoEncryption(),
    )
    return pem.decode(), key.public_key()


def format_timestamp(epoch: float) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ``: GitHub's format, which githubkit parses with strptime."""
    return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).strftime(limits.TIMESTAMP_FORMAT)


def encode_jwt(claims: dict[str, Any], private_key_pem: str) -> str:
    """Sign arbitrary claims with RS256 (PyJWS, so an integer ``iss`` is allowed like GitHub)."""
    payload = json.dumps(claims, separators=(",", ":")).encode()
    return jwt.PyJWS().encode(payload, private_key_pem, algorithm="RS256", headers={"typ": "JWT"})


def looks_like_jwt(credential: str) -> bool:
    return credential.count(".") == 2 and credential.startswith("eyJ")


@dataclass
class JwtPolicy:
    """Tunable tolerances; defaults are GitHub's (facts §2.1)."""

    iat_skew: int = limits.JWT_DEFAULT_IAT_SKEW_SECONDS
    exp_allowance: int = 0
    max_exp_ahead: int = limits.JWT_MAX_EXP_AHEAD_SECONDS
    max_lifetime: int = limits.JWT_MAX_LIFETIME_SECONDS


def verify_app_jwt(
    token: str,
    *,
    public_key: rsa.RSAPublicKey,
    app_id: int,
    client_id: str,
    now: float,
    policy: JwtPolicy,
) -> dict[str, Any]:
    """Check an App JWT like GitHub; raise ``ApiError(401, <GitHub's message>)`` on failure."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise ApiError(401, MSG_JWT_UNDECODABLE) from None
    if header.get("alg") != "RS256":
        raise ApiError(401, MSG_JWT_UNDECODABLE)
    try:
        # PyJWS (not PyJWT) so that claim types are checked below with GitHub's messages:
        # GitHub accepts ``iss`` as an integer, which PyJWT's claim layer would reject.
        raw_claims = jwt.PyJWS().decode(token, public_key, algorithms=["RS256"])
        claims = json.loads(raw_claims)
    except (jwt.PyJWTError, ValueError):
        # Wrong key or tampered token: GitHub cannot verify it with the app's key.
        raise ApiError(401, MSG_JWT_UNDECODABLE) from None
    if not isinstance(claims, dict):
        raise ApiError(401, MSG_JWT_UNDECODABLE)
    iss = claims.get("iss")
    if iss is None or isinstance(iss, bool):
        raise ApiError(401, MSG_ISS_INVALID)
    if str(iss) not in (str(app_id), client_id):
        raise ApiError(401, MSG_JWT_UNDECODABLE)
    iat = claims.get("iat")
    if not isinstance(iat, (int, float)) or isinstance(iat, bool) or iat > now + policy.iat_skew:
        raise ApiError(401, MSG_IAT_INVALID)
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool) or exp <= now:
        raise ApiError(401, MSG_EXP_INVALID)
    if exp - now > policy.max_exp_ahead + policy.exp_allowance or exp - iat > policy.max_lifetime:
        raise ApiError(401, MSG_EXP_TOO_FAR)
    return claims


@dataclass
class Installation:
    """An installation of the fake app on one account."""

    id: int
    account: str
    permissions: dict[str, str]
    suspended: bool = False
    account_id: int = 0
    repository_ids: set[int] = field(default_factory=set)


@dataclass
class InstallationToken:
    """A minted ``ghs_`` token; ``repository_ids`` None means every repo of the installation."""

    token: str
    installation_id: int
    expires_at: float
    permissions: dict[str, str]
    repository_ids: frozenset[int] | None
    revoked: bool = False

    def alive(self, now: float) -> bool:
        return not self.revoked and now < self.expires_at

    def allows(self, permission: str, level: str) -> bool:
        granted = self.permissions.get(permission)
        return granted == "write" or (granted == "read" and level == "read")


class TokenStore:
    """Thread-safe registry of minted tokens (the server thread and the test thread share it)."""

    def __init__(self) -> None:
        self._tokens: dict[str, InstallationToken] = {}
        self._lock = threading.Lock()
        self.minted = 0

    def mint(
        self,
        installation_id: int,
        *,
        now: float,
        ttl: float,
        permissions: dict[str, str],
        repository_ids: frozenset[int] | None,
    ) -> InstallationToken:
        token = "ghs_" + "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(36))
        record = InstallationToken(token, installation_id, int(now + ttl), dict(permissions), repository_ids)
        with self._lock:
            self._tokens[token] = record
            self.minted += 1
        return record

    def get(self, token: str) -> InstallationToken | None:
        with self._lock:
            return self._tokens.get(token)

    def revoke(self, token: str) -> bool:
        with self._lock:
            record = self._tokens.get(token)
            if record is None:
                return False
            record.revoked = True
            return True

    def revoke_installation(self, installation_id: int) -> int:
        with self._lock:
            victims = [t for t in self._tokens.values() if t.installation_id == installation_id and not t.revoked]
            for record in victims:
                record.revoked = True
            return len(victims)

    def all(self) -> list[InstallationToken]:
        with self._lock:
            return list(self._tokens.values())


def parse_authorization(header: str | None) -> tuple[str | None, str | None]:
    """Split ``Authorization`` into (scheme lower-cased, credential)."""
    if not header:
        return None, None
    scheme, _, credential = header.strip().partition(" ")
    return scheme.lower(), credential.strip() or None


def downscope(granted: dict[str, str], requested: dict[str, str] | None) -> dict[str, str]:
    """Requested permissions must not exceed the installation's (else 422 like GitHub)."""
    if not requested:
        return dict(granted)
    for name, level in requested.items():
        have = granted.get(name)
        if have is None or (have == "read" and level == "write"):
            raise ApiError(422, "The permissions requested are not granted to this installation.")
    return dict(requested)
