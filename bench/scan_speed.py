"""Scan speed: PR Warden's OWASP scan against Semgrep 1.182 in diff-aware mode, on one repository.

The benchmark generates a deterministic (seeded) git repository in a temporary directory: a base
commit with an Express/React-like JavaScript/TypeScript/TSX codebase and two head branches off it:

- typical: 20 changed files (16 edited, 4 new), about 2,000 added lines;
- large: about 1,800 changed files (edited and new), about 2 MB of source at head.

Both heads carry planted findings of four classes (eval/new Function with a dynamic argument,
child process with request input, hardcoded JWT secret, dangerouslySetInnerHTML without
DOMPurify.sanitize) on changed lines, look-alikes that must not be reported, and pre-existing
findings of the same classes on unchanged lines, which neither tool may report.

Semgrep runs `bench/semgrep_rules` (our own rules for those four classes) with
`--baseline-commit` from its own virtual environment, bench/.venv-semgrep, which this script
creates on first use; it is never a dependency of PR Warden. Measured, in one run:

- typical PR: PR Warden's warm in-process scan (LocalGitSource + OwaspAnalyzer built once, one
  warm-up scan, median of --warm-runs) against Semgrep's wall time;
- large PR: `prwarden scan ... --format json --output /dev/null` whole-process wall time and peak
  RSS against Semgrep's wall time, and against the floor (bench/floor_parse.py: read the changed
  files at head and parse them with tree-sitter, nothing else). Both run with byte-compiled
  modules (PYTHONPYCACHEPREFIX in the run's folder, written by their untimed first runs).

    .venv/bin/python -m bench.scan_speed [--warm-runs 20] [--large-runs 3] [--keep DIR] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SEMGREP_VERSION = "1.182.0"
SEMGREP_VENV = ROOT / "bench" / ".venv-semgrep"
SEMGREP_RULES = ROOT / "bench" / "semgrep_rules"
# Without these two a scan waits ~97 s for the network on an offline machine (shared/deps-notes.md).
SEMGREP_FLAGS = ("--disable-version-check", "--metrics=off")

CLASSES = ("eval", "child-process", "jwt-secret", "inner-html")
TARGETS = {"typical_ratio": 20.0, "large_ratio": 3.0, "floor_ratio": 2.0, "rss_mb": 300.0}

# --------------------------------------------------------------------------------------------
# The generated codebase. Blocks are templates: @name@ is filled from the block's context;
# «...» is TypeScript-only text (dropped for .js, a line holding only «...» is dropped whole).

ENTITIES = (
    "user", "order", "invoice", "product", "session", "account", "cart", "payment", "report",
    "team", "project", "comment", "ticket", "shipment", "review", "coupon", "address", "profile",
    "message", "notification", "subscription", "warehouse", "supplier", "category", "refund",
)
FIELDS = ("status", "region", "category", "priority", "total", "ownerId", "createdAt", "score", "quantity", "currency")
WORDS = ("alpha", "north", "cedar", "ember", "delta", "harbor", "lumen", "quartz", "river", "summit", "tidal", "vertex")

ROUTE_GET = """\
router.get("/@es@/:id", async (req«: Request», res«: Response», next«: NextFunction») => {
  try {
    const @e@ = await @E@Service.findById(req.params.id);
    if (!@e@) {
      return res.status(404).json({ error: "@E@ @n@ not found" });
    }
    res.json(serialize@E@(@e@));
  } catch (err) {
    next(err);
  }
});
"""

ROUTE_POST = """\
router.post("/@es@", requireAuth, async (req«: Request», res«: Response») => {
  const { name, description, tags = [] } = req.body;
  const errors = validate@E@({ name, description, tags });
  if (errors.length > 0) {
    res.status(422).json({ errors });
    return;
  }
  const created = await @E@Service.create({ name, description, tags, ownerId: req.user.id });
  logger.info(`created @e@ ${created.id} (@w@)`);
  res.status(201).json(created);
});
"""

ROUTE_LIST = """\
router.get("/@es@", async (req«: Request», res«: Response») => {
  const page = Math.max(1, Number(req.query.page) || 1);
  const pageSize = Math.min(100, Number(req.query.pageSize) || @k@0);
  const filter«: Record<string, unknown>» = {};
  if (typeof req.query.@f@ === "string") {
    filter.@f@ = req.query.@f@;
  }
  const [items, total] = await Promise.all([
    @E@Service.list(filter, { skip: (page - 1) * pageSize, limit: pageSize }),
    @E@Service.count(filter),
  ]);
  res.json({ items, total, page, pageSize });
});
"""

GROUP_BY = """\
export function group@E@sBy@F@@n@(items«: Array<{ @f@?: string }>»)«: Map<string, unknown[]>» {
  const groups = new Map();
  for (const item of items) {
    const key = item.@f@ ?? "unknown";
    if (!groups.has(key)) {
      groups.set(key, []);
    }
    groups.get(key).push(item);
  }
  return groups;
}
"""

TOTAL = """\
export function total@E@@F@@n@(items«: Array<{ @f@?: number }>»)«: number» {
  return items.reduce((sum, item) => sum + (item.@f@ ?? 0), 0);
}
"""

RETRY = """\
export async function with@E@Retry@n@«<T>»(operation«: () => Promise<T>», attempts = @k@)«: Promise<T>» {
  let lastError«: unknown»;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    try {
      return await operation();
    } catch (error) {
      lastError = error;
      const delay = Math.min(@k@00 * 2 ** attempt, 10000);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
  throw lastError;
}
"""

FORMAT_LABEL = """\
export function format@E@Label@n@(@e@«: { name?: string; @f@?: number }», locale = "en-US")«: string» {
  const name = (@e@.name || "").trim();
  if (!name) {
    return "Untitled @e@";
  }
  const detail = @e@.@f@ !== undefined ? ` (${new Intl.NumberFormat(locale).format(@e@.@f@)})` : "";
  return `${name}${detail}`.slice(0, @k@0);
}
"""

VALIDATE = """\
const @E@_CODE_PATTERN_@n@ = /^[A-Z]{3}-\\d{@k@}$/;

export function validate@E@Input@n@(input«: { name?: string; code?: string; tags?: string[] }»)«: string[]» {
  const errors«: string[]» = [];
  if (!input.name || input.name.length < 2) {
    errors.push("name must have at least 2 characters");
  }
  if (input.code && !@E@_CODE_PATTERN_@n@.test(input.code)) {
    errors.push("code must look like ABC-@k@");
  }
  if (input.tags && input.tags.length > 20) {
    errors.push("at most 20 tags");
  }
  return errors;
}
"""

CACHE_CLASS = """\
export class @E@Cache@n@ {
  «private ttlMs: number;»
  «private entries: Map<string, { value: unknown; expires: number }>;»

  constructor(ttlMs«: number» = @k@000) {
    this.ttlMs = ttlMs;
    this.entries = new Map();
  }

  get(key«: string»)«: unknown» {
    const entry = this.entries.get(key);
    if (!entry || entry.expires < Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key«: string», value«: unknown»)«: void» {
    this.entries.set(key, { value, expires: Date.now() + this.ttlMs });
  }
}
"""

DEBOUNCE = """\
export function debounce@E@@n@(callback«: (...args: unknown[]) => void», waitMs = @k@0) {
  let timer«: ReturnType<typeof setTimeout> | undefined»;
  return (...args«: unknown[]») => {
    if (timer !== undefined) {
      clearTimeout(timer);
    }
    timer = setTimeout(() => callback(...args), waitMs);
  };
}
"""

CONFIG = """\
export const @e@Defaults@n@ = {
  pageSize: @k@0,
  sortBy: "@f@",
  order: "desc",
  retry: { attempts: 3, backoffMs: 250 },
  features: ["search", "export", "bulk-edit", "@w@"],
};
"""

FETCH = """\
export async function fetch@E@@n@(id«: string», signal«?: AbortSignal»)«: Promise<unknown>» {
  const response = await fetch(`/api/@es@/${encodeURIComponent(id)}`, {
    headers: { Accept: "application/json" },
    signal,
  });
  if (response.status === 404) {
    return null;
  }
  if (!response.ok) {
    throw new Error(`failed to load @e@ ${id}: ${response.status}`);
  }
  return response.json();
}
"""

INTERFACE = """\
export interface @E@Record@n@ {
  id: string;
  name: string;
  @f@?: string;
  createdAt: Date;
  tags: string[];
  owner: { id: string; displayName: string };
}
"""

CARD = """\
export function @E@Card@n@({ @e@, onSelect }«: { @e@: { id: string; name: string; description: string }; onSelect: (id: string) => void }») {
  const [expanded, setExpanded] = useState(false);
  const title = useMemo(() => @e@.name.toUpperCase(), [@e@]);
  return (
    <div className="@e@-card" onClick={() => onSelect(@e@.id)}>
      <h3>{title}</h3>
      {expanded && <p className="details">{@e@.description}</p>}
      <button type="button" onClick={() => setExpanded(!expanded)}>
        {expanded ? "Less" : "More"}
      </button>
    </div>
  );
}
"""

LIST = """\
export function @E@List@n@({ items, loading }«: { items: Array<{ id: string; name: string; @f@: string }>; loading: boolean }») {
  if (loading) {
    return <Spinner label="Loading @es@" />;
  }
  if (items.length === 0) {
    return <EmptyState title="No @es@ yet" />;
  }
  return (
    <ul className="@e@-list">
      {items.map((item) => (
        <li key={item.id}>
          <a href={`/@es@/${item.id}`}>{item.name}</a>
          <span className="meta">{item.@f@}</span>
        </li>
      ))}
    </ul>
  );
}
"""

HOOK = """\
export function use@E@@n@(id«: string») {
  const [data, setData] = useState«<unknown>»(null);
  const [error, setError] = useState«<Error | null>»(null);
  useEffect(() => {
    const controller = new AbortController();
    fetch(`/api/@es@/${id}`, { signal: controller.signal })
      .then((response) => response.json())
      .then(setData)
      .catch((err) => {
        if (err.name !== "AbortError") setError(err);
      });
    return () => controller.abort();
  }, [id]);
  return { data, error };
}
"""

FORM = """\
export function @E@Form@n@({ onSubmit }«: { onSubmit: (value: string) => void }») {
  const [value, setValue] = useState("");
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit(value.trim());
      }}
    >
      <label htmlFor="@e@-@n@">@E@ name</label>
      <input id="@e@-@n@" value={value} onChange={(event) => setValue(event.target.value)} />
      <button type="submit" disabled={!value}>
        Save
      </button>
    </form>
  );
}
"""

# Look-alikes: the same APIs used safely; neither tool may report them.
SAFE_EXEC = """\
export function currentRevision@n@()«: Promise<string>» {
  return new Promise((resolve, reject) => {
    exec("git rev-parse --short HEAD", (error, stdout) => (error ? reject(error) : resolve(stdout.trim())));
  });
}
"""

SAFE_JWT = """\
export function issue@E@Token@n@(user«: { id: string; role: string }»)«: string» {
  return jwt.sign({ sub: user.id, role: user.role }, process.env.JWT_SECRET«!», { expiresIn: "1h" });
}
"""

SAFE_REGEX_EXEC = """\
export function parse@E@Ref@n@(text«: string») {
  const match = /^(\\w+)-(\\d+)$/.exec(text);
  return match ? { prefix: match[1], number: Number(match[2]) } : null;
}
"""

SAFE_SPAWN = """\
router.post("/@es@/:id/thumbnail", async (req«: Request», res«: Response») => {
  const child = spawn("convert", [req.params.id + ".png", "-resize", "128x128", "out.png"]);
  child.on("close", (code) => res.json({ ok: code === 0 }));
});
"""

SAFE_HTML = """\
export function @E@RichText@n@({ html }«: { html: string }») {
  return <div className="rich-text" dangerouslySetInnerHTML={{ __html: DOMPurify.sanitize(html) }} />;
}
"""

# Planted findings; the line holding «!» is where both tools must report (marker removed).
EVAL_RULE = """\
export function evaluate@E@Rule@n@(rule«: { condition: string }», context«: Record<string, unknown>»)«: unknown» {
  const expression = rule.condition.replace(/\\$(\\w+)/g, (_match, key) => JSON.stringify(context[key]));
  return eval(expression);!!
}
"""

EVAL_FUNCTION = """\
export function compile@E@Template@n@(template«: { body: string }») {
  const render = new Function("data", "helpers", template.body);!!
  return (data«: unknown») => render(data, { upper: (s«: string») => s.toUpperCase() });
}
"""

CHILD_PROCESS = """\
router.get("/@es@/:id/export", (req«: Request», res«: Response») => {
  const format = req.query.format;
  exec(`export-@e@ --id ${req.params.id} --format ${format}`, (error, stdout) => {!!
    if (error) {
      res.status(500).json({ error: "export failed" });
      return;
    }
    res.type("text/plain").send(stdout);
  });
});
"""

JWT_SECRET = """\
export function sign@E@Session@n@(user«: { id: string }»)«: string» {
  return jwt.sign({ sub: user.id, scope: "@es@" }, "@secret@", { expiresIn: "12h" });!!
}
"""

INNER_HTML = """\
export function @E@Description@n@({ @e@ }«: { @e@: { description: string } }») {
  return (
    <section className="@e@-description">
      <div dangerouslySetInnerHTML={{ __html: @e@.description }} />!!
    </section>
  );
}
"""

PLANTED = {"eval": (EVAL_RULE, EVAL_FUNCTION), "child-process": (CHILD_PROCESS,), "jwt-secret": (JWT_SECRET,), "inner-html": (INNER_HTML,)}

HEADERS = {
    ("route", "cjs"): """\
