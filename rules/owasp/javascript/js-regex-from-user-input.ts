// js-regex-from-user-input in TypeScript: Next.js route handlers, Koa, casts.
import type { Context } from "koa";
import { NextRequest, NextResponse } from "next/server";
import escapeRegExp from "lodash/escapeRegExp";

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
