// js-express-without-helmet in TypeScript: this file applies helmet, so nothing is reported.
import express, { Express, Request, Response } from "express";
import helmet from "helmet";

// ok: js-express-without-helmet
export const app: Express = express();
app.use(
  helmet({
    contentSecurityPolicy: { directives: { defaultSrc: ["'self'"] } },
  })
);

export function createApp(): Express {
  // ok: js-express-without-helmet
  const server = express() as Express;
  server.use(helmet());
  server.get("/health", (_req: Request, res: Response) => res.send("ok"));
  return server;
}
