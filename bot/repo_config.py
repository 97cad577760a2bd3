"""Per-repository configuration: the text of `.github/prwarden.yml` in, a `RepoConfig` out.

Pure: the caller reads the file from the pull request's *base* branch (so a pull request cannot
relax its own gate) and passes its text here. Nothing in this module raises on bad input: every
problem is a `ConfigProblem` with the 1-based line it is about, for an annotation on the file,
and an invalid file gives the defaults so the scan still runs.

The shape is checked against the JSON Schema shipped in `bot/schemas/prwarden.schema.json`
(documented in docs/configuration.md); what a schema cannot say (glob syntax, unknown rule ids,
settings that cancel out) is checked here after it.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema
import yaml

from bot.drift.assess import Thresholds
from bot.model import Finding, Kind, ScanResult, Severity

CONFIG_PATH = ".github/prwarden.yml"
SCHEMA_RESOURCE = "schemas/prwarden.schema.json"
"""Inside the `bot` package; shipped as package data."""

MAX_CONFIG_BYTES = 64 * 1024
"""A configuration is a few hundred bytes; the cap bounds parsing time of a hostile file."""
MAX_NODES = 10_000
"""YAML nodes after aliases are expanded: anchors can make a small file stand for an enormous
document ("billion laughs"); 500 ignore globs and 1000 rule ids stay far below this."""
MAX_DEPTH = 16
"""Nesting the schema needs is 3; deeper input is refused before it is constructed."""

NEVER = "never"
"""`fail_on: never`: report, never fail the check on findings."""

KIND_KEYS: Mapping[Kind, str] = {Kind.DRIFT: "drift", Kind.OWASP: "owasp", Kind.SCANNER: "scanners"}
"""The configuration key that turns each kind of finding on or off."""

_DEFAULT_THRESHOLDS = Thresholds()


# --- paths ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PathGlob:
    """One `ignore_paths` pattern, with gitignore's meaning for `*`, `?`, `**` and slashes.

    Matched segment by segment with a greedy two-pointer matcher (no regular expression is
    built from repository content): time is bounded by pattern length x path length, never
    exponential.
    """

    pattern: str
    """As written in the configuration."""
    segments: tuple[str, ...]
    """Folder-name patterns; `**` stands for any number of folders."""
    directory_only: bool
    """Matches folders (and so everything inside them), never a file of that name."""

    @classmethod
    def parse(cls, pattern: str) -> PathGlob:
        """Raises ValueError with a message a person can act on."""
        if pattern.startswith("!"):
            raise ValueError("negation (`!`) is not supported: list only the paths to ignore")
        if "\\" in pattern:
            raise ValueError("use `/` between folders (backslashes are not supported)")
        text = pattern
        anchored = False
        if text.startswith("./"):
            text, anchored = text[2:], True
        directory_only = text.endswith("/")
        inner = text.strip("/")
        # gitignore: a slash at the start or in the middle anchors the pattern at the root.
        anchored = anchored or text.startswith("/") or "/" in inner
        parts = [_collapse_stars(p) for p in inner.split("/") if p]
        if not parts:
            raise ValueError("the pattern names no path")
        if any(p in (".", "..") for p in parts):
            raise ValueError("`.` and `..` are not allowed: write paths from the repository root")
        segments: list[str] = []
        for part in parts:
            if not (part == "**" and segments and segments[-1] == "**"):
                segments.append(part)
        if not anchored and segments[0] != "**":
            segments.insert(0, "**")
        # `x/**` is everything inside x, not x itself: the same as the folder pattern `x/`.
        if len(segments) > 1 and segments[-1] == "**":
            segments.pop()
            directory_only = True
        return cls(pattern, tuple(segments), directory_only)

    def matches(self, path: str) -> bool:
        """Whether `path` (repository-relative, `/`-separated) is this pattern or lies inside a
        folder it matches, as git decides what a .gitignore line ignores."""
        parts = [p for p in path.split("/") if p]
        if self.directory_only:
            parts = parts[:-1]
        if not parts:
            return False
        # The trailing `**` makes "the pattern matches the path or one of its folders".
        return _match_sequence(self.segments + ("**",), parts)


def _collapse_stars(segment: str) -> str:
    """`***` is `**`; `**` inside a longer name is an ordinary `*` (as in gitignore)."""
    return "**" if len(segment) >= 2 and set(segment) == {"*"} else segment


def _match_sequence(pattern: Sequence[str], parts: Sequence[str]) -> bool:
    """Folder-level glob: `**` matches any run of names, other entries match one name."""
    p = t = 0
    star = -1
    resume = 0
    while t < len(parts):
        if p < len(pattern) and pattern[p] == "**":
            star, resume = p, t
            p += 1
        elif p < len(pattern) and _match_name(pattern[p], parts[t]):
            p += 1
            t += 1
        elif star >= 0:
            # Let the last `**` take one more name and retry from there.
            resume += 1
            p, t = star + 1, resume
        else:
            return False
    while p < len(pattern) and pattern[p] == "**":
        p += 1
    return p == len(pattern)


def _match_name(pattern: str, name: str) -> bool:
    """Name-level glob: `*` any run of characters, `?` one character, all else literal."""
    p = t = 0
    star = -1
    resume = 0
    while t < len(name):
        if p < len(pattern) and pattern[p] == "*":
            star, resume = p, t
            p += 1
        elif p < len(pattern) and (pattern[p] == "?" or pattern[p] == name[t]):
            p += 1
            t += 1
        elif star >= 0:
            resume += 1
            p, t = star + 1, resume
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)


# --- the configuration ---------------------------------------------------------------------


@dataclass(frozen=True)
class RepoConfig:
    """What one repository asked for. The defaults are what a repository without the file gets."""

    fail_on: Severity | None = Severity.HIGH
    """Findings at or above this fail the check; None is `never`. `parse_repo_config` puts the
    server's PRWARDEN_FAIL_ON here when the file does not set it."""
    disabled_kinds: frozenset[Kind] = frozenset()
    """Kinds of finding not reported (`drift: {enabled: false}`, ...)."""
    warn_majors: int = _DEFAULT_THRESHOLDS.warn_majors
    fail_majors: int | None = _DEFAULT_THRESHOLDS.fail_majors
    """None: drift is never `high`, so never fails the check."""
    summary_threshold_percent: float = _DEFAULT_THRESHOLDS.summary_threshold_percent
    ignore_paths: tuple[str, ...] = ()
    """gitignore-style globs, as written; findings on these paths are not reported."""
    disabled_rules: frozenset[str] = frozenset()
    review_comments: bool = False
    """Also post findings as review comments (off: the check run's annotations are enough)."""
    comment: bool = True
    """Post the summary comment on the pull request."""
    globs: tuple[PathGlob, ...] = field(init=False, repr=False, compare=False)
    """`ignore_paths` read once, so matching a path does not re-read the patterns."""

    def __post_init__(self) -> None:
        # Raises ValueError for a bad pattern: parse_repo_config reports those as problems first.
        object.__setattr__(self, "globs", tuple(PathGlob.parse(p) for p in self.ignore_paths))

    def thresholds(self) -> Thresholds:
        """The drift thresholds for `bot.drift.assess`."""
        return replace(
            _DEFAULT_THRESHOLDS,
            warn_majors=self.warn_majors,
            fail_majors=self.fail_majors,
            summary_threshold_percent=self.summary_threshold_percent,
        )

    def ignores(self, path: str) -> bool:
        return any(glob.matches(path) for glob in self.globs)

    def rule_enabled(self, rule_id: str) -> bool:
        return rule_id not in self.disabled_rules

    def kind_enabled(self, kind: Kind) -> bool:
        return kind not in self.disabled_kinds

    def reports(self, finding: Finding) -> bool:
        """Whether the configuration keeps this finding."""
        return self.kind_enabled(finding.kind) and self.rule_enabled(finding.rule_id) and not self.ignores(finding.path)

    def fails(self, result: ScanResult) -> bool:
        """The gate with this repository's fail level (`never` never fails on findings)."""
        return self.fail_on is not None and result.fails(self.fail_on)


