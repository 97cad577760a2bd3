"""Analysis in worker processes gives the same findings as analysis in this process."""

from __future__ import annotations

import asyncio

from bot.analysis_pool import AnalysisPool, split_by_language
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


def test_split_keeps_each_language_in_one_group() -> None:
    groups = split_by_language(FILES, 2)
    assert sorted(len(g) for g in groups) and sum(len(g) for g in groups) == len(FILES)
    for group in groups:
        others = [f for g in groups if g is not group for f in g]
        assert not {f.path.rsplit(".", 1)[1] for f in group} & {f.path.rsplit(".", 1)[1] for f in others}


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
