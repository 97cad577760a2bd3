// js-open-redirect in TypeScript: Next.js route handlers and middleware, casts and non-null
// assertions.
import { NextRequest, NextResponse } from "next/server";
import { redirect } from "next/navigation";
import type { Request, Response } from "express";

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
