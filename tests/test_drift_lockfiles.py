"""Lockfile parsers: the version each lockfile resolved a manifest's dependency to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.drift.lockfiles import LOCKFILE_NAMES, is_lockfile, parse_lockfile
from bot.drift.lockfiles.package_lock import PackageLock
from bot.drift.lockfiles.pnpm_lock import PnpmLock, locked_version
from bot.drift.lockfiles.poetry_lock import PoetryLock
from bot.drift.lockfiles.uv_lock import UvLock
from bot.drift.lockfiles.yarn_lock import YarnLock
from bot.drift.manifests import parse_manifest
from bot.drift.model import Dependency, Ecosystem, ManifestError

DATA = Path(__file__).parent / "data" / "drift"


def _read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def npm(key: str, spec: str = "^1.0.0", name: str | None = None, group: str = "dependencies") -> Dependency:
    return Dependency(Ecosystem.NPM, key, name or key, spec, 1, group)


def pypi(name: str, spec: str = "") -> Dependency:
    return Dependency(Ecosystem.PYPI, name.lower(), name, spec, 1, "project.dependencies")


# --- registry --------------------------------------------------------------------------------


def test_lockfile_names_by_the_manifest_they_lock() -> None:
    """npm-shrinkwrap.json first (npm installs from it when both exist); requirements files have
    no lockfile (a poetry.lock or uv.lock above one locks a pyproject.toml, not it)."""
    assert LOCKFILE_NAMES == {
        "package.json": ("npm-shrinkwrap.json", "package-lock.json", "pnpm-lock.yaml", "yarn.lock"),
        "pyproject.toml": ("poetry.lock", "uv.lock"),
    }


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("package-lock.json", True),
        ("apps/web/npm-shrinkwrap.json", True),
        ("pnpm-lock.yaml", True),
        ("yarn.lock", True),
        ("poetry.lock", True),
        ("svc/uv.lock", True),
        ("pnpm-lock.yml", False),
        ("package.json", False),
        ("Pipfile.lock", False),
    ],
)
def test_is_lockfile(path: str, expected: bool) -> None:
    assert is_lockfile(path) is expected


def test_parse_lockfile_dispatches_by_name_and_refuses_others() -> None:
    kinds = {
        "package-lock.json": (_read("package-lock-v3.json"), PackageLock),
        "npm-shrinkwrap.json": (_read("npm-shrinkwrap-v1.json"), PackageLock),
        "pnpm-lock.yaml": (_read("pnpm-lock-v9.yaml"), PnpmLock),
        "yarn.lock": (_read("yarn-berry.lock"), YarnLock),
        "poetry.lock": (_read("poetry.lock"), PoetryLock),
        "uv.lock": (_read("uv.lock"), UvLock),
    }
    for name, (text, kind) in kinds.items():
        lockfile = parse_lockfile(f"repo/{name}", text)
        assert isinstance(lockfile, kind)
        assert lockfile.path == f"repo/{name}"
    with pytest.raises(ValueError, match="not a lockfile"):
        parse_lockfile("Gemfile.lock", "")


# --- package-lock.json -----------------------------------------------------------------------


def test_package_lock_v3_root_aliases_and_links() -> None:
    lock = parse_lockfile("package-lock.json", _read("package-lock-v3.json"))
    assert lock.ecosystem is Ecosystem.NPM
    assert lock.resolve("", npm("next", "^12.3.4")) == "12.3.4"
    assert lock.resolve("", npm("v4", "^4.0.0", name="vitest")) == "4.0.1"
    # A workspace sibling is a symlink: it takes the version of the folder it points to.
    assert lock.resolve("", npm("@acme/ui")) == "1.4.0"
    assert lock.resolve("", npm("left-pad")) is None


def test_package_lock_v3_workspace_nested_before_hoisted() -> None:
    lock = parse_lockfile("package-lock.json", _read("package-lock-v3.json"))
    assert lock.resolve("packages/ui", npm("lodash", "^3.10.0")) == "3.10.1"
    assert lock.resolve("", npm("lodash", "^4.17.0")) == "4.17.21"
    # admin has its own @types/node; ui walks up to the hoisted one.
    assert lock.resolve("packages/admin", npm("@types/node")) == "18.19.8"
    assert lock.resolve("packages/ui", npm("@types/node")) == "20.11.5"
    assert lock.resolve("./packages/ui/", npm("lodash")) == "3.10.1"
    assert lock.resolve("packages/ui", npm("next")) == "12.3.4"


def test_package_lock_v2_prefers_packages_over_legacy_tree() -> None:
    lock = parse_lockfile("package-lock.json", _read("package-lock-v2.json"))
    assert lock.resolve("", npm("express", "^4.18.0")) == "4.18.2"


def test_package_lock_v1_tree_aliases_and_nesting() -> None:
    lock = parse_lockfile("npm-shrinkwrap.json", _read("npm-shrinkwrap-v1.json"))
    assert lock.resolve("", npm("chalk", "^2.4.0")) == "2.4.2"
    assert lock.resolve("", npm("ansi-styles")) == "3.2.1"
    assert lock.resolve("", npm("string-width-cjs", "^4.2.0", name="string-width")) == "4.2.3"
    assert lock.resolve("", npm("@scope/tool", "^2.0.0-beta", name="@other/tool")) == "2.0.0-beta.3"
    assert isinstance(lock, PackageLock)
    assert lock.versions["node_modules/yargs/node_modules/ansi-styles"] == "4.3.0"
    # v1 has no workspace folders: a manifest below the root resolves as Node would, upwards.
    assert lock.resolve("tools/cli", npm("chalk")) == "2.4.2"


def test_package_lock_without_packages_is_empty() -> None:
    lock = parse_lockfile("package-lock.json", '{"name": "x", "lockfileVersion": 3}')
    assert lock.resolve("", npm("a")) is None


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            '{\n  "lockfileVersion": 3,\n  "packages": {\n    "node_modules/a": {"version": "1.0.0"}\n  \n',
            6,
            "invalid JSON: Expecting ',' delimiter",
        ),
        ("[]", 1, "lockfile is not a JSON object"),
        ('{"packages": []}', None, '"packages" / "dependencies" is not an object'),
    ],
)
def test_package_lock_broken(text: str, line: int | None, message: str) -> None:
    with pytest.raises(ManifestError) as caught:
        parse_lockfile("package-lock.json", text)
    assert (caught.value.path, caught.value.line, caught.value.message) == ("package-lock.json", line, message)


# --- pnpm-lock.yaml --------------------------------------------------------------------------


def test_pnpm_v9_importers_peer_suffixes_aliases_and_links() -> None:
    lock = parse_lockfile("pnpm-lock.yaml", _read("pnpm-lock-v9.yaml"))
    assert lock.resolve("", npm("react-dom", "^18.2.0")) == "18.2.0"
    assert lock.resolve("", npm("v4", "^4.0.0", name="vitest")) == "4.0.1"
    assert lock.resolve("", npm("@acme/ui", "workspace:*")) is None
    assert lock.resolve("", npm("typescript", group="devDependencies")) == "5.3.3"
    assert lock.resolve("packages/ui", npm("@scope/alias", "^2.0.0", name="@other/pkg")) == "2.1.0"
    assert lock.resolve("packages/ui", npm("fsevents", group="optionalDependencies")) == "2.3.3"
    assert lock.resolve("packages/ui", npm("react")) is None
    assert lock.resolve("packages/missing", npm("lodash")) is None


def test_pnpm_section_of_the_declaration_is_looked_at_first() -> None:
    lock = parse_lockfile("pnpm-lock.yaml", _read("pnpm-lock-v9.yaml"))
    assert lock.resolve("", npm("react", group="dependencies")) == "18.2.0"
    assert lock.resolve("", npm("react", group="devDependencies")) == "18.1.0"
    assert lock.resolve("", npm("react", group="peerDependencies")) == "18.2.0"


def test_pnpm_v6_single_project() -> None:
    lock = parse_lockfile("pnpm-lock.yaml", _read("pnpm-lock-v6.yaml"))
    assert lock.resolve("", npm("chalk")) == "5.3.0"
    assert lock.resolve("", npm("react-dom")) == "18.2.0"
    assert lock.resolve("", npm("@scope/pkg")) == "1.2.5"
    assert lock.resolve("", npm("string-width-cjs", name="string-width", group="devDependencies")) == "4.2.3"
    assert lock.resolve("", npm("scoped-alias", name="@other/tool", group="devDependencies")) == "3.1.0"
    assert lock.resolve("", npm("local", "file:../local")) is None


def test_pnpm_v5_single_project_with_underscore_peers() -> None:
    lock = parse_lockfile("pnpm-lock.yaml", _read("pnpm-lock-v5.yaml"))
    assert lock.resolve("", npm("axios")) == "0.27.2"
    assert lock.resolve("", npm("@testing-library/react", group="devDependencies")) == "13.4.0"
    assert lock.resolve("", npm("string-width-cjs", name="string-width")) == "4.2.3"
    assert lock.resolve("", npm("@scope/old", name="@other/old")) == "1.0.7"


def test_pnpm_v5_workspace_importers() -> None:
    lock = parse_lockfile("pnpm-lock.yaml", _read("pnpm-lock-v5-workspace.yaml"))
    assert lock.resolve("", npm("typescript", group="devDependencies")) == "4.9.5"
    assert lock.resolve("packages/core", npm("dayjs")) == "1.11.7"
    assert lock.resolve("packages/core", npm("@acme/utils", "workspace:^1.0.0")) is None


def test_pnpm_env_document_before_the_lockfile() -> None:
    text = (
        "---\nlockfileVersion: '9.0'\nimporters:\n  .:\n    configDependencies: {}\n"
        "---\nlockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      zod:\n"
        "        specifier: ^3.22.0\n        version: 3.22.4\n"
    )
    assert parse_lockfile("pnpm-lock.yaml", text).resolve("", npm("zod")) == "3.22.4"


@pytest.mark.parametrize(
    ("value", "v5", "expected"),
    [
        ("1.2.3", False, "1.2.3"),
        ("18.2.0(react@18.2.0)(typescript@5.3.3)", False, "18.2.0"),
        ("1.0.0-rc.1(@types/react@18.2.0)", False, "1.0.0-rc.1"),
        ("/@scope/name@2.0.0(react@18.2.0)", False, "2.0.0"),
        ("@scope/name@2.0.0", False, "2.0.0"),
        ("1.2.3_react@18.2.0", True, "1.2.3"),
        ("/@scope/name/2.0.0_hash123", True, "2.0.0"),
        ("link:../utils", False, None),
        ("file:../local", True, None),
        ("github.com/acme/repo/0123456", True, None),
        ("https://codeload.github.com/acme/repo/tar.gz/0123456", False, None),
    ],
)
def test_pnpm_locked_version(value: str, v5: bool, expected: str | None) -> None:
    assert locked_version(value, v5) == expected


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      a: [1.0.0\n", 6),
        ("lockfileVersion: '9.0'\nimporters:\n  .:\n   dependencies: {}\n  bad indent: here\n x: 1\n", 6),
    ],
)
def test_pnpm_broken_yaml_names_the_line(text: str, line: int) -> None:
    with pytest.raises(ManifestError) as caught:
        parse_lockfile("pnpm-lock.yaml", text)
    assert caught.value.line == line
    assert caught.value.message.startswith("invalid YAML: ")


def test_pnpm_not_a_mapping() -> None:
    with pytest.raises(ManifestError) as caught:
        parse_lockfile("pnpm-lock.yaml", "- just\n- a list\n")
    assert (caught.value.message, caught.value.line) == ("pnpm lockfile is not a YAML mapping", 1)


# --- yarn.lock -------------------------------------------------------------------------------


def test_yarn_classic_descriptors() -> None:
    lock = parse_lockfile("yarn.lock", _read("yarn-classic.lock"))
    assert isinstance(lock, YarnLock) and not lock.berry
    assert lock.resolve("", npm("@babel/code-frame", "^7.10.4")) == "7.12.13"
    assert lock.resolve("", npm("lodash", "^4.17.20")) == "4.17.21"
    assert lock.resolve("packages/any", npm("lodash", "^4.17.21")) == "4.17.21"
    assert lock.resolve("", npm("string-width-cjs", "^4.2.0", name="string-width")) == "4.2.3"
    assert lock.resolve("", npm("typescript", "~5.3.0")) == "5.3.3"
    # The spec changed in package.json but the lockfile was not regenerated: not locked.
    assert lock.resolve("", npm("lodash", "^4.18.0")) is None


def test_yarn_classic_only_the_entry_version_field_counts() -> None:
    lock = parse_lockfile("yarn.lock", _read("yarn-classic.lock"))
    assert isinstance(lock, YarnLock)
    assert "not-the-version" not in lock.descriptors.values()


def test_yarn_berry_descriptors_and_resolutions() -> None:
    lock = parse_lockfile("yarn.lock", _read("yarn-berry.lock"))
    assert isinstance(lock, YarnLock) and lock.berry
    assert lock.resolve("", npm("vitest", "^0.34.6")) == "0.34.6"
    assert lock.resolve("", npm("v4", "^4.0.0", name="vitest")) == "4.0.1"
    assert lock.resolve("", npm("@vitest/ui", "^0.34.6")) == "0.34.7"
    assert lock.resolve("", npm("lodash", "^4.17.20")) == "4.17.21"
    assert lock.resolve("", npm("resolve", "^1.22.8")) is None
    assert lock.descriptors["resolve@patch:resolve@npm%3A^1.22.8#optional!builtin<compat/resolve>"] == "1.22.8"
    assert "__metadata" not in lock.descriptors


def test_yarn_resolves_what_package_json_declares() -> None:
    """The join the drift stage makes: manifest dependency in, locked version out."""
    manifest = parse_manifest(
        "package.json",
        '{\n  "dependencies": {\n    "v4": "npm:vitest@^4.0.0",\n    "vitest": "^0.34.6"\n  }\n}\n',
    )
    lock = parse_lockfile("yarn.lock", _read("yarn-berry.lock"))
    assert {d.key: lock.resolve("", d) for d in manifest.dependencies} == {"v4": "4.0.1", "vitest": "0.34.6"}


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            '# yarn lockfile v1\n\nlodash@^4:\n  version "4.17.21"\n<<<<<<< HEAD\nleft-pad@^1:\n',
            5,
            "unresolved merge conflict in yarn.lock",
        ),
        (
            '# yarn lockfile v1\n\nlodash@^4\n  version "4.17.21"\n',
            3,
            "expected an entry header ending in ':', got 'lodash@^4'",
        ),
        (
            '# yarn lockfile v1\n\n"lodash@^4, lodash@^4.1:\n  version "4.17.21"\n',
            3,
            "unterminated quoted string in entry header",
        ),
        ("# yarn lockfile v1\n\nlodash@^4, :\n", 3, "empty descriptor in entry header"),
    ],
)
def test_yarn_classic_broken(text: str, line: int, message: str) -> None:
    with pytest.raises(ManifestError) as caught:
        parse_lockfile("yarn.lock", text)
    assert (caught.value.line, caught.value.message) == (line, message)


def test_yarn_berry_broken_yaml_names_the_line() -> None:
    text = '__metadata:\n  version: 8\n\n"lodash@npm:^4":\n  version: 4.17.21\n  resolution: "lodash@npm:4.17.21\n'
    with pytest.raises(ManifestError) as caught:
        parse_lockfile("yarn.lock", text)
    assert caught.value.line == 7
    assert caught.value.message.startswith("invalid YAML: ")


# --- poetry.lock and uv.lock -----------------------------------------------------------------


def test_poetry_lock_by_normalised_name_first_entry_wins() -> None:
    lock = parse_lockfile("poetry.lock", _read("poetry.lock"))
    assert lock.ecosystem is Ecosystem.PYPI
    assert lock.resolve("", pypi("celery", "^5.3")) == "5.3.6"
    assert lock.resolve("", pypi("Typing.Extensions")) == "4.9.0"
    assert lock.resolve("", pypi("numpy")) == "1.26.4"
    assert lock.resolve("", pypi("django")) is None


def test_uv_lock_skips_members_and_prefers_the_first_registry_entry() -> None:
    lock = parse_lockfile("uv.lock", _read("uv.lock"))
    assert lock.resolve("", pypi("fastapi")) == "0.110.0"
    assert lock.resolve("packages/core", pypi("FastAPI")) == "0.110.0"
    assert lock.resolve("", pypi("numpy")) == "2.0.1"
    assert lock.resolve("", pypi("pydantic_core")) == "2.16.3"
    assert lock.resolve("", pypi("acme-client")) == "1.2.0"
    assert lock.resolve("", pypi("acme-core")) is None
    assert lock.resolve("", pypi("acme-api")) is None
    assert lock.resolve("", pypi("acme-docs")) is None


def test_uv_lock_registry_entry_wins_over_an_earlier_git_one() -> None:
    text = "\n".join(
        [
            "version = 1",
            "[[package]]",
            'name = "attrs"',
            'version = "24.0.0.dev0"',
            'source = { git = "https://github.com/python-attrs/attrs" }',
            "[[package]]",
            'name = "attrs"',
            'version = "23.2.0"',
            'source = { registry = "https://pypi.example/simple" }',
        ]
    )
    assert parse_lockfile("uv.lock", text).resolve("", pypi("attrs")) == "23.2.0"


@pytest.mark.parametrize("name", ["poetry.lock", "uv.lock"])
def test_toml_lockfiles_broken(name: str) -> None:
    text = '[[package]]\nname = "a"\nversion = "1.0"\n\n[[package]]\nname = "b\n'
    with pytest.raises(ManifestError) as caught:
        parse_lockfile(name, text)
    assert (caught.value.path, caught.value.line) == (name, 6)
    assert caught.value.message == "invalid TOML: Illegal character '\\n'"


@pytest.mark.parametrize("name", ["poetry.lock", "uv.lock"])
def test_toml_lockfiles_package_must_be_an_array(name: str) -> None:
    with pytest.raises(ManifestError) as caught:
        parse_lockfile(name, 'package = "nope"\n')
    assert caught.value.message == "[[package]] is not an array of tables"


def test_workspace_folders_of_package_lock_and_yarn_berry() -> None:
    """What a lockfile-only change re-checks: every workspace package, a private one without a
    `version` too (npm then writes only its name)."""
    lock = {
        "lockfileVersion": 3,
        "packages": {
            "": {"name": "acme", "workspaces": ["packages/*"]},
            "packages/api": {"name": "@acme/api"},
            "packages/web": {"name": "web", "version": "1.0.0"},
            "node_modules/@acme/api": {"resolved": "packages/api", "link": True},
            "node_modules/vitest": {"version": "2.1.9"},
            "packages/web/node_modules/next": {"version": "14.2.35"},
        },
    }
    assert parse_lockfile("package-lock.json", json.dumps(lock)).workspace_folders() == ("packages/api", "packages/web")
    berry = "\n".join(
        [
            "__metadata:",
            "  version: 8",
            "",
            '"@acme/api@workspace:packages/api":',
            "  version: 0.0.0-use.local",
            '"acme@workspace:.":',
            "  version: 0.0.0-use.local",
            '"vitest@npm:>=0.34.0":',
            "  version: 2.1.9",
        ]
    )
    assert parse_lockfile("yarn.lock", berry).workspace_folders() == ("packages/api",)


def test_uv_workspace_members_are_its_workspace_folders() -> None:
    """tests/data/drift/uv.lock: acme-api at ".", acme-core editable in packages/core, acme-docs
    virtual in docs."""
    lock = parse_lockfile("uv.lock", (DATA / "uv.lock").read_text())
    assert lock.workspace_folders() == ("docs", "packages/core")
