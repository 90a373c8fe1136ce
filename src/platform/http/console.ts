import { existsSync } from "node:fs";
import path from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import { problem, sendProblem } from "./problem.js";

/** Where `npm start` (scripts/build-console.mjs) puts the built console; src/ and dist/ are both 3 deep. */
export const CONSOLE_DIST = path.resolve(import.meta.dirname, "../../../web/console/dist");
/** The member center's build (web/member), made by the same script. */
export const MEMBER_DIST = path.resolve(import.meta.dirname, "../../../web/member/dist");

interface WebApp {
  root: string;
  /** Vite's `base`: the build's files are served under it. */
  base: string;
  /** The URLs its router owns: each answers its index.html. */
  pages: string[];
  name: string;
}

/**
 * One single-page app from the API's own origin (session cookies and CSRF tokens work
 * without CORS). Hashed assets are cached for good; every page URL is the app's index.
 */
async function serveWebApp(app: FastifyInstance, web: WebApp, decorate: boolean): Promise<boolean> {
  if (!existsSync(path.join(web.root, "index.html"))) {
    const missing = async (_request: unknown, reply: Parameters<typeof sendProblem>[0]) =>
      sendProblem(
        reply,
        problem(
          503,
          "service_unavailable",
          `The ${web.name} is not built: run \`npm run build\` (npm start does it)`,
        ),
      );
    for (const url of web.pages) app.get(url, { schema: { hide: true } }, missing as never);
    return false;
  }
  await app.register(fastifyStatic, {
    root: web.root,
    prefix: web.base,
    wildcard: false,
    index: false,
    decorateReply: decorate,
    setHeaders: (res, file) => {
      res.header(
        "cache-control",
        file.includes(`${path.sep}assets${path.sep}`) ? "public, max-age=31536000, immutable" : "no-cache",
      );
    },
  });
  const index = async (_request: unknown, reply: { sendFile(f: string, root: string): unknown }) =>
    reply.sendFile("index.html", web.root);
  for (const url of web.pages) app.get(url, { schema: { hide: true } }, index as never);
  return true;
}

/**
 * The operator console at /console and the member center at /m/<tenant id>/. `/` goes to
 * the console.
 */
export async function consoleRoutes(
  app: FastifyInstance,
  options: { root?: string; memberRoot?: string } = {},
): Promise<void> {
  app.get("/", { schema: { hide: true } }, async (_request, reply) => reply.redirect("/console/"));
  // With ignoreTrailingSlash /console is also /console/.
  const consoleServed = await serveWebApp(
    app,
    {
      name: "console",
      root: options.root ?? CONSOLE_DIST,
      base: "/console/",
      pages: ["/console", "/console/*"],
    },
    true,
  );
  await serveWebApp(
    app,
    {
      name: "member center",
      root: options.memberRoot ?? MEMBER_DIST,
      base: "/m/",
      pages: ["/m/:tenant", "/m/:tenant/*"],
    },
    // @fastify/static decorates the reply once; the first app served does it.
    !consoleServed,
  );
}
