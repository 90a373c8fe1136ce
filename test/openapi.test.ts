import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ACCESS_FILE,
  accessFor,
  lintDocument,
  publishedDocument,
  TYPES_FILE,
  typesFor,
} from "../scripts/openapi.js";
import { operationIdFor } from "../src/platform/http/openapi.js";
import { createTestApp, json, type TestApp } from "./helpers/app.js";

type Operation = { operationId?: string; summary?: string };
type Document = {
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  webhooks?: Record<string, Record<string, Operation>>;
};

let t: TestApp;
let served: Document;

beforeAll(async () => {
  t = await createTestApp();
  const response = await t.app.inject({ method: "GET", url: "/openapi.json" });
  expect(response.statusCode).toBe(200);
  served = json<Document>(response);
});
afterAll(async () => t?.close());

function operations(doc: Document) {
  const all: { where: string; op: Operation }[] = [];
  for (const section of [doc.paths, doc.webhooks ?? {}]) {
    for (const [path, item] of Object.entries(section)) {
      for (const [method, op] of Object.entries(item)) all.push({ where: `${method} ${path}`, op });
    }
  }
  return all;
}

describe("the published OpenAPI document", () => {
  it("gives every operation a unique operationId and a summary, and names its servers", () => {
    const all = operations(served);
    expect(all.length).toBeGreaterThan(100);
    expect(all.filter((o) => !o.op.operationId).map((o) => o.where)).toEqual([]);
    expect(all.filter((o) => !o.op.summary?.trim()).map((o) => o.where)).toEqual([]);
    const ids = all.map((o) => o.op.operationId);
    const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
    expect(repeated).toEqual([]);
    expect(served.servers?.length).toBeGreaterThan(0);
  });

  it("derives ids from method and path shape and keeps an id a route sets itself", () => {
    expect(operationIdFor("GET", "/v1/members/:id/balance-changes")).toBe("getMembersByIdBalanceChanges");
    expect(operationIdFor("post", "/v1/vouchers/{id}/withdraw")).toBe("postVouchersByIdWithdraw");
    expect(operationIdFor("GET", "/healthz")).toBe("getHealthz");
    expect(served.paths["/v1/sessions"]?.post?.summary).toBe("Sign in to the console");
  });

  it("is what the in-process generator sees (the console's types come from it)", async () => {
    expect(await publishedDocument()).toEqual(served);
  });

  it("matches the committed client types in web/api (run `npm run api:types` after changing a route)", async () => {
    const committed = await readFile(TYPES_FILE, "utf8");
    expect(committed === (await typesFor(served as never)), "web/api/openapi.d.ts is stale").toBe(true);
    const access = await readFile(ACCESS_FILE, "utf8");
    expect(access === accessFor(served as never), "web/api/access.ts is stale").toBe(true);
  });

  it("states who may call each staff operation, as the server enforces it", () => {
    const users = served.paths["/v1/users"]?.get as Record<string, unknown>;
    expect(users["x-roles"]).toEqual(["owner", "admin"]);
    expect(served.paths["/v1/sessions"]?.post).toMatchObject({ "x-access": "public" });
  });

  it("passes Redocly CLI's recommended rules with no errors", async () => {
    const { status, output } = await lintDocument(served as never);
    expect(status, output).toBe(0);
    expect(output).not.toMatch(/^error\s/m);
  });
});
