import { existsSync } from "node:fs";
import path from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import { problem, sendProblem } from "./problem.js";

/** Where `npm start` (scripts/build-console.mjs) puts the built console; src/ and dist/ are both 3 deep. */
export const CONSOLE_DIST = path.resolve(import.meta.dirname, "../../../web/console/dist");

/**
 * The operator console at /console from the API's own origin, so its session cookie and
 * CSRF token work without CORS. Hashed assets are cached for good; every other path under
 * /console is the single-page app's index (its router owns those URLs).
 */
export async function consoleRoutes(app: FastifyInstance, options: { root?: string } = {}): Promise<void> {
  const root = options.root ?? CONSOLE_DIST;
  app.get("/", { schema: { hide: true } }, async (_request, reply) => reply.redirect("/console/"));
  if (!existsSync(path.join(root, "index.html"))) {
    app.get("/console/*", { schema: { hide: true } }, async (_request, reply) =>
      sendProblem(
        reply,
        problem(
          503,
          "service_unavailable",
          "The console is not built: run `npm run build` (npm start does it)",
        ),
      ),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: "/console/",
    wildcard: false,
    index: false,
    decorateReply: true,
    setHeaders: (res, file) => {
      res.header(
        "cache-control",
        file.includes(`${path.sep}assets${path.sep}`) ? "public, max-age=31536000, immutable" : "no-cache",
      );
    },
  });
  const index = async (_request: unknown, reply: { sendFile(f: string): unknown }) =>
    reply.sendFile("index.html");
  // With ignoreTrailingSlash this is also /console/.
  app.get("/console", { schema: { hide: true } }, index as never);
  app.get("/console/*", { schema: { hide: true } }, index as never);
}
