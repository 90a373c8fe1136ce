import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ACCESS } from "../../web/api/access.js";

const SRC = path.resolve(import.meta.dirname, "../../web/console/src");

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(full)));
    else if (/\.tsx?$/.test(entry.name)) out.push(full);
  }
  return out;
}

describe("the console's access checks", () => {
  it("name only operations the API has, so a renamed route cannot silently show or hide a page", async () => {
    const named: string[] = [];
    for (const file of await sources(SRC)) {
      const text = await readFile(file, "utf8");
      for (const match of text.matchAll(/"((?:GET|POST|PUT|PATCH|DELETE) \/v1\/[^"]*)"/g))
        named.push(match[1]!);
    }
    expect(named.length).toBeGreaterThan(20);
    const unknown = named.filter((op) => !(op in ACCESS));
    expect(unknown).toEqual([]);
  });

  it("follows the server's permission table: viewers read, only managers manage keys", () => {
    expect(ACCESS["GET /v1/members"]?.roles).toContain("viewer");
    expect(ACCESS["POST /v1/members/{id}/top-ups"]?.roles).not.toContain("viewer");
    expect(ACCESS["POST /v1/api-keys"]?.roles).toEqual(["owner", "admin"]);
    expect(ACCESS["GET /v1/wallet-totals"]?.tenantWide).toBe(true);
  });
});
