"""The drift stage: changed manifests and lockfiles -> registry lookups -> drift findings.

I/O happens here and nowhere else in drift/: reading both sides of manifests and their
lockfiles through the `Source`, and asking registries. What is a change, how far behind a
version is and how it is worded are the pure functions of `compare.py`, `versions.py` and
`assess.py`.

Only what the PR adds or changes is checked: a dependency added, a spec changed, or a locked
version moved. Reordering, whitespace, unrelated edits and removals produce nothing.

Lookups start as soon as the manifests say which packages a changed spec involves; the
lockfiles are read and parsed while the registry answers.

A requirements file's `-r` files are read as part of it, as pip reads them: their dependencies
count in its workspace share, and a change to one of them is checked with it when the file is
not a manifest by its own name (base.txt, dev.in), so nothing else would check it.
"""

from __future__ import annotations

import asyncio
import os
import posixpath
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.analysis import AnalyzerOutput, Stage
from bot.drift.assess import Declared, DisplayNames, Thresholds, behind_finding, measure, share, summary_finding
from bot.drift.compare import changed_dependencies
from bot.drift.lockfiles import LOCKFILE_NAMES, is_lockfile, parse_lockfile
from bot.drift.lockfiles import format_for as lockfile_format_for
from bot.drift.manifests import is_manifest, parse_included, parse_manifest
from bot.drift.model import (
    Ecosystem,
    Include,
    Lockfile,
    Manifest,
    ManifestError,
    PackageInfo,
    PackageNotFound,
    RegistryUnavailable,
)
from bot.drift.cache import default_cache
from bot.drift.registries.base import Answer, Registry, RegistryDown
from bot.drift.registries.npm import npm_registry_from_env
from bot.drift.registries.pypi import pypi_registry_from_env
from bot.drift.versions import UnreadableVersion, admits, is_poetry_group
from bot.model import ChangedFile, FileStatus, Finding, Kind, Notice, NoticeKind, ScannerState, ScannerStatus
from bot.sources.base import FileTooLarge, Side, Source

MAX_MANIFEST_BYTES = 2 * 1024 * 1024
MAX_LOCKFILE_BYTES = 64 * 1024 * 1024
"""Lockfiles of large monorepos run to tens of MB (package-lock.json of a big workspace)."""
MAX_LOCKFILE_DEPTH = 8
"""How many folders up from a manifest to look for its lockfile (workspace roots)."""
MAX_WORKSPACES = 500
"""Workspace manifests re-read for one changed lockfile (each is a read through the source)."""
MAX_INCLUDED_FILES = 50
"""Files one requirements manifest may pull in with `-r`, transitively."""

REGISTRY_SETTING = {Ecosystem.NPM: "NPM_CONFIG_REGISTRY", Ecosystem.PYPI: "PIP_INDEX_URL"}
REGISTRY_LABEL = {Ecosystem.NPM: "npm registry", Ecosystem.PYPI: "PyPI index"}


@dataclass
class _Parsed:
    """One manifest at one side of the change and the files it includes with `-r`, before its
    lockfile is read."""

    manifest: Manifest | None
    included: list[Manifest] = field(default_factory=list)


@dataclass
class _Side:
    """One manifest at one side of the change, with what its lockfile pins."""

    manifest: Manifest | None
    declared: list[Declared] = field(default_factory=list)
    """Everything it declares, `-r` files included: what its workspace share is over."""
    checked: list[Declared] = field(default_factory=list)
    """What a change is looked for in: its own declarations, and those of `-r` files that the
    change touched and no other manifest reports (not manifests by name)."""


