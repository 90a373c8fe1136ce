import type { LightMyRequestResponse } from "fastify";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestKey,
  createTestOrgUnit,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../test/helpers/app.js";
import { someoneWaitsForALock } from "../../test/helpers/last-place.js";
import { waitFor } from "../../test/helpers/wait.js";
import { createApiKey, hashApiKey } from "./auth/api-keys.js";
import { canonicalTimezone } from "./tenants.js";

let t: TestApp;
let tenant: TestTenant;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
});
afterAll(async () => t?.close());

function expectProblem(
  response: { statusCode: number; headers: Record<string, unknown>; body: string },
  status: number,
  code: string,
) {
  expect(response.statusCode).toBe(status);
  expect(String(response.headers["content-type"])).toContain("application/problem+json");
  const body = JSON.parse(response.body);
  expect(body).toMatchObject({
    status,
    code,
    type: expect.any(String),
    title: expect.any(String),
    detail: expect.any(String),
  });
  expect(body.request_id).toBe(response.headers["x-request-id"]);
  expect(response.body).not.toMatch(/at .*\.ts:\d+|select |insert into/i);
  return body;
}

describe("service endpoints", () => {
  it("serves health, readiness, metrics and the OpenAPI document", async () => {
    expect((await t.app.inject({ url: "/healthz" })).statusCode).toBe(200);
    const ready = await t.app.inject({ url: "/readyz" });
    expect(json(ready)).toEqual({ status: "ready" });
    const openapi = json<{ openapi: string; paths: Record<string, unknown> }>(
      await t.app.inject({ url: "/openapi.json" }),
    );
    expect(openapi.openapi).toBe("3.1.0");
    expect(Object.keys(openapi.paths)).toContain("/v1/api-keys");
    const metrics = await t.app.inject({ url: "/metrics" });
    expect(metrics.body).toContain(
      'vouchsafe_http_requests_total{method="GET",route="/healthz",status="200"} 1',
    );
    expect(metrics.body).toContain("vouchsafe_db_pool_connections");
  });

  it("echoes a caller's request id and makes one otherwise", async () => {
    const given = await t.app.inject({ url: "/healthz", headers: { "x-request-id": "abc-123" } });
    expect(given.headers["x-request-id"]).toBe("abc-123");
    const made = await t.app.inject({ url: "/healthz" });
    expect(String(made.headers["x-request-id"])).toMatch(/^req_/);
  });
});

