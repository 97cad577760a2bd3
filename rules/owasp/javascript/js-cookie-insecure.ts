// js-cookie-insecure in TypeScript: Next.js route handlers and server actions, NestJS, Koa,
// Fastify.
import type { Context } from "koa";
import type { FastifyReply, FastifyRequest } from "fastify";
import { Controller, Post, Res } from "@nestjs/common";
import type { CookieOptions, Request as ExpressRequest, Response } from "express";
import { cookies } from "next/headers";
import { NextResponse } from "next/server";
import { serialize } from "cookie";

export async function POST(request: Request): Promise<NextResponse> {
  const { token } = (await request.json()) as { token: string };
  const response = NextResponse.json({ ok: true });
  // ruleid: js-cookie-insecure
  response.cookies.set("session", token, { path: "/", maxAge: 60 * 60 * 24 });
  return response;
}

export async function login(formData: FormData): Promise<void> {
  "use server";
  const token = await createSession(formData);
  // ruleid: js-cookie-insecure
  (await cookies()).set({
    name: "session",
    value: token,
    httpOnly: true,
    path: "/",
  });
}

export async function remember(token: string): Promise<void> {
  const cookieStore = await cookies();
  // ruleid: js-cookie-insecure
  cookieStore.set("remember_token", token);
}

@Controller("auth")
export class AuthController {
  @Post("login")
  login(@Res({ passthrough: true }) response: Response): void {
    // ruleid: js-cookie-insecure
    response.cookie("jwt", this.issue() as string, { secure: true });
  }

  @Post("login-safe")
  loginSafe(@Res({ passthrough: true }) response: Response): void {
    // ok: js-cookie-insecure
    response.cookie("jwt", this.issue() as string, { httpOnly: true, secure: true, sameSite: "strict" });
  }

  private issue(): string {
    return "token";
  }
}

export async function koaLogin(ctx: Context): Promise<void> {
  // Koa defaults httpOnly to true; secure only follows the request's own protocol.
  // ruleid: js-cookie-insecure
  ctx.cookies.set("sid", await newSession(), { signed: true });
  // ok: js-cookie-insecure
  ctx.cookies.set("sid", await newSession(), { signed: true, secure: true });
  ctx.status = 204;
}

export async function fastifyLogin(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  // ruleid: js-cookie-insecure
  reply.setCookie("session", await newSession(), { path: "/", sameSite: "lax" });
  // ok: js-cookie-insecure
  reply.setCookie("session", await newSession(), { path: "/", httpOnly: true, secure: true });
}

export function pagesApi(res: { setHeader(name: string, value: string): void }, token: string): void {
  // ruleid: js-cookie-insecure
  res.setHeader("Set-Cookie", serialize("token", token, { httpOnly: true, path: "/" }));
}

// --- negatives -------------------------------------------------------------------------------

export async function safePost(request: Request): Promise<NextResponse> {
  const { token } = (await request.json()) as { token: string };
  const response = NextResponse.json({ ok: true });
  // ok: js-cookie-insecure
  response.cookies.set("session", token, {
    httpOnly: true,
    secure: process.env.NODE_ENV === "production",
    sameSite: "lax",
    path: "/",
  });
  return response;
}

export async function logout(): Promise<void> {
  // ok: js-cookie-insecure
  (await cookies()).delete("session");
}

export function safePagesApi(res: { setHeader(name: string, value: string): void }, token: string): void {
  // ok: js-cookie-insecure
  res.setHeader("Set-Cookie", serialize("token", token, { httpOnly: true, secure: true, path: "/" }));
}

// Map#set and Headers#set are not cookies.
const cache = new Map<string, string>();
// ok: js-cookie-insecure
cache.set("session", "value");

// ok: js-cookie-insecure
const headers = new Headers(); headers.set("x-session", "1");

// ok: js-cookie-insecure
type CookieOptions = { httpOnly?: boolean; secure?: boolean };

// --- Options objects defined above the call ------------------------------------------------------

const SESSION_COOKIE_OPTIONS: CookieOptions = {
  httpOnly: true,
  secure: true,
  sameSite: "lax",
  maxAge: 7 * 24 * 60 * 60 * 1000,
};

const PREFERENCE_COOKIE = { maxAge: 365 * 24 * 60 * 60 * 1000, sameSite: "lax" as const };

export function login(req: ExpressRequest, res: Response, token: string): void {
  // ok: js-cookie-insecure
  res.cookie("session", token, SESSION_COOKIE_OPTIONS);
}

export function rememberTheme(req: ExpressRequest, res: Response): void {
  // ruleid: js-cookie-insecure
  res.cookie("theme", String(req.query.theme), PREFERENCE_COOKIE);
}

export function refresh(res: Response, name: string, value: string): void {
  const opts = { httpOnly: true, secure: process.env.NODE_ENV !== "development", path: "/" };
  // ok: js-cookie-insecure
  res.cookie(name, value, opts);
}

export function refreshInsecure(res: Response, name: string, value: string): void {
  const opts = { httpOnly: true, secure: false, path: "/" };
  // ruleid: js-cookie-insecure
  res.cookie(name, value, opts);
}

export function issue(res: Response, jwt: string): void {
  // ruleid: js-cookie-insecure
  res.status(200).cookie("access_token", jwt, { httpOnly: true }).json({ ok: true });
}

export function issueSafe(res: Response, jwt: string): void {
  // ok: js-cookie-insecure
  res.status(200).cookie("access_token", jwt, { httpOnly: true, secure: true, sameSite: "strict" }).json({ ok: true });
}

export function clear(res: Response): void {
  // ok: js-cookie-insecure
  res.clearCookie("session");
}

export function withHelper(res: Response, token: string): void {
  // ok: js-cookie-insecure
  res.cookie("session", token, cookieOptionsFor(token));
}

const STRICT = { httpOnly: true, secure: true, sameSite: "strict" } satisfies CookieOptions;

export function strict(res: Response, token: string): void {
  // ok: js-cookie-insecure
  res.cookie("refresh_token", token, STRICT);
}

declare function cookieOptionsFor(token: string): CookieOptions;
