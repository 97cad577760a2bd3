"""pip requirements files: one Dependency per requirement line, includes for `-r`/`-c`.

Which files: `requirements*.txt` / `requirements*.in` (requirements.txt, requirements-dev.txt,
requirements_test.in), `*-requirements.txt` / `*_requirements.txt` (dev-requirements.txt), and
any `.txt` / `.in` directly inside a folder named `requirements` (requirements/base.txt). A bare
`*.in` is not one: MANIFEST.in and Makefile.in are not requirements.

The reading follows pip's own (pip/_internal/req/req_file.py): backslash continuations are joined
first (the logical line takes the line number of its first physical line; a comment line ends a
continuation), then ` #` comments are cut, then option lines are read, then what is left is a
PEP 508 requirement, a URL or a path. A line that is none of these does not fail the file: it is
reported in Manifest.problems and the other lines are still read.

`-r`/`-c` targets go to Manifest.includes as written (relative to this file's folder; the drift
stage reads `-r` files as part of this one, bot/drift/stage.py); `-e` is a
Dependency with outside "editable"; index and install options (-i, --extra-index-url, -f, ...)
and per-requirement options (--hash, --config-settings) declare nothing and are dropped.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from bot.drift.model import Dependency, Ecosystem, Include, Manifest, ManifestError, pypi_name

GROUP = "requirements"

_SUFFIXES: tuple[str, ...] = (".txt", ".in")
_INCLUDE_OPTIONS: tuple[str, ...] = ("-r", "--requirement", "-c", "--constraint")
_CONSTRAINT_OPTIONS: tuple[str, ...] = ("-c", "--constraint")
_EDITABLE_OPTIONS: tuple[str, ...] = ("-e", "--editable")
_ARCHIVE_SUFFIXES: tuple[str, ...] = (".whl", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar", ".zip")
_PATH_PREFIXES: tuple[str, ...] = (".", "/", "~", "\\")
_VCS_REASONS: tuple[tuple[str, str], ...] = (
    ("git+", "git"),
    ("git://", "git"),
    ("hg+", "VCS"),
    ("svn+", "VCS"),
    ("bzr+", "VCS"),
)


def matches(path: str) -> bool:
    folder, name = posixpath.split(path.lower())
    stem, suffix = posixpath.splitext(name)
    if suffix not in _SUFFIXES:
        return False
    if posixpath.basename(folder) == "requirements":
        return True
    if stem == "requirements" or stem.endswith(("-requirements", "_requirements")):
        return True
    return stem.startswith("requirements") and stem[len("requirements")] in "-_."


def parse(path: str, text: str) -> Manifest:
    dependencies: list[Dependency] = []
    includes: list[Include] = []
    problems: list[ManifestError] = []
    for line_number, logical in _logical_lines(text.removeprefix("\ufeff")):
        content = _strip_comment(logical).strip()
        if not content:
            continue
        if content.startswith("-"):
            _read_option(path, content, line_number, dependencies, includes, problems)
            continue
        try:
            dependencies.append(requirement_dependency(_cut_options(content), line_number, GROUP))
        except NotARequirement as error:
            problems.append(ManifestError(path, f"not a requirement: {error}", line_number))
    return Manifest(
        path=path,
        ecosystem=Ecosystem.PYPI,
        dependencies=tuple(dependencies),
        includes=tuple(includes),
        problems=tuple(problems),
    )


class NotARequirement(ValueError):
    """Text that is not a PEP 508 requirement; the message is the first line of packaging's."""


def requirement_dependency(text: str, line: int, group: str) -> Dependency:
    """One PEP 508 requirement (or, as pip also takes, a bare URL or path) as a Dependency: `key`
    is the PEP 503 name, `name` and `spec` are as written ("" when there is no specifier). A URL
    or path is kept with `outside` set and the URL or path as its spec. Raises NotARequirement.

    packaging is imported here, not at the top: a scan of npm manifests alone never loads it."""
    from packaging.requirements import InvalidRequirement, Requirement

    text = text.strip()
    target = text.split(";", 1)[0].strip()
    if _is_link(target):
        return _link_dependency(target, line, group, outside=_link_reason(target))
    try:
        requirement = Requirement(text)
    except InvalidRequirement as error:
        raise NotARequirement(first_line(error)) from None
    name = requirement.name
    if requirement.url is not None:
        return Dependency(
            Ecosystem.PYPI, pypi_name(name), name, requirement.url, line, group,
            outside=_link_reason(requirement.url),
        )
    return Dependency(Ecosystem.PYPI, pypi_name(name), name, _written_specifier(text, name), line, group)


