// Builds the web apps (the operator console, web/console, and the member center, web/member)
// with Vite into their dist/ folders, each only when its sources changed since its last
// build, and reports the bundle sizes.
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";

const root = path.resolve(import.meta.dirname, "..");
export const CONSOLE_DIR = path.join(root, "web/console");
export const CONSOLE_DIST = path.join(CONSOLE_DIR, "dist");

/** Each app: its folder, and what its bundle is made from besides that folder. */
export const WEB_APPS = [
  { name: "console", dir: "web/console", served: "/console" },
  { name: "member center", dir: "web/member", served: "/m/<tenant id>/" },
];
// This script too: how it builds is part of what it built.
const SHARED_INPUTS = ["web/api", "package-lock.json", "scripts/build-console.mjs"];

const distOf = (app) => path.join(root, app.dir, "dist");

async function files(dir, skip) {
  const out = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [dir];
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (full === skip || entry.name === "node_modules") continue;
    if (entry.isDirectory()) out.push(...(await files(full, skip)));
    else out.push(full);
  }
  return out;
}

/** A digest of every file the app's bundle is made from (names and contents). */
export async function sourceHash(app = WEB_APPS[0]) {
  const hash = createHash("sha256");
  for (const input of [app.dir, ...SHARED_INPUTS]) {
    for (const file of (await files(path.join(root, input), distOf(app))).sort()) {
      hash.update(path.relative(root, file));
      hash.update(await readFile(file));
    }
  }
  return hash.digest("hex");
}

/** Sizes of the app's built assets: total, gzip, and the largest chunk. */
export async function bundleReport(app = WEB_APPS[0]) {
  const assets = path.join(distOf(app), "assets");
  let total = 0;
  let gzip = 0;
  let largest = { name: "", size: 0 };
  for (const name of await readdir(assets)) {
    const body = await readFile(path.join(assets, name));
    total += body.length;
    if (/\.(js|css)$/.test(name)) gzip += gzipSync(body).length;
    if (name.endsWith(".js") && body.length > largest.size) largest = { name, size: body.length };
  }
  const kb = (n) => `${(n / 1024).toFixed(0)} kB`;
  const where = path.relative(root, assets);
  return `${app.name[0].toUpperCase()}${app.name.slice(1)} bundle: ${kb(total)} in ${where} (${kb(gzip)} JS+CSS gzipped); largest chunk ${largest.name} ${kb(largest.size)}`;
}

/** Builds one app when its sources changed; returns whether it built. */
async function buildWebApp(app, { force, log }) {
  const dist = distOf(app);
  const stamp = path.join(dist, ".source-hash");
  const hash = await sourceHash(app);
  const built = await readFile(stamp, "utf8").catch(() => "");
  if (!force && built === hash) return false;
  let vite;
  try {
    vite = await import("vite");
  } catch {
    // Installed without dev dependencies: the API still starts; the app's URL says what is missing.
    const present = await stat(path.join(dist, "index.html")).catch(() => null);
    log(
      present
        ? `The ${app.name} sources changed but Vite is not installed (npm ci installs it); serving the last build`
        : `The ${app.name} is not built and Vite is not installed (npm ci installs it); ${app.served} will answer 503`,
    );
    return false;
  }
  const started = Date.now();
  await rm(dist, { recursive: true, force: true });
  // Vite builds for the process's NODE_ENV when one is set, and the test runner sets "test":
  // React and Ant Design would then ship their development builds (several times slower to
  // render), to the tests and to any `npm start` that reuses that build. The build is for
  // production whoever runs it.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await vite.build({ configFile: path.join(root, app.dir, "vite.config.ts"), logLevel: "warn" });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  await mkdir(dist, { recursive: true });
  await writeFile(stamp, hash);
  log(`Built the ${app.name} in ${((Date.now() - started) / 1000).toFixed(1)} s. ${await bundleReport(app)}`);
  return true;
}

/** Builds every web app whose sources changed; returns whether any was built. */
export async function buildConsole({ force = false, log = console.log } = {}) {
  let any = false;
  for (const app of WEB_APPS) any = (await buildWebApp(app, { force, log })) || any;
  return any;
}