class DriftStage(Stage):
    name = "drift"
    kind = Kind.DRIFT

    def __init__(
        self,
        registries: Mapping[Ecosystem, Registry | None],
        thresholds: Thresholds | None = None,
        names: DisplayNames | None = None,
    ) -> None:
        self.registries = dict(registries)
        self.thresholds = thresholds or Thresholds()
        self.names = names or DisplayNames.load()

    def wants(self, path: str) -> bool:
        return is_manifest(path) or is_lockfile(path)

    def with_thresholds(self, thresholds: Thresholds) -> DriftStage:
        """The same registries (and their cache) with a repository's own thresholds."""
        return DriftStage(self.registries, thresholds, self.names)

    async def run(self, source: Source, changes: Sequence[ChangedFile]) -> AnalyzerOutput:
        present = [c for c in changes if c.status is not FileStatus.REMOVED]
        return await _Run(self, source, {c.path for c in present}).run([c for c in present if self.wants(c.path)])


class _Run:
    """One scan's drift work; caches every read so a lockfile shared by a workspace is read once."""

    def __init__(self, stage: DriftStage, source: Source, changed_paths: set[str]) -> None:
        self.stage = stage
        self.source = source
        self.changed_paths = changed_paths
        """Every file the change adds or modifies, manifest or not."""
        self.notices: list[Notice] = []
        self._reads: dict[tuple[str, Side, int], asyncio.Future[bytes | None]] = {}
        self._locks: dict[tuple[str, Side, tuple[str, ...]], asyncio.Future[tuple[str, Lockfile] | None]] = {}
        self._parsed: dict[tuple[str, Side], asyncio.Future[Lockfile | None]] = {}

    async def run(self, changed: Sequence[ChangedFile]) -> AnalyzerOutput:
        targets = await self._manifests_to_check(changed)
        await self._prefetch(targets)
        parsed = await asyncio.gather(*(self._both_parsed(path, previous) for path, previous in targets))

        # Lookups start once the manifests say which packages a changed spec involves; the
        # lockfiles (tens of MB in a monorepo) are read and parsed while the registry answers.
        early = _wanted(
            (head, base)
            for head, base in ((self._declare(h, None), self._declare(b, None)) for h, b in parsed)
            if changed_dependencies(head.checked, base.checked)
        )
        early_answers = asyncio.ensure_future(self._ask(early))
        try:
            sides = await asyncio.gather(*(self._both_sides(path, previous, h, b) for (path, previous), (h, b) in zip(targets, parsed)))
        except BaseException:
            early_answers.cancel()
            raise
        pairs = [(head, base) for head, base in sides if head.manifest is not None]

        work: list[tuple[_Side, _Side, list[Declared]]] = []
        reported: set[tuple[str, int, str]] = set()  # a `-r` file two changed manifests include
        for head, base in pairs:
            fresh = changed_dependencies(head.checked, base.checked)
            if not fresh:
                continue  # nothing added or changed: removals and reformatting report nothing
            work.append((head, base, [item for item in fresh if _first(reported, item)]))
        for _, _, fresh in work:
            for item in fresh:
                if item.dependency.outside:
                    self._notice(NoticeKind.SKIPPED, f"{item.dependency.name}: {item.dependency.outside}, not checked against a registry", item)

        wanted = _wanted((head, base) for head, base, _ in work)
        infos, scanners = self._settle(await self._rest(early_answers, wanted), wanted)
        known = {key: info for key, info in infos.items() if isinstance(info, PackageInfo)}
        findings: list[Finding] = []
        for head, base, fresh in work:
            for item in fresh:
                findings.extend(self._assess(item, infos))
            assert head.manifest is not None
            workspace = _workspace_name(head.manifest)
            base_share = share(base.declared, known) if base.manifest is not None else None
            summary = summary_finding(head.manifest, workspace, share(head.declared, known), base_share, self.stage.thresholds)
            if summary is not None:
                findings.append(summary)
        # A file two manifests include is read twice: its notices are said once.
        return AnalyzerOutput(findings=tuple(findings), notices=tuple(dict.fromkeys(self.notices)), scanners=tuple(scanners))

    # -- which manifests -------------------------------------------------------------------

    async def _manifests_to_check(self, changed: Sequence[ChangedFile]) -> list[tuple[str, str | None]]:
        """(head path, base path) of every manifest whose dependencies the change may move:
        changed manifests, and for each changed lockfile the manifest beside it and those of
        the workspace packages it locks."""
        targets: dict[str, str | None] = {}
        for file in changed:
            if is_manifest(file.path):
                targets[file.path] = file.previous_path if file.status is FileStatus.RENAMED else file.path
        for file in changed:
            if not is_lockfile(file.path):
                continue
            folder = posixpath.dirname(file.path)
            manifest_name = _manifest_beside_lockfile(file.path)
            lockfile = await self._parsed_lockfile(file.path, Side.HEAD)
            packages = ("", *(lockfile.workspace_folders() if lockfile is not None else ()))
            for package in packages[: MAX_WORKSPACES + 1]:
                path = posixpath.normpath(posixpath.join(folder, package, manifest_name))
                if not path.startswith("../"):
                    targets.setdefault(path, path)
        return sorted(targets.items())

    async def _prefetch(self, targets: Sequence[tuple[str, str | None]]) -> None:
        """Ask the source for both sides of the manifests, and for the lockfiles that may sit
        beside them, in a few batches (local git: two processes each instead of two per file).
        Lockfiles further up (a workspace root's) are read when looked for: prefetching every
        level would read a large root lockfile that a nearer one makes unneeded."""
        batches: list[tuple[list[str], Side, int]] = []
        for side in Side:
            paths = [head if side is Side.HEAD else base for head, base in targets]
            manifests = [path for path in paths if path is not None]
            lockfiles = [
                posixpath.join(posixpath.dirname(path), name)
                for path in manifests
                for name in LOCKFILE_NAMES.get(posixpath.basename(path), ())
            ]
            batches += [(manifests, side, MAX_MANIFEST_BYTES), (lockfiles, side, MAX_LOCKFILE_BYTES)]
        await asyncio.gather(*(self.source.prefetch(list(dict.fromkeys(paths)), side, cap=cap) for paths, side, cap in batches if paths))

    async def _both_parsed(self, path: str, base_path: str | None) -> tuple[_Parsed, _Parsed]:
        head, base = await asyncio.gather(
            self._parse_side(path, Side.HEAD), self._parse_side(base_path, Side.BASE) if base_path else _nothing()
        )
        return head, base or _Parsed(None)

    async def _parse_side(self, path: str, side: Side) -> _Parsed:
        try:
            data = await self._read(path, side, MAX_MANIFEST_BYTES)
        except FileTooLarge as exc:
            if side is Side.HEAD:
                self.notices.append(Notice(NoticeKind.NOT_SCANNED, f"manifest too large: {exc}", path))
            return _Parsed(None)
        if data is None:
            return _Parsed(None)
        try:
            manifest = parse_manifest(path, data.decode("utf-8", errors="replace"))
        except ManifestError as exc:
            if side is Side.HEAD:
                self.notices.append(Notice(NoticeKind.UNPARSEABLE, f"{exc.message}: dependencies not checked", path, exc.line))
            return _Parsed(None)
        included = await self._included(manifest, side)
        if side is Side.HEAD:
            for file in (manifest, *(i for i in included if self._checked_with_includer(i))):
                for problem in file.problems:
                    self.notices.append(Notice(NoticeKind.UNPARSEABLE, problem.message, file.path, problem.line))
        return _Parsed(manifest, included)

    def _checked_with_includer(self, included: Manifest) -> bool:
        """A changed `-r` file that no check of its own would cover (not a manifest by name)."""
        return included.path in self.changed_paths and not is_manifest(included.path)

    async def _both_sides(self, path: str, base_path: str | None, head: _Parsed, base: _Parsed) -> tuple[_Side, _Side]:
        head_lock, base_lock = await asyncio.gather(
            self._lockfile(path, Side.HEAD) if head.manifest is not None else _nothing(),
            self._lockfile(base_path, Side.BASE) if base_path and base.manifest is not None else _nothing(),
        )
        return self._declare(head, head_lock), self._declare(base, base_lock)

    def _declare(self, parsed: _Parsed, lock: tuple[str, Lockfile] | None) -> _Side:
        """What one side declares, each dependency with the version its lockfile resolves."""
        manifest = parsed.manifest
        if manifest is None:
            return _Side(None)
        workspace = _workspace_name(manifest)

        def declared_in(file: Manifest) -> list[Declared]:
            declared = []
            for dependency in file.dependencies:
                current = None
                if lock is not None and not dependency.outside:
                    importer, lockfile = lock
                    current = lockfile.resolve(importer, dependency)
                    poetry = is_poetry_group(dependency.group)
                    if current is not None and not admits(dependency.ecosystem, dependency.spec, current, poetry=poetry):
                        current = None  # a stale lock, or a hoisted copy another package needs: count from the spec
                declared.append(Declared(dependency, current, file.path, workspace))
            return declared

        own = declared_in(manifest)
        everything, checked = list(own), list(own)
        for included in parsed.included:
            items = declared_in(included)
            everything.extend(items)
            if self._checked_with_includer(included):
                checked.extend(items)
        return _Side(manifest, everything, checked)

    async def _included(self, manifest: Manifest, side: Side) -> list[Manifest]:
        """The files `-r` pulls into `manifest`, transitively and each once, as pip reads them:
        within the repository, at most MAX_INCLUDED_FILES. (`-c` files only pin versions.)"""
        found: list[Manifest] = []
        seen = {manifest.path}
        pending = [manifest]
        while pending:
            including = pending.pop(0)
            for include in including.includes:
                if include.constraints:
                    continue

                def skipped(why: str, including: Manifest = including, include: Include = include) -> None:
                    if side is Side.HEAD and including.path in self.changed_paths:
                        message = f"-r {include.target}: {why}"
                        self.notices.append(Notice(NoticeKind.SKIPPED, message, including.path, include.line))

                target = _include_path(including.path, include.target)
                if target is None:
                    skipped("not a file in the repository; its dependencies are not counted")
                    continue
                if target in seen:
                    continue
                if len(seen) > MAX_INCLUDED_FILES:
                    skipped(f"more than {MAX_INCLUDED_FILES} files included; the rest are not counted")
                    return found
                seen.add(target)
                try:
                    data = await self._read(target, side, MAX_MANIFEST_BYTES)
                except FileTooLarge:
                    skipped(f"larger than {MAX_MANIFEST_BYTES // (1024 * 1024)} MB; its dependencies are not counted")
                    continue
                if data is None:
                    skipped(f"{target} not found; its dependencies are not counted")
                    continue
                try:
                    included = parse_included(manifest.path, target, data.decode("utf-8", errors="replace"))
                except ManifestError as exc:
                    skipped(f"{exc.message}; its dependencies are not counted")
                    continue
                found.append(included)
                pending.append(included)
        return found

    async def _lockfile(self, manifest_path: str, side: Side) -> tuple[str, Lockfile] | None:
        """The nearest lockfile that locks this kind of manifest, in its folder or above, with
        the manifest's folder relative to the lockfile's (its importer)."""
        folder, name = posixpath.split(manifest_path)
        names = LOCKFILE_NAMES.get(name, ())
        if not names:
            return None
        key = (folder, side, names)
        if key not in self._locks:
            self._locks[key] = asyncio.ensure_future(self._find_lockfile(folder, names, side))
        found = await self._locks[key]
        if found is None:
            return None
        lock_folder, lockfile = found
        importer = posixpath.relpath(folder or ".", lock_folder or ".")
        return ("" if importer == "." else importer), lockfile

    async def _find_lockfile(self, folder: str, names: tuple[str, ...], side: Side) -> tuple[str, Lockfile] | None:
        for level, candidate_folder in enumerate(_folders_up(folder)):
            if level >= MAX_LOCKFILE_DEPTH:
                break
            paths = [posixpath.join(candidate_folder, n) if candidate_folder else n for n in names]
            found = await asyncio.gather(*(self._parsed_lockfile(p, side) for p in paths))
            for lockfile in found:
                if lockfile is not None:
                    return candidate_folder, lockfile
        return None

    async def _parsed_lockfile(self, path: str, side: Side) -> Lockfile | None:
        key = (path, side)
        if key not in self._parsed:
            self._parsed[key] = asyncio.ensure_future(self._parse_lockfile(path, side))
        return await self._parsed[key]

    async def _parse_lockfile(self, path: str, side: Side) -> Lockfile | None:
        try:
            data = await self._read(path, side, MAX_LOCKFILE_BYTES)
        except FileTooLarge as exc:
            if side is Side.HEAD:
                self.notices.append(Notice(NoticeKind.NOT_SCANNED, f"lockfile too large: {exc}", path))
            return None
        if data is None:
            return None
        try:
            return await asyncio.to_thread(parse_lockfile, path, data.decode("utf-8", errors="replace"))
        except ManifestError as exc:
            if side is Side.HEAD:
                message = f"{exc.message}: versions are counted from the manifest's specs"
                self.notices.append(Notice(NoticeKind.UNPARSEABLE, message, path, exc.line))
            return None

    async def _read(self, path: str, side: Side, cap: int) -> bytes | None:
        key = (path, side, cap)
        if key not in self._reads:
            self._reads[key] = asyncio.ensure_future(self.source.read(path, side, cap=cap))
        return await self._reads[key]

    # -- registries ------------------------------------------------------------------------

    async def _ask(self, wanted: Mapping[Ecosystem, set[str]]) -> dict[Ecosystem, dict[str, Answer]]:
        """Every wanted name's answer, per ecosystem with a configured registry."""

        async def one(ecosystem: Ecosystem, names: set[str]) -> tuple[Ecosystem, dict[str, Answer]]:
            registry = self.stage.registries.get(ecosystem)
            return ecosystem, (await registry.packages(sorted(names)) if registry is not None else {})

        return dict(await asyncio.gather(*(one(e, n) for e, n in sorted(wanted.items()))))

    async def _rest(
        self, early_answers: Awaitable[dict[Ecosystem, dict[str, Answer]]], wanted: Mapping[Ecosystem, set[str]]
    ) -> dict[Ecosystem, dict[str, Answer]]:
        """The early lookups' answers, and those of the names only the lockfiles made wanted (a
        locked version that moved without its spec). A registry the early lookups found down
        is not asked again: one outage costs a scan one retry budget."""
        answers = await early_answers
        late: dict[Ecosystem, set[str]] = {}
        for ecosystem, names in wanted.items():
            asked = answers.get(ecosystem, {})
            missing = names - asked.keys()
            outage = next((a for a in asked.values() if isinstance(a, RegistryDown)), None)
            if outage is not None:
                answers[ecosystem].update({name: outage for name in missing})
            elif missing:
                late[ecosystem] = missing
        for ecosystem, found in (await self._ask(late)).items():
            answers.setdefault(ecosystem, {}).update(found)
        return answers

    def _settle(
        self, answers: Mapping[Ecosystem, Mapping[str, Answer]], wanted: Mapping[Ecosystem, set[str]]
    ) -> tuple[dict[tuple[Ecosystem, str], PackageInfo | PackageNotFound], list[ScannerStatus]]:
        """The answers by package, and each registry's state: an outage is said once, here."""
        infos: dict[tuple[Ecosystem, str], PackageInfo | PackageNotFound] = {}
        scanners: list[ScannerStatus] = []
        for ecosystem, names in sorted(wanted.items()):
            registry = self.stage.registries.get(ecosystem)
            if registry is None:
                detail = f"not configured: set {REGISTRY_SETTING[ecosystem]} to check {ecosystem.value} dependencies"
                scanners.append(ScannerStatus(REGISTRY_LABEL[ecosystem], ScannerState.UNAVAILABLE, detail=detail))
                continue
            found = answers.get(ecosystem, {})
            down = [a for a in found.values() if isinstance(a, RegistryUnavailable)]
            for name, answer in found.items():
                if not isinstance(answer, RegistryUnavailable):
                    infos[(ecosystem, name)] = answer
            if down:
                detail = f"{len(down)} of {len(names)} lookups failed: {down[0]}"
                scanners.append(ScannerStatus(registry.label, ScannerState.UNAVAILABLE, detail=detail))
            else:
                scanners.append(ScannerStatus(registry.label, ScannerState.OK, detail=f"{len(names)} packages looked up"))
        return infos, scanners

    def _assess(self, item: Declared, infos: Mapping[tuple[Ecosystem, str], PackageInfo | PackageNotFound]) -> Iterable[Finding]:
        dependency = item.dependency
        if dependency.outside:
            return ()
        answer = infos.get((dependency.ecosystem, dependency.name))
        if answer is None:
            return ()  # its registry is down or not configured: said once, as a scanner state
        if isinstance(answer, PackageNotFound):
            registry = self.stage.registries.get(dependency.ecosystem)
            label = registry.label if registry is not None else REGISTRY_LABEL[dependency.ecosystem]
            self._notice(NoticeKind.SKIPPED, f"{dependency.name} not found in {label}", item)
            return ()
        try:
            result = measure(item, answer)
        except UnreadableVersion as exc:
            self._notice(NoticeKind.SKIPPED, f"{dependency.name}: {exc}", item)
            return ()
        if result is None:
            return ()
        finding = behind_finding(item, result, self.stage.thresholds, self.stage.names)
        return (finding,) if finding is not None else ()

    def _notice(self, kind: NoticeKind, message: str, item: Declared) -> None:
        self.notices.append(Notice(kind, message, item.manifest, item.dependency.line))


