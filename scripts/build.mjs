// Transpiles src/ to dist/ (no bundling, no type check: `npm run check` does that).
// Running plain JavaScript keeps the server's memory well below running through a loader.
import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import { build } from "esbuild";

const root = path.resolve(import.meta.dirname, "..");

async function sources(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(full)));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") && !entry.name.endsWith(".d.ts"))
      out.push(full);
  }
  return out;
}

await rm(path.join(root, "dist"), { recursive: true, force: true });
await build({
  entryPoints: await sources(path.join(root, "src")),
  outdir: path.join(root, "dist"),
  outbase: path.join(root, "src"),
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: "linked",
  logLevel: "warning",
});

// The operator console, when its sources changed since the last build.
const { buildConsole } = await import("./build-console.mjs");
await buildConsole();
