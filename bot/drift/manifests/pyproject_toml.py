"""pyproject.toml: PEP 621 dependencies and extras, PEP 735 dependency groups, and Poetry's tables.

tomllib gives the values but no positions, so one linear pass over the same text records the line
of every key and of every element of every array (the _TomlPositions below); a dependency's line
is then a dictionary look-up by its key path and index, never a search built from file content.

Poetry specs are kept in Poetry's own syntax ("^1.2", "~1.2", "*", "<2 || >=3"); a dependency
given as a list of constraint tables (one per Python version) is joined with " || ".
"""

from __future__ import annotations

import posixpath
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


from bot.drift.manifests.requirements_txt import NotARequirement, requirement_dependency
from bot.drift.model import Dependency, Ecosystem, Manifest, ManifestError, pypi_name

Path = tuple[str, ...]
"""A TOML key path: ("project", "optional-dependencies", "docs")."""

_POETRY_OUTSIDE: tuple[tuple[str, str], ...] = (("git", "git"), ("path", "local path"), ("url", "URL"))


def matches(path: str) -> bool:
    return posixpath.basename(path) == "pyproject.toml"


def parse(path: str, text: str) -> Manifest:
    data = load_toml(path, text)
    reader = _Reader(path, _TomlScanner(text).run())
    project = _table(data.get("project"))
    reader.requirements(("project", "dependencies"), project.get("dependencies"), "project.dependencies")
    for extra, value in _table(project.get("optional-dependencies")).items():
        reader.requirements(
            ("project", "optional-dependencies", extra), value, f"project.optional-dependencies.{extra}"
        )
    for group, value in _table(data.get("dependency-groups")).items():
        reader.requirements(("dependency-groups", group), value, f"dependency-groups.{group}")
    poetry = _table(_table(data.get("tool")).get("poetry"))
    for section in ("dependencies", "dev-dependencies"):
        reader.poetry(("tool", "poetry", section), poetry.get(section))
    for group, value in _table(poetry.get("group")).items():
        reader.poetry(("tool", "poetry", "group", group, "dependencies"), _table(value).get("dependencies"))
    name, name_path = _own_name(project, poetry)
    return Manifest(
        path=path,
        ecosystem=Ecosystem.PYPI,
        dependencies=tuple(sorted(reader.dependencies, key=lambda d: d.line)),
        name=name,
        name_line=reader.positions.keys.get(name_path) if name_path else None,
        problems=tuple(reader.problems),
    )


def load_toml(path: str, text: str) -> dict[str, Any]:
    """tomllib.loads with the line of the error. Python 3.11's TOMLDecodeError carries the
    position only in its message, "... (at line 3, column 9)" or "(at end of document)"."""
    try:
        return tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as error:
        message, line = _toml_error(str(error), text)
        raise ManifestError(path, f"invalid TOML: {message}", line) from None
    except RecursionError:
        raise ManifestError(path, "invalid TOML: nested too deeply", None) from None


def _toml_error(message: str, text: str) -> tuple[str, int | None]:
    at = message.rfind(" (at ")
    if at < 0:
        return message, None
    where = message[at + len(" (at ") :]
    if where.startswith("end of document"):
        return message[:at], text.count("\n") + 1
    if where.startswith("line "):
        digits = where[len("line ") :].split(",", 1)[0]
        if digits.isdigit():
            return message[:at], int(digits)
    return message, None


