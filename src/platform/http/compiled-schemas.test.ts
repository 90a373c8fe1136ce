import { afterAll, describe, expect, it } from "vitest";
import { createTestApp, createTestTenant, json, type TestApp } from "../../../test/helpers/app.js";
import { CompiledSchemas, compiledSchemaCount } from "./compiled-schemas.js";

describe("a schema compiled once per process", () => {
  it("is found again by its text, and compiled again for another context or another schema", () => {
    const cache = new CompiledSchemas<string>();
    let compiled = 0;
    const compile = () => `fn${++compiled}`;
    const first = cache.get({ type: "object", properties: { a: { type: "string" } } }, "", compile);
    // Another object with the same text: the same function.
    expect(cache.get({ type: "object", properties: { a: { type: "string" } } }, "", compile)).toBe(first);
    expect(cache.get({ type: "object", properties: { a: { type: "integer" } } }, "", compile)).toBe("fn2");
    // The same schema where a $ref could name other shared schemas: compiled for those.
    expect(cache.get({ type: "object", properties: { a: { type: "string" } } }, "shared", compile)).toBe(
      "fn3",
    );
    expect(cache.size).toBe(3);
  });

  it("is compiled every time when its text would not say all of it", () => {
    const cache = new CompiledSchemas<string>();
    let compiled = 0;
    const compile = () => `fn${++compiled}`;
    // JSON writes a RegExp as {} and leaves out a property set to undefined: such schemas could
    // share a text with a different one, so none of them is kept.
    for (const odd of [
      { pattern: /a+/ },
      { minLength: undefined },
      { default: () => 1 },
      { const: new Date(0) },
    ]) {
      cache.get({ type: "string", ...odd }, "", compile);
      cache.get({ type: "string", ...odd }, "", compile);
    }
    expect(compiled).toBe(8);
    expect(cache.size).toBe(0);
  });
});

describe("a second app in the same process", () => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const t of apps) await t.close();
  });

  it("compiles no schema again and still validates each part as the first did", async () => {
    apps.push(await createTestApp());
    const compiledByFirst = compiledSchemaCount();
    const second = await createTestApp();
    apps.push(second);
    expect(compiledByFirst).toBeGreaterThan(100);
    expect(compiledSchemaCount()).toBe(compiledByFirst);

    const tenant = await createTestTenant(second);
    // A body is JSON and is not coerced: a number where an id belongs is refused.
    const signIn = await second.app.inject({
      method: "POST",
      url: "/v1/sessions",
      payload: { tenant_id: 5, email: "someone@example.test", password: "x".repeat(12) },
    });
    expect(signIn.statusCode).toBe(400);
    expect(json(signIn).code).toBe("validation_failed");
    // A query string is text and is coerced: "2" is a limit, "two" is not.
    const page = await second.app.inject({ method: "GET", url: "/v1/members?limit=2", headers: tenant.auth });
    expect(page.statusCode).toBe(200);
    // The answer went through the reused serializer: only the schema's fields.
    expect(Object.keys(json(page)).sort()).toEqual(["data", "has_more", "object"]);
    const bad = await second.app.inject({
      method: "GET",
      url: "/v1/members?limit=two",
      headers: tenant.auth,
    });
    expect(bad.statusCode).toBe(400);
  });
});
