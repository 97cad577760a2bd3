// js-child-process-injection in TypeScript: ES imports, node: prefix, execa, types and casts.
import { exec as execCb, spawnSync } from "node:child_process";
import * as childProcess from "child_process";
import cp from "child_process";
import { promisify } from "util";
import { execa, execaCommand, $ } from "execa";
import type { Request, Response } from "express";
import type { Request as ExpressRequest, Response as ExpressResponse } from "express";
import * as child_process from "node:child_process";
import { spawn, execSync } from "node:child_process";

const execPromise = promisify(execCb);

interface PdfOptions {
  url: string;
  landscape?: boolean;
}

export async function generatePdf(req: Request, res: Response): Promise<void> {
  const opts = req.body as PdfOptions;
  const orientation = opts.landscape ? "Landscape" : "Portrait";
  // ruleid: js-child-process-injection
  await execPromise(`wkhtmltopdf --orientation ${orientation} ${opts.url} /tmp/out.pdf`);
  res.sendFile("/tmp/out.pdf");
}

export function thumbnail(req: Request, res: Response): void {
  const file = req.params.file as string;
  // ruleid: js-child-process-injection
  const result = spawnSync("bash", ["-c", `convert ${file} -resize 64x64 thumb.png`], {
    encoding: "utf8",
  });
  res.send(result.stdout);
}

export async function clone(req: Request, res: Response) {
  const repo: string = req.body.repo;
  // ruleid: js-child-process-injection
  await execaCommand(`git clone ${repo} /srv/repos/tmp`);
  res.sendStatus(201);
}

export async function runTool(req: Request<{ tool: string }>, res: Response) {
  // ruleid: js-child-process-injection
  const { stdout } = await execa(req.params.tool, ["--help"]);
  res.send(stdout);
}

export function diskUsage(req: Request, res: Response) {
  // ruleid: js-child-process-injection
  childProcess.exec(<string>`du -sh ${req.query.path}`, (_err, out) => res.send(out));
}

export function shellOpt(req: Request, res: Response) {
  const args = [String(req.query.flags)];
  // ruleid: js-child-process-injection
  cp.execFile("ls", args, { shell: "/bin/bash" }, (_e, out) => res.send(out));
}

export function whois(req: Request, res: Response) {
  const domain = (req.query as Record<string, string>).domain;
  // ruleid: js-child-process-injection
  cp.exec("whois " + domain, (_err, out) => res.type("text").send(out));
}

// ---- negatives -------------------------------------------------------------------------------

export async function transcode(req: Request, res: Response) {
  // execa without a shell passes each array entry as one argument.
  // ok: js-child-process-injection
  await execa("ffmpeg", ["-i", req.query.src as string, "-f", "mp3", "pipe:1"]);
  res.end();
}

export async function zxStyle(req: Request) {
  // execa's $ quotes every interpolated value.
  // ok: js-child-process-injection
  await $`git checkout ${req.query.branch as string}`;
}

export function version(): string {
  // ok: js-child-process-injection
  return childProcess.execSync("node --version", { encoding: "utf8" }).trim();
}

export function rangeOf(req: Request): RegExpExecArray | null {
  const pattern: RegExp = /(\d+)-(\d+)/;
  // ok: js-child-process-injection
  return pattern.exec(req.query.range as string);
}

export function listFiles(req: Request, res: Response) {
  // ok: js-child-process-injection
  const ls = childProcess.spawn("ls", ["-la", String(req.query.dir)]);
  ls.stdout.pipe(res);
}

// --- Real-world idioms --------------------------------------------------------------------------

export function gitLog(req: ExpressRequest, res: ExpressResponse): void {
  const branch = String(req.query.branch);
  // No shell: each argument reaches git as one argv entry.
  // ok: js-child-process-injection
  child_process.execFile("git", ["log", "--oneline", branch], (_err, out) => res.send(out));
}

export function runTool(req: ExpressRequest, res: ExpressResponse): void {
  const { cmd, args } = req.body as { cmd: string; args: string[] };
  // ruleid: js-child-process-injection
  const child = spawn(cmd, args, { shell: true });
  child.stdout.pipe(res);
}

export function grepLogs(req: ExpressRequest, res: ExpressResponse): void {
  const pattern = String(req.query.pattern);
  // ruleid: js-child-process-injection
  const child = spawn("grep", ["-rn", pattern, "/var/log/app"], { shell: true, timeout: 5000 });
  child.stdout.pipe(res);
}

export function convert(req: ExpressRequest, res: ExpressResponse): void {
  const format = String(req.query.format);
  if (!["png", "jpg", "webp"].includes(format)) {
    res.status(400).send("unsupported format");
    return;
  }
  // ok: js-child-process-injection
  execSync(`convert input.pdf output.${format}`);
  res.sendFile(`output.${format}`);
}

export function ping(req: ExpressRequest, res: ExpressResponse): void {
  const host = String(req.query.host);
  if (!/^[a-z0-9.-]+$/i.test(host)) return void res.status(400).send("bad host");
  // ok: js-child-process-injection
  res.send(execSync(`ping -c 1 ${host}`).toString());
}

export function pingUnchecked(req: ExpressRequest, res: ExpressResponse): void {
  const host = String(req.query.host);
  if (host.length > 253) return void res.status(400).send("bad host");
  // ruleid: js-child-process-injection
  res.send(execSync(`ping -c 1 ${host}`).toString());
}

export function buildInfo(res: ExpressResponse): void {
  // ok: js-child-process-injection
  res.send(execSync("git rev-parse HEAD").toString());
}

export function dockerLogs(req: ExpressRequest, res: ExpressResponse): void {
  const id = Number.parseInt(String(req.params.id), 10);
  // ok: js-child-process-injection
  res.send(execSync(`docker logs --tail 100 container-${id}`).toString());
}