def apply_repo_config(result: ScanResult, config: RepoConfig) -> ScanResult:
    """Drop what the configuration turns off, so the pipeline applies it once at the edge.

    Findings (reported, suppressed and pre-existing alike) of disabled kinds or rules or on
    ignored paths go, and so do notices about ignored paths: the repository said it does not
    want to hear about them. Scanner states stay: they say what ran, not what was found.
    """
    return replace(
        result,
        findings=tuple(f for f in result.findings if config.reports(f)),
        suppressed=tuple(f for f in result.suppressed if config.reports(f)),
        preexisting=tuple(f for f in result.preexisting if config.reports(f)),
        notices=tuple(n for n in result.notices if n.path is None or not config.ignores(n.path)),
    )


# --- parsing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigProblem:
    """Something wrong (or doubtful) in the file, where it is and what to do about it."""

    message: str
    line: int
    """1-based line in the YAML; 1 for problems with the file as a whole."""
    pointer: str = ""
    """JSON Pointer of the value concerned ("" for the whole file), e.g. "/drift/warn_majors"."""

    def __str__(self) -> str:
        return f"{CONFIG_PATH}:{self.line}: {self.message}"


@dataclass(frozen=True)
class ConfigResult:
    config: RepoConfig
    """The file's settings; the defaults when there is any error (never half of a file)."""
    errors: tuple[ConfigProblem, ...] = ()
    warnings: tuple[ConfigProblem, ...] = ()
    """Doubtful but usable: the configuration applies."""

    @property
    def valid(self) -> bool:
        return not self.errors


