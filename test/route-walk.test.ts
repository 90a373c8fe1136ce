/**
 * Walks every operation in /openapi.json as two callers who must not reach tenant A's
 * objects: tenant B's owner key, and a tenant-A owner key bound to an org unit outside
 * the objects' subtree. Nothing of A may show in a response and nothing of A may change.
 *
 * Routes added later are walked automatically. To make the walk reach a new module's
 * objects, create one of them in `createFixtures` and name its collection in `collections`
 * (or let `harvestIds` find it through the module's list route).
 */
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ORG_UNIT_KINDS } from "../src/platform/org/org-units.js";
import { statusForCode } from "../src/shared/errors.js";
import {
  createTestApp,
  createTestKey,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "./helpers/app.js";
import { loadOpenApi, type OpenApi, type Route, resolveSchema, type Schema } from "./helpers/openapi-doc.js";

interface Call {
  who: string;
  method: string;
  url: string;
  route: Route;
  status: number;
  contentType: string;
  body: string;
}

const TAG = Math.random().toString(36).slice(2, 8);

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
let scoped: { id: string; auth: { authorization: string } };
let doc: OpenApi;
let routes: Route[];
/** A collection path (`/v1/org-units`) → the id of one of tenant A's protected objects in it. */
const collections = new Map<string, string>();
/** Body and query fields that name an object → a protected id to put there. */
const fieldIds = new Map<string, string>();
/** Everything of A that the scoped key must never see; B must not see even more. */
const secretFromScoped = new Set<string>();
const secretFromB = new Set<string>();
let calls: Call[] = [];

async function post(url: string, payload: object, headers: Record<string, string> = a.auth) {
  const response = await t.app.inject({ method: "POST", url, headers, payload });
  expect(response.statusCode, `${url}: ${response.body}`).toBe(201);
  return json<{ id: string }>(response);
}

/** One of each kind of tenant-A object, all below a "protected zone" org unit. */
async function createFixtures() {
  const zone = await post("/v1/org-units", {
    parent_id: a.rootOrgUnitId,
    kind: "distributor",
    name: `Protected zone ${TAG}`,
  });
  const names = [`Protected zone ${TAG}`];
  const units: Record<string, string> = {};
  for (const kind of ORG_UNIT_KINDS) {
    const name = `Protected ${kind} ${TAG}`;
    units[kind] = (
      await post("/v1/org-units", { parent_id: zone.id, kind, name, code: `P-${kind}-${TAG}` })
    ).id;
    names.push(name);
  }
  const group = await post("/v1/store-groups", {
    name: `Protected group ${TAG}`,
    org_unit_id: zone.id,
    store_ids: [units.store],
  });
  const user = await post("/v1/users", {
    email: `protected-${TAG}@example.com`,
    name: `Protected user ${TAG}`,
    password: "protected password 1",
    role: "admin",
    org_unit_id: zone.id,
  });
  const key = await post("/v1/api-keys", {
    name: `Protected key ${TAG}`,
    role: "admin",
    org_unit_id: zone.id,
  });
  names.push(
    `Protected group ${TAG}`,
    `Protected user ${TAG}`,
    `protected-${TAG}@example.com`,
    `Protected key ${TAG}`,
  );

  const member = await post("/v1/members", { name: `Protected member ${TAG}`, org_unit_id: zone.id });
  // No balance yet: the ledger's own list routes are tenant-wide (a scoped key would list its accounts).
  names.push(`Protected member ${TAG}`);
  // A package sold to the protected member: the package is the tenant's catalog (every
  // staff key reads it); the order and its period belong to the member's subtree.
  const pkg = await post("/v1/packages", {
    name: `Walk package ${TAG}`,
    channels: ["POS"],
    sales_rules: [{ key: "r", duration_days: 30, original_price: 100 }],
  });
  const activated = await t.app.inject({
    method: "POST",
    url: `/v1/packages/${pkg.id}/activate`,
    headers: a.auth,
  });
  expect(activated.statusCode, activated.body).toBe(200);
  const order = await post("/v1/package-orders", {
    package_id: pkg.id,
    member_id: member.id,
    rule_key: "r",
    channel: "POS",
    payment_method: "offline",
  });
  collections.set("/v1/packages", pkg.id);
  collections.set("/v1/package-orders", order.id);
  collections.set("/v1/members", member.id);
  fieldIds.set("member_id", member.id);
  collections.set("/v1/org-units", units.store!);
  collections.set("/v1/store-groups", group.id);
  collections.set("/v1/users", user.id);
  collections.set("/v1/api-keys", key.id);
  for (const [field, id] of Object.entries({
    parent_id: zone.id,
    org_unit_id: zone.id,
    subtree_of: zone.id,
    store_id: units.store!,
    store_ids: units.store!,
    user_id: user.id,
    actor_id: user.id,
    target_id: zone.id,
    tenant_id: a.tenantId,
    merchant_id: units.merchant!,
    enterprise_id: units.enterprise!,
    customer_id: units.customer!,
    reseller_id: units.reseller!,
    distributor_id: units.distributor!,
  })) {
    fieldIds.set(field, id);
  }
  const ids = [zone.id, ...Object.values(units), group.id, user.id, key.id, member.id, order.id];
  return { ids, names };
}

/**
 * A gift card the protected member is buying online (pending: no ledger account, whose id
 * would embed the card's), usable only at the protected store, so the scoped key, bound
 * outside, reaches neither the card nor its plan by any route.
 */
async function createGiftCardFixtures(store: string, memberId: string) {
  const send = async (url: string, payload: object, status: number) => {
    const headers = { ...a.auth, "idempotency-key": `walk-${url}-${TAG}` };
    const response = await t.app.inject({ method: "POST", url, headers, payload });
    expect(response.statusCode, `${url}: ${response.body}`).toBe(status);
    return json<Record<string, unknown>>(response);
  };
  // The other fixtures may have set the currency up already: then the same asset answers 200.
  const asset = await t.app.inject({
    method: "POST",
    url: "/v1/ledger/assets",
    headers: { ...a.auth, "idempotency-key": `walk-gift-card-asset-${TAG}` },
    payload: { code: "CNY", scale: 2, name: "Yuan" },
  });
  expect([200, 201], asset.body).toContain(asset.statusCode);
  const name = `Protected gift card plan ${TAG}`;
  const plan = await send(
    "/v1/gift-card-plans",
    {
      name,
      card_type: "electronic",
      currency: "CNY",
      design: { kind: "template", template: "classic" },
      denominations: [{ amount: 10000 }],
      validity: { kind: "none" },
      channels: ["ONLINE"],
      store_scope: { stores: [store] },
    },
    201,
  );
  await send(`/v1/gift-card-plans/${plan.id}/activate`, {}, 200);
  const purchase = await send(
    `/v1/members/${memberId}/gift-card-purchases`,
    { plan_id: plan.id, amount: 10000, payment_method: "online" },
    201,
  );
  const card = purchase.card as { id: string; number: string };
  collections.set("/v1/gift-cards", card.id);
  collections.set("/v1/gift-card-plans", plan.id as string);
  return [card.id, card.number, plan.id as string, name];
}

/**
 * Ids from every list route tenant A's owner can read, less what the scoped key can see
 * in the same list: covers modules whose fixtures exist but that `collections` lacks.
 */
async function harvestIds() {
  for (const route of routes) {
    if (route.method !== "GET" || route.path.includes("{") || !route.path.startsWith("/v1/")) continue;
    const owner = await t.app.inject({ url: route.path, headers: a.auth });
    const own = await t.app.inject({ url: route.path, headers: scoped.auth });
    if (owner.statusCode !== 200) continue;
    const data = (JSON.parse(owner.body) as { data?: { id?: unknown }[] }).data;
    if (!Array.isArray(data)) continue;
    const visible = own.statusCode === 200 ? own.body : "";
    const hidden = data
      .map((row) => row.id)
      .filter((id): id is string => typeof id === "string" && !visible.includes(id));
    for (const id of hidden) secretFromScoped.add(id);
    if (!collections.has(route.path) && hidden[0]) collections.set(route.path, hidden[0]);
  }
}

function resolve(schema: Schema): Schema {
  return resolveSchema(doc, schema);
}

/** The id of a protected object that a field or path parameter named `name` would take. */
function idFor(name: string): string | undefined {
  const direct = fieldIds.get(name);
  if (direct) return direct;
  const noun = name.replace(/_ids?$/, "");
  return collections.get(`/v1/${noun.replace(/_/g, "-")}s`);
}

/** A value valid for `schema`; with `probe`, id-like optional fields are filled too. */
function sample(schema: Schema, name: string, probe: boolean): unknown {
  if ("const" in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const options = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (options) return sample(options.find((o) => o.type !== "null") ?? options[0]!, name, probe);
  if (Array.isArray(schema.allOf)) {
    return sample(Object.assign({}, ...(schema.allOf as Schema[])), name, probe);
  }
  const idLike = /(_id|_ids|^subtree_of)$/.test(name);
  switch (schema.type) {
    case "object": {
      const required = new Set((schema.required as string[] | undefined) ?? []);
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
        if (required.has(key) || (probe && /(_id|_ids)$/.test(key) && idFor(key))) {
          out[key] = sample(value, key, probe);
        }
      }
      // PATCH bodies are all optional but need at least one field.
      for (const [key, value] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
        if (Object.keys(out).length >= Number(schema.minProperties ?? 0)) break;
        if (!(key in out)) out[key] = sample(value, key, probe);
      }
      return out;
    }
    case "array": {
      const count = Math.max(Number(schema.minItems ?? 0), probe && idLike ? 1 : 0);
      return Array.from({ length: count }, () => sample((schema.items ?? {}) as Schema, name, probe));
    }
    case "integer":
    case "number": {
      const min = Number(
        schema.minimum ?? (schema.exclusiveMinimum !== undefined ? Number(schema.exclusiveMinimum) + 1 : 1),
      );
      return schema.maximum !== undefined ? Math.min(min, Number(schema.maximum)) : min;
    }
    case "boolean":
      return false;
    default:
      return sampleString(schema, name);
  }
}

function sampleString(schema: Schema, name: string): string {
  const protectedId = /(_id|_ids|^id|^subtree_of)$/.test(name) ? idFor(name) : undefined;
  if (protectedId) return protectedId;
  switch (schema.format) {
    case "date-time":
      return new Date(t.clock.now().getTime() + 86_400_000).toISOString();
    case "date":
      return "2026-12-01";
    case "email":
      return `walker-${TAG}@example.com`;
    case "uri":
    case "url":
      return "https://example.com/walk";
    case "uuid":
      return "00000000-0000-4000-8000-000000000000";
  }
  const pattern = typeof schema.pattern === "string" ? schema.pattern : undefined;
  const prefixed = pattern ? /^\^([a-z]+)_\[0-9a-z\]\{26\}\$$/.exec(pattern) : null;
  if (prefixed) return `${prefixed[1]}_01jd3m2x4y5z6a7b8c9d0e1f2g`;
  const candidates = ["walk_01jd3m2x4y5z6a7b8c9d0e1f2g", "CNY", "walker", "2026-12-01"];
  if (pattern) {
    const match = candidates.find((c) => new RegExp(pattern).test(c));
    if (match) return match;
  }
  const min = Number(schema.minLength ?? 1);
  const max = Number(schema.maxLength ?? 64);
  return "walk-value-1234567890".padEnd(min, "x").slice(0, Math.max(min, Math.min(max, 21)));
}

const ajv = new Ajv({ strict: false, allErrors: false });
(addFormats as unknown as (x: Ajv) => void)(ajv);
function valid(schema: Schema, value: unknown): boolean {
  try {
    return ajv.validate(schema, value) as boolean;
  } catch {
    return true;
  }
}

/** Requests to make for one route: path params and bodies built from its schemas. */
function requestsFor(route: Route) {
  const params = route.operation.parameters ?? [];
  let url = route.path;
  for (const p of params.filter((p) => p.in === "path")) {
    const prefix = route.path.slice(0, route.path.indexOf(`{${p.name}}`) - 1);
    const concrete = collections.get(prefix.replace(/\{[^}]+\}/g, "")) ?? collections.get(prefix);
    const value = concrete ?? idFor(p.name) ?? (sample(resolve(p.schema), p.name, false) as string);
    url = url.replace(`{${p.name}}`, encodeURIComponent(String(value)));
  }
  const query = (probe: boolean) => {
    const entries = params
      .filter((p) => p.in === "query")
      .filter((p) => p.required || (probe && /(_id|^subtree_of)$/.test(p.name) && idFor(p.name)))
      .map((p): [string, string] => [p.name, String(sample(resolve(p.schema), p.name, probe))]);
    return entries.length > 0 ? `?${new URLSearchParams(entries).toString()}` : "";
  };
  const bodySchema = route.operation.requestBody?.content?.["application/json"]?.schema;
  const body = (probe: boolean) => {
    if (!bodySchema) return undefined;
    const schema = resolve(bodySchema);
    const value = sample(schema, "body", probe);
    return valid(schema, value) ? value : {};
  };
  const variants = [
    { url: `${url}${query(false)}`, payload: body(false) },
    { url: `${url}${query(true)}`, payload: body(true) },
  ];
  return variants.filter((v, i) => i === 0 || JSON.stringify(v) !== JSON.stringify(variants[0]));
}

