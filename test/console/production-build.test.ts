/**
 * The web apps are built for production even by the test runner, which sets NODE_ENV=test:
 * built under it, they once shipped React's development build to the tests and to any
 * `npm start` that reused that build.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { WEB_APPS } from "../../scripts/build-console.mjs";
import { ensureConsoleBuilt } from "../helpers/console-browser.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

async function scriptsOf(dir: string): Promise<string> {
  const assets = path.join(ROOT, dir, "dist/assets");
  const names = (await readdir(assets)).filter((name) => name.endsWith(".js"));
  return (await Promise.all(names.map((name) => readFile(path.join(assets, name), "utf8")))).join("\n");
}

describe("the web apps' bundles, as the test runner builds them", () => {
  it("hold React's production build, not its development one", async () => {
    // The condition that once gave the development build.
    expect(process.env.NODE_ENV).toBe("test");
    await ensureConsoleBuilt();
    for (const app of WEB_APPS) {
      const scripts = await scriptsOf(app.dir);
      // React is in the bundle (its root container's property)...
      expect(scripts, app.name).toContain("__reactContainer");
      // ...but none of what only its development build has: the JSX dev runtime and owner stacks.
      expect(scripts.includes("jsxDEV"), app.name).toBe(false);
      expect(scripts.includes("recentlyCreatedOwnerStacks"), app.name).toBe(false);
    }
  });
});