const express = require("express");
const { exec, spawn } = require("child_process");
const jwt = require("jsonwebtoken");
const { @E@Service, serialize@E@, validate@E@ } = require("../services/@e@-service");
const { requireAuth } = require("../middleware/auth");
const { logger } = require("../logger");

const router = express.Router();
""",
    ("route", "esm"): """\
import express«, { type NextFunction, type Request, type Response }» from "express";
import { exec, spawn } from "child_process";
import jwt from "jsonwebtoken";
import { @E@Service, serialize@E@, validate@E@ } from "../services/@e@-service";
import { requireAuth } from "../middleware/auth";
import { logger } from "../logger";

const router = express.Router();
""",
    ("service", "esm"): """\
import { exec } from "child_process";
import jwt from "jsonwebtoken";
import { logger } from "../logger";
""",
    ("component", "esm"): """\
import React, { useEffect, useMemo, useState } from "react";
import DOMPurify from "dompurify";
import { EmptyState, Spinner } from "../ui";
""",
}
FOOTERS = {("route", "cjs"): "module.exports = router;\n", ("route", "esm"): "export default router;\n"}

COMMON = (GROUP_BY, TOTAL, RETRY, FORMAT_LABEL, VALIDATE, CACHE_CLASS, DEBOUNCE, CONFIG, FETCH)
ORDINARY = {
    "route": (ROUTE_GET, ROUTE_POST, ROUTE_LIST, ROUTE_GET, ROUTE_POST, ROUTE_LIST, *COMMON),
    "service": (*COMMON, CACHE_CLASS, RETRY),
    "component": (CARD, LIST, HOOK, FORM, CARD, LIST, HOOK, FORM, GROUP_BY, FORMAT_LABEL, DEBOUNCE, CONFIG),
}
SAFE = {
    "route": (SAFE_EXEC, SAFE_JWT, SAFE_REGEX_EXEC, SAFE_SPAWN),
    "service": (SAFE_EXEC, SAFE_JWT, SAFE_REGEX_EXEC),
    "component": (SAFE_HTML, SAFE_REGEX_EXEC),
}
PLANTABLE = {"route": ("eval", "child-process", "jwt-secret"), "service": ("eval", "jwt-secret"), "component": ("eval", "inner-html")}
EXTENSIONS = {"route": ("js", "js", "ts"), "service": ("js", "ts", "ts"), "component": ("tsx",)}
INTERFACE_KINDS = ("service", "component")


@dataclass
class Block:
    text: str
    finding: str | None = None
    """The planted class, if any; its line is `finding_line` (0-based inside the block)."""
    finding_line: int = 0
    preexisting: bool = False
    """Carried over unchanged from the base: its finding is on unchanged lines."""


@dataclass
class SourceFile:
    path: str
    kind: str
    ext: str
    entity: str
    blocks: list[Block] = field(default_factory=list)

    @property
    def module(self) -> str:
        return "cjs" if self.kind == "route" and self.ext == "js" else "esm"

    def render(self) -> tuple[str, list[tuple[str, int, bool]]]:
        """The file's text and its planted findings as (class, 1-based line, pre-existing)."""
        ctx = _context(self.entity, 0, random.Random(0))
        parts = [_fill(HEADERS[(self.kind, self.module)], ctx, self.ext)]
        line = parts[0].count("\n") + 1
        planted = []
        for block in self.blocks:
            parts.append("\n")
            line += 1
            if block.finding:
                planted.append((block.finding, line + block.finding_line, block.preexisting))
            parts.append(block.text)
            line += block.text.count("\n")
        footer = FOOTERS.get((self.kind, self.module))
        if footer:
            parts.append("\n" + footer)
        return "".join(parts), planted


