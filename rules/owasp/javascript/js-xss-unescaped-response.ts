// js-xss-unescaped-response in TypeScript: typed Express handlers, Koa, Fastify, Next.js pages API.
import type { Request, Response } from "express";
import type { Context } from "koa";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { NextApiRequest, NextApiResponse } from "next";
import escapeHtml from "escape-html";

export function adminBanner(req: Request, res: Response): void {
  const message = req.query.message as string;
  // ruleid: js-xss-unescaped-response
  res.status(200).send(`<div class="banner">${message}</div>`);
}

export async function koaPage(ctx: Context): Promise<void> {
  const { title } = ctx.query as { title?: string };
  // ruleid: js-xss-unescaped-response
  ctx.body = `<html><head><title>${title}</title></head></html>`;
}

export async function fastifyPage(request: FastifyRequest<{ Querystring: { q: string } }>, reply: FastifyReply) {
  const q: string = (request.query as { q: string }).q;
  // ruleid: js-xss-unescaped-response
  return reply.type("text/html").send(`<p>${q}</p>`);
}

export default function handler(req: NextApiRequest, res: NextApiResponse): void {
  const name = (req.query.name ?? "") as string;
  // ruleid: js-xss-unescaped-response
  res.setHeader("Content-Type", "text/html").send("<h1>" + name + "</h1>");
}

export function adminBannerSafe(req: Request, res: Response): void {
  const message = escapeHtml(req.query.message as string);
  // ok: js-xss-unescaped-response
  res.status(200).send(`<div class="banner">${message}</div>`);
}

export async function koaJson(ctx: Context): Promise<void> {
  // ok: js-xss-unescaped-response
  ctx.body = { title: ctx.query.title };
}

export async function fastifyText(request: FastifyRequest<{ Querystring: { q: string } }>, reply: FastifyReply) {
  // Fastify sends a string as text/plain.
  // ok: js-xss-unescaped-response
  return reply.send(`You searched for ${(request.query as { q: string }).q}`);
}

export function jsonHandler(req: NextApiRequest, res: NextApiResponse): void {
  // ok: js-xss-unescaped-response
  res.status(200).json({ name: req.query.name });
}

export function statusPage(res: Response, uptime: number): void {
  // ok: js-xss-unescaped-response
  res.send(`<p>Up for ${uptime} seconds</p>`);
}

// Next.js route handler answering with HTML.
export async function renderPreview(request: Request): Promise<Response> {
  const { searchParams } = new URL(request.url);
  const title = searchParams.get("title") ?? "Untitled";
  // ruleid: js-xss-unescaped-response
  return new Response(`<!doctype html><h1>${title}</h1>`, {
    headers: { "Content-Type": "text/html; charset=utf-8" },
  });
}

export async function renderPreviewJson(request: Request): Promise<Response> {
  const { searchParams } = new URL(request.url);
  // ok: js-xss-unescaped-response
  return new Response(JSON.stringify({ title: searchParams.get("title") }), {
    headers: { "Content-Type": "application/json" },
  });
}

// --- Guards and real-world idioms --------------------------------------------------------------

const THEMES = ["light", "dark", "system"];

export function helloApi(req: NextApiRequest, res: NextApiResponse) {
  const name = req.query.name;
  // ruleid: js-xss-unescaped-response
  res.status(200).send(`<h1>Hello ${name}</h1>`);
}

export function helloEscaped(req: NextApiRequest, res: NextApiResponse) {
  const name = String(req.query.name ?? "");
  // ok: js-xss-unescaped-response
  res.status(200).send(`<h1>Hello ${escapeHtml(name)}</h1>`);
}

export function themed(req: Request, res: Response): void {
  const theme = String(req.query.theme);
  if (!THEMES.includes(theme)) {
    res.status(400).send("unknown theme");
    return;
  }
  // ok: js-xss-unescaped-response
  res.send(`<html class="${theme}"><body>...</body></html>`);
}

export function typedOnly(req: Request, res: Response): void {
  const q = req.query.q;
  if (typeof q !== "string") {
    res.status(400).send("bad query");
    return;
  }
  // A string can still hold markup.
  // ruleid: js-xss-unescaped-response
  res.send(`<p>Results for ${q}</p>`);
}

export function slugPage(req: Request, res: Response): void {
  const slug = req.params.slug;
  if (!/^[a-z0-9-]+$/.test(slug)) return void res.sendStatus(404);
  // ok: js-xss-unescaped-response
  res.send(`<a href="/posts/${slug}">Permalink</a>`);
}

export function searchJson(req: Request, res: Response): void {
  // ok: js-xss-unescaped-response
  res.json({ query: req.query.q, results: [] });
}

export function notFound(req: Request, res: Response): void {
  // ruleid: js-xss-unescaped-response
  res.status(404).send("<h1>Not found: " + req.path + "</h1>");
}

export function plain(req: Request, res: Response): void {
  // ok: js-xss-unescaped-response
  res.type("text/plain").send(`You searched for ${req.query.q}`);
}
