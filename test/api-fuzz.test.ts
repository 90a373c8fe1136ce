/**
 * Property-based fuzz run over every operation in /openapi.json. Requests are generated from
 * the operation's own schemas with fast-check: mostly valid values, with any field (or the
 * whole body, or a query value) swapped for a hostile one — NUL bytes, lone surrogates, huge
 * and fractional numbers, deep nesting, wrong types, huge strings. No request may answer 5xx,
 * and a JSON answer with a documented status must match its documented schema.
 *
 * Bounded: FUZZ_RUNS requests per operation (default 6) with a fixed seed, so a failure
 * replays; set FUZZ_SEED to explore other corners. Operations added later are fuzzed
 * automatically.
 */
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, createTestTenant, json, type TestApp, type TestTenant } from "./helpers/app.js";
import { loadOpenApi, type OpenApi, type Route, resolveSchema, type Schema } from "./helpers/openapi-doc.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 6);
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);

let t: TestApp;
let tenant: TestTenant;
let doc: OpenApi;
let routes: Route[];
/** Real ids to put in path parameters now and then, so handlers run past their lookups. */
const knownIds: string[] = [];

function deepNest(levels: number): unknown {
  let value: unknown = "bottom";
  for (let i = 0; i < levels; i++) value = { nested: value };
  return value;
}

/** Values no schema in the API accepts as they are, whatever the field. */
const hostile: fc.Arbitrary<unknown> = fc.constantFrom<unknown>(
  "\u0000",
  "before\u0000after",
  "\ud800",
  "tail\udfff",
  "",
  "x".repeat(70_000),
  '=HYPERLINK("http://example.com")',
  2 ** 53 + 2,
  1e308,
  -1,
  -(2 ** 63),
  0.5,
  null,
  true,
  [],
  {},
  [null],
  deepNest(80),
);

/** Hostile text for a query string: raw, so invalid UTF-8 and NUL reach the parser. */
const hostileQuery = fc.constantFrom(
  "%00",
  "a%00b",
  "%ED%A0%80",
  "%FF",
  "99999999999999999999999",
  "-1",
  "1e400",
  "",
  "%5B%5D",
  "x".repeat(5000),
);

const SAFE = Number.MAX_SAFE_INTEGER;