async function walk(who: string, headers: Record<string, string>) {
  for (const route of routes) {
    for (const request of requestsFor(route)) {
      const response = await t.app.inject({
        method: route.method as "GET",
        url: request.url,
        headers,
        ...(request.payload !== undefined ? { payload: request.payload as object } : {}),
      });
      calls.push({
        who,
        method: route.method,
        url: request.url,
        route,
        status: response.statusCode,
        contentType: String(response.headers["content-type"] ?? ""),
        body: response.body,
      });
    }
  }
}

/**
 * Every row of A in every table that has a tenant_id column (found in the catalogue, so
 * later modules' tables count too), plus A's tenant row; api_keys.last_used_at ignored, and
 * sign_in_failures: public sign-in counts a wrong password against the email and tenant it
 * names, whoever sends it (a stranger's guesses are what that count is for).
 */
async function snapshot(): Promise<Map<string, string[]>> {
  const tables = await sql<{ schema: string; table: string }>`
    select c.table_schema as schema, c.table_name as table
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.column_name = 'tenant_id' and t.table_type = 'BASE TABLE'
      and c.table_schema not in ('pg_catalog', 'information_schema')
    order by 1, 2`.execute(t.database.owner);
  const out = new Map<string, string[]>();
  for (const { schema, table } of tables.rows) {
    if (`${schema}.${table}` === "public.sign_in_failures") continue;
    const rows = await sql<{ row: string }>`
      select (to_jsonb(x) - 'last_used_at')::text as row
      from ${sql.table(`${schema}.${table}`)} x where x.tenant_id = ${a.tenantId}`.execute(t.database.owner);
    out.set(`${schema}.${table}`, rows.rows.map((r) => r.row).sort());
  }
  const tenant = await sql<{
    row: string;
  }>`select to_jsonb(x)::text as row from tenants x where id = ${a.tenantId}`.execute(t.database.owner);
  out.set(
    "public.tenants",
    tenant.rows.map((r) => r.row),
  );
  return out;
}

