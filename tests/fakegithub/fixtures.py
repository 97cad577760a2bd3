"""pytest fixtures; import them in a conftest: ``from tests.fakegithub.fixtures import fake_github``.

Start-up costs ~0.1 s (RSA key + uvicorn), so the fixture is function-scoped for isolation; the
OpenAPI description is prepared once per process and shared (``openapi.description`` cache).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from . import openapi
from .fake import FakeGitHub


@pytest.fixture(scope="session")
def github_openapi() -> openapi.OpenAPIDescription:
    """GitHub's prepared API description (fetched with npm on first use, then cached on disk)."""
    return openapi.description()


@pytest.fixture
def fake_github(tmp_path: Path) -> Iterator[FakeGitHub]:
    """A started FakeGitHub (app id 4242); fails the test if the fake itself misbehaved."""
    openapi.description()  # prepared once per process; done here so no request pays for it
    fake = FakeGitHub(app_id=4242, tmp_path=tmp_path / "fakegithub")
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
    assert not fake.server_errors, "fake GitHub crashed:\n" + "\n".join(fake.server_errors)
    assert not fake.response_violations, "fake GitHub broke GitHub's response schema:\n" + "\n".join(
        fake.response_violations
    )
