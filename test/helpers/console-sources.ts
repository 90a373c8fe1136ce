import { readdir } from "node:fs/promises";
import path from "node:path";

export const CONSOLE_SRC = path.resolve(import.meta.dirname, "../../web/console/src");

/** Every TypeScript source file of the console, for tests that read the pages' text. */
export async function consoleSources(dir = CONSOLE_SRC): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await consoleSources(full)));
    else if (/\.tsx?$/.test(entry.name)) out.push(full);
  }
  return out;
}

export const SERVER_SRC = path.resolve(import.meta.dirname, "../../src");

/** The server's TypeScript sources, tests left out, for tests that check what the console names. */
export async function serverSources(): Promise<string[]> {
  const entries = await readdir(SERVER_SRC, { recursive: true });
  return entries
    .filter((name) => name.endsWith(".ts") && !name.endsWith(".test.ts"))
    .map((name) => path.join(SERVER_SRC, name));
}