def first_line(error: Exception) -> str:
    """packaging's messages draw a caret under the text on further lines; a notice needs one."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _is_link(target: str) -> bool:
    """A bare URL or path, which pip accepts where a requirement goes. `name @ url` is not one:
    it is PEP 508 and names its project."""
    scheme, separator, _ = target.partition("://")
    if separator and scheme and all(c.isalnum() or c in "+-." for c in scheme):
        return True
    if target.startswith(_PATH_PREFIXES):
        return True
    if "@" in target:
        return False
    return "/" in target or "\\" in target or target.lower().endswith(_ARCHIVE_SUFFIXES)


def _link_dependency(target: str, line: int, group: str, outside: str) -> Dependency:
    """A URL or path, named by its `#egg=` fragment (pip's convention) or its wheel/sdist file
    name, else by the target itself so the skipped entry can still be shown."""
    name = _egg_name(target) or _archive_name(target)
    if name is not None:
        return Dependency(Ecosystem.PYPI, pypi_name(name), name, target, line, group, outside=outside)
    return Dependency(Ecosystem.PYPI, target, target, target, line, group, outside=outside)


def _archive_name(target: str) -> str | None:
    """The project a wheel or sdist file name declares (`numpy-1.26.4-cp311-...whl` -> numpy)."""
    from packaging.utils import InvalidSdistFilename, InvalidWheelFilename, parse_sdist_filename, parse_wheel_filename

    filename = posixpath.basename(target.split("#", 1)[0].split("?", 1)[0])
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[0])
        return str(parse_sdist_filename(filename)[0])
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None


def _link_reason(target: str) -> str:
    lowered = target.lower()
    for prefix, reason in _VCS_REASONS:
        if lowered.startswith(prefix):
            return reason
    if lowered.startswith("file:") or "://" not in lowered:
        return "local path"
    return "URL"


def _egg_name(target: str) -> str | None:
    _, hash_mark, fragment = target.partition("#")
    if not hash_mark:
        return None
    for part in fragment.split("&"):
        key, _, value = part.partition("=")
        if key == "egg" and value:
            return value.split("[", 1)[0]
    return None


def _written_specifier(text: str, name: str) -> str:
    """The specifier exactly as written: packaging's SpecifierSet re-sorts it (">=2.0,<3" prints
    as "<3,>=2.0"), which would not match what the user sees in the file."""
    rest = text.split(";", 1)[0].lstrip()[len(name) :].lstrip()
    if rest.startswith("["):
        rest = rest[rest.find("]") + 1 :]
    rest = rest.strip()
    if rest.startswith("(") and rest.endswith(")"):
        rest = rest[1:-1].strip()
    return rest


def _read_option(
    path: str,
    content: str,
    line: int,
    dependencies: list[Dependency],
    includes: list[Include],
    problems: list[ManifestError],
) -> None:
    """`-r`/`-c` name other files, `-e` an editable install (never a registry answer); index and
    install options (-i, --extra-index-url, -f, --pre, ...) declare no dependency and are skipped."""
    option, value = _split_option(content)
    if option in _INCLUDE_OPTIONS:
        if value:
            includes.append(Include(value, line, constraints=option in _CONSTRAINT_OPTIONS))
        else:
            problems.append(ManifestError(path, f"{option} without a file name", line))
    elif option in _EDITABLE_OPTIONS:
        if value:
            dependencies.append(_link_dependency(value, line, GROUP, outside="editable"))
        else:
            problems.append(ManifestError(path, f"{option} without a target", line))


def _split_option(content: str) -> tuple[str, str]:
    """`-r x`, `-rx`, `--requirement x`, `--requirement=x` -> (option, "x")."""
    if not content.startswith("--"):
        return content[:2], content[2:].strip()
    word = content.split(None, 1)[0]
    if "=" in word:
        option, _, value = content.partition("=")
        return option, value.strip()
    return word, content[len(word) :].strip()


def _cut_options(content: str) -> str:
    """Drop per-requirement options (`--hash=...`, `--config-settings`, ...): as in pip, they
    start at the first whitespace-preceded token beginning with "-"."""
    for i in range(1, len(content)):
        if content[i] == "-" and content[i - 1] in " \t":
            return content[:i].rstrip()
    return content


def _strip_comment(line: str) -> str:
    """Cut a comment: "#" at the start or after whitespace (a URL's "#egg=" fragment stays)."""
    for i, c in enumerate(line):
        if c == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
    return line


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Physical lines joined at trailing backslashes, each with its first line's number."""
    pending: list[str] = []
    first = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r")
        if not line.endswith("\\") or _is_comment(line):
            if pending:
                # A comment ends the continuation; the space keeps its "#" a comment (as pip).
                pending.append(" " + line if _is_comment(line) else line)
                yield first, "".join(pending)
                pending = []
            else:
                yield number, line
            continue
        if not pending:
            first = number
        pending.append(line[:-1])
    if pending:
        yield first, "".join(pending)
