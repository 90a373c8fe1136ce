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
