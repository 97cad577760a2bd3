"""Shared pytest fixtures."""

from tests.registries.fixtures import *  # noqa: F401,F403  (real npm and PyPI registries)
