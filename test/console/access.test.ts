import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { ACCESS } from "../../web/api/access.js";
import { consoleSources } from "../helpers/console-sources.js";

describe("the console's access checks", () => {
  it("name only operations the API has, so a renamed route cannot silently show or hide a page", async () => {
    const named: string[] = [];
    for (const file of await consoleSources()) {
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