def _context(entity: str, n: int, rng: random.Random) -> dict[str, str]:
    plural = entity + ("es" if entity.endswith(("s", "x")) else "s")
    plural = "categories" if entity == "category" else plural
    fld = rng.choice(FIELDS)
    return {
        "e": entity, "E": entity[:1].upper() + entity[1:], "es": plural, "f": fld, "F": fld[:1].upper() + fld[1:],
        "n": str(n), "k": str(rng.randint(2, 9)), "w": rng.choice(WORDS),
        "secret": f"{rng.choice(WORDS)}-{rng.getrandbits(48):012x}",
    }


def _fill(template: str, ctx: dict[str, str], ext: str) -> str:
    text = re.sub(r"@(\w+)@", lambda m: ctx[m.group(1)], template)
    if ext == "js":
        text = re.sub(r"(?m)^[ \t]*«[^»\n]*»\n", "", text)
        text = re.sub(r"«[^»\n]*»", "", text)
    return text.replace("«", "").replace("»", "")


class Generator:
    """Deterministic codebase and changes; every identifier suffix is unique within the repo."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.counter = 0

    def block(self, file: SourceFile, template: str) -> Block:
        self.counter += 1
        text = _fill(template, _context(file.entity, self.counter, self.rng), file.ext)
        if file.module == "cjs":
            text = re.sub(r"(?m)^export ", "", text)
        lines = text.split("\n")
        marked = [i for i, line in enumerate(lines) if line.endswith("!!")]
        if marked:
            lines[marked[0]] = lines[marked[0]][:-2]
            return Block("\n".join(lines), None, marked[0])
        return Block(text)

    def ordinary(self, file: SourceFile) -> Block:
        roll = self.rng.random()
        if roll < 0.12:
            return self.block(file, self.rng.choice(SAFE[file.kind]))
        if roll < 0.2 and file.ext != "js" and file.kind in INTERFACE_KINDS:
            return self.block(file, INTERFACE)
        return self.block(file, self.rng.choice(ORDINARY[file.kind]))

    def planted(self, file: SourceFile, cls: str | None = None) -> Block:
        cls = cls or self.rng.choice(PLANTABLE[file.kind])
        block = self.block(file, self.rng.choice(PLANTED[cls]))
        block.finding = cls
        return block

    def new_file(self, area: str, index: int, blocks: int) -> SourceFile:
        kind = self.rng.choice(("route", "route", "service", "service", "component", "component", "component"))
        ext = self.rng.choice(EXTENSIONS[kind])
        entity = self.rng.choice(ENTITIES)
        folder = {"route": "server/routes", "service": "server/services", "component": "client/components"}[kind]
        path = f"{area}/{folder}/{entity}/{entity}-{kind}-{index}.{ext}"
        file = SourceFile(path, kind, ext, entity)
        file.blocks = [self.ordinary(file) for _ in range(blocks)]
        return file

    def edit_line(self, block: Block) -> Block:
        """Change one string literal in the block: a one-line edit inside an existing function."""
        lines = block.text.split("\n")
        candidates = [i for i, line in enumerate(lines) if re.search(r'"[a-z][^"]*"', line)]
        if not candidates or block.finding:
            return block
        i = self.rng.choice(candidates)
        lines[i] = re.sub(r'"[a-z][^"]*"', f'"{self.rng.choice(WORDS)}-{self.rng.randint(0, 999)}"', lines[i], count=1)
        return Block("\n".join(lines), block.finding, block.finding_line)

    def modify(self, file: SourceFile, *, replace: float, edit: float, inserts: int) -> SourceFile:
        """The head version: some blocks replaced, some edited on one line, new blocks inserted."""
        head = SourceFile(file.path, file.kind, file.ext, file.entity)
        for block in file.blocks:
            roll = self.rng.random()
            if block.finding:  # pre-existing findings stay on unchanged lines
                head.blocks.append(Block(block.text, block.finding, block.finding_line, preexisting=True))
            elif roll < replace:
                head.blocks.append(self.ordinary(head))
            elif roll < replace + edit:
                head.blocks.append(self.edit_line(block))
            else:
                head.blocks.append(block)
        for _ in range(inserts or (head.blocks == file.blocks)):  # every edited file does change
            head.blocks.insert(self.rng.randint(0, len(head.blocks)), self.ordinary(head))
        return head

    def plant(self, files: list[SourceFile], classes: list[str]) -> None:
        """One planted finding per entry of `classes`, spread over files of a kind that can hold it."""
        used: set[str] = set()
        for cls in classes:
            fits = [f for f in files if cls in PLANTABLE[f.kind]]
            file = self.rng.choice([f for f in fits if f.path not in used] or fits)
            used.add(file.path)
            file.blocks.insert(self.rng.randint(0, len(file.blocks)), self.planted(file, cls))


@dataclass
class Change:
    name: str
    head: str = ""
    planted: list[dict[str, Any]] = field(default_factory=list)
    preexisting: list[dict[str, Any]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)


GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid", "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid", "GIT_AUTHOR_DATE": "2026-11-30T12:00:00Z",
    "GIT_COMMITTER_DATE": "2026-11-30T12:00:00Z", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
}


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True).stdout


def write_files(repo: Path, files: list[SourceFile]) -> dict[str, list[tuple[str, int, bool]]]:
    planted = {}
    for file in files:
        target = repo / file.path
        target.parent.mkdir(parents=True, exist_ok=True)
        text, found = file.render()
        target.write_text(text, encoding="utf-8")
        planted[file.path] = found
    return planted


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def build_repository(repo: Path, seed: int) -> tuple[str, Change, Change]:
    """Base commit plus the `typical` and `large` branches; returns base sha and both changes."""
    gen = Generator(seed)
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "package.json").write_text(json.dumps({"name": "acme-shop", "private": True, "type": "module",
        "dependencies": {"express": "^4.19.2", "jsonwebtoken": "^9.0.2", "react": "^18.3.1", "dompurify": "^3.1.6"}}, indent=2) + "\n")
    (repo / "README.md").write_text("# acme-shop\n\nGenerated by bench/scan_speed.py.\n")

    # Mid-sized app files (the typical PR edits 16 of them) and small package files (the large
    # PR edits 700). A few base files hold findings the PRs never touch: pre-existing.
    app = [gen.new_file("src", i, gen.rng.randint(9, 16)) for i in range(400)]
    pkgs = [gen.new_file(f"packages/{WORDS[i % len(WORDS)]}", i, gen.rng.randint(2, 4)) for i in range(1000)]
    typical_targets = gen.rng.sample(app, 16)
    large_targets = gen.rng.sample(pkgs, 700)
    for file in typical_targets[::4] + large_targets[::50]:
        file.blocks.insert(gen.rng.randint(0, len(file.blocks)), gen.planted(file))
    write_files(repo, app + pkgs)
    base = commit(repo, "base: acme-shop")

    typical = Change("typical")
    git(repo, "checkout", "-q", "-b", "typical", base)
    heads = [gen.modify(f, replace=0.3, edit=0.15, inserts=gen.rng.randint(4, 6)) for f in typical_targets]
    new = [gen.new_file("src", 400 + i, gen.rng.randint(9, 12)) for i in range(4)]
    gen.plant(heads + new, list(CLASSES) * 2)
    typical.planted, typical.preexisting = _planted_rows(write_files(repo, heads + new))
    typical.head = commit(repo, "typical: 20-file feature")

    large = Change("large")
    git(repo, "checkout", "-q", "-b", "large", base)
    heads = [gen.modify(f, replace=0.55, edit=0.25, inserts=gen.rng.randint(0, 1)) for f in large_targets]
    new = [gen.new_file(f"packages/{WORDS[i % len(WORDS)]}", 1000 + i, gen.rng.randint(1, 3)) for i in range(1100)]
    gen.plant(heads + new, list(CLASSES) * 12)
    large.planted, large.preexisting = _planted_rows(write_files(repo, heads + new))
    large.head = commit(repo, "large: 1,800-file import")
    git(repo, "checkout", "-q", "main")
    for change in (typical, large):
        change.stats = change_stats(repo, base, change.head)
    return base, typical, large


def _planted_rows(planted: dict[str, list[tuple[str, int, bool]]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(findings the change adds, findings on lines it leaves alone), with their lines at head."""
    rows = [({"class": cls, "path": path, "line": line}, old) for path, found in planted.items() for cls, line, old in found]
    return [row for row, old in rows if not old], [row for row, old in rows if old]