describe("errors are problem+json", () => {
  it("unknown route", async () => {
    expectProblem(await t.app.inject({ url: "/v1/nothing-here", headers: tenant.auth }), 404, "not_found");
  });
  it("no credentials, bad credentials, revoked and expired keys", async () => {
    expectProblem(await t.app.inject({ url: "/v1/api-keys" }), 401, "unauthenticated");
    expectProblem(
      await t.app.inject({ url: "/v1/api-keys", headers: { authorization: "Bearer nope-nope-nope" } }),
      401,
      "unauthenticated",
    );
    expectProblem(
      await t.app.inject({ url: "/v1/api-keys", headers: { authorization: "Basic abc" } }),
      401,
      "unauthenticated",
    );
    const extra = await createTestKey(t, tenant.tenantId, "admin");
    expect((await t.app.inject({ url: "/v1/api-keys", headers: extra.auth })).statusCode).toBe(200);
    const revoke = await t.app.inject({
      method: "POST",
      url: `/v1/api-keys/${extra.id}/revoke`,
      headers: tenant.auth,
    });
    expect(revoke.statusCode).toBe(200);
    expect(json(revoke).revoked_at).toBeTruthy();
    expectProblem(await t.app.inject({ url: "/v1/api-keys", headers: extra.auth }), 401, "unauthenticated");

    const expiring = json<{ secret: string }>(
      await t.app.inject({
        method: "POST",
        url: "/v1/api-keys",
        headers: tenant.auth,
        payload: {
          name: "short",
          role: "viewer",
          expires_at: new Date(t.clock.now().getTime() + 60_000).toISOString(),
        },
      }),
    );
    const headers = { authorization: `Bearer ${expiring.secret}` };
    expect((await t.app.inject({ url: "/v1/tenant", headers })).statusCode).not.toBe(401);
    t.clock.advanceMinutes(2);
    expectProblem(await t.app.inject({ url: "/v1/tenant", headers }), 401, "unauthenticated");
  });
  it("a long configured key works, and its hash is not a key", async () => {
    // Keys of over 128 characters are cached by their hash (api-keys.ts): presenting that
    // hash must not find the cached key.
    const secret = `demo_${"x".repeat(200)}`;
    await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      createApiKey(trx, tenant.tenantId, { name: "long", role: "viewer", secret }, t.clock.now()),
    );
    for (let i = 0; i < 2; i++) {
      const ok = await t.app.inject({ url: "/v1/tenant", headers: { authorization: `Bearer ${secret}` } });
      expect(ok.statusCode, ok.body).toBe(200);
    }
    expectProblem(
      await t.app.inject({ url: "/v1/tenant", headers: { authorization: `Bearer ${hashApiKey(secret)}` } }),
      401,
      "unauthenticated",
    );
  });
  it("validation: unknown fields, wrong types, missing fields, malformed JSON, invalid UTF-8, oversized body", async () => {
    const post = (payload: string | object, headers: Record<string, string> = {}) =>
      t.app.inject({
        method: "POST",
        url: "/v1/api-keys",
        headers: { ...tenant.auth, "content-type": "application/json", ...headers },
        payload: typeof payload === "string" ? payload : JSON.stringify(payload),
      });
    const unknown = expectProblem(
      await post({ name: "x", role: "viewer", colour: "red" }),
      400,
      "validation_failed",
    );
    expect(unknown.errors).toContainEqual({ field: "/body/colour", message: "is not a known field" });
    // A key is one token of the pointer (RFC 6901): its "/" and "~" are escaped, not read as steps.
    const slashed = expectProblem(
      await post({ name: "x", role: "viewer", "a/b~c": 1 }),
      400,
      "validation_failed",
    );
    expect(slashed.errors).toContainEqual({ field: "/body/a~1b~0c", message: "is not a known field" });
    const missing = expectProblem(await post({ name: "x" }), 400, "validation_failed");
    expect(missing.errors).toContainEqual({ field: "/body/role", message: "is required" });
    expectProblem(await post({ name: 5, role: "viewer" }), 400, "validation_failed");
    expectProblem(await post("{not json"), 400, "malformed_json");
    expectProblem(
      await post('{"__proto__": {"x": 1}, "name": "a", "role": "viewer"}'),
      400,
      "malformed_json",
    );
    const bad = Buffer.concat([
      Buffer.from('{"name":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('","role":"viewer"}'),
    ]);
    expectProblem(
      await t.app.inject({
        method: "POST",
        url: "/v1/api-keys",
        headers: { ...tenant.auth, "content-type": "application/json" },
        payload: bad,
      }),
      400,
      "invalid_encoding",
    );
    expectProblem(
      await post({ name: "x".repeat(1024 * 1024 + 10), role: "viewer" }),
      413,
      "payload_too_large",
    );
    const keys = await t.database.owner
      .selectFrom("api_keys")
      .select("name")
      .where("tenant_id", "=", tenant.tenantId)
      .execute();
    expect(keys.map((k) => k.name)).not.toContain("x");
  });

  it.each([
    ["a member", "/v1/members", (unit: string) => ({ name: "Late", org_unit_id: unit }), "members"],
    [
      "a user",
      "/v1/users",
      (unit: string) => ({
        email: `late-${unit}@example.com`,
        name: "Late",
        password: "correct horse battery staple 1",
        role: "operator",
        org_unit_id: unit,
      }),
      "users",
    ],
  ] as const)(
    "%s created in an org unit a delete removes meanwhile is org_unit_not_found, with nothing written",
    async (_what, url, body, table) => {
      const root = { id: tenant.rootOrgUnitId, path: `/${tenant.rootOrgUnitId}/` };
      const unit = await createTestOrgUnit(t, tenant.tenantId, root, "store", `Doomed ${table}`);
      let creating: Promise<LightMyRequestResponse> | undefined;
      await t.database.owner.transaction().execute(async (trx) => {
        await trx
          .deleteFrom("org_units")
          .where("tenant_id", "=", tenant.tenantId)
          .where("id", "=", unit.id)
          .execute();
        // The create finds the unit (the delete is not committed), then its insert waits for the
        // delete's row lock; the delete commits once it waits.
        creating = t.app.inject({ method: "POST", url, headers: tenant.auth, payload: body(unit.id) });
        await waitFor(() => someoneWaitsForALock(t), "the create to wait for the delete");
      });
      expectProblem(await creating!, 404, "org_unit_not_found");
      const written = await t.database.owner
        .selectFrom(table)
        .select("id")
        .where("tenant_id", "=", tenant.tenantId)
        .where("org_unit_id", "=", unit.id)
        .execute();
      expect(written).toEqual([]);
    },
  );
});