def _table(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _own_name(project: Mapping[str, Any], poetry: Mapping[str, Any]) -> tuple[str | None, Path | None]:
    if isinstance(project.get("name"), str):
        return project["name"], ("project", "name")
    if isinstance(poetry.get("name"), str):
        return poetry["name"], ("tool", "poetry", "name")
    return None, None


@dataclass
class _Reader:
    """Turns one pyproject's tables into Dependencies, collecting per-entry problems."""

    path: str
    positions: _TomlPositions
    dependencies: list[Dependency] = field(default_factory=list)
    problems: list[ManifestError] = field(default_factory=list)

    def requirements(self, where: Path, value: object, group: str) -> None:
        """An array of PEP 508 strings. In [dependency-groups], `{include-group = "..."}` tables
        pull in another group, which is read on its own: they are skipped here."""
        if value is None:
            return
        if not isinstance(value, list):
            self.problems.append(ManifestError(self.path, f"{'.'.join(where)} is not an array", self._line(where)))
            return
        lines = self.positions.elements.get(where, [])
        for index, item in enumerate(value):
            line = lines[index] if index < len(lines) else self._line(where)
            if isinstance(item, dict) and "include-group" in item:
                continue
            if not isinstance(item, str):
                self.problems.append(ManifestError(self.path, f"{group}: not a requirement string", line))
                continue
            try:
                self.dependencies.append(requirement_dependency(item, line, group))
            except NotARequirement as error:
                self.problems.append(ManifestError(self.path, f"not a requirement: {error}", line))

    def poetry(self, where: Path, value: object) -> None:
        """A Poetry dependency table: name = "spec" | {version = ...} | {git/path/url = ...} | a list
        of such tables. `python` is the interpreter constraint, not a package."""
        if value is None:
            return
        group = ".".join(where)
        if not isinstance(value, dict):
            self.problems.append(ManifestError(self.path, f"{group} is not a table", self._line(where)))
            return
        for name, spec in value.items():
            if name.lower() == "python":
                continue
            line = self._line((*where, name))
            written = _poetry_spec(spec)
            if written is None:
                self.problems.append(ManifestError(self.path, f"{group}: {name} has no version or source", line))
                continue
            self.dependencies.append(
                Dependency(Ecosystem.PYPI, pypi_name(name), name, written[0], line, group, outside=written[1])
            )

    def _line(self, where: Path) -> int:
        """The line of a key, else of the nearest enclosing key or table header that has one."""
        for end in range(len(where), 0, -1):
            line = self.positions.keys.get(where[:end])
            if line is not None:
                return line
        return 1


def _poetry_spec(value: object) -> tuple[str, str | None] | None:
    """(spec as written, outside reason) for one Poetry dependency value, None if unreadable."""
    if isinstance(value, str):
        return value.strip(), None
    if isinstance(value, dict):
        for key, reason in _POETRY_OUTSIDE:
            if isinstance(value.get(key), str):
                return value[key], reason
        version = value.get("version", "")
        return (version.strip(), None) if isinstance(version, str) else None
    if isinstance(value, list) and value:
        parts = [_poetry_spec(item) for item in value]
        if any(part is None for part in parts):
            return None
        readable = [part for part in parts if part is not None]
        for spec, outside in readable:
            if outside is not None:
                return spec, outside
        return " || ".join(dict.fromkeys(spec for spec, _ in readable if spec)), None
    return None


@dataclass
class _TomlPositions:
    keys: dict[Path, int] = field(default_factory=dict)
    """Full key path (table header + dotted key + inline-table keys) -> line of the key; the
    first line that defines a path wins (arrays of tables repeat theirs; drift reads no
    positions inside them)."""
    elements: dict[Path, list[int]] = field(default_factory=dict)
    """Key path of an array value -> the line each of its elements starts on, in order."""


@dataclass
class _Frame:
    """An open array or inline table while scanning a value."""

    array: bool
    path: Path | None
    """Key path of the container, None where positions are not recorded (inside arrays)."""
    expecting: str
    """"value", "key" (inline tables) or "separator"."""
    lines: list[int] | None = None
    value_path: Path | None = None


class _TomlScanner:
    """A structural pass over text tomllib has already accepted: strings, comments, headers, keys
    and brackets, each character visited once. It tolerates what it does not expect by moving
    on, so it always ends, but it only needs to be right on valid TOML."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.i = 0
        self.line = 1
        self.positions = _TomlPositions()
        self.stack: list[_Frame] = []
        self.table: Path = ()
        self.top_value: Path | None = None
        """The key path whose value comes next at the top level; None between statements."""

    def run(self) -> _TomlPositions:
        text = self.text
        while self.i < self.n:
            c = text[self.i]
            if c == "\n":
                self.line += 1
                self.i += 1
            elif c in " \t\r\ufeff":
                self.i += 1
            elif c == "#":
                end = text.find("\n", self.i)
                self.i = self.n if end < 0 else end
            elif self.stack:
                self._in_container(c)
            elif self.top_value is not None:
                self._value(self.top_value)
            elif c == "[":
                self._header()
            else:
                self._key_value(self.table, record=True)
        return self.positions

    def _in_container(self, c: str) -> None:
        frame = self.stack[-1]
        if c == ("]" if frame.array else "}"):
            self.stack.pop()
            self.i += 1
            self._value_done()
        elif frame.expecting == "separator":
            if c == ",":
                frame.expecting = "value" if frame.array else "key"
            self.i += 1
        elif frame.array:
            if frame.lines is not None:
                frame.lines.append(self.line)
            self._value(None)
        elif frame.expecting == "key":
            recorded = frame.path is not None
            path = self._key_value(frame.path or (), record=recorded)
            frame.value_path = path if recorded else None
            frame.expecting = "value"
        else:
            self._value(frame.value_path)

    def _header(self) -> None:
        double = self.text.startswith("[[", self.i)
        self.i += 2 if double else 1
        self.table = self._key()
        self.positions.keys.setdefault(self.table, self.line)
        end = self.text.find("\n", self.i)
        close = self.text.find("]", self.i, self.n if end < 0 else end)
        self.i = (close + (2 if double else 1)) if close >= 0 else self.i + 1

    def _key_value(self, prefix: Path, record: bool) -> Path:
        """Reads `key =` and leaves the scanner on the value; returns the full key path."""
        start, line = self.i, self.line
        parts = self._key()
        self._skip_blanks()
        if self.i < self.n and self.text[self.i] == "=":
            self.i += 1
        elif self.i == start:
            self.i += 1
            return prefix
        path = prefix + parts
        if record:
            # `a.b.c = 1` also defines a and a.b here, unless they were defined earlier.
            for end in range(len(prefix) + 1, len(path) + 1):
                self.positions.keys.setdefault(path[:end], line)
        if not self.stack:
            self.top_value = path
        return path

    def _value(self, path: Path | None) -> None:
        text, c = self.text, self.text[self.i]
        if c == "[":
            lines: list[int] | None = None
            if path is not None:
                lines = self.positions.elements.setdefault(path, [])
            self.stack.append(_Frame(array=True, path=path, expecting="value", lines=lines))
            self.i += 1
            self.top_value = None
            return
        if c == "{":
            self.stack.append(_Frame(array=False, path=path, expecting="key"))
            self.i += 1
            self.top_value = None
            return
        if c in "\"'":
            self._skip_string()
        else:
            while self.i < self.n and text[self.i] not in ",]}\n#":
                self.i += 1
        self._value_done()

    def _value_done(self) -> None:
        if self.stack:
            self.stack[-1].expecting = "separator"
        else:
            self.top_value = None

    def _key(self) -> Path:
        """A dotted key: bare parts, "basic" and 'literal' quoted parts, blanks around dots."""
        text, parts = self.text, []
        while self.i < self.n:
            self._skip_blanks()
            if self.i >= self.n:
                break
            c = text[self.i]
            if c == '"':
                start = self.i
                self._skip_string()
                parts.append(_decode_basic(text[start : self.i]))
            elif c == "'":
                start = self.i
                self._skip_string()
                parts.append(text[start + 1 : self.i - 1])
            else:
                start = self.i
                while self.i < self.n and (text[self.i].isalnum() or text[self.i] in "_-"):
                    self.i += 1
                if self.i == start:
                    break
                parts.append(text[start : self.i])
            self._skip_blanks()
            if self.i < self.n and text[self.i] == ".":
                self.i += 1
                continue
            break
        return tuple(parts)

    def _skip_blanks(self) -> None:
        while self.i < self.n and self.text[self.i] in " \t":
            self.i += 1

    def _skip_string(self) -> None:
        """Moves past the string at self.i, counting the newlines of multi-line strings."""
        text, i = self.text, self.i
        quote = text[i]
        if text.startswith(quote * 3, i):
            i += 3
            while i < self.n:
                c = text[i]
                if c == "\\" and quote == '"':
                    if i + 1 < self.n and text[i + 1] == "\n":
                        self.line += 1
                    i += 2
                    continue
                if c == "\n":
                    self.line += 1
                elif text.startswith(quote * 3, i):
                    i += 3
                    extra = 0
                    while i < self.n and text[i] == quote and extra < 2:
                        i += 1
                        extra += 1
                    self.i = i
                    return
                i += 1
            self.i = self.n
            return
        i += 1
        while i < self.n and text[i] != "\n":
            if text[i] == "\\" and quote == '"':
                i += 2
                continue
            if text[i] == quote:
                self.i = i + 1
                return
            i += 1
        self.i = min(i, self.n)


def _decode_basic(raw: str) -> str:
    """A "basic" key with escapes, decoded by tomllib itself."""
    if "\\" not in raw:
        return raw[1:-1]
    try:
        value = tomllib.loads(f"k = {raw}")["k"]
    except tomllib.TOMLDecodeError:
        return raw[1:-1]
    return value if isinstance(value, str) else raw[1:-1]
