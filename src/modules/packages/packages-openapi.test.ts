import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, json, type TestApp } from "../../../test/helpers/app.js";

/** Every route of the packages and catalog modules is documented: id, summary, tags, examples. */
/** A media type: the generator moves a schema's `examples` up to `example` / `examples` here. */
interface Media {
  schema: Record<string, unknown>;
  example?: unknown;
  examples?: Record<string, unknown>;
}
interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  requestBody?: { content?: Record<string, Media> };
  responses?: Record<string, { content?: Record<string, Media> }>;
}
let t: TestApp;
let doc: {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Record<string, unknown>> };
  webhooks?: Record<string, unknown>;
};

const OURS =
  /^\/v1\/(packages|package-|images|agreements|gift-voucher-|members\/\{member_id\}\/(package-|entitlements))/;

beforeAll(async () => {
  t = await createTestApp();
  doc = json(await t.app.inject({ url: "/openapi.json" }));
});
afterAll(async () => t?.close());

const ours = () =>
  Object.entries(doc.paths)
    .filter(([path]) => OURS.test(path))
    .flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ method, path, op })));

/** An example on the media type, the schema itself or the component it names. */
function hasExample(media: Media | undefined): boolean {
  if (!media) return false;
  if (media.example !== undefined || (media.examples && Object.keys(media.examples).length > 0)) return true;
  return schemaExample(media.schema);
}

function schemaExample(schema: Record<string, unknown> | undefined): boolean {
  if (!schema) return false;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return true;
  const ref =
    typeof schema.$ref === "string" ? schema.$ref.replace(/^#\/components\/schemas\//, "") : undefined;
  return ref !== undefined && schemaExample(doc.components?.schemas?.[ref]);
}

describe("OpenAPI of packages and the catalog", () => {
  it("documents every route with a unique operationId, a summary and tags", () => {
    const routes = ours();
    expect(routes.length).toBeGreaterThanOrEqual(33);
    const ids = routes.map((r) => r.op.operationId);
    expect(
      ids.every((id) => typeof id === "string" && id.length > 0),
      JSON.stringify(routes.filter((r) => !r.op.operationId).map((r) => r.path)),
    ).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { method, path, op } of routes) {
      expect(op.summary, `${method} ${path}`).toBeTruthy();
      expect(op.tags?.length, `${method} ${path}`).toBeGreaterThan(0);
    }
  });

  it("gives an example for every JSON body it takes, and for what a purchase answers", () => {
    const missing = ours()
      .filter(({ op }) => op.requestBody?.content?.["application/json"])
      .filter(({ path }) => !path.includes("webhooks"))
      .filter(({ op }) => !hasExample(op.requestBody!.content!["application/json"]))
      .map(({ method, path }) => `${method} ${path}`);
    expect(missing).toEqual([]);
    const purchase = doc.paths["/v1/package-orders"]!.post!;
    expect(hasExample(purchase.responses?.["201"]?.content?.["application/json"])).toBe(true);
  });

  it("documents the package webhook events", () => {
    expect(Object.keys(doc.webhooks ?? {})).toEqual(
      expect.arrayContaining(["package.purchased", "package.renewed", "package.refunded", "package.expired"]),
    );
  });
});