describe("roles and scopes", () => {
  it("a viewer cannot manage keys; an org-bound admin sees only its subtree", async () => {
    const viewer = await createTestKey(t, tenant.tenantId, "viewer");
    expectProblem(await t.app.inject({ url: "/v1/api-keys", headers: viewer.auth }), 403, "forbidden");

    const root = await t.database.owner
      .selectFrom("org_units")
      .select(["id", "path"])
      .where("tenant_id", "=", tenant.tenantId)
      .executeTakeFirstOrThrow();
    const east = await createTestOrgUnit(t, tenant.tenantId, root, "distributor", "East");
    const west = await createTestOrgUnit(t, tenant.tenantId, root, "distributor", "West");
    const eastAdmin = await createTestKey(t, tenant.tenantId, "admin", east.id);
    const westKey = await createTestKey(t, tenant.tenantId, "viewer", west.id);
    const list = json<{ data: { id: string }[] }>(
      await t.app.inject({ url: "/v1/api-keys?limit=100", headers: eastAdmin.auth }),
    );
    expect(list.data.map((k) => k.id)).toContain(eastAdmin.id);
    expect(list.data.map((k) => k.id)).not.toContain(westKey.id);
    expectProblem(
      await t.app.inject({ url: `/v1/api-keys/${westKey.id}`, headers: eastAdmin.auth }),
      404,
      "api_key_not_found",
    );
    expectProblem(
      await t.app.inject({
        method: "POST",
        url: `/v1/api-keys/${westKey.id}/revoke`,
        headers: eastAdmin.auth,
      }),
      404,
      "api_key_not_found",
    );
    // Cannot mint a key for a unit outside its subtree, nor an owner key.
    expectProblem(
      await t.app.inject({
        method: "POST",
        url: "/v1/api-keys",
        headers: eastAdmin.auth,
        payload: { name: "w", role: "viewer", org_unit_id: west.id },
      }),
      404,
      "org_unit_not_found",
    );
    expectProblem(
      await t.app.inject({
        method: "POST",
        url: "/v1/api-keys",
        headers: eastAdmin.auth,
        payload: { name: "o", role: "owner" },
      }),
      403,
      "forbidden",
    );
    // A key it creates without a unit inherits its own unit.
    const child = json<{ org_unit_id: string }>(
      await t.app.inject({
        method: "POST",
        url: "/v1/api-keys",
        headers: eastAdmin.auth,
        payload: { name: "c", role: "viewer" },
      }),
    );
    expect(child.org_unit_id).toBe(east.id);
  });

  it("only an owner revokes an owner key", async () => {
    const admin = await createTestKey(t, tenant.tenantId, "admin");
    const owner = await createTestKey(t, tenant.tenantId, "owner");
    expectProblem(
      await t.app.inject({ method: "POST", url: `/v1/api-keys/${owner.id}/revoke`, headers: admin.auth }),
      403,
      "forbidden",
    );
    expect((await t.app.inject({ url: "/v1/tenant", headers: owner.auth })).statusCode).toBe(200);
    const admin2 = await createTestKey(t, tenant.tenantId, "admin");
    const revoked = await t.app.inject({
      method: "POST",
      url: `/v1/api-keys/${admin2.id}/revoke`,
      headers: admin.auth,
    });
    expect(revoked.statusCode, revoked.body).toBe(200);
    const byOwner = await t.app.inject({
      method: "POST",
      url: `/v1/api-keys/${owner.id}/revoke`,
      headers: tenant.auth,
    });
    expect(byOwner.statusCode, byOwner.body).toBe(200);
  });

  it("a tenant's time zone is stored in its canonical spelling; one PostgreSQL does not know is refused", async () => {
    const zoned = await createTestTenant(t, "Zoned");
    const patch = (timezone: string) =>
      t.app.inject({ method: "PATCH", url: "/v1/tenant", headers: zoned.auth, payload: { timezone } });
    expect(json<{ timezone: string }>(await patch("asia/tokyo")).timezone).toBe("Asia/Tokyo");
    expect(json<{ timezone: string }>(await patch("Asia/Kolkata")).timezone).toBe("Asia/Kolkata");
    // Node's zone data knows this retired name; PostgreSQL's does not, and every report that
    // works out local days in SQL would fail once it was stored.
    expect(canonicalTimezone("US/Pacific-New")).toBeDefined();
    const refused = expectProblem(await patch("US/Pacific-New"), 400, "validation_failed");
    expect(refused.errors).toContainEqual({ field: "/body/timezone", message: "is not an IANA time zone" });
    expectProblem(await patch("Mars/Olympus_Mons"), 400, "validation_failed");
    const after = json<{ timezone: string }>(await t.app.inject({ url: "/v1/tenant", headers: zoned.auth }));
    expect(after.timezone).toBe("Asia/Kolkata");
    expect(
      (await t.app.inject({ url: "/v1/wallet-daily-totals?days=3", headers: zoned.auth })).statusCode,
    ).toBe(200);
  });

  it("another tenant's ids answer 404", async () => {
    const other = await createTestTenant(t, "Other");
    const foreign = await createTestKey(t, other.tenantId, "viewer");
    expectProblem(
      await t.app.inject({ url: `/v1/api-keys/${foreign.id}`, headers: tenant.auth }),
      404,
      "api_key_not_found",
    );
    expectProblem(
      await t.app.inject({ method: "POST", url: `/v1/api-keys/${foreign.id}/revoke`, headers: tenant.auth }),
      404,
      "api_key_not_found",
    );
    const row = await t.database.owner
      .selectFrom("api_keys")
      .select("revoked_at")
      .where("id", "=", foreign.id)
      .executeTakeFirstOrThrow();
    expect(row.revoked_at).toBeNull();
  });
});