def _first(reported: set[tuple[str, int, str]], item: Declared) -> bool:
    """Whether `item` (a declaration at a file and line) is not in `reported` yet; adds it."""
    where = (item.manifest, item.dependency.line, item.dependency.key)
    if where in reported:
        return False
    reported.add(where)
    return True


async def _nothing() -> Any:
    """An awaitable None, for one side of a gather that has nothing to do."""
    return None


def _wanted(pairs: Iterable[tuple[_Side, _Side]]) -> dict[Ecosystem, set[str]]:
    """The registry packages both sides of these manifests declare: their shares are over all."""
    wanted: dict[Ecosystem, set[str]] = {}
    for head, base in pairs:
        for item in (*head.declared, *base.declared):
            if not item.dependency.outside:
                wanted.setdefault(item.dependency.ecosystem, set()).add(item.dependency.name)
    return wanted


def _folders_up(folder: str) -> Iterable[str]:
    """The folder itself, then each parent up to the repository root ("")."""
    while True:
        yield folder
        if not folder:
            return
        folder = posixpath.dirname(folder)


def _include_path(including: str, target: str) -> str | None:
    """Where `-r target` in the file `including` points, repository-relative; None for a URL,
    an absolute path or one that leaves the repository (never read: not the PR's files)."""
    if "://" in target or target.startswith(("/", "~", "\\")) or (len(target) > 1 and target[1] == ":"):
        return None
    path = posixpath.normpath(posixpath.join(posixpath.dirname(including), target))
    if path == ".." or path.startswith("../") or path == ".":
        return None
    return path


def _manifest_beside_lockfile(lockfile_path: str) -> str:
    lockfile_format = lockfile_format_for(lockfile_path)
    assert lockfile_format is not None  # called for lockfiles only
    return lockfile_format.MANIFEST


def _workspace_name(manifest: Manifest) -> str:
    return manifest.name or manifest.path


def drift_stage_from_env(env: Mapping[str, str], data_dir: str | os.PathLike[str], thresholds: Thresholds | None = None) -> DriftStage:
    """Registries as npm and pip would configure them (NPM_CONFIG_REGISTRY and the user's
    .npmrc, PIP_INDEX_URL), sharing one cache in memory and under `data_dir`, so a restart
    keeps what was looked up. A repository's own .npmrc is never read: a pull request could
    point it at a server of its choosing."""
    cache = default_cache(data_dir)
    registries: dict[Ecosystem, Registry | None] = {
        Ecosystem.NPM: npm_registry_from_env(env, cache=cache),
        Ecosystem.PYPI: pypi_registry_from_env(env, cache=cache),
    }
    return DriftStage(registries, thresholds)
