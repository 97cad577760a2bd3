"""npm's package.json: the four dependency sections, the package name and its workspaces.

json.loads decides validity and gives the values; it gives no positions, so a small scanner walks
the same text once to find the line of each key findings point at. Nothing here reads files.

What does not fit: broken JSON or a top level that is not an object raises ManifestError (there
is nothing else to read). A section or `workspaces` of the wrong shape goes to
Manifest.problems and the rest is read. A spec that is not a string (`"x": {"version": "1"}`)
stays as a Dependency with spec "" and outside "not a version string", so it is reported as
skipped rather than dropped.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, field
from typing import Any

from bot.drift.model import Dependency, Ecosystem, Manifest, ManifestError

SECTIONS: tuple[str, ...] = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")
"""The sections drift reads, in the order npm documents them; `group` is the section name."""

_GIT_PREFIXES: tuple[str, ...] = ("git+", "git:", "git@", "github:", "gitlab:", "bitbucket:", "gist:")
_PROTOCOL_REASONS: tuple[tuple[str, str], ...] = (
    ("file:", "file:"),
    ("link:", "link:"),
    ("workspace:", "workspace:"),
    ("portal:", "portal:"),
    ("http://", "URL"),
    ("https://", "URL"),
)
_PATH_PREFIXES: tuple[str, ...] = ("./", "../", "/", "~/")
_SHORTHAND_BAD_FIRST = frozenset("@%/.-")
_SHORTHAND_BAD_CHARS = frozenset(":@% \t")


def matches(path: str) -> bool:
    """Any package.json except those inside a committed node_modules: those are other people's
    packages, not this repository's manifests."""
    if posixpath.basename(path) != "package.json":
        return False
    return "node_modules" not in path.split("/")[:-1]


def parse(path: str, text: str) -> Manifest:
    data = load_json(path, text)
    if not isinstance(data, dict):
        raise ManifestError(path, "package.json is not a JSON object", 1)
    lines = _scan_key_lines(text, frozenset(SECTIONS))
    problems: list[ManifestError] = []
    dependencies: list[Dependency] = []
    for section in SECTIONS:
        if section not in data:
            continue
        entries = data[section]
        section_line = lines.top.get(section)
        if not isinstance(entries, dict):
            problems.append(ManifestError(path, f'"{section}" is not an object', section_line))
            continue
        key_lines = lines.nested.get(section, {})
        for key, value in entries.items():
            line = key_lines.get(key, section_line or 1)
            dependencies.append(_dependency(key, value, line, section))
    name = data.get("name")
    return Manifest(
        path=path,
        ecosystem=Ecosystem.NPM,
        dependencies=tuple(sorted(dependencies, key=lambda d: d.line)),
        name=name if isinstance(name, str) else None,
        name_line=lines.top.get("name") if isinstance(name, str) else None,
        workspaces=_workspaces(path, data.get("workspaces"), lines.top.get("workspaces"), problems),
        problems=tuple(problems),
    )


def load_json(path: str, text: str) -> Any:
    """json.loads with the decoder's line in the error. A leading BOM is dropped as npm does
    (Windows editors write one; it adds no line)."""
    try:
        return json.loads(text.removeprefix("\ufeff"))
    except json.JSONDecodeError as error:
        raise ManifestError(path, f"invalid JSON: {error.msg}", error.lineno) from None
    except RecursionError:
        raise ManifestError(path, "invalid JSON: nested too deeply", None) from None


def classify_npm_spec(spec: str) -> str | None:
    """Why the registry cannot answer for `spec`, or None for a registry range or tag."""
    spec = spec.strip()
    if spec.startswith(_GIT_PREFIXES):
        return "git"
    for prefix, reason in _PROTOCOL_REASONS:
        if spec.startswith(prefix):
            return reason
    if spec in (".", "..", "~") or spec.startswith(_PATH_PREFIXES):
        return "local path"
    if _is_github_shorthand(spec):
        return "git"
    return None