DataPath = tuple[str | int, ...]
"""Keys and indices from the document root to a value (a JSON Pointer, unencoded)."""


def parse_repo_config(
    text: str | None,
    *,
    default_fail_on: Severity,
    known_rules: frozenset[str] = frozenset(),
) -> ConfigResult:
    """Read `.github/prwarden.yml`. None (no file) and an empty file give the defaults.

    `known_rules`: every rule id the server has (OWASP and drift); ids in `rules.disable` outside
    it are warnings. Empty means "not known", and no id is questioned.
    """
    defaults = RepoConfig(fail_on=default_fail_on)
    if text is None:
        return ConfigResult(defaults)
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_CONFIG_BYTES:
        message = f"the file is {size:,} bytes; the limit is {MAX_CONFIG_BYTES:,} bytes (64 KB)"
        return ConfigResult(defaults, errors=(ConfigProblem(message, 1),))
    try:
        root, data = _load(text)
    except _Refused as refused:
        return ConfigResult(defaults, errors=refused.problems)
    if root is None or data is None:
        return ConfigResult(defaults)
    errors = _schema_problems(data, root)
    if errors:
        return ConfigResult(defaults, errors=errors)
    errors = tuple(_semantic_problems(data, root))
    if errors:
        return ConfigResult(defaults, errors=errors)
    config = _build(data, default_fail_on)
    warnings = tuple(_warnings(data, root, config, known_rules))
    return ConfigResult(config, warnings=warnings)


class _Refused(Exception):
    """The text cannot be turned into data; carries the problems to report."""

    def __init__(self, problems: Iterable[ConfigProblem]) -> None:
        self.problems = tuple(sorted(problems, key=lambda p: p.line))
        super().__init__("; ".join(str(p) for p in self.problems))


