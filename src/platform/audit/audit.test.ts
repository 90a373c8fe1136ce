import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestKey,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";

let t: TestApp;
let tenant: TestTenant;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
});
afterAll(async () => t?.close());

interface Event {
  id: string;
  actor_id: string;
  actor_type: string;
  actor_label: string | null;
  action: string;
  target_type: string;
  target_id: string;
  created_at: string;
}
interface Page {
  data: Event[];
  has_more: boolean;
}

async function unit(parentId: string, name: string, headers: Record<string, string> = tenant.auth) {
  const response = await t.app.inject({
    method: "POST",
    url: "/v1/org-units",
    headers,
    payload: { parent_id: parentId, kind: "reseller", name },
  });
  expect(response.statusCode, response.body).toBe(201);
  return json<{ id: string }>(response);
}

const list = async (query: string, headers: Record<string, string> = tenant.auth) => {
  const response = await t.app.inject({ url: `/v1/audit-events?${query}`, headers });
  expect(response.statusCode, response.body).toBe(200);
  return json<Page>(response);
};

describe("GET /v1/audit-events", () => {
  it("filters by actor, action, target and time, newest first, with cursor pages", async () => {
    const start = t.clock.now().toISOString();
    const east = await unit(tenant.rootOrgUnitId, "East");
    t.clock.advanceMinutes(10);
    const middle = t.clock.now().toISOString();
    const west = await unit(tenant.rootOrgUnitId, "West");
    const admin = await createTestKey(t, tenant.tenantId, "admin");
    t.clock.advanceMinutes(10);
    await t.app.inject({
      method: "PATCH",
      url: `/v1/org-units/${west.id}`,
      headers: admin.auth,
      payload: { name: "West 2" },
    });

    const all = await list("limit=100");
    expect(all.data.map((e) => e.action)).toEqual([
      "org_unit.updated",
      "org_unit.created",
      "org_unit.created",
    ]);
    expect(all.data[0]).toMatchObject({
      object: "audit_event",
      actor_type: "api_key",
      actor_id: admin.id,
      actor_role: "admin",
      target_type: "org_unit",
      target_id: west.id,
      summary: { before: { name: "West" }, after: { name: "West 2" } },
    });
    expect((await list(`actor_id=${admin.id}`)).data.map((e) => e.target_id)).toEqual([west.id]);
    expect((await list(`actor_id=${tenant.apiKey.record.id}`)).data).toHaveLength(2);
    expect((await list("actor_type=user")).data).toHaveLength(0);
    expect((await list("action=org_unit.created")).data.map((e) => e.target_id)).toEqual([west.id, east.id]);
    expect((await list(`target_type=org_unit&target_id=${east.id}`)).data.map((e) => e.action)).toEqual([
      "org_unit.created",
    ]);
    expect((await list(`created_gte=${start}&created_lt=${middle}`)).data.map((e) => e.target_id)).toEqual([
      east.id,
    ]);
    expect((await list(`created_gte=${middle}`)).data).toHaveLength(2);

    const first = await list("limit=2");
    expect(first.has_more).toBe(true);
    const second = await list(`limit=2&starting_after=${first.data[1]!.id}`);
    expect(second.has_more).toBe(false);
    expect([...first.data, ...second.data].map((e) => e.id)).toEqual(all.data.map((e) => e.id));

    const bad = await t.app.inject({ url: "/v1/audit-events?created_gte=yesterday", headers: tenant.auth });
    expect(bad.statusCode).toBe(400);
    expect(json(bad)).toMatchObject({ code: "validation_failed" });
  });

  it("names each actor for people: a user by email, an API key by name", async () => {
    const created = await t.app.inject({
      method: "POST",
      url: "/v1/users",
      headers: tenant.auth,
      payload: {
        email: "Label.Reader@example.com",
        name: "Label Reader",
        password: "correct horse 12",
        role: "admin",
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const user = json<{ id: string; email: string }>(created);
    const signedIn = await t.app.inject({
      method: "POST",
      url: "/v1/sessions",
      payload: { tenant_id: tenant.tenantId, email: user.email, password: "correct horse 12" },
    });
    expect(signedIn.statusCode, signedIn.body).toBe(201);

    const byUser = (await list(`actor_id=${user.id}`)).data;
    expect(byUser.length).toBeGreaterThan(0);
    expect(byUser.every((e) => e.actor_label === user.email)).toBe(true);
    const byKey = (await list(`actor_id=${tenant.apiKey.record.id}&action=user.created`)).data;
    expect(byKey.map((e) => e.actor_label)).toEqual([tenant.apiKey.record.name]);
  });

  it("a scoped actor sees its own events and its subtree's actors' only; viewers and other tenants none", async () => {
    const north = await unit(tenant.rootOrgUnitId, "North");
    const south = await unit(tenant.rootOrgUnitId, "South");
    const northAdmin = await createTestKey(t, tenant.tenantId, "admin", north.id);
    const child = await unit(north.id, "North child", northAdmin.auth);
    const childAdmin = await createTestKey(t, tenant.tenantId, "admin", child.id);
    const southAdmin = await createTestKey(t, tenant.tenantId, "admin", south.id);
    const grandchild = await unit(child.id, "Grandchild", childAdmin.auth);
    await unit(south.id, "South child", southAdmin.auth);

    const seen = await list("limit=100", northAdmin.auth);
    expect(seen.data.map((e) => e.target_id).sort()).toEqual([child.id, grandchild.id].sort());
    expect(new Set(seen.data.map((e) => e.actor_id))).toEqual(new Set([northAdmin.id, childAdmin.id]));
    const childSees = await list("limit=100", childAdmin.auth);
    expect(childSees.data.map((e) => e.target_id)).toEqual([grandchild.id]);

    const viewer = await createTestKey(t, tenant.tenantId, "viewer");
    const refused = await t.app.inject({ url: "/v1/audit-events", headers: viewer.auth });
    expect(refused.statusCode).toBe(403);

    const other = await createTestTenant(t, "Other");
    expect((await list("limit=100", other.auth)).data).toEqual([]);
    expect((await list(`target_id=${north.id}`, other.auth)).data).toEqual([]);
  });
});