def _dependency(key: str, value: object, line: int, group: str) -> Dependency:
    """A spec that is not a string cannot be looked up; it stays in the output as skipped so the
    summary can name it, instead of failing the whole manifest."""
    if not isinstance(value, str):
        return Dependency(Ecosystem.NPM, key, key, "", line, group, outside="not a version string")
    name, spec = key, value.strip()
    if spec.startswith("npm:"):
        name, spec = _split_alias(spec[len("npm:"):])
    return Dependency(Ecosystem.NPM, key, name, spec, line, group, outside=classify_npm_spec(spec))


def _split_alias(target: str) -> tuple[str, str]:
    """`real-pkg@^1.2` -> ("real-pkg", "^1.2"); `@scope/pkg@1` keeps its scope; no `@` -> any
    version ("")."""
    at = target.find("@", 1)
    if at < 0:
        return target, ""
    return target[:at], target[at + 1 :]


def _is_github_shorthand(spec: str) -> bool:
    """npm reads `user/repo` (optionally `#ref`) as a GitHub repository (npm-package-arg)."""
    head = spec.split("#", 1)[0]
    parts = head.split("/")
    if len(parts) != 2 or not parts[0] or not parts[1]:
        return False
    if parts[0][0] in _SHORTHAND_BAD_FIRST:
        return False
    return not any(c in _SHORTHAND_BAD_CHARS for c in head.replace("/", ""))


def _workspaces(path: str, value: object, line: int | None, problems: list[ManifestError]) -> tuple[str, ...]:
    """npm writes a list of globs; yarn classic also accepts {"packages": [...], "nohoist": [...]}."""
    if value is None:
        return ()
    if isinstance(value, dict):
        value = value.get("packages", [])
    if not isinstance(value, list) or not all(isinstance(glob, str) for glob in value):
        problems.append(ManifestError(path, '"workspaces" is not a list of folder globs', line))
        return ()
    return tuple(value)


@dataclass
class _KeyLines:
    top: dict[str, int] = field(default_factory=dict)
    """Top-level key -> 1-based line."""
    nested: dict[str, dict[str, int]] = field(default_factory=dict)
    """Section -> key -> line, for the wanted top-level sections that are objects."""


def _scan_key_lines(text: str, sections: frozenset[str]) -> _KeyLines:
    """One linear pass over text json.loads has already accepted: the line of every top-level key
    and of every key directly inside the wanted sections. A later duplicate overwrites an earlier
    one, as json.loads keeps the last value. JSON strings hold no raw newline, so a key's line is
    the line its opening quote is on."""
    found = _KeyLines()
    owners: list[str | None] = []
    """Open containers; for each, the top-level key it hangs under (None below depth 2)."""
    is_object: list[bool] = []
    last_key: str | None = None
    line = 1
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
        elif c == '"':
            key_line = line
            end = _string_end(text, i)
            j = end + 1
            while j < n and text[j] in " \t\r\n":
                if text[j] == "\n":
                    line += 1
                j += 1
            if j < n and text[j] == ":" and is_object and is_object[-1]:
                key = _decode_key(text[i : end + 1])
                if len(owners) == 1:
                    found.top[key] = key_line
                elif len(owners) == 2 and owners[-1] in sections:
                    found.nested.setdefault(owners[-1] or "", {})[key] = key_line
                last_key = key
            i = j
            continue
        elif c in "{[":
            owners.append(last_key if len(owners) == 1 and c == "{" else None)
            is_object.append(c == "{")
            last_key = None
        elif c in "}]" and owners:
            owners.pop()
            is_object.pop()
        i += 1
    return found


def _string_end(text: str, start: int) -> int:
    """Index of the closing quote of the JSON string opening at `start` (escapes skipped)."""
    i, n = start + 1, len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            return i
        i += 1
    return n - 1


def _decode_key(raw: str) -> str:
    if "\\" not in raw:
        return raw[1:-1]
    try:
        decoded = json.loads(raw)
    except json.JSONDecodeError:
        return raw[1:-1]
    return decoded if isinstance(decoded, str) else raw[1:-1]