def _load(text: str) -> tuple[yaml.Node | None, Any]:
    """Parse with PyYAML's SafeLoader: compose the node tree, check it, then construct."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as exc:  # ReaderError: a character YAML does not allow
        raise _Refused([_yaml_problem(exc, text)]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _check_tree(node)
        return node, loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise _Refused([_yaml_problem(exc, text)]) from None
    except RecursionError:
        raise _Refused([ConfigProblem(f"the YAML is nested too deeply (more than {MAX_DEPTH} levels)", 1)]) from None
    finally:
        loader.dispose()


def _yaml_problem(exc: yaml.YAMLError, text: str) -> ConfigProblem:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        detail = exc.problem or "syntax error"
        if exc.context:
            where = f" on line {exc.context_mark.line + 1}" if exc.context_mark is not None else ""
            detail = f"{detail} ({exc.context}{where})"
        column = f" (column {mark.column + 1})" if mark is not None else ""
        return ConfigProblem(f"not valid YAML{column}: {detail}", line)
    position = getattr(exc, "position", None)
    line = text.count("\n", 0, position) + 1 if isinstance(position, int) else 1
    reason = getattr(exc, "reason", None) or str(exc)
    return ConfigProblem(f"not valid YAML: {reason}", line)


_STR_TAG = "tag:yaml.org,2002:str"


def _check_tree(root: yaml.Node) -> None:
    """Refuse what the constructor should never see: alias bombs, deep nesting, keys that are
    not text, and duplicate keys (PyYAML silently keeps the last one).

    Walks the tree as the constructor would, aliases expanded, with a budget of MAX_NODES:
    a recursive or exponential alias runs out of budget instead of time or memory.
    """
    problems: dict[ConfigProblem, None] = {}
    """Ordered set: a mapping reached through several aliases is reported once."""
    visited = 0
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        visited += 1
        if visited > MAX_NODES:
            raise _Refused([ConfigProblem(
                f"the YAML holds more than {MAX_NODES:,} values (each use of an alias counted); "
                "a configuration needs far fewer",
                root.start_mark.line + 1,
            )])
        if depth > MAX_DEPTH:
            raise _Refused([ConfigProblem(
                f"the YAML is nested too deeply (more than {MAX_DEPTH} levels)", node.start_mark.line + 1
            )])
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in node.value:
                line = key.start_mark.line + 1
                if not (isinstance(key, yaml.ScalarNode) and key.tag == _STR_TAG):
                    problems[ConfigProblem(_bad_key(key), line)] = None
                    continue
                if key.value in seen:
                    message = (
                        f"`{key.value}` appears twice (first on line {seen[key.value]}); YAML would keep only "
                        "the last one: remove one"
                    )
                    problems[ConfigProblem(message, line)] = None
                else:
                    seen[key.value] = line
                stack.append((value, depth + 1))
    if problems:
        raise _Refused(problems)


def _bad_key(key: yaml.Node) -> str:
    if key.tag == "tag:yaml.org,2002:merge":
        return "merge keys (`<<`) are not supported: write the settings out"
    if isinstance(key, yaml.ScalarNode):
        return f"key {key.value!r} is not read as a name (YAML takes it for a value): use the documented keys"
    return "a key must be a name, not a list or mapping"


def _node_at(root: yaml.Node, path: DataPath, *, key: bool = False) -> yaml.Node:
    """The node of the value at `path` (or of its key), or the deepest node found on the way."""
    node = root
    for index, step in enumerate(path):
        if isinstance(node, yaml.MappingNode) and isinstance(step, str):
            found = [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == step]
            if not found:
                return node
            key_node, value_node = found[-1]
            node = key_node if key and index == len(path) - 1 else value_node
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            node = node.value[step]
        else:
            return node
    return node


def _line(root: yaml.Node, path: DataPath, *, key: bool = False) -> int:
    line: int = _node_at(root, path, key=key).start_mark.line
    return line + 1


def _pointer(path: DataPath) -> str:
    return "".join("/" + str(step).replace("~", "~0").replace("/", "~1") for step in path)


def _name(path: DataPath) -> str:
    """`drift.warn_majors`, `ignore_paths[2]`: how a person would point at the value."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return f"`{out}`" if out else "the file"


# --- the schema ----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def config_schema() -> Mapping[str, Any]:
    """The shipped JSON Schema (package data; read once)."""
    text = resources.files("bot").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    schema = config_schema()
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


