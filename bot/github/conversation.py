"""The pull request conversation: the PR itself, who may command the bot, reactions, replies.

Thin wrappers over the REST endpoints, so the worker reads as what it does.
"""

from __future__ import annotations

from typing import Any

from bot.github.client import InstallationClient
from bot.github.errors import GitHubError


async def pull(client: InstallationClient, repo: str, number: int) -> dict[str, Any]:
    data: dict[str, Any] = await client.json("GET", f"/repos/{repo}/pulls/{number}")
    return data


async def permission(client: InstallationClient, repo: str, login: str) -> str:
    """admin, write, read or none (maintain reads as write, triage as read, in this API);
    someone who is not a collaborator at all is "none"."""
    try:
        data = await client.json("GET", f"/repos/{repo}/collaborators/{login}/permission")
    except GitHubError as exc:
        if exc.status == 404:
            return "none"
        raise
    return str(data.get("permission") or "none")


async def react(client: InstallationClient, repo: str, comment_id: int, content: str) -> None:
    """Add a reaction to an issue comment; a comment deleted meanwhile is no error."""
    try:
        await client.request("POST", f"/repos/{repo}/issues/comments/{comment_id}/reactions", json={"content": content})
    except GitHubError as exc:
        if exc.status not in (404, 410):
            raise


async def reply(client: InstallationClient, repo: str, number: int, body: str) -> None:
    await client.request("POST", f"/repos/{repo}/issues/{number}/comments", json={"body": body})
