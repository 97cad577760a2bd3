"""Which tree-sitter grammar reads which file, and bounded parsing with it.

Grammars and parsers are built once: loading a grammar is cheap but not free, and a scan of a
large pull request parses hundreds of files. Parsers are kept per thread because a
`tree_sitter.Parser` holds parse state and the pipeline may run analyzers in a thread pool.
"""

from __future__ import annotations

import importlib
import threading
import time
from functools import lru_cache

import tree_sitter

_GRAMMARS: dict[str, tuple[str, str]] = {
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "python": ("tree_sitter_python", "language"),
}
"""Grammar name -> (package, function returning the language). Packages load on first use:
a change with no source file (a manifest bump) never pays for them."""

EXTENSIONS: dict[str, str] = {
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    # tree-sitter-javascript parses JSX; the TypeScript grammar would reject it.
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    # TSX needs its own grammar: `<T>x` is a cast in .ts but an element in .tsx.
    ".tsx": "tsx",
    ".py": "python",
    # Stubs hold no executable code, but a rule may still look at constants declared in them.
    ".pyi": "python",
}

LANGUAGES: tuple[str, ...] = tuple(_GRAMMARS)

FAMILIES: dict[str, str] = {
    "javascript": "javascript",
    "typescript": "javascript",
    "tsx": "javascript",
    "python": "python",
}
"""Grammar -> language family: TypeScript and TSX share JavaScript's taint data
(rules/taint/javascript.yml) and its node names for everything taint looks at."""

_READ_CHUNK_BYTES = 64 * 1024
"""How much source the parser is handed per read callback."""


class ParseTimeout(Exception):
    """The parser ran past its deadline; the file is reported as not scanned."""


def family(language: str) -> str:
    """The language family of a grammar name ("tsx" -> "javascript"); KeyError if unknown."""
    return FAMILIES[language]


def language_for_path(path: str) -> str | None:
    """The grammar name for a file, by extension; None when no rule language reads it."""
    # The same rule as PurePosixPath(path).suffix, without building a path object per call.
    name = path.rpartition("/")[2]
    dot = name.rfind(".")
    return EXTENSIONS.get(name[dot:].lower()) if 0 < dot < len(name) - 1 else None


@lru_cache(maxsize=None)
def grammar(name: str) -> tree_sitter.Language:
    """The tree-sitter Language for a grammar name; KeyError for an unknown one."""
    package, function = _GRAMMARS[name]
    return tree_sitter.Language(getattr(importlib.import_module(package), function)())


_local = threading.local()


def _parser(name: str) -> tree_sitter.Parser:
    parsers: dict[str, tree_sitter.Parser] = _local.__dict__.setdefault("parsers", {})
    parser = parsers.get(name)
    if parser is None:
        parser = parsers[name] = tree_sitter.Parser(grammar(name))
    return parser


UNBOUNDED_PARSE_MAX_BYTES = 256 * 1024
"""Smaller files parse in one plain pass: tree-sitter is linear-time (about 4 MB/s here, so a
few tens of ms at most); the deadline-bounded route below costs a second pass."""


def parse(name: str, source: bytes, timeout_seconds: float) -> tree_sitter.Tree:
    """Parse `source`, giving up after `timeout_seconds` of wall time.

    tree-sitter 0.26 only honours a progress callback (its cancellation hook) when the source
    comes from a read callback, and a tree parsed that way answers every query predicate
    (`#eq?`) by calling back into Python, which made queries ~15x slower in measurement. So the
    bounded parse runs first, then the bytes are parsed again reusing that tree: nothing was
    edited, so the second parse only re-attaches the source (~1/3 of the first parse's time).
    """
    parser = _parser(name)
    if len(source) <= UNBOUNDED_PARSE_MAX_BYTES:
        return parser.parse(source)
    deadline = time.monotonic() + timeout_seconds

    def read(offset: int, _point: tree_sitter.Point) -> bytes:
        # Plain bytes, never a memoryview: py-tree-sitter issue #435 (segfault on Node.text).
        return source[offset : offset + _READ_CHUNK_BYTES]

    def over_deadline(_offset: int, _has_error: bool) -> bool:
        return time.monotonic() > deadline

    try:
        bounded = parser.parse(read, progress_callback=over_deadline)
    except ValueError as exc:  # "Parsing failed": the callback cancelled it
        parser.reset()
        raise ParseTimeout(f"parsing took longer than {timeout_seconds:g} s") from exc
    return parser.parse(source, old_tree=bounded)