const leaks = (text: string, secrets: Set<string>) => [...secrets].filter((s) => text.includes(s));

/**
 * Public by design: the member center shows every visitor of a tenant's pages its name and
 * look before anyone signs in. Its answer may carry the tenant's id and display name (and
 * nothing else of the tenant: every other secret is still looked for in it).
 */
const PUBLIC_DISPLAY = new Set(["GET /v1/member-center/tenants/{tenant_id}/branding"]);
function leaksFrom(c: Call, secrets: Set<string>): string[] {
  const found = leaks(c.body, secrets);
  if (!PUBLIC_DISPLAY.has(`${c.method} ${c.route.path}`)) return found;
  return found.filter((s) => s !== a.tenantId && s !== `Walk tenant A ${TAG}`);
}

beforeAll(async () => {
  t = await createTestApp({ config: { loginRateLimitPerMinute: 0 } });
  a = await createTestTenant(t, `Walk tenant A ${TAG}`);
  b = await createTestTenant(t, `Walk tenant B ${TAG}`);
  ({ doc, routes } = await loadOpenApi(t.app));
  const outsider = await post("/v1/org-units", {
    parent_id: a.rootOrgUnitId,
    kind: "distributor",
    name: "Outsider",
  });
  scoped = await createTestKey(t, a.tenantId, "owner", outsider.id);
  const fixtures = await createFixtures();
  for (const id of fixtures.ids) secretFromScoped.add(id);
  for (const name of fixtures.names) secretFromScoped.add(name);
  const giftCards = await createGiftCardFixtures(
    collections.get("/v1/org-units")!,
    collections.get("/v1/members")!,
  );
  for (const id of giftCards) secretFromScoped.add(id);
  // The setup's own audit events were made by A's tenant-wide owner key.
  const events = await t.database.owner
    .selectFrom("audit_events")
    .select("id")
    .where("tenant_id", "=", a.tenantId)
    .execute();
  for (const e of events) secretFromScoped.add(e.id);
  await harvestIds();
  for (const s of secretFromScoped) secretFromB.add(s);
  for (const s of [
    a.tenantId,
    a.rootOrgUnitId,
    a.apiKey.record.id,
    scoped.id,
    outsider.id,
    `Walk tenant A ${TAG}`,
  ]) {
    secretFromB.add(s);
  }
}, 600_000);
afterAll(async () => t?.close());

