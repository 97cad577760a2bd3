"""The floor for bench/scan_speed.py: read a change's files at head and parse them, nothing else.

Lists the files the change adds, modifies or renames (HEAD against the merge base of BASE and
HEAD, as `prwarden scan` diffs), reads them at HEAD through one `git cat-file --batch`, and parses
each JavaScript / TypeScript / TSX file with its tree-sitter grammar on one core. No rules, no
diff hunks, no output beyond one line of counts: the least any scanner of these files must do.

    .venv/bin/python bench/floor_parse.py REPO BASE HEAD
"""

from __future__ import annotations

import subprocess
import sys

import tree_sitter
import tree_sitter_javascript
import tree_sitter_typescript

GRAMMARS = {
    ".js": tree_sitter_javascript.language,
    ".mjs": tree_sitter_javascript.language,
    ".cjs": tree_sitter_javascript.language,
    ".jsx": tree_sitter_javascript.language,
    ".ts": tree_sitter_typescript.language_typescript,
    ".mts": tree_sitter_typescript.language_typescript,
    ".cts": tree_sitter_typescript.language_typescript,
    ".tsx": tree_sitter_typescript.language_tsx,
}


def git(repo: str, *args: str) -> bytes:
    return subprocess.run(["git", "-C", repo, *args], capture_output=True, check=True).stdout


def main(repo: str, base: str, head: str) -> int:
    merge_base = git(repo, "merge-base", base, head).decode().strip()
    names = git(repo, "diff", "-z", "--name-only", "-M", "--diff-filter=d", merge_base, head).split(b"\0")
    paths = [n.decode() for n in names if n and n[n.rfind(b".") :].decode().lower() in GRAMMARS]
    request = "".join(f"{head}:{path}\n" for path in paths).encode()
    batch = subprocess.run(["git", "-C", repo, "cat-file", "--batch"], input=request, capture_output=True, check=True).stdout

    parsers = {ext: tree_sitter.Parser(tree_sitter.Language(load())) for ext, load in GRAMMARS.items()}
    offset = files = parsed_bytes = errors = 0
    for path in paths:
        end = batch.index(b"\n", offset)
        header = batch[offset:end].split()
        offset = end + 1
        if header[-1] == b"missing":
            continue
        size = int(header[2])
        data = batch[offset : offset + size]
        offset += size + 1
        tree = parsers[path[path.rfind(".") :].lower()].parse(data)
        files += 1
        parsed_bytes += size
        errors += tree.root_node.has_error
    print(f"floor: parsed {files} files, {parsed_bytes} bytes, {errors} with syntax errors")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
