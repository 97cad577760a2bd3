"""Analysis in worker processes gives the same findings as analysis in this process."""

from __future__ import annotations

import asyncio

from bot.analysis_pool import AnalysisPool
from bot.model import ChangedFile, FileStatus, ScannedFile
from bot.scan import analyze_each, default_analyzers

FILES = [
    ScannedFile(ChangedFile(f"src/f{i}.{ext}", FileStatus.ADDED, frozenset({1, 2})), text)
    for i, (ext, text) in enumerate(
        [
            ("js", "const a = 1;\neval(req.query.code);\n"),
            ("ts", "const b: string = x;\nnew Function(body as string);\n"),
            ("py", "import os\neval(user_input)\n"),
            ("js", "setTimeout('tick()', 10);\n"),
        ]
    )
]


def test_a_language_stays_in_the_process_it_first_went_to() -> None:
    """Its combined query was compiled there; moving it would compile it again."""
    pool = AnalysisPool.__new__(AnalysisPool)  # the assignment logic alone, no processes
    pool.processes, pool._slots, pool._load, pool._slot_of = 2, [None, None], [0, 0], {}
    first = pool._assign(FILES)
    assert sum(len(g) for g in first) == len(FILES)
    slots = {f.path.rsplit(".", 1)[1]: i for i, group in enumerate(first) for f in group}
    again = pool._assign(list(reversed(FILES)))
    assert {f.path.rsplit(".", 1)[1]: i for i, group in enumerate(again) for f in group} == slots


def test_pool_findings_equal_inline_findings() -> None:
    inline = analyze_each(FILES, default_analyzers())

    async def pooled():  # type: ignore[no-untyped-def]
        pool = AnalysisPool(processes=2)
        try:
            return await pool.analyze(FILES)
        finally:
            pool.close()

    by_pool = asyncio.run(pooled())
    key = lambda runs: sorted((i, f.path, f.start_line, f.rule_id) for i, out in runs for f in out.findings)  # noqa: E731
    assert key(by_pool) == key(inline)
    assert len(key(inline)) >= 3