describe("route walk", () => {
  it("finds the routes of every module", () => {
    const paths = routes.map((r) => `${r.method} ${r.path}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        "GET /v1/org-units/{id}",
        "POST /v1/org-units/{id}/move",
        "DELETE /v1/store-groups/{id}",
        "PATCH /v1/users/{id}",
        "GET /v1/audit-events",
        "POST /v1/sessions",
      ]),
    );
    expect(routes.length).toBeGreaterThan(25);
  });

  it("every operation declares its error responses as problem+json", () => {
    const missing: string[] = [];
    for (const route of routes) {
      const statuses = Object.keys(route.operation.responses ?? {});
      const errors = statuses.filter((s) => Number(s) >= 400);
      if (errors.length === 0) missing.push(`${route.method} ${route.path}: no error responses`);
      if (route.path.startsWith("/v1/")) {
        for (const needed of ["400", "404", "500"]) {
          if (!statuses.includes(needed)) missing.push(`${route.method} ${route.path}: no ${needed}`);
        }
        const isPublic = Array.isArray(route.operation.security) && route.operation.security.length === 0;
        if (!isPublic && !statuses.includes("401")) missing.push(`${route.method} ${route.path}: no 401`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("tenant B's owner key reaches nothing of tenant A and changes nothing", async () => {
    const before = await snapshot();
    calls = [];
    await walk("tenant B owner", b.auth);
    expect(calls.length).toBeGreaterThanOrEqual(routes.length);
    const leaked = calls
      .map((c) => ({ call: `${c.method} ${c.url} → ${c.status}`, found: leaksFrom(c, secretFromB) }))
      .filter((c) => c.found.length > 0);
    expect(leaked).toEqual([]);
    expect(await snapshot()).toEqual(before);
    expectProblemShapes(calls);
  });

  it("a tenant-A key bound outside the objects' subtree reaches none of them and changes none", async () => {
    const before = await snapshot();
    calls = [];
    await walk("scoped tenant-A owner", scoped.auth);
    const leaked = calls
      .map((c) => ({ call: `${c.method} ${c.url} → ${c.status}`, found: leaksFrom(c, secretFromScoped) }))
      .filter((c) => c.found.length > 0);
    expect(leaked).toEqual([]);
    // The scoped key may create things in its own subtree; every row that existed stays
    // as it was, and no new row refers to a protected object.
    const after = await snapshot();
    const changed: string[] = [];
    for (const [table, rows] of before) {
      const now = new Set(after.get(table) ?? []);
      for (const row of rows) if (!now.has(row)) changed.push(`${table}: ${row.slice(0, 200)}`);
      const old = new Set(rows);
      for (const row of after.get(table) ?? []) {
        if (!old.has(row) && leaks(row, secretFromScoped).length > 0)
          changed.push(`${table} (new): ${row.slice(0, 200)}`);
      }
    }
    expect(changed).toEqual([]);
    expectProblemShapes(calls);
  });
});

/** Every 4xx is problem+json with a stable code whose status the one map gives, and declared. */
function expectProblemShapes(list: Call[]) {
  const bad: string[] = [];
  for (const c of list) {
    const where = `${c.method} ${c.url} → ${c.status}`;
    if (c.status >= 500) bad.push(`${where}: server error ${c.body}`);
    if (c.status < 400 || c.status >= 500) continue;
    if (!c.contentType.includes("application/problem+json")) {
      bad.push(`${where}: content-type ${c.contentType}`);
      continue;
    }
    const body = JSON.parse(c.body) as { code?: string; status?: number; detail?: string; title?: string };
    if (typeof body.code !== "string" || !/^[a-z][a-z0-9_]*$/.test(body.code))
      bad.push(`${where}: code ${body.code}`);
    else if (statusForCode(body.code) !== c.status)
      bad.push(`${where}: ${body.code} maps to ${statusForCode(body.code)}`);
    if (body.status !== c.status || !body.detail || !body.title) bad.push(`${where}: shape ${c.body}`);
    if (!Object.keys(c.route.operation.responses ?? {}).includes(String(c.status))) {
      bad.push(`${where}: ${c.status} (${body.code}) not declared in /openapi.json`);
    }
  }
  expect(bad).toEqual([]);
}
