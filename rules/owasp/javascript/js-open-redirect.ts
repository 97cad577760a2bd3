// js-open-redirect in TypeScript: Next.js route handlers and middleware, casts and non-null
// assertions.
import { NextRequest, NextResponse } from "next/server";
import { redirect } from "next/navigation";
import type { Request, Response } from "express";
import type { NextApiRequest, NextApiResponse } from "next";

export async function GET(request: NextRequest) {
  const next = request.nextUrl.searchParams.get("next");
  // ruleid: js-open-redirect
  return NextResponse.redirect(new URL(next!, request.url));
}

export async function POST(request: Request) {
  const form = await request.formData();
  const returnTo = form.get("returnTo") as string;
  // ruleid: js-open-redirect
  redirect(returnTo);
}

export function callback(req: Request, res: Response): void {
  const state = JSON.parse(Buffer.from(req.query.state as string, "base64").toString());
  // ruleid: js-open-redirect
  res.redirect(state.returnUrl as string);
}

export function handoff(req: Request, res: Response): void {
  const { redirect_uri: redirectUri } = req.body as { redirect_uri: string };
  // ruleid: js-open-redirect
  res.redirect(303, `${redirectUri}?code=${issueCode()}`);
}

export async function middleware(request: NextRequest) {
  const target = request.nextUrl.searchParams.get("to") ?? "/";
  // ruleid: js-open-redirect
  return NextResponse.redirect(target);
}

// Route handler: destructuring the query from this request's URL.
export async function PUT(request: Request) {
  const { searchParams } = new URL(request.url);
  const callbackUrl = searchParams.get("callbackUrl") ?? "/";
  // ruleid: js-open-redirect
  return NextResponse.redirect(new URL(callbackUrl, request.url));
}

// ---- negatives -------------------------------------------------------------------------------

export function toHome(request: NextRequest) {
  // ok: js-open-redirect
  return NextResponse.redirect(new URL("/home", request.url));
}

export function requireLogin(request: NextRequest) {
  // The origin comes from this request; the path is fixed.
  const loginUrl = new URL("/login", request.url);
  loginUrl.searchParams.set("from", request.nextUrl.pathname);
  // ok: js-open-redirect
  return NextResponse.redirect(loginUrl);
}

export function toSignIn(request: NextRequest) {
  const url = request.nextUrl.clone();
  url.pathname = "/signin";
  // ok: js-open-redirect
  return NextResponse.redirect(url);
}

export function legacy(req: Request, res: Response): void {
  // ok: js-open-redirect
  res.redirect(301, `/blog/${req.params.slug as string}`);
}

export function afterSave(id: string) {
  // ok: js-open-redirect
  redirect(`/posts/${id}`);
}

export function pickTab(req: Request, res: Response): void {
  const page = Number(req.query.page);
  // ok: js-open-redirect
  res.redirect(`?page=${page}`);
}

// SvelteKit: redirect(status, location)
export const actions = {
  default: async ({ request }: { request: Request }) => {
    const to = new URL(request.url).searchParams.get("redirectTo");
    // ruleid: js-open-redirect
    throw redirect(303, to ?? "/");
  },
};

// --- Guards and real-world idioms -------------------------------------------------------------

const ALLOWED_REDIRECTS = ["/dashboard", "/settings", "/billing"] as const;
const SAFE_HOSTS = new Set(["app.example.com", "docs.example.com"]);

// Next.js API route (pages router): the query is the attacker's.
export function apiHandler(req: NextApiRequest, res: NextApiResponse) {
  const { returnTo } = req.query;
  // ruleid: js-open-redirect
  res.redirect(307, returnTo as string);
}

export function apiChecked(req: NextApiRequest, res: NextApiResponse) {
  const next = String(req.query.next ?? "/");
  if (!ALLOWED_REDIRECTS.includes(next as (typeof ALLOWED_REDIRECTS)[number])) {
    return res.status(400).json({ error: "bad redirect" });
  }
  // ok: js-open-redirect
  res.redirect(302, next);
}

export function apiCheckedNoReturn(req: NextApiRequest, res: NextApiResponse) {
  const next = String(req.query.next ?? "/");
  if (!ALLOWED_REDIRECTS.includes(next as (typeof ALLOWED_REDIRECTS)[number])) {
    res.status(400).json({ error: "bad redirect" });
  }
  // The 400 is sent but the handler goes on: still a redirect to anything.
  // ruleid: js-open-redirect
  res.redirect(302, next);
}

// Server component / server action: next/navigation's redirect with a constant.
export async function signOut() {
  await fetch("/api/logout", { method: "POST" });
  // ok: js-open-redirect
  redirect("/login");
}

export async function afterLogin(formData: FormData) {
  const to = formData.get("redirectTo") as string;
  // ok: js-open-redirect
  redirect(to.startsWith("/") && !to.startsWith("//") && !to.startsWith("/\\") ? `/app${to}` : "/app");
}

export async function NextPage({ searchParams }: { searchParams: { next?: string } }) {
  // ruleid: js-open-redirect
  redirect(searchParams.next ?? "/");
}

export function hostAllowList(request: NextRequest) {
  const target = request.nextUrl.searchParams.get("to") ?? "/";
  const url = new URL(target, request.url);
  if (!SAFE_HOSTS.has(url.hostname)) {
    return NextResponse.redirect(new URL("/", request.url));
  }
  // new URL() parses like the browser: the host it reports is where the redirect goes.
  // ok: js-open-redirect
  return NextResponse.redirect(target);
}

export function expressChecked(req: Request, res: Response) {
  const dest = req.query.dest as string;
  if (dest !== "/home" && dest !== "/profile") return res.sendStatus(400);
  // ok: js-open-redirect
  return res.redirect(dest);
}

export function expressLookup(req: Request, res: Response) {
  const dest = req.query.dest as string;
  // ok: js-open-redirect
  res.redirect(ALLOWED_REDIRECTS.includes(dest as never) ? dest : "/");
}

export function expressReferer(req: Request, res: Response) {
  // ruleid: js-open-redirect
  res.redirect(req.get("Referer") || "/");
}

export function expressSlug(req: Request, res: Response) {
  const slug = req.params.slug;
  if (!/^[a-z0-9-]+$/.test(slug)) return res.status(404).end();
  // ok: js-open-redirect
  res.redirect(slug);
}

export function expressLooseCheck(req: Request, res: Response) {
  const url = req.query.url as string;
  // A substring test is no allow-list: https://evil.example/?example.com passes.
  if (!url.includes("example.com")) return res.sendStatus(400);
  // ruleid: js-open-redirect
  res.redirect(url);
}

export function sameOrigin(request: NextRequest) {
  const next = request.nextUrl.searchParams.get("next") ?? "/";
  const dest = new URL(next, request.url);
  if (dest.origin !== request.nextUrl.origin) return NextResponse.redirect(new URL("/", request.url));
  // ok: js-open-redirect
  return NextResponse.redirect(dest);
}
export function hostOnly(request: NextRequest) {
  const next = request.nextUrl.searchParams.get("next") ?? "/";
  if (new URL(next, request.url).hostname !== "app.example.com") return new Response(null, { status: 400 });
  // ok: js-open-redirect
  return NextResponse.redirect(next);
}
export function wrongThing(request: NextRequest) {
  const next = request.nextUrl.searchParams.get("next") ?? "/";
  const other = request.nextUrl.searchParams.get("other") ?? "/";
  if (new URL(other, request.url).hostname !== "app.example.com") return new Response(null, { status: 400 });
  // ruleid: js-open-redirect
  return NextResponse.redirect(next);
}
