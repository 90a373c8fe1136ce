// Builds the operator console (web/console) with Vite into web/console/dist, only when its
// sources changed since the last build, and reports the bundle size.
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";

const root = path.resolve(import.meta.dirname, "..");
export const CONSOLE_DIR = path.join(root, "web/console");
export const CONSOLE_DIST = path.join(CONSOLE_DIR, "dist");
const STAMP = path.join(CONSOLE_DIST, ".source-hash");
const INPUTS = ["web/console", "web/api", "package-lock.json"];

async function files(dir) {
  const out = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [dir];
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (full === CONSOLE_DIST || entry.name === "node_modules") continue;
    if (entry.isDirectory()) out.push(...(await files(full)));
    else out.push(full);
  }
  return out;
}

/** A digest of every file the bundle is made from (names and contents). */
export async function sourceHash() {
  const hash = createHash("sha256");
  for (const input of INPUTS) {
    for (const file of (await files(path.join(root, input))).sort()) {
      hash.update(path.relative(root, file));
      hash.update(await readFile(file));
    }
  }
  return hash.digest("hex");
}

/** Sizes of the built assets: total, gzip, and the largest chunk. */
export async function bundleReport() {
  const assets = path.join(CONSOLE_DIST, "assets");
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
  return `Console bundle: ${kb(total)} in web/console/dist/assets (${kb(gzip)} JS+CSS gzipped); largest chunk ${largest.name} ${kb(largest.size)}`;
}

/** Builds when the sources changed; returns whether it built. */
export async function buildConsole({ force = false, log = console.log } = {}) {
  const hash = await sourceHash();
  const built = await readFile(STAMP, "utf8").catch(() => "");
  if (!force && built === hash) return false;
  let vite;
  try {
    vite = await import("vite");
  } catch {
    // Installed without dev dependencies: the API still starts; /console says what is missing.
    const present = await stat(path.join(CONSOLE_DIST, "index.html")).catch(() => null);
    log(
      present
        ? "Console sources changed but Vite is not installed (npm ci installs it); serving the last build"
        : "The console is not built and Vite is not installed (npm ci installs it); /console will answer 503",
    );
    return false;
  }
  const started = Date.now();
  await rm(CONSOLE_DIST, { recursive: true, force: true });
  await vite.build({ configFile: path.join(CONSOLE_DIR, "vite.config.ts"), logLevel: "warn" });
  await mkdir(CONSOLE_DIST, { recursive: true });
  await writeFile(STAMP, hash);
  log(`Built the console in ${((Date.now() - started) / 1000).toFixed(1)} s. ${await bundleReport()}`);
  return true;
}
