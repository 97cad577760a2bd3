"""Users, the app's bot user, repository roles and ``author_association``.

Why: ``/prwarden rescan`` is authorised from a comment's ``author_association`` and from the
author's repository permission (``GET .../collaborators/{username}/permission``).  The fake
derives both from one table of per-repository roles that tests set, so the two never disagree.
Activity through an installation token is attributed to the bot user ``<app-slug>[bot]``
(facts §2.2), of type ``Bot``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import limits, shapes

if TYPE_CHECKING:
    from .fake import FakeRepo


@dataclass(frozen=True)
class FakeUser:
    """A GitHub account: a person (``User``), a bot (``Bot``) or an ``Organization``."""

    login: str
    id: int
    kind: str = "User"

    @property
    def is_bot(self) -> bool:
        return self.kind == "Bot"

    def json(self, base_url: str) -> dict[str, Any]:
        """The ``simple-user`` object; a bot's ``html_url`` is its app page, like GitHub's."""
        data = shapes.user_json(base_url, self.login, self.id, self.kind)
        if self.is_bot and self.login.endswith("[bot]"):
            data["html_url"] = f"{base_url}/apps/{self.login[: -len('[bot]')]}"
        return data


def role_of(repo: FakeRepo, user: FakeUser) -> str:
    """The user's role on ``repo``: one of ``limits.COLLABORATOR_ROLES`` or ``"none"``.

    The account that owns the repository administers it; on a public repository everybody
    can read; otherwise only the roles tests granted with ``FakeRepo.set_role`` count.
    """
    if user.login.lower() == repo.owner.lower():
        return "admin"
    role = repo.roles.get(user.login.lower())
    if role is not None and role != "none":
        return role
    return "read" if not repo.private else "none"


def author_association(repo: FakeRepo, user: FakeUser) -> str:
    """GitHub's ``author_association`` for ``user`` on ``repo`` (without contribution history).

    OWNER for the owning account, MEMBER for members of the owning organization, COLLABORATOR
    for anyone granted a role, else NONE.  CONTRIBUTOR / FIRST_TIMER / FIRST_TIME_CONTRIBUTOR
    depend on commit history the fake does not track: tests pass them explicitly.
    """
    login = user.login.lower()
    if login == repo.owner.lower():
        return "OWNER"
    if login in repo.members:
        return "MEMBER"
    if repo.roles.get(login, "none") != "none":
        return "COLLABORATOR"
    return "NONE"


def collaborator_json(base_url: str, user: FakeUser, role: str) -> dict[str, Any]:
    """The ``collaborator`` object of ``GET .../collaborators/{username}/permission``."""
    rank = (
        limits.COLLABORATOR_ROLES.index(role) if role in limits.COLLABORATOR_ROLES else len(limits.COLLABORATOR_ROLES)
    )

    def at_least(needed: str) -> bool:
        return rank <= limits.COLLABORATOR_ROLES.index(needed)

    return user.json(base_url) | {
        "permissions": {
            "admin": at_least("admin"),
            "maintain": at_least("maintain"),
            "push": at_least("write"),
            "triage": at_least("triage"),
            "pull": at_least("read"),
        },
        "role_name": role,
    }
