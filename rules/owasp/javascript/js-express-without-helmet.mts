// js-express-without-helmet in TypeScript, a server without helmet (a .mts module).
import express, { type Express } from "express";
import cors from "cors";

// ruleid: js-express-without-helmet
const app: Express = express();
app.disable("x-powered-by");
app.use(cors({ origin: process.env.CORS_ORIGIN }));
app.use(express.json());

export function createInternalApp(): Express {
  // ruleid: js-express-without-helmet
  const internal = express();
  internal.get("/metrics", (_req, res) => res.send("ok"));
  return internal;
}

// ok: js-express-without-helmet
export const api = express.Router();

// ok: js-express-without-helmet
const staticFiles = express.static("public", { maxAge: "1d" });

// A NestJS or Fastify app is not an Express app created here.
// ok: js-express-without-helmet
const fastifyApp = fastify({ logger: true });

// ok: js-express-without-helmet
const expressVersion = "express() 4.x";

app.use(api, staticFiles);
export default app;