_TYPE_WORDS = {
    "boolean": "true or false",
    "integer": "a whole number",
    "number": "a number",
    "string": "text",
    "array": "a list",
    "object": "a mapping (`key: value` lines)",
    "null": "empty (null)",
}


def _schema_problems(data: Any, root: yaml.Node) -> tuple[ConfigProblem, ...]:
    problems: list[ConfigProblem] = []
    for error in _validator().iter_errors(data):
        problems.extend(_explain(error, root))
    return tuple(sorted(problems, key=lambda p: (p.line, p.pointer)))


def _explain(error: jsonschema.ValidationError, root: yaml.Node) -> Iterator[ConfigProblem]:
    """One schema error in words a person can act on, at its line."""
    path: DataPath = tuple(error.absolute_path)
    where = _name(path)
    value: Any = error.instance
    kind = error.validator
    arg: Any = error.validator_value
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    if kind == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        for extra in sorted(k for k in value if k not in allowed):
            yield ConfigProblem(
                _unknown_key(extra, path, allowed),
                _line(root, (*path, extra), key=True),
                _pointer((*path, extra)),
            )
        return
    if kind == "type":
        wanted = " or ".join(_TYPE_WORDS.get(t, t) for t in ([arg] if isinstance(arg, str) else arg))
        message = f"{where} must be {wanted}, not {_shown(value)}"
        properties = schema.get("properties", {})
        if isinstance(value, bool) and "enabled" in properties and path:
            message += f": to turn it {'on' if value else 'off'} write `{path[-1]}: {{enabled: {_yaml_bool(value)}}}`"
    elif kind == "enum":
        message = f"{where} must be one of {', '.join(str(c) for c in arg)}; not {_shown(value)}"
    elif kind in ("minimum", "exclusiveMinimum"):
        message = f"{where} must be at least {arg}, not {_shown(value)}"
    elif kind in ("maximum", "exclusiveMaximum"):
        message = f"{where} must be at most {arg}, not {_shown(value)}"
    elif kind == "minLength":
        message = f"{where} must not be empty"
    elif kind == "maxLength":
        message = f"{where} is longer than {arg} characters"
    elif kind == "maxItems":
        message = f"{where} has {len(value)} entries; at most {arg} are allowed"
    else:
        message = f"{where}: {error.message}"
    yield ConfigProblem(message, _line(root, path), _pointer(path))


def _unknown_key(key: str, parent: DataPath, allowed: Sequence[str]) -> str:
    """Name the likely intent: a misspelling of a key here, or a key that belongs elsewhere."""
    here = f"under {_name(parent)}" if parent else "at the top level"
    elsewhere = [p for p in _property_paths() if p[-1] == key and p[:-1] != parent]
    close = difflib.get_close_matches(key.replace("-", "_").lower(), allowed, n=1, cutoff=0.75)
    if elsewhere:
        hint = f" (it belongs under `{'.'.join(elsewhere[0][:-1])}:`)"
    elif close:
        hint = f" (did you mean `{close[0]}`?)"
    else:
        hint = ""
    return f"unknown key `{key}` {here}{hint}; keys allowed here: {', '.join(allowed)}"


@lru_cache(maxsize=1)
def _property_paths() -> tuple[tuple[str, ...], ...]:
    """Every key the schema defines, as paths: to say where a misplaced key belongs."""
    return tuple(_walk_properties(config_schema(), ()))


