"""A fake GitHub REST API for PR Warden's tests, backed by real git repositories.

Tour::

    with FakeGitHub(app_id=4242, tmp_path=tmp_path) as fake:     # serves on 127.0.0.1:<port>
        fake.add_installation(7)
        repo = fake.create_repo("octo-org/hello-world", installation_id=7)
        repo.commit({"README.md": "hi\\n"})                       # main
        repo.commit({"app.py": "print(1)\\n"}, branch="feature")  # branched from main
        pr = repo.open_pull(base="main", head="feature")
        payload = fake.pull_request_payload(repo, pr)             # GitHub's real example, rewritten
        fake.deliver(bot_url, "pull_request", payload, secret="s3cret")
        ...
        assert fake.schema_violations == []

The fake enforces GitHub's auth rules (App JWT, installation tokens, permissions), the Checks
API limits, pagination and diff semantics of ``pulls/{n}/files``, contents/blob media types,
and validates every JSON body against GitHub's OpenAPI description.
"""

from .auth import DEFAULT_PERMISSIONS, Installation, InstallationToken
from .checks import CheckRunState
from .fake import FakeGitHub, FakePull, FakeRepo, RecordedRequest
from .faults import Fault

__all__ = [
    "DEFAULT_PERMISSIONS",
    "CheckRunState",
    "FakeGitHub",
    "FakePull",
    "FakeRepo",
    "Fault",
    "Installation",
    "InstallationToken",
    "RecordedRequest",
]
