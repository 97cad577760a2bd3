// js-regex-from-user-input in TypeScript: Next.js route handlers, Koa, casts.
import type { Context } from "koa";
import { NextRequest, NextResponse } from "next/server";
import escapeRegExp from "lodash/escapeRegExp";
import type { Request as ExpressRequest, Response as ExpressResponse } from "express";

export async function GET(request: NextRequest): Promise<NextResponse> {
  const q = request.nextUrl.searchParams.get("q") ?? "";
  // ruleid: js-regex-from-user-input
  const re: RegExp = new RegExp(q as string, "i");
  return NextResponse.json(products.filter((p: { name: string }) => re.test(p.name)));
}

export async function searchKoa(ctx: Context): Promise<void> {
  const { pattern } = ctx.request.body as { pattern: string };
  // ruleid: js-regex-from-user-input
  const matcher = new RegExp(`(${pattern})+`);
  ctx.body = rows.filter((row: string) => matcher.test(row));
}

export async function POST(request: Request): Promise<Response> {
  const body = (await request.json()) as { filter?: string };
  // ruleid: js-regex-from-user-input
  const filterRe = RegExp(body.filter!);
  return Response.json(lines.filter((l: string) => filterRe.test(l)));
}

export async function safeSearch(request: NextRequest): Promise<NextResponse> {
  const q = request.nextUrl.searchParams.get("q") ?? "";
  // ok: js-regex-from-user-input
  const re = new RegExp(escapeRegExp(q), "i");
  return NextResponse.json(products.filter((p: { name: string }) => re.test(p.name)));
}

const DATE_PATTERN = "\\d{4}-\\d{2}-\\d{2}";
// ok: js-regex-from-user-input
export const dateRe: RegExp = new RegExp(DATE_PATTERN as string);

// Caller-supplied patterns compiled unescaped: reported, the callers decide what flows in.
export function matchesAny(value: string, patterns: readonly string[]): boolean {
  // ruleid: js-regex-from-user-input
  return patterns.some((p: string) => new RegExp(p).test(value));
}

// ok: js-regex-from-user-input
type PatternFactory = (source: string) => RegExp;

// A search utility: `term` arrives from the caller, usually a query string.
export function searchItems(items: string[], term: string): string[] {
  // ruleid: js-regex-from-user-input
  const matcher = new RegExp(term, "i");
  return items.filter((item) => matcher.test(item));
}

export function searchEscaped(items: string[], term: string): string[] {
  // ok: js-regex-from-user-input
  const matcher = new RegExp(escapeRegExp(term), "i");
  return items.filter((item) => matcher.test(item));
}

export function wordBoundary(): RegExp {
  const WORD = "\\bprwarden\\b";
  // ok: js-regex-from-user-input
  return new RegExp(WORD, "g");
}

// --- Guards and escaping --------------------------------------------------------------------------

export function searchEscaped(req: ExpressRequest, res: ExpressResponse): void {
  const q = String(req.query.q ?? "");
  // ok: js-regex-from-user-input
  const re = new RegExp(escapeRegExp(q), "i");
  res.json(titles.filter((t) => re.test(t)));
}

export function searchSlug(req: ExpressRequest, res: ExpressResponse): void {
  const tag = String(req.query.tag ?? "");
  if (!/^[\w-]{1,32}$/.test(tag)) {
    res.status(400).json({ error: "invalid tag" });
    return;
  }
  // ok: js-regex-from-user-input
  const re = new RegExp(`(^|,)${tag}(,|$)`);
  res.json(posts.filter((p) => re.test(p.tags)));
}

export function searchLooselyChecked(req: ExpressRequest, res: ExpressResponse): void {
  const q = String(req.query.q ?? "");
  if (q.length > 100) return void res.status(400).end();
  // Short is not safe: (a+)+$ is seven characters.
  // ruleid: js-regex-from-user-input
  const re = new RegExp(q, "i");
  res.json(titles.filter((t) => re.test(t)));
}

export function highlight(req: ExpressRequest, res: ExpressResponse): void {
  const words = String(req.query.words ?? "").split(/\s+/);
  // ruleid: js-regex-from-user-input
  const re = new RegExp(`(${words.join("|")})`, "gi");
  res.send(body.replace(re, "<mark>$1</mark>"));
}

export function sortField(req: ExpressRequest, res: ExpressResponse): void {
  const field = String(req.query.field);
  if (!["title", "date", "author"].includes(field)) return void res.sendStatus(400);
  // ok: js-regex-from-user-input
  const re = new RegExp(`^${field}:`);
  res.json(keys.filter((k) => re.test(k)));
}

declare const titles: string[];
declare const posts: { tags: string }[];
declare const body: string;
declare const keys: string[];
