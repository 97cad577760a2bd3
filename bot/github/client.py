"""The one way PR Warden talks to GitHub: githubkit underneath, our retry policy around it.

githubkit provides the App JWT, the API version header, base URL and error types; its own retries
are turned off because they skip timeouts, connection errors and header-less secondary limits
and sleep for up to an hour inside a call (shared/github-facts.md §6.1).
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
from githubkit import GitHub
from githubkit.auth import AppAuthStrategy
from githubkit.cache import MemCacheStrategy
from githubkit.exception import RequestError, RequestFailed, RequestTimeout

from bot.github.auth import InstallationToken, InstallationTokens, parse_expires_at
from bot.github.errors import GitHubError, InstallationSuspended, RetryLater
from bot.github.retry import RetryPolicy, decide

log = logging.getLogger(__name__)

RAW = "application/vnd.github.raw"
"""Media type for file bytes: works for files up to 100 MB, where base64 JSON stops at 1 MB."""

_NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="next"')


def next_link(headers: Mapping[str, str]) -> str | None:
    """The `rel="next"` URL of a paginated answer; GitHub asks clients to follow it, not build pages."""
    link = headers.get("link") or headers.get("Link") or ""
    match = _NEXT_LINK.search(link)
    return match.group(1) if match else None


def _tls_context() -> ssl.SSLContext:
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


class BodyTooLarge(GitHubError):
    """A streamed body exceeded the caller's byte cap."""


class GitHubApp:
    """The App identity: mints installation tokens and hands out per-installation clients."""

    def __init__(
        self,
        *,
        app_id: str,
        private_key: str,
        api_url: str,
        policy: RetryPolicy | None = None,
        timeout: float = 10.0,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.policy = policy or RetryPolicy()
        self.timeout = timeout
        self._sleep = sleep
        # githubkit opens an httpx client per job and per token mint; building an SSL context
        # (loading the CA bundle) each time costs ~30 ms of CPU, so build it once.
        tls = _tls_context()
        self._app = GitHub(
            AppAuthStrategy(app_id, private_key),
            base_url=self.api_url + "/",
            http_cache=False,
            auto_retry=False,
            timeout=timeout,
            # githubkit's default cache is process-wide and keyed by App id only: a JWT signed
            # with another key for the same id (key rotation, tests) would be reused.
            cache_strategy=MemCacheStrategy(),
            ssl_verify=tls,
        )
        self._plain = GitHub(
            base_url=self.api_url + "/", http_cache=False, auto_retry=False, timeout=timeout, ssl_verify=tls
        )
        self.tokens = InstallationTokens(self._mint)

    async def _mint(self, installation_id: int) -> InstallationToken:
        path = f"/app/installations/{installation_id}/access_tokens"
        try:
            response = await self._send(self._app, "POST", path, {}, suspended_is_final=True)
        except RequestFailed as exc:  # pragma: no cover - _send converts these
            raise GitHubError(str(exc), status=exc.response.status_code, method="POST", path=path) from exc
        data = response.json()
        return InstallationToken(data["token"], parse_expires_at(data["expires_at"]))

    def installation(self, installation_id: int) -> InstallationClient:
        return InstallationClient(self, installation_id)

    async def _send(
        self,
        gh: GitHub[Any],
        method: str,
        path: str,
        kwargs: dict[str, Any],
        *,
        suspended_is_final: bool = False,
    ) -> httpx.Response:
        """One logical request with retries; returns the raw httpx response on 2xx/3xx."""
        attempt = 0
        while True:
            attempt += 1
            status: int | None = None
            headers: Mapping[str, str] = {}
            message = ""
            try:
                response = await gh.arequest(method, path, **kwargs)
                return response.raw_response
            except RequestFailed as exc:
                raw = exc.response.raw_response
                status, headers = raw.status_code, raw.headers
                message = _error_message(raw)
                if suspended_is_final and status == 403 and "suspended" in message.lower():
                    raise InstallationSuspended(message, status=status, method=method, path=path) from exc
                if status == 401:
                    raise _Unauthorized(message, status=status, method=method, path=path) from exc
            except RequestTimeout as exc:
                message = f"timed out: {exc.exc!r}"
            except RequestError as exc:
                message = f"connection failed: {exc.exc!r}"
            verdict = decide(attempt, status=status, headers=headers, message=message, now=time.time(), policy=self.policy)
            if not verdict.retry:
                raise GitHubError(f"{message} ({verdict.reason})", status=status, method=method, path=path)
            if verdict.delay > self.policy.max_sleep_in_call:
                raise RetryLater(message, retry_at=time.time() + verdict.delay, status=status, method=method, path=path)
            log.warning("GitHub %s %s: %s; retry %d in %.1fs", method, path, verdict.reason, attempt, verdict.delay)
            await self._sleep(verdict.delay)


class _Unauthorized(GitHubError):
    """401 from GitHub: the token was revoked or expired early."""


def _error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500] or response.reason_phrase
    if isinstance(body, dict):
        message = str(body.get("message", ""))
        errors = body.get("errors")
        return f"{message} {errors}" if errors else message
    return str(body)[:500]


class InstallationClient:
    """Requests as one installation; a revoked token is dropped and re-minted once."""

    def __init__(self, app: GitHubApp, installation_id: int) -> None:
        self.app = app
        self.installation_id = installation_id

    @asynccontextmanager
    async def session(self) -> AsyncIterator[InstallationClient]:
        """Keep one connection pool open for the duration of a job (and its child tasks)."""
        async with self.app._plain:
            yield self

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        accept: str | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        for attempt in (1, 2):
            token = await self.app.tokens.get(self.installation_id)
            headers = {"Authorization": f"token {token}"}
            if accept:
                headers["Accept"] = accept
            kwargs: dict[str, Any] = {"headers": headers, "params": params, "stream": stream}
            if json is not None:
                kwargs["json"] = json
            try:
                return await self.app._send(self.app._plain, method, path, kwargs)
            except _Unauthorized as exc:
                self.app.tokens.drop(self.installation_id, token)
                if attempt == 2:
                    raise GitHubError(str(exc.args[0]), status=401, method=method, path=path) from exc
                log.warning("GitHub %s %s: 401, minting a new installation token", method, path)
        raise AssertionError("unreachable")

    async def json(self, method: str, path: str, **kw: Any) -> Any:
        return (await self.request(method, path, **kw)).json()

    async def paginate(self, path: str, *, params: Mapping[str, Any] | None = None, limit: int | None = None) -> list[Any]:
        """All items of a list endpoint, following `Link: rel="next"` as GitHub asks."""
        items: list[Any] = []
        url: str | None = path
        query: Mapping[str, Any] | None = {**(params or {}), "per_page": 100}
        while url:
            response = await self.request("GET", url, params=query)
            page = response.json()
            items.extend(page)
            if limit is not None and len(items) >= limit:
                return items[:limit]
            url, query = next_link(response.headers), None
        return items

    async def read_bounded(self, path: str, *, params: Mapping[str, Any], cap: int, accept: str = RAW) -> bytes | None:
        """Raw bytes of a file, or None when it does not exist; BodyTooLarge above `cap` bytes."""
        try:
            response = await self.request("GET", path, params=params, accept=accept, stream=True)
        except GitHubError as exc:
            if exc.status == 404:
                return None
            raise
        try:
            declared = response.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > cap:
                raise BodyTooLarge(f"{declared} bytes is over the {cap}-byte cap", method="GET", path=path)
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > cap:
                    raise BodyTooLarge(f"over the {cap}-byte cap", method="GET", path=path)
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            await response.aclose()
