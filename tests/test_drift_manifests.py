"""Manifest parsers: package.json, requirements files and pyproject.toml, text in, Manifest out."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.drift.manifests import FORMATS, is_manifest, package_json, parse_manifest, pyproject_toml, requirements_txt
from bot.drift.model import Dependency, Ecosystem, Include, Manifest, ManifestError, pypi_name

DATA = Path(__file__).parent / "data" / "drift"


def _read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def _by_key(manifest: Manifest, group: str | None = None) -> dict[str, Dependency]:
    return {d.key: d for d in manifest.dependencies if group is None or d.group == group}


def _row(d: Dependency) -> tuple[str, str, str, int, str | None]:
    return (d.key, d.name, d.spec, d.line, d.outside)


# --- registry --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("package.json", True),
        ("apps/web/package.json", True),
        ("node_modules/left-pad/package.json", False),
        ("apps/web/node_modules/@scope/x/package.json", False),
        ("package.json5", False),
        ("pyproject.toml", True),
        ("libs/core/pyproject.toml", True),
        ("requirements.txt", True),
        ("requirements-dev.txt", True),
        ("requirements_test.in", True),
        ("requirements.in", True),
        ("dev-requirements.txt", True),
        ("ci/test_requirements.txt", True),
        ("requirements/base.txt", True),
        ("requirements/prod.in", True),
        ("Requirements.TXT", True),
        ("requirementsfoo.txt", False),
        ("MANIFEST.in", False),
        ("Makefile.in", False),
        ("docs/requirements.md", False),
        ("notes.txt", False),
        ("package-lock.json", False),
    ],
)
def test_is_manifest_chooses_by_file_name(path: str, expected: bool) -> None:
    assert is_manifest(path) is expected


def test_each_format_claims_its_own_files_only() -> None:
    claims = {
        path: [f for f in FORMATS if f.matches(path)]
        for path in ("package.json", "pyproject.toml", "requirements.txt")
    }
    assert claims == {
        "package.json": [package_json],
        "pyproject.toml": [pyproject_toml],
        "requirements.txt": [requirements_txt],
    }


def test_parse_manifest_dispatches_and_refuses_unknown_paths() -> None:
    manifest = parse_manifest("web/package.json", '{"dependencies": {"a": "1"}}')
    assert (manifest.path, manifest.ecosystem) == ("web/package.json", Ecosystem.NPM)
    with pytest.raises(ValueError, match=r"not a manifest: README\.md"):
        parse_manifest("README.md", "# hi")


# --- package.json ----------------------------------------------------------------------------


def test_package_json_name_workspaces_and_every_section_with_lines() -> None:
    manifest = parse_manifest("package.json", _read("package.json"))
    assert (manifest.name, manifest.name_line) == ("@acme/storefront", 2)
    assert manifest.workspaces == ("packages/*", "apps/web")
    assert manifest.problems == ()
    assert [(d.group, d.key, d.line) for d in manifest.dependencies if d.group != "dependencies"] == [
        ("devDependencies", "typescript", 37),
        ("devDependencies", "eslint", 37),
        ("devDependencies", "vitest", 38),
        ("optionalDependencies", "fsevents", 41),
        ("peerDependencies", "react", 44),
    ]
    deps = _by_key(manifest, "dependencies")
    assert _row(deps["next"]) == ("next", "next", "^12.3.4", 14, None)
    assert _row(deps["react"]) == ("react", "react", "18.2.0", 15, None)
    assert _row(deps["react-dom"]) == ("react-dom", "react-dom", "~18.2.0", 16, None)
    assert _row(deps["scoped-range"]) == ("scoped-range", "scoped-range", ">=1.2.3 <2", 33, None)
    assert _row(deps["tagged"]) == ("tagged", "tagged", "latest", 34, None)
    # "dependencies" inside "scripts" is not the section, and bundledDependencies is not read.
    assert "left-pad" not in {d.key for d in manifest.dependencies}
    assert all(d.ecosystem is Ecosystem.NPM for d in manifest.dependencies)


def test_package_json_aliases_name_the_real_package() -> None:
    deps = _by_key(parse_manifest("package.json", _read("package.json")), "dependencies")
    assert _row(deps["v4"]) == ("v4", "vitest", "^4.0.0", 17, None)
    assert _row(deps["@acme/legacy-ui"]) == ("@acme/legacy-ui", "@acme/ui", "1.x", 18, None)
    assert _row(deps["lodash-latest"]) == ("lodash-latest", "lodash", "", 19, None)


def test_package_json_specs_outside_the_registry_say_why() -> None:
    deps = _by_key(parse_manifest("package.json", _read("package.json")), "dependencies")
    assert {key: (deps[key].outside, deps[key].line) for key in list(deps)[6:19]} == {
        "ui-kit": ("git", 20),
        "icons": ("git", 21),
        "charts": ("git", 22),
        "tokens": ("git", 23),
        "theme": ("git", 24),
        "local-lib": ("file:", 25),
        "linked": ("link:", 26),
        "@acme/shared": ("workspace:", 27),
        "portal-pkg": ("portal:", 28),
        "tarball": ("URL", 29),
        "rel": ("local path", 30),
        "home": ("local path", 31),
        "abs": ("local path", 32),
    }
    assert deps["ui-kit"].spec == "git+https://github.com/acme/ui-kit.git#v2.1.0"


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("git://github.com/a/b.git", "git"),
        ("git+ssh://git@github.com:a/b.git#semver:^1", "git"),
        ("git@github.com:a/b.git", "git"),
        ("gist:11081aaa281", "git"),
        ("user/repo#feature/x", "git"),
        ("http://example.com/x.tgz", "URL"),
        ("..", "local path"),
        ("../x", "local path"),
        ("^1.2.3", None),
        ("1.x || >=2.5.0 || 5.0.0 - 7.2.3", None),
        ("*", None),
        ("", None),
        ("next", None),
        ("@scope/pkg", None),
        ("npm:x@1", None),
    ],
)
def test_classify_npm_spec(spec: str, reason: str | None) -> None:
    assert package_json.classify_npm_spec(spec) == reason


def test_package_json_yarn_workspaces_object_and_missing_name() -> None:
    text = (
        '{\n  "private": true,\n  "workspaces": {\n    "packages": ["packages/*"],\n'
        '    "nohoist": ["**/react-native"]\n  }\n}\n'
    )
    manifest = parse_manifest("package.json", text)
    assert manifest.workspaces == ("packages/*",)
    assert (manifest.name, manifest.name_line, manifest.dependencies) == (None, None, ())


def test_package_json_bad_workspaces_and_non_object_section_are_problems_not_failures() -> None:
    text = '{\n  "workspaces": "packages/*",\n  "dependencies": ["a"],\n  "devDependencies": {\n    "b": "^1"\n  }\n}'
    manifest = parse_manifest("package.json", text)
    assert [(p.message, p.line) for p in manifest.problems] == [
        ('"dependencies" is not an object', 3),
        ('"workspaces" is not a list of folder globs', 2),
    ]
    assert [_row(d) for d in manifest.dependencies] == [("b", "b", "^1", 5, None)]


def test_package_json_non_string_spec_is_kept_as_skipped() -> None:
    text = '{\n  "dependencies": {\n    "weird": {"version": "1"},\n    "ok": "1.0.0"\n  }\n}'
    deps = _by_key(parse_manifest("package.json", text))
    assert _row(deps["weird"]) == ("weird", "weird", "", 3, "not a version string")
    assert _row(deps["ok"]) == ("ok", "ok", "1.0.0", 4, None)


def test_package_json_key_lines_survive_tricky_json() -> None:
    # Escaped quotes and braces inside strings, an escaped key, a nested object with the same
    # key names, a duplicate key (json.loads keeps the last), CRLF line ends and a BOM.
    text = "\ufeff" + "\r\n".join(
        [
            "{",
            '  "description": "has \\"quotes\\" and { braces } and [brackets]: \\"dependencies\\"",',
            '  "config": { "dependencies": { "inner": "1" } },',
            '  "dependencies": {',
            '    "\\u0061lpha": "^1.0.0",',
            '    "beta"',
            '      : "^2.0.0",',
            '    "gamma": "1.0.0",',
            '    "gamma": "2.0.0"',
            "  },",
            '  "name": "tricky"',
            "}",
        ]
    )
    manifest = parse_manifest("package.json", text)
    assert [_row(d) for d in manifest.dependencies] == [
        ("alpha", "alpha", "^1.0.0", 5, None),
        ("beta", "beta", "^2.0.0", 6, None),
        ("gamma", "gamma", "2.0.0", 9, None),
    ]
    assert (manifest.name, manifest.name_line) == ("tricky", 11)


def test_package_json_one_line_file() -> None:
    manifest = parse_manifest("package.json", '{"name":"x","dependencies":{"a":"^1","b":"github:u/b"}}')
    assert [_row(d) for d in manifest.dependencies] == [("a", "a", "^1", 1, None), ("b", "b", "github:u/b", 1, "git")]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            '{\n  "name": "x",\n  "dependencies": {\n    "a": "^1",\n  }\n}\n',
            5,
            "invalid JSON: Expecting property name enclosed in double quotes",
        ),
        ('{\n  "name": "x"\n  "version": "1.0.0"\n}\n', 3, "invalid JSON: Expecting ',' delimiter"),
        ("", 1, "invalid JSON: Expecting value"),
    ],
)
def test_package_json_broken_json_names_the_decoder_line(text: str, line: int, message: str) -> None:
    with pytest.raises(ManifestError) as caught:
        parse_manifest("web/package.json", text)
    assert (caught.value.path, caught.value.line, caught.value.message) == ("web/package.json", line, message)
    assert str(caught.value).startswith(f"web/package.json:{line}: ")


def test_package_json_top_level_must_be_an_object() -> None:
    with pytest.raises(ManifestError) as caught:
        parse_manifest("package.json", '["dependencies"]')
    assert (caught.value.message, caught.value.line) == ("package.json is not a JSON object", 1)


# --- requirements files ----------------------------------------------------------------------


def test_requirements_every_kind_of_line() -> None:
    manifest = parse_manifest("services/api/requirements-prod.txt", _read("requirements-prod.txt"))
    assert manifest.ecosystem is Ecosystem.PYPI
    assert [(i.target, i.constraints) for i in manifest.includes] == [
        ("requirements/base.txt", False),
        ("../shared/common.txt", False),
        ("constraints.txt", True),
    ]
    assert [_row(d) for d in manifest.dependencies] == [
        ("django", "Django", ">=4.2,<5", 8, None),
        ("django-rest-framework", "django_rest_framework", "==3.14.0", 9, None),
        ("uvicorn", "uvicorn", ">=0.27", 10, None),
        ("pywin32", "pywin32", "==306", 11, None),
        ("requests", "requests", "==2.31.0", 12, None),
        ("certifi", "certifi", "==2024.2.2", 15, None),
        ("idna", "idna", "", 17, None),
        ("flask", "Flask", ">=2.0", 18, None),
        (
            "acme-toolkit", "acme-toolkit", "git+https://github.com/acme/toolkit.git@v1.0#egg=acme-toolkit", 19,
            "editable",
        ),
        ("./libs/local-pkg", "./libs/local-pkg", "./libs/local-pkg", 20, "editable"),
        ("acme-client", "acme-client", "git+https://github.com/acme/client.git@v1.2.0", 21, "git"),
        ("bare-pkg", "bare-pkg", "https://files.example.com/bare_pkg-1.0.tar.gz#egg=bare-pkg", 22, "URL"),
        ("numpy", "numpy", "./downloads/numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.whl", 23, "local path"),
        ("six", "six", "==1.16.0", 26, None),
    ]
    assert all(d.group == "requirements" for d in manifest.dependencies)
    assert [(p.path, p.line) for p in manifest.problems] == [("services/api/requirements-prod.txt", 24)]
    assert manifest.problems[0].message.startswith("not a requirement: ")
    assert "\n" not in manifest.problems[0].message


def test_requirements_continuation_takes_the_first_line_and_drops_hashes() -> None:
    text = "\n".join(
        [
            "# via pip-compile --generate-hashes",
            "cryptography==42.0.5 \\",
            "    --hash=sha256:0270572b8bd2c833c3981724b8ee9747b3ec96f699a9665470018594301439ee \\",
            "    --hash=sha256:111a0d8553afcf8eb02a4fea6ca4f59d48ddb34497aa8706a6cf536f1a5ec922",
            "    # via -r requirements.in",
            "cffi\\",
            ">=1.12 ; platform_python_implementation != \"PyPy\"",
            "pkg==1.0 \\",
        ]
    )
    deps = parse_manifest("requirements.txt", text).dependencies
    assert [_row(d) for d in deps] == [
        ("cryptography", "cryptography", "==42.0.5", 2, None),
        ("cffi", "cffi", ">=1.12", 6, None),
        ("pkg", "pkg", "==1.0", 8, None),
    ]


def test_requirements_options_and_comments_are_not_dependencies() -> None:
    text = "\n".join(
        [
            "-i https://pypi.example/simple",
            "--index-url=https://pypi.example/simple",
            "--extra-index-url https://mirror.example/simple",
            "--find-links ./wheels",
            "--pre",
            "--trusted-host mirror.example",
            "--require-hashes",
            "  # indented comment",
            "-rbase.txt",
            "--constraint ../constraints.txt  # pinned for CI",
            "attrs>=23  #comment right after",
            "url-with-fragment @ https://example.com/p.zip#sha256=abc",
        ]
    )
    manifest = parse_manifest("requirements.txt", text)
    assert manifest.includes == (Include("base.txt", 9), Include("../constraints.txt", 10, constraints=True))
    assert [_row(d) for d in manifest.dependencies] == [
        ("attrs", "attrs", ">=23", 11, None),
        ("url-with-fragment", "url-with-fragment", "https://example.com/p.zip#sha256=abc", 12, "URL"),
    ]
    assert manifest.problems == ()


def test_requirements_name_with_extras_and_marker_keeps_the_spec_as_written() -> None:
    text = 'Flask-SQLAlchemy[async, mypy] >= 3.0 , < 4 ; python_version >= "3.8" and os_name == "posix"\n'
    (dep,) = parse_manifest("requirements.txt", text).dependencies
    assert _row(dep) == ("flask-sqlalchemy", "Flask-SQLAlchemy", ">= 3.0 , < 4", 1, None)


def test_requirements_bare_links_and_paths() -> None:
    text = "\n".join(
        [
            "git+https://github.com/acme/lib.git@main#egg=Acme_Lib",
            "hg+https://hg.example/repo#egg=hgpkg",
            "file:///opt/wheels/tool-2.0-py3-none-any.whl",
            ".",
            "../sibling",
            "vendor/pkg",
            "dist/acme_pkg-0.4.0.tar.gz",
            "-e .[dev]",
            "-e",
        ]
    )
    manifest = parse_manifest("requirements.txt", text)
    assert [_row(d) for d in manifest.dependencies] == [
        ("acme-lib", "Acme_Lib", "git+https://github.com/acme/lib.git@main#egg=Acme_Lib", 1, "git"),
        ("hgpkg", "hgpkg", "hg+https://hg.example/repo#egg=hgpkg", 2, "VCS"),
        ("tool", "tool", "file:///opt/wheels/tool-2.0-py3-none-any.whl", 3, "local path"),
        (".", ".", ".", 4, "local path"),
        ("../sibling", "../sibling", "../sibling", 5, "local path"),
        ("vendor/pkg", "vendor/pkg", "vendor/pkg", 6, "local path"),
        ("acme-pkg", "acme-pkg", "dist/acme_pkg-0.4.0.tar.gz", 7, "local path"),
        (".[dev]", ".[dev]", ".[dev]", 8, "editable"),
    ]
    assert [(p.message, p.line) for p in manifest.problems] == [("-e without a target", 9)]


def test_requirements_bad_lines_do_not_hide_good_ones() -> None:
    text = "good==1.0\nbad===\n\ndjango>=4 extra-words\nalso-good\n"
    manifest = parse_manifest("requirements.txt", text)
    assert [d.key for d in manifest.dependencies] == ["good", "also-good"]
    assert [p.line for p in manifest.problems] == [2, 4]


def test_requirements_empty_and_comment_only_files() -> None:
    assert parse_manifest("requirements.txt", "") == Manifest("requirements.txt", Ecosystem.PYPI, ())
    assert parse_manifest("requirements.txt", "# nothing\n\n   \n").dependencies == ()


# --- pyproject.toml --------------------------------------------------------------------------


def test_pyproject_pep621_dependencies_extras_and_groups() -> None:
    manifest = parse_manifest("pyproject.toml", _read("pyproject-pep621.toml"))
    assert (manifest.name, manifest.name_line, manifest.ecosystem) == ("acme-api", 6, Ecosystem.PYPI)
    assert [(d.group, *_row(d)) for d in manifest.dependencies] == [
        ("project.dependencies", "fastapi", "fastapi", ">=0.110,<1", 15, None),
        ("project.dependencies", "pydantic", "Pydantic", ">=2.5", 16, None),
        ("project.dependencies", "uvicorn", "uvicorn", ">= 0.27", 17, None),
        ("project.dependencies", "sqlalchemy", "SQLAlchemy", "", 18, None),
        (
            "project.dependencies", "acme-client", "acme-client",
            "git+https://github.com/acme/client.git@v1.2.0", 19, "git",
        ),
        (
            "project.dependencies", "wheel-dep", "wheel-dep",
            "https://files.example.com/wheel_dep-1.0-py3-none-any.whl", 20, "URL",
        ),
        ("project.dependencies", "httpx", "httpx", "==0.27.0", 21, None),
        ("project.optional-dependencies.docs", "mkdocs", "mkdocs", "~=1.5", 25, None),
        ("project.optional-dependencies.docs", "mkdocs-material", "mkdocs-material", ">=9", 25, None),
        ("project.optional-dependencies.postgres", "psycopg", "psycopg", ">=3.1", 27, None),
        ("dependency-groups.test", "pytest", "pytest", ">=8", 33, None),
        ("dependency-groups.test", "pytest-cov", "pytest-cov", "", 35, None),
        ("dependency-groups.lint", "ruff", "ruff", "==0.4.4", 37, None),
    ]
    # The fake table header inside the multi-line description (lines 10-11) is text, not a table.
    assert [(p.line, p.message.split(":")[0]) for p in manifest.problems] == [(28, "not a requirement")]


def test_pyproject_poetry_tables() -> None:
    manifest = parse_manifest("worker/pyproject.toml", _read("pyproject-poetry.toml"))
    assert (manifest.name, manifest.name_line) == ("acme-worker", 2)
    assert [(d.group, *_row(d)) for d in manifest.dependencies] == [
        ("tool.poetry.dependencies", "celery", "celery", "^5.3", 9, None),
        ("tool.poetry.dependencies", "redis", "Redis", "~5.0", 10, None),
        ("tool.poetry.dependencies", "boto3", "boto3", "*", 11, None),
        ("tool.poetry.dependencies", "numpy", "numpy", "<2 || >=2", 12, None),
        ("tool.poetry.dependencies", "acme-sdk", "acme-sdk", "https://github.com/acme/sdk.git", 16, "git"),
        ("tool.poetry.dependencies", "local-tools", "local-tools", "../tools", 17, "local path"),
        (
            "tool.poetry.dependencies", "remote-wheel", "remote-wheel",
            "https://files.example.com/remote_wheel-2.0-py3-none-any.whl", 18, "URL",
        ),
        ("tool.poetry.dependencies", "click", "click", "", 19, None),
        ("tool.poetry.dev-dependencies", "black", "black", "23.12.1", 22, None),
        ("tool.poetry.group.test.dependencies", "pytest", "pytest", "^7.4", 25, None),
        ("tool.poetry.group.test.dependencies", "pytest-asyncio", "pytest-asyncio", ">=0.21,<0.24", 26, None),
        ("tool.poetry.group.docs.dependencies", "sphinx", "sphinx", "^7.2", 32, None),
    ]
    assert manifest.problems == ()


def test_pyproject_dotted_keys_inline_tables_and_quoted_keys() -> None:
    text = "\n".join(
        [
            "project.name = 'dotted'",
            "project.dependencies = ['attrs>=23']",
            "",
            "[tool]",
            'poetry.dependencies."Weird.Name" = "^1"',
            "poetry.dependencies.python = '^3.11'",
            "poetry.dependencies.httpx.version = '^0.27'",
            "",
            "[tool.poetry.group.'lint'.dependencies]",
            "ruff = {version = '^0.4'}  # [not.a.table]",
        ]
    )
    manifest = parse_manifest("pyproject.toml", text)
    assert (manifest.name, manifest.name_line) == ("dotted", 1)
    assert [(d.group, *_row(d)) for d in manifest.dependencies] == [
        ("project.dependencies", "attrs", "attrs", ">=23", 2, None),
        ("tool.poetry.dependencies", "weird-name", "Weird.Name", "^1", 5, None),
        ("tool.poetry.dependencies", "httpx", "httpx", "^0.27", 7, None),
        ("tool.poetry.group.lint.dependencies", "ruff", "ruff", "^0.4", 10, None),
    ]


def test_pyproject_poetry_name_when_both_and_project_wins() -> None:
    text = '[tool.poetry]\nname = "poetry-name"\n\n[project]\nname = "pep621-name"\n'
    manifest = parse_manifest("pyproject.toml", text)
    assert (manifest.name, manifest.name_line) == ("pep621-name", 5)


def test_pyproject_wrong_shapes_are_problems_with_lines() -> None:
    text = "\n".join(
        [
            "[project]",
            'name = "x"',
            'dependencies = "requests"',
            "optional-dependencies = { docs = [1, 'sphinx'] }",
            "",
            "[tool.poetry.dependencies]",
            "broken = { version = 3 }",
            "fine = '^1'",
            "",
            "[tool.poetry.group.ci]",
            "dependencies = ['not', 'a', 'table']",
        ]
    )
    manifest = parse_manifest("pyproject.toml", text)
    assert [(p.line, p.message) for p in manifest.problems] == [
        (3, "project.dependencies is not an array"),
        (4, "project.optional-dependencies.docs: not a requirement string"),
        (7, "tool.poetry.dependencies: broken has no version or source"),
        (11, "tool.poetry.group.ci.dependencies is not a table"),
    ]
    assert [_row(d) for d in manifest.dependencies] == [
        ("sphinx", "sphinx", "", 4, None),
        ("fine", "fine", "^1", 8, None),
    ]


def test_pyproject_without_dependencies() -> None:
    manifest = parse_manifest("pyproject.toml", "[tool.black]\nline-length = 100\n")
    assert manifest == Manifest("pyproject.toml", Ecosystem.PYPI, ())


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('[project]\ndependencies = [\n    "a",\n    "b",\n    "c"\n    "d",\n]\n', 6, "invalid TOML: Unclosed array"),
        ('[project]\nname = "x"\nname = "y"\n', 3, "invalid TOML: Cannot overwrite a value"),
        ("[project\n", 1, "invalid TOML: Expected ']' at the end of a table declaration"),
        ('[project]\ndescription = """never closed\n', 3, "invalid TOML: Unterminated string"),
    ],
)
def test_pyproject_broken_toml_names_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(ManifestError) as caught:
        parse_manifest("pyproject.toml", text)
    assert (caught.value.line, caught.value.message) == (line, message)


@pytest.mark.parametrize("name", ["Django", "python_dateutil", "zope.interface", "Foo--Bar__baz..qux", "a-_.b", "PyYAML", "x"])
def test_pypi_names_are_normalized_as_packaging_does(name: str) -> None:
    from packaging.utils import canonicalize_name

    assert pypi_name(name) == canonicalize_name(name)