def change_stats(repo: Path, base: str, head: str) -> dict[str, Any]:
    numstat = git(repo, "diff", "--numstat", "-M", base, head)
    added = deleted = files = 0
    for row in numstat.splitlines():
        a, d, _path = row.split("\t", 2)
        added, deleted, files = added + int(a), deleted + int(d), files + 1
    diff = git(repo, "diff", "-M", "--unified=0", base, head)
    added_bytes = sum(len(line.encode()) for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++"))
    names = git(repo, "diff", "--name-only", "-M", "--diff-filter=d", base, head).split()
    head_bytes = sum(int(s) for s in git(repo, "ls-tree", "-r", "-l", head, "--", *names).split()[3::5])
    return {"files": files, "added_lines": added, "deleted_lines": deleted, "added_bytes": added_bytes, "head_bytes_of_changed_files": head_bytes}


# --------------------------------------------------------------------------------------------
# Measuring


@dataclass
class Run:
    seconds: float
    maxrss_mb: float
    returncode: int
    stdout: bytes


def timed(command: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> Run:
    """Wall time and peak RSS of one process tree (wait4 reports the child and its waited-for children)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode not in (0, 1):
        raise RuntimeError(f"{command[0]} exited {process.returncode}: {stderr.decode(errors='replace')[-2000:]}")
    return Run(seconds, usage.ru_maxrss / 1024, process.returncode, stdout)


def ensure_semgrep() -> Path:
    binary = SEMGREP_VENV / "bin" / "semgrep"
    if binary.exists():
        found = subprocess.run([str(binary), "--version", *SEMGREP_FLAGS], check=False, capture_output=True, text=True)
        if found.stdout.strip().endswith(SEMGREP_VERSION):
            return binary
    print(f"installing semgrep=={SEMGREP_VERSION} into {SEMGREP_VENV.relative_to(ROOT)} ...", file=sys.stderr)
    python3 = shutil.which("python3") or sys.executable
    if not (SEMGREP_VENV / "bin" / "python").exists():
        subprocess.run([python3, "-m", "venv", str(SEMGREP_VENV)], check=True)
    subprocess.run([str(SEMGREP_VENV / "bin" / "pip"), "install", "-q", f"semgrep=={SEMGREP_VERSION}"], check=True)
    return binary


def semgrep_env() -> dict[str, str]:
    return {**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}


def run_semgrep(semgrep: Path, repo: Path, base: str, head: str) -> tuple[Run, list[dict[str, Any]]]:
    git(repo, "checkout", "-q", "--detach", head)
    command = [str(semgrep), "scan", "--config", str(SEMGREP_RULES), "--baseline-commit", base, *SEMGREP_FLAGS, "--json", "--quiet"]
    run = timed(command, cwd=repo, env=semgrep_env())
    report = json.loads(run.stdout)
    if report.get("errors"):
        print(f"semgrep reported errors: {json.dumps(report['errors'])[:1000]}", file=sys.stderr)
    found = [
        {"class": semgrep_class(r["check_id"]), "path": r["path"], "start": r["start"]["line"], "end": r["end"]["line"], "rule": r["check_id"].rsplit(".", 1)[-1]}
        for r in report["results"]
    ]
    return run, found


def semgrep_class(check_id: str) -> str:
    rule = check_id.rsplit(".", 1)[-1]
    return {"js-eval-dynamic": "eval", "js-child-process-injection": "child-process", "js-jwt-hardcoded-secret": "jwt-secret",
            "react-dangerously-set-inner-html": "inner-html"}[rule]


def prwarden_class(rule_id: str) -> str:
    """Our rule ids are owned by the rule authors; classify by name so new rules count too."""
    rid = rule_id.lower()
    if "eval" in rid or "function" in rid:
        return "eval"
    if "child" in rid or "exec" in rid or "command" in rid or "process" in rid:
        return "child-process"
    if "jwt" in rid:
        return "jwt-secret"
    if "inner-html" in rid or "innerhtml" in rid or "dangerously" in rid:
        return "inner-html"
    return f"other:{rule_id}"


def prwarden_found(findings: list[Any]) -> list[dict[str, Any]]:
    return [{"class": prwarden_class(f.rule_id), "path": f.path, "start": f.start_line, "end": f.end_line, "rule": f.rule_id} for f in findings]


def score(found: list[dict[str, Any]], change: Change) -> dict[str, Any]:
    """Per class: findings, planted ones found, and findings that are neither planted nor expected."""
    def hit(row: dict[str, Any], target: dict[str, Any]) -> bool:
        return row["path"] == target["path"] and row["start"] <= target["line"] <= row["end"] and row["class"] == target["class"]

    out: dict[str, Any] = {}
    for cls in sorted({*CLASSES, *(r["class"] for r in found)}):
        mine = [r for r in found if r["class"] == cls]
        planted = [p for p in change.planted if p["class"] == cls]
        out[cls] = {
            "findings": len(mine),
            "planted": len(planted),
            "planted_found": sum(any(hit(r, p) for r in mine) for p in planted),
            "preexisting_reported": sum(any(hit(r, p) for r in mine) for p in change.preexisting if p["class"] == cls),
            "unexpected": sum(not any(hit(r, p) for p in planted) for r in mine),
        }
    return out


def snapshot_rules(dest: Path, *, only_loadable: bool) -> tuple[list[str], list[dict[str, str]]]:
    """Copy the rule pack (rules/owasp or $PRWARDEN_RULES_DIR) to `dest` so one run sees one
    version of it while rule authors edit theirs; with `only_loadable`, leave out the files the
    engine in this tree rejects (a rule written ahead of its condition) and list them."""
    from bot.owasp.rules import RuleError, default_rules_dir, load_rule, rule_files

    source = default_rules_dir()
    loaded, skipped = [], []
    for path in rule_files(source):
        try:
            rule = load_rule(path)
        except RuleError as exc:
            if not only_loadable:
                raise SystemExit(f"scan_speed: the rule pack does not load ({exc}); rerun with --only-loadable-rules") from None
            skipped.append({"file": str(path.relative_to(source)), "error": exc.problem})
            continue
        loaded.append(rule.id)
        target = dest / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return loaded, skipped


def warm_scan(repo: Path, base: str, head: str, runs: int, rules_dir: Path) -> tuple[list[float], list[Any], dict[str, float]]:
    """Timed warm scans, the warm-up's findings, and what the warm-up paid once (load, first scan)."""
    from bot.owasp.engine import OwaspAnalyzer
    from bot.scan import run_scan
    from bot.sources.local_git import LocalGitSource

    source = LocalGitSource(repo, base, head)
    started = time.perf_counter()
    analyzer = OwaspAnalyzer(rules_dir)
    loaded = time.perf_counter()
    result = asyncio.run(run_scan(source, [analyzer]))  # warm-up: grammars, parsers, combined queries
    once = {"rule_load_seconds": loaded - started, "first_scan_seconds": time.perf_counter() - loaded}
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        asyncio.run(run_scan(source, [analyzer]))
        times.append(time.perf_counter() - started)
    return times, list(result.findings), once


def prwarden_command(repo: Path, base: str, head: str, output: str) -> list[str]:
    return [str(Path(sys.executable).parent / "prwarden"), "scan", "--repo", str(repo), "--base", base, "--head", head,
            "--format", "json", "--output", output]


def findings_from_json(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text())
    rows = []
    for f in data["findings"]:
        rule = f.get("ruleId") or f.get("rule_id") or f.get("rule")
        start = f.get("startLine") or f.get("start_line") or f.get("line")
        end = f.get("endLine") or f.get("end_line") or start
        rows.append({"class": prwarden_class(str(rule)), "path": f["path"], "start": start, "end": end, "rule": rule})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--warm-runs", type=int, default=20, help="timed warm scans of the typical PR (median reported)")
    parser.add_argument("--large-runs", type=int, default=3, help="prwarden and floor runs on the large PR (median reported)")
    parser.add_argument("--keep", help="build the repository here and keep it (diagnosis)")
    parser.add_argument("--only-loadable-rules", action="store_true",
                        help="run the rule files this tree's engine accepts, listing the others, instead of stopping")
    parser.add_argument("--profile", help="also record one large-PR `prwarden scan` with py-spy (speedscope) into this file")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    semgrep = ensure_semgrep()
    python = sys.executable
    load_before = os.getloadavg()
    if load_before[0] > 0.5:
        print(f"note: load average {load_before[0]:.2f} before the run; other work on the machine inflates every time", file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="prwarden-scan-speed-") as tmp:
        rules_dir = Path(tmp) / "rules"
        rule_ids, skipped = snapshot_rules(rules_dir, only_loadable=args.only_loadable_rules)
        # Byte-compiled modules, as an installed package has them (pip compiles on install; Semgrep's
        # venv has them): the untimed first runs write them here. Without this, an environment that
        # sets PYTHONDONTWRITEBYTECODE recompiles every prwarden module on each run (~0.06 s).
        # prwarden and the floor run with the same environment.
        run_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        run_env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        bot_env = {**run_env, "PRWARDEN_RULES_DIR": str(rules_dir)}
        repo = Path(args.keep) if args.keep else Path(tmp) / "acme-shop"
        if repo.exists():
            shutil.rmtree(repo)
        started = time.perf_counter()
        base, typical, large = build_repository(repo, args.seed)
        results: dict[str, Any] = {
            "seed": args.seed, "semgrep_version": SEMGREP_VERSION, "cpus": os.cpu_count(),
            "repo_build_seconds": round(time.perf_counter() - started, 2), "targets": TARGETS,
            "prwarden_rules": rule_ids, "prwarden_rules_skipped": skipped, "loadavg_before": load_before,
        }
        print(f"repository built in {results['repo_build_seconds']} s; typical {typical.stats}; large {large.stats}", file=sys.stderr)

        # Typical PR: Semgrep wall time (best of two: the first also warms the page cache) against
        # the warm in-process scan.
        semgrep_runs = [run_semgrep(semgrep, repo, base, typical.head) for _ in range(2)]
        sg_run, sg_found = min(semgrep_runs, key=lambda r: r[0].seconds)
        times, findings, once = warm_scan(repo, base, typical.head, args.warm_runs, rules_dir)
        warm = statistics.median(times)
        results["typical"] = {
            "change": typical.stats,
            "semgrep": {"seconds": sg_run.seconds, "all_seconds": [r[0].seconds for r in semgrep_runs], "maxrss_mb": sg_run.maxrss_mb,
                        "classes": score(sg_found, typical)},
            "prwarden_warm": {"median_seconds": warm, "min_seconds": min(times), "max_seconds": max(times), "runs": len(times),
                              **once, "classes": score(prwarden_found(findings), typical)},
            "ratio": sg_run.seconds / warm,
        }

        # Large PR: one Semgrep run; prwarden and the floor interleaved, median of --large-runs,
        # after one untimed run of each (the untimed prwarden run writes the findings we count).
        sg_run, sg_found = run_semgrep(semgrep, repo, base, large.head)
        git(repo, "checkout", "-q", "main")
        counted = Path(tmp) / "large-findings.json"
        first = timed(prwarden_command(repo, base, large.head, str(counted)), env=bot_env)
        floor_cmd = [python, str(ROOT / "bench" / "floor_parse.py"), str(repo), base, large.head]
        floor_first = timed(floor_cmd, env=run_env)
        bot_runs, floor_runs = [], []
        for _ in range(args.large_runs):
            bot_runs.append(timed(prwarden_command(repo, base, large.head, "/dev/null"), env=bot_env))
            floor_runs.append(timed(floor_cmd, env=run_env))
        bot_s = statistics.median(r.seconds for r in bot_runs)
        floor_s = statistics.median(r.seconds for r in floor_runs)
        results["large"] = {
            "change": large.stats,
            "semgrep": {"seconds": sg_run.seconds, "maxrss_mb": sg_run.maxrss_mb, "classes": score(sg_found, large)},
            "prwarden": {"median_seconds": bot_s, "all_seconds": [r.seconds for r in bot_runs], "first_seconds": first.seconds,
                         "maxrss_mb": max(r.maxrss_mb for r in [first, *bot_runs]), "classes": score(findings_from_json(counted), large)},
            "floor": {"median_seconds": floor_s, "all_seconds": [r.seconds for r in floor_runs], "first_seconds": floor_first.seconds,
                      "maxrss_mb": max(r.maxrss_mb for r in floor_runs), "output": floor_first.stdout.decode().strip()},
            "ratio_vs_semgrep": sg_run.seconds / bot_s,
            "ratio_vs_floor": bot_s / floor_s,
        }
        if args.profile:
            py_spy = Path(python).parent / "py-spy"
            subprocess.run([str(py_spy), "record", "-r", "250", "-s", "-f", "speedscope", "-o", args.profile, "--",
                            *prwarden_command(repo, base, large.head, "/dev/null")], env=bot_env, check=False, capture_output=True)
            results["large"]["profile"] = args.profile

    results["loadavg_after"] = os.getloadavg()
    results["met"] = {
        "typical_ratio": results["typical"]["ratio"] >= TARGETS["typical_ratio"],
        "large_ratio": results["large"]["ratio_vs_semgrep"] >= TARGETS["large_ratio"],
        "floor_ratio": results["large"]["ratio_vs_floor"] <= TARGETS["floor_ratio"],
        "rss_mb": results["large"]["prwarden"]["maxrss_mb"] < TARGETS["rss_mb"],
    }
    (RESULTS / "scan_speed.json").write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)
    return 0


def print_table(r: dict[str, Any]) -> None:
    t, lg = r["typical"], r["large"]
    ok = {True: "met", False: "MISSED"}
    print(f"typical PR: {t['change']['files']} files, +{t['change']['added_lines']}/-{t['change']['deleted_lines']} lines; "
          f"large PR: {lg['change']['files']} files, {lg['change']['head_bytes_of_changed_files'] / 1e6:.2f} MB at head "
          f"({lg['change']['added_bytes'] / 1e6:.2f} MB on added lines)")
    print(f"PR Warden rules: {', '.join(r['prwarden_rules'])}" + (f"; left out (engine rejects them): "
          f"{', '.join(s['file'] for s in r['prwarden_rules_skipped'])}" if r["prwarden_rules_skipped"] else ""))
    print(f"{'':<34} {'wall s':>8} {'peak RSS MB':>12}")
    print(f"{'typical  semgrep --baseline-commit':<34} {t['semgrep']['seconds']:8.2f} {t['semgrep']['maxrss_mb']:12.0f}")
    print(f"{'typical  prwarden warm (median)':<34} {t['prwarden_warm']['median_seconds']:8.3f} {'':>12}  "
          f"(paid once before: rule load {t['prwarden_warm']['rule_load_seconds']:.2f} s, first scan {t['prwarden_warm']['first_scan_seconds']:.2f} s)")
    print(f"{'large    semgrep --baseline-commit':<34} {lg['semgrep']['seconds']:8.2f} {lg['semgrep']['maxrss_mb']:12.0f}")
    print(f"{'large    prwarden scan (median)':<34} {lg['prwarden']['median_seconds']:8.2f} {lg['prwarden']['maxrss_mb']:12.0f}")
    print(f"{'large    floor_parse.py (median)':<34} {lg['floor']['median_seconds']:8.2f} {lg['floor']['maxrss_mb']:12.0f}")
    print(f"typical: semgrep / prwarden warm = {t['ratio']:.1f}x (target >= 20x: {ok[r['met']['typical_ratio']]})")
    print(f"large:   semgrep / prwarden = {lg['ratio_vs_semgrep']:.1f}x (target >= 3x: {ok[r['met']['large_ratio']]}); "
          f"prwarden / floor = {lg['ratio_vs_floor']:.2f}x (target <= 2x: {ok[r['met']['floor_ratio']]}); "
          f"peak RSS {lg['prwarden']['maxrss_mb']:.0f} MB (target < 300: {ok[r['met']['rss_mb']]})")
    print("findings (planted found / planted; unexpected; pre-existing reported):")
    for name, part in (("typical", t), ("large", lg)):
        for tool, key in (("semgrep", "semgrep"), ("prwarden", "prwarden_warm" if name == "typical" else "prwarden")):
            cells = "  ".join(f"{cls} {c['planted_found']}/{c['planted']} +{c['unexpected']} pre{c['preexisting_reported']}"
                              for cls, c in part[key]["classes"].items())
            print(f"  {name:<8} {tool:<9} {cells}")


if __name__ == "__main__":
    sys.exit(main())