function stringArb(schema: Schema): fc.Arbitrary<string> {
  switch (schema.format) {
    case "date-time":
      return fc
        .date({
          min: new Date("2000-01-01T00:00:00Z"),
          max: new Date("2100-01-01T00:00:00Z"),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString());
    case "date":
      return fc
        .date({
          min: new Date("2000-01-01T00:00:00Z"),
          max: new Date("2100-01-01T00:00:00Z"),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString().slice(0, 10));
    case "email":
      return fc.emailAddress();
    case "uri":
    case "url":
      return fc.webUrl();
    case "uuid":
      return fc.uuid();
  }
  if (typeof schema.pattern === "string") {
    // stringMatching ignores length bounds; filtering its output could loop forever, so a
    // bounded sample is drawn once and the values that fit are the choices.
    const fits = (v: string) =>
      [...v].length >= Number(schema.minLength ?? 0) && [...v].length <= Number(schema.maxLength ?? 10_000);
    try {
      const choices = fc
        .sample(fc.stringMatching(new RegExp(schema.pattern)), { numRuns: 60, seed: SEED })
        .filter(fits);
      const examples = ((schema.examples as unknown[] | undefined) ?? []).filter(
        (e): e is string => typeof e === "string" && fits(e),
      );
      if (choices.length + examples.length > 0) return fc.constantFrom(...choices, ...examples);
    } catch {
      // A pattern fast-check cannot invert: plain text is still a fair probe.
    }
  }
  const minLength = Number(schema.minLength ?? 0);
  const maxLength = Math.max(minLength, Math.min(Number(schema.maxLength ?? 40), 40));
  return fc.string({ minLength, maxLength, unit: "grapheme" });
}

function numberArb(schema: Schema, integer: boolean): fc.Arbitrary<number> {
  const exclusiveMin = schema.exclusiveMinimum !== undefined ? Number(schema.exclusiveMinimum) : undefined;
  const exclusiveMax = schema.exclusiveMaximum !== undefined ? Number(schema.exclusiveMaximum) : undefined;
  const min = Math.max(
    schema.minimum !== undefined ? Number(schema.minimum) : -SAFE,
    exclusiveMin !== undefined ? exclusiveMin + 1 : -SAFE,
    -SAFE,
  );
  const max = Math.min(
    schema.maximum !== undefined ? Number(schema.maximum) : SAFE,
    exclusiveMax !== undefined ? exclusiveMax - 1 : SAFE,
    SAFE,
  );
  if (integer) return fc.integer({ min: Math.ceil(min), max: Math.floor(max) });
  return fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
}

/**
 * Values for `schema`; `evil` in (0, 1] is the weight of a hostile value at each field,
 * 0 for values that follow the schema.
 */
function valueArb(schema: Schema, evil: number, depth = 0): fc.Arbitrary<unknown> {
  const valid = validArb(schema, evil, depth);
  if (evil === 0) return valid;
  return fc.oneof({ weight: 8, arbitrary: valid }, { weight: 1, arbitrary: hostile });
}

function validArb(schema: Schema, evil: number, depth: number): fc.Arbitrary<unknown> {
  if (depth > 8) return fc.constant(null);
  if ("const" in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum) && schema.enum.length > 0)
    return fc.constantFrom(...(schema.enum as unknown[]));
  const options = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (options && options.length > 0) return fc.oneof(...options.map((o) => valueArb(o, evil, depth + 1)));
  if (Array.isArray(schema.allOf)) {
    const properties: Record<string, unknown> = {};
    const required: string[] = [];
    for (const part of schema.allOf as Schema[]) {
      Object.assign(properties, part.properties);
      required.push(...((part.required as string[] | undefined) ?? []));
    }
    const merged: Schema = { type: "object", properties, required };
    return validArb(merged, evil, depth + 1);
  }
  const type = Array.isArray(schema.type) ? (schema.type as string[])[0] : schema.type;
  switch (type) {
    case "object": {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const required = ((schema.required as string[] | undefined) ?? []).filter((k) => k in properties);
      const model = Object.fromEntries(
        Object.entries(properties).map(([key, value]) => [key, valueArb(value, evil, depth + 1)]),
      );
      return fc.record(model, { requiredKeys: required });
    }
    case "array": {
      const minLength = Number(schema.minItems ?? 0);
      const maxLength = Math.max(minLength, Math.min(Number(schema.maxItems ?? 3), 3));
      return fc.array(valueArb((schema.items ?? {}) as Schema, evil, depth + 1), { minLength, maxLength });
    }
    case "integer":
      return numberArb(schema, true);
    case "number":
      return numberArb(schema, false);
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "string":
      return stringArb(schema);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

interface FuzzRequest {
  url: string;
  payload?: unknown;
  headers: Record<string, string>;
}

function requestArb(route: Route): fc.Arbitrary<FuzzRequest> {
  const parameters = route.operation.parameters ?? [];
  const pathParams = parameters.filter((p) => p.in === "path");
  const queryParams = parameters.filter((p) => p.in === "query");
  const pathArb = fc.tuple(
    ...pathParams.map((p) =>
      fc.oneof(
        { weight: 3, arbitrary: validArb(resolveSchema(doc, p.schema), 0, 0).map(String) },
        { weight: 2, arbitrary: fc.constantFrom(...knownIds) },
        { weight: 1, arbitrary: fc.constantFrom("%00", "%ED%A0%80", "..", "x".repeat(300)) },
      ),
    ),
  );
  const queryArb = fc.tuple(
    ...queryParams.map((p) =>
      fc.option(
        fc.oneof(
          {
            weight: 3,
            arbitrary: validArb(resolveSchema(doc, p.schema), 0, 0).map((v) => encodeURIComponent(String(v))),
          },
          { weight: 1, arbitrary: hostileQuery },
        ),
        { nil: undefined, freq: p.required ? 10 : 2 },
      ),
    ),
  );
  const bodySchema = route.operation.requestBody?.content?.["application/json"]?.schema;
  const bodyArb: fc.Arbitrary<unknown> = bodySchema
    ? fc.oneof(
        { weight: 3, arbitrary: valueArb(resolveSchema(doc, bodySchema), 0) },
        { weight: 4, arbitrary: valueArb(resolveSchema(doc, bodySchema), 1) },
        { weight: 1, arbitrary: hostile },
      )
    : fc.constant(undefined);
  return fc.record({ path: pathArb, query: queryArb, body: bodyArb, key: fc.uuid() }).map((r) => {
    let url = route.path;
    pathParams.forEach((p, i) => {
      const value = r.path[i] as string;
      url = url.replace(`{${p.name}}`, /%/.test(value) ? value : encodeURIComponent(value));
    });
    const query = queryParams
      .map((p, i) => (r.query[i] === undefined ? undefined : `${encodeURIComponent(p.name)}=${r.query[i]}`))
      .filter((q) => q !== undefined);
    if (query.length > 0) url += `?${query.join("&")}`;
    const headers: Record<string, string> = { ...tenant.auth, "idempotency-key": `fuzz-${r.key}` };
    if (r.body !== undefined) headers["content-type"] = "application/json";
    return { url, headers, ...(r.body !== undefined ? { payload: JSON.stringify(r.body) } : {}) };
  });
}

const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: true });
(addFormats as unknown as (x: Ajv) => void)(ajv);
const compiled = new Map<Schema, ReturnType<Ajv["compile"]> | null>();
function validatorFor(schema: Schema) {
  if (!compiled.has(schema)) {
    try {
      compiled.set(schema, ajv.compile(resolveSchema(doc, schema)));
    } catch {
      compiled.set(schema, null);
    }
  }
  return compiled.get(schema) ?? null;
}

/**
 * The operation a URL reaches. A path parameter of `..` is a dot segment: the test client
 * resolves it, as browsers and curl do (`/v1/enterprises/../members` is `/v1/members`), so
 * the answer is that operation's; none, when no operation has that path.
 */
function routeReached(route: Route, url: string): Route | undefined {
  const path = url.split("?")[0]!;
  if (!path.split("/").some((segment) => segment === "." || segment === "..")) return route;
  const resolved = new URL(path, "http://fuzz.invalid").pathname;
  const matches = (template: string) =>
    new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`).test(resolved);
  const parameters = (template: string) => template.split("{").length;
  // A static segment wins over a parameter, as the router decides.
  return routes
    .filter((r) => r.method === route.method && matches(r.path))
    .sort((a, b) => parameters(a.path) - parameters(b.path))[0];
}

/** What is wrong with an answer, or undefined when it is a fair one. */
function complaint(
  route: Route | undefined,
  status: number,
  contentType: string,
  body: string,
): string | undefined {
  if (status >= 500) return `answered ${status}: ${body.slice(0, 300)}`;
  if (!contentType.includes("json")) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return `answered ${status} with a body that is not JSON: ${body.slice(0, 120)}`;
  }
  if (status >= 400) {
    const problem = parsed as { code?: unknown; status?: unknown };
    if (typeof problem.code !== "string")
      return `answered ${status} without a problem code: ${body.slice(0, 200)}`;
  }
  const documented = route?.operation.responses?.[String(status)]?.content;
  const schema = documented?.["application/json"]?.schema ?? documented?.["application/problem+json"]?.schema;
  if (!schema) return undefined;
  const validate = validatorFor(schema);
  if (validate && !validate(parsed)) {
    return `answered ${status} not matching its documented schema: ${ajv.errorsText(validate.errors)} in ${body.slice(0, 200)}`;
  }
  return undefined;
}

beforeAll(async () => {
  t = await createTestApp({ config: { loginRateLimitPerMinute: 0 } });
  tenant = await createTestTenant(t, "Fuzz tenant");
  ({ doc, routes } = await loadOpenApi(t.app));
  const member = await t.app.inject({
    method: "POST",
    url: "/v1/members",
    headers: tenant.auth,
    payload: { name: "Fuzz member" },
  });
  expect(member.statusCode, member.body).toBe(201);
  knownIds.push(json<{ id: string }>(member).id, tenant.rootOrgUnitId, tenant.tenantId);
});

afterAll(async () => {
  await t?.close();
});

describe("API fuzz run over every operation", () => {
  it("answers no 5xx and only documented shapes, whatever the input", async () => {
    expect(routes.length).toBeGreaterThan(100);
    /** One example per operation and kind of complaint, so the report stays readable. */
    const failures = new Map<string, string>();
    /** Operations where some request got past input validation into the handler. */
    const reachedHandler = new Set<string>();
    const only = process.env.FUZZ_ONLY;
    for (const route of routes) {
      if (only && !route.path.includes(only)) continue;
      const where = `${route.method} ${route.path}`;
      await fc.assert(
        fc.asyncProperty(requestArb(route), async (request) => {
          if (process.env.FUZZ_TRACE)
            console.info(`fuzz → ${route.method} ${request.url} ${request.payload ?? ""}`);
          const response = await t.app.inject({
            method: route.method as "GET",
            url: request.url,
            headers: request.headers,
            ...(request.payload !== undefined ? { payload: request.payload as string } : {}),
          });
          if (!/"code":"(validation_failed|malformed_[a-z]+|invalid_encoding)"/.test(response.body)) {
            reachedHandler.add(where);
          }
          const wrong = complaint(
            routeReached(route, request.url),
            response.statusCode,
            String(response.headers["content-type"] ?? ""),
            response.body,
          );
          if (!wrong) return;
          const kind = `${where} → ${wrong.replace(/:.*$/s, "")}`;
          if (!failures.has(kind)) {
            failures.set(kind, `${request.url} ${String(request.payload ?? "").slice(0, 300)} → ${wrong}`);
          }
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    }
    const report = [...failures].map(([kind, example]) => `${kind}\n    e.g. ${example}`);
    expect(report, report.join("\n")).toEqual([]);
    // A run that only bounces off validation would prove little: most operations must be entered.
    const fuzzed = routes.filter((r) => !only || r.path.includes(only));
    const unreached = fuzzed.map((r) => `${r.method} ${r.path}`).filter((w) => !reachedHandler.has(w));
    console.info(`fuzz: ${fuzzed.length} operations, ${RUNS} requests each, ${reachedHandler.size} entered`);
    // A focused run (FUZZ_ONLY) is too small for the share to mean anything; it only reports.
    if (only) console.info(`fuzz: never entered: ${unreached.join(", ") || "none"}`);
    else
      expect(reachedHandler.size, `never entered: ${unreached.join(", ")}`).toBeGreaterThan(
        fuzzed.length * 0.8,
      );
  });
});
