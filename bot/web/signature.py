"""Webhook signature check: HMAC-SHA256 of the raw body, compared in constant time.

Only `X-Hub-Signature-256` is read; the legacy SHA-1 header is never a fallback (GitHub docs,
"Validating webhook deliveries").
"""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def sign(secret: str, body: bytes) -> str:
    return PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    if not header or not header.startswith(PREFIX):
        return False
    try:
        claimed = bytes.fromhex(header[len(PREFIX) :].strip())
    except ValueError:
        return False
    return hmac.compare_digest(hmac.digest(secret.encode(), body, "sha256"), claimed)