def _walk_properties(schema: Mapping[str, Any], prefix: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    for name, sub in schema.get("properties", {}).items():
        yield (*prefix, name)
        if isinstance(sub, Mapping):
            yield from _walk_properties(sub, (*prefix, name))


def _shown(value: Any) -> str:
    """A value as the person wrote it, short."""
    if isinstance(value, bool):
        return _yaml_bool(value)
    if value is None:
        return "empty (null)"
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= 60 else text[:57] + '..."'
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"  # dates and the like, from unquoted YAML


def _yaml_bool(value: bool) -> str:
    return "true" if value else "false"


# --- beyond the schema ---------------------------------------------------------------------


def _semantic_problems(data: Mapping[str, Any], root: yaml.Node) -> Iterator[ConfigProblem]:
    """What the schema cannot say: glob syntax and numbers YAML allows but nothing means."""
    for index, pattern in enumerate(data.get("ignore_paths", ())):
        path: DataPath = ("ignore_paths", index)
        try:
            PathGlob.parse(pattern)
        except ValueError as exc:
            yield ConfigProblem(f"{_name(path)} {json.dumps(pattern)}: {exc}", _line(root, path), _pointer(path))
    percent = data.get("drift", {}).get("summary_threshold_percent")
    if isinstance(percent, float) and math.isnan(percent):
        path = ("drift", "summary_threshold_percent")
        yield ConfigProblem(f"{_name(path)} must be a number from 0 to 100, not .nan", _line(root, path), _pointer(path))


def _build(data: Mapping[str, Any], default_fail_on: Severity) -> RepoConfig:
    """The validated data as a RepoConfig; absent keys keep the defaults."""
    fail_on_text = data.get("fail_on")
    if fail_on_text is None:
        fail_on: Severity | None = default_fail_on
    else:
        fail_on = None if fail_on_text == NEVER else Severity(fail_on_text)
    drift = data.get("drift", {})
    fail_majors = drift.get("fail_majors", _DEFAULT_THRESHOLDS.fail_majors)
    return RepoConfig(
        fail_on=fail_on,
        disabled_kinds=frozenset(
            kind for kind, key in KIND_KEYS.items() if not data.get(key, {}).get("enabled", True)
        ),
        warn_majors=int(drift.get("warn_majors", _DEFAULT_THRESHOLDS.warn_majors)),
        fail_majors=None if fail_majors is None else int(fail_majors),
        summary_threshold_percent=float(
            drift.get("summary_threshold_percent", _DEFAULT_THRESHOLDS.summary_threshold_percent)
        ),
        ignore_paths=tuple(data.get("ignore_paths", ())),
        disabled_rules=frozenset(data.get("rules", {}).get("disable", ())),
        review_comments=bool(data.get("review_comments", False)),
        comment=bool(data.get("comment", True)),
    )


def _warnings(
    data: Mapping[str, Any], root: yaml.Node, config: RepoConfig, known_rules: frozenset[str]
) -> Iterator[ConfigProblem]:
    """Settings that apply but probably do not do what was meant."""
    if known_rules:
        for index, rule_id in enumerate(data.get("rules", {}).get("disable", ())):
            if rule_id in known_rules:
                continue
            path: DataPath = ("rules", "disable", index)
            close = difflib.get_close_matches(rule_id, sorted(known_rules), n=1, cutoff=0.75)
            hint = f": did you mean `{close[0]}`?" if close else " (`prwarden rules list` shows them)"
            yield ConfigProblem(
                f"`{rule_id}` is not a rule this server has, so disabling it does nothing{hint}",
                _line(root, path),
                _pointer(path),
            )
    drift = data.get("drift", {})
    if config.fail_majors is not None and "fail_majors" in drift and config.kind_enabled(Kind.DRIFT):
        path = ("drift", "fail_majors")
        if config.fail_on is None or not Severity.HIGH.at_least(config.fail_on):
            gate = NEVER if config.fail_on is None else config.fail_on.value
            yield ConfigProblem(
                f"{_name(path)} has no effect: drift at fail_majors is `high`, and with fail_on {gate} "
                "a `high` finding does not fail the check",
                _line(root, path),
                _pointer(path),
            )
        elif "warn_majors" in drift and config.fail_majors <= config.warn_majors:
            yield ConfigProblem(
                f"{_name(path)} ({config.fail_majors}) is not above drift.warn_majors ({config.warn_majors}), "
                "so warn_majors never applies",
                _line(root, path),
                _pointer(path),
            )