describe("idempotency", () => {
  const create = (key: string, name: string) =>
    t.app.inject({
      method: "POST",
      url: "/v1/api-keys",
      headers: { ...tenant.auth, "idempotency-key": key },
      payload: { name, role: "viewer" },
    });

  it("replays the first response for the same key and body", async () => {
    const first = await create("idem-1", "replayed");
    expect(first.statusCode).toBe(201);
    const second = await create("idem-1", "replayed");
    expect(second.statusCode).toBe(201);
    expect(second.headers["idempotent-replayed"]).toBe("true");
    expect(json(second)).toEqual(json(first));
    const rows = await t.database.owner
      .selectFrom("api_keys")
      .select("id")
      .where("name", "=", "replayed")
      .execute();
    expect(rows).toHaveLength(1);
  });

  it("refuses the same key with a different body", async () => {
    await create("idem-2", "first body");
    expectProblem(await create("idem-2", "second body"), 422, "idempotency_key_reused");
    const rows = await t.database.owner
      .selectFrom("api_keys")
      .select("id")
      .where("name", "=", "second body")
      .execute();
    expect(rows).toHaveLength(0);
  });

  it("answers 409 while the first request with the key is still running", async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => create("idem-3", "concurrent")));
    const statuses = results.map((r) => r.statusCode).sort();
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    for (const r of results) {
      if (r.statusCode !== 201) expectProblem(r, 409, "idempotency_request_in_progress");
      else if (r.headers["idempotent-replayed"] !== "true") expect(json(r).name).toBe("concurrent");
    }
    expect(statuses).toContain(409);
    const rows = await t.database.owner
      .selectFrom("api_keys")
      .select("id")
      .where("name", "=", "concurrent")
      .execute();
    expect(rows).toHaveLength(1);
  });

  it("rejects an over-long key", async () => {
    expectProblem(await create("k".repeat(256), "long"), 400, "validation_failed");
  });
});

