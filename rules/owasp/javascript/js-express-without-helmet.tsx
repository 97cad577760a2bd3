// js-express-without-helmet in TSX: a test file (describe / it, supertest) builds throwaway
// apps that never serve users, so they are not reported.
import express from "express";
import request from "supertest";
import { renderToString } from "react-dom/server";
import { App } from "./App";

describe("server-side rendering", () => {
  it("renders the shell", async () => {
    // ok: js-express-without-helmet
    const app = express();
    app.get("*", (_req, res) => res.send(renderToString(<App />)));
    const res = await request(app).get("/");
    expect(res.status).toBe(200);
  });
});
