"""Majors behind: npm ranges through node-semver, Python specs through packaging."""

from __future__ import annotations

import pytest

from bot.drift.model import Ecosystem
from bot.drift.versions import Behind, Reference, UnreadableVersion, admits, behind, is_poetry_group, major, poetry_to_pep440

NPM, PYPI = Ecosystem.NPM, Ecosystem.PYPI


@pytest.mark.parametrize(
    ("spec", "latest", "reference", "majors"),
    [
        ("^0.34.6", "4.0.18", "0.34.6", 4),  # the feed's vitest: 0.x counts as major 0
        ("22.15.29", "25.2.3", "22.15.29", 3),
        ("^22.15.29", "25.2.3", "22.15.29", 3),
        ("~1.2", "5.0.0", "1.2.0", 4),
        ("1.x", "3.1.0", "1.0.0", 2),
        ("1.2.3 - 2", "5.0.0", "1.2.3", 4),
        ("^1.0.0 || ^2.0.0", "4.0.0", "1.0.0", 3),
        (">=2 <3", "3.0.0", "2.0.0", 1),
        ("^14.2.35", "14.9.0", None, None),  # admits latest
        ("*", "25.2.3", None, None),
        (">=1", "25.2.3", None, None),
        ("", "2.0.0", None, None),
        ("latest", "2.0.0", None, None),  # the dist-tag
    ],
)
def test_npm_ranges_count_from_their_lowest_admitted_version(spec: str, latest: str, reference: str | None, majors: int | None) -> None:
    result = behind(NPM, spec, None, latest)
    if reference is None:
        assert result is None
        return
    assert result is not None
    assert (result.reference, result.version, result.latest, result.majors) == (Reference.SPEC, reference, latest, majors)


def test_an_npm_range_without_lower_bound_uses_the_lowest_published_version_it_admits() -> None:
    result = behind(NPM, "<3", None, "25.2.3", ["0.1.0", "1.0.0", "2.1.0", "25.2.3"])
    assert result is not None and (result.version, result.majors) == ("0.1.0", 25)


def test_a_locked_version_wins_over_the_spec() -> None:
    result = behind(NPM, "^14.0.0", "14.2.35", "16.1.6")
    assert result is not None
    assert (result.reference, result.version, result.majors) == (Reference.CURRENT, "14.2.35", 2)


def test_a_locked_version_ahead_of_latest_is_not_behind() -> None:
    result = behind(NPM, "^5.0.0-beta.1", "5.0.0-beta.1", "4.0.18")
    assert result is not None and result.majors == 0


@pytest.mark.parametrize(
    ("spec", "latest", "reference", "majors"),
    [
        (">=2.0,<3", "5.1", "2.0", 3),
        ("==1.4.2", "3.0.0", "1.4.2", 2),
        ("==1.4.*", "5.1", "1.4", 4),
        ("~=1.4.2", "2.0", "1.4.2", 1),
        (">=2.0", "5.1", None, None),
        ("", "5.1", None, None),
    ],
)
def test_python_specs(spec: str, latest: str, reference: str | None, majors: int | None) -> None:
    result = behind(PYPI, spec, None, latest)
    if reference is None:
        assert result is None
        return
    assert result is not None and (result.version, result.majors) == (reference, majors)


def test_a_python_spec_with_only_an_upper_bound_uses_published_versions() -> None:
    result = behind(PYPI, "<3", None, "5.1", ["0.9", "1.0", "3.0rc1", "5.1"])
    assert result is not None and (result.version, result.majors) == ("0.9", 5)


def test_majors() -> None:
    assert major(NPM, "0.34.6") == 0
    assert major(NPM, "16.1.6") == 16
    assert major(PYPI, "2024.1") == 2024


@pytest.mark.parametrize("spec", ["next", "beta", "not a range at all", "^" + "1." * 300])
def test_unreadable_npm_specs_are_an_error_not_a_guess(spec: str) -> None:
    with pytest.raises(UnreadableVersion):
        behind(NPM, spec, None, "2.0.0")


def test_unreadable_python_spec() -> None:
    with pytest.raises(UnreadableVersion):
        behind(PYPI, "=>2", None, "3.0")


@pytest.mark.parametrize(
    ("spec", "pep440"),
    [
        ("^1.2.3", [">=1.2.3,<2"]),
        ("^0.2.3", [">=0.2.3,<0.3"]),
        ("^0.0.3", [">=0.0.3,<0.0.4"]),
        ("^0", [">=0,<1"]),
        ("~1.2.3", [">=1.2.3,<1.3"]),
        ("~1", [">=1,<2"]),
        ("~=1.4", ["~=1.4"]),
        ("*", [""]),
        ("1.2.3", ["==1.2.3"]),
        ("1.2.*", ["==1.2.*"]),
        (">= 2.0, < 3", [">=2.0,<3"]),
        ("^3.2 || ^4.0", [">=3.2,<4", ">=4.0,<5"]),
    ],
)
def test_poetry_constraints_in_pep_440(spec: str, pep440: list[str]) -> None:
    """python-poetry.org/docs/dependency-specification/: caret, tilde, wildcard, exact, unions."""
    assert poetry_to_pep440(spec) == pep440


def test_poetry_specs_measured_in_their_own_syntax() -> None:
    assert behind(Ecosystem.PYPI, "^3.2", None, "5.1", poetry=True) == Behind(Reference.SPEC, "3.2", "5.1", 2)
    assert behind(Ecosystem.PYPI, "^0.34.6", None, "4.0.18", poetry=True) == Behind(Reference.SPEC, "0.34.6", "4.0.18", 4)
    assert behind(Ecosystem.PYPI, "1.0.0", None, "4.0.18", poetry=True) == Behind(Reference.SPEC, "1.0.0", "4.0.18", 3)
    assert behind(Ecosystem.PYPI, "^1.2 || ~2.1", None, "5.0.1", poetry=True) == Behind(Reference.SPEC, "1.2", "5.0.1", 4)
    assert behind(Ecosystem.PYPI, "*", None, "4.0.18", poetry=True) is None
    assert behind(Ecosystem.PYPI, "~1.2 || ^5", None, "5.0.1", poetry=True) is None
    with pytest.raises(UnreadableVersion):
        behind(Ecosystem.PYPI, "^3.2", None, "5.1")  # not PEP 440 outside a Poetry table
    assert is_poetry_group("tool.poetry.group.dev.dependencies") and not is_poetry_group("project.dependencies")


def test_a_lock_entry_counts_only_when_the_spec_admits_it() -> None:
    assert admits(Ecosystem.NPM, "^4.0.0", "4.0.18") and not admits(Ecosystem.NPM, "^4.0.0", "0.34.6")
    assert admits(Ecosystem.NPM, "next", "5.0.0-beta.1")  # a dist-tag: the lockfile is believed
    assert admits(Ecosystem.PYPI, ">=2,<3", "2.4.0") and not admits(Ecosystem.PYPI, "==7.2.6", "5.0.0")
    assert admits(Ecosystem.PYPI, "^3.2", "3.9.1", poetry=True) and not admits(Ecosystem.PYPI, "^3.2", "4.0", poetry=True)