describe("revoking a key while it is in use", () => {
  it("refuses the key once the revocation has committed, though it authenticated while that was open", async () => {
    const key = await createTestKey(t, tenant.tenantId, "admin");
    const use = () => t.app.inject({ url: "/v1/api-keys", headers: key.auth });
    expect((await use()).statusCode).toBe(200);

    // The revocation is held open after it has marked the key: its audit event waits for this lock.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const holder = t.database.owner.transaction().execute(async (trx) => {
      await sql`lock table audit_events in exclusive mode`.execute(trx);
      locked();
      await gate;
    });
    await isLocked;
    const revoking = t.app.inject({
      method: "POST",
      url: `/v1/api-keys/${key.id}/revoke`,
      headers: tenant.auth,
    });
    await waitFor(() => someoneWaitsForALock(t), "the revocation to wait for the audit lock");
    // Not revoked yet, as far as anyone else can see.
    expect((await use()).statusCode).toBe(200);
    release();
    await holder;
    expect((await revoking).statusCode).toBe(200);

    expectProblem(await use(), 401, "unauthenticated");
  });
});

describe("audit", () => {
  it("records key creation and revocation with the actor", async () => {
    const created = json<{ id: string }>(await create2());
    await t.app.inject({ method: "POST", url: `/v1/api-keys/${created.id}/revoke`, headers: tenant.auth });
    const events = await t.database.owner
      .selectFrom("audit_events")
      .selectAll()
      .where("target_id", "=", created.id)
      .orderBy("id")
      .execute();
    expect(events.map((e) => e.action)).toEqual(["api_key.created", "api_key.revoked"]);
    expect(events[0]).toMatchObject({
      actor_type: "api_key",
      actor_id: tenant.apiKey.record.id,
      actor_role: "owner",
      tenant_id: tenant.tenantId,
    });
    expect(events[0]!.request_id).toBeTruthy();
  });
  const create2 = () =>
    t.app.inject({
      method: "POST",
      url: "/v1/api-keys",
      headers: tenant.auth,
      payload: { name: "audited", role: "viewer" },
    });
});

describe("OpenAPI webhooks", () => {
  it("documents every registered event type as a webhook with its payload", async () => {
    const doc = json<{ webhooks?: Record<string, { post: { requestBody: unknown } }> }>(
      await t.app.inject({ url: "/openapi.json" }),
    );
    const types = json<{ data: { type: string }[] }>(
      await t.app.inject({ url: "/v1/event-types", headers: tenant.auth }),
    );
    expect(types.data.length).toBeGreaterThan(0);
    for (const { type } of types.data) expect(doc.webhooks?.[type]?.post.requestBody, type).toBeTruthy();
  });
});
