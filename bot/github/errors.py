"""Errors at the GitHub boundary, split by what the caller should do about them."""

from __future__ import annotations


class GitHubError(Exception):
    """A request to GitHub failed; `status` is None when no response arrived."""

    def __init__(self, message: str, *, status: int | None = None, method: str = "", path: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.method = method
        self.path = path

    def __str__(self) -> str:
        where = f"{self.method} {self.path}".strip()
        code = f" ({self.status})" if self.status is not None else ""
        return f"GitHub {where}{code}: {self.args[0]}" if where else str(self.args[0])


class RetryLater(GitHubError):
    """GitHub asked us to wait longer than one call should sleep (rate limit, long outage).

    The job goes back on the queue to run at `retry_at` (epoch seconds) instead of holding a
    worker asleep for up to an hour.
    """

    def __init__(self, message: str, *, retry_at: float, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_at = retry_at


class InstallationSuspended(GitHubError):
    """Token minting answered 403 "This installation has been suspended": retrying cannot help."""


class NotConfigured(Exception):
    """The App's settings are missing; the message says which and how to set them."""
