"""GitHub App authentication: the App JWT (made by githubkit) and a cache of installation tokens.

githubkit signs the JWT (RS256, `iat` 60 s in the past, `exp` 9 minutes ahead: under GitHub's
10-minute cap even with a slightly fast clock). Installation tokens are cached here rather than in
githubkit because githubkit keeps using a cached token after GitHub answered 401 (revoked); we
drop it and mint again once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone

TOKEN_REFRESH_MARGIN = 300.0
"""Mint a new token this many seconds before `expires_at`, so no request races the expiry."""


@dataclass(frozen=True)
class InstallationToken:
    token: str
    expires_at: float
    """Epoch seconds."""

    def fresh(self, now: float) -> bool:
        return self.expires_at - now > TOKEN_REFRESH_MARGIN


def parse_expires_at(text: str) -> float:
    """GitHub sends `YYYY-MM-DDTHH:MM:SSZ`; accept any ISO-8601 form for GitHub Enterprise."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


Minter = Callable[[int], Awaitable[InstallationToken]]


class InstallationTokens:
    """Installation id -> token, minted on demand, one mint at a time per installation."""

    def __init__(self, mint: Minter, *, clock: Callable[[], float] = time.time) -> None:
        self._mint = mint
        self._clock = clock
        self._tokens: dict[int, InstallationToken] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self.minted = 0

    async def get(self, installation_id: int) -> str:
        cached = self._tokens.get(installation_id)
        if cached and cached.fresh(self._clock()):
            return cached.token
        lock = self._locks.setdefault(installation_id, asyncio.Lock())
        async with lock:
            cached = self._tokens.get(installation_id)
            if cached and cached.fresh(self._clock()):
                return cached.token
            token = await self._mint(installation_id)
            self.minted += 1
            self._tokens[installation_id] = token
            return token.token

    def drop(self, installation_id: int, token: str) -> None:
        """Forget `token` after a 401, unless another request already replaced it."""
        cached = self._tokens.get(installation_id)
        if cached and cached.token == token:
            del self._tokens[installation_id]
