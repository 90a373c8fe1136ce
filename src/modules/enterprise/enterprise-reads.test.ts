import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestKey,
  createTestOrgUnit,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { createAsset } from "../../ledger/index.js";

let t: TestApp;
let tenant: TestTenant;
type Unit = { id: string; path: string };
let enterprise: Unit;
let other: Unit;
let member: Unit;
let keys: Record<"owner" | "master" | "other", Record<string, string>>;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
  await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
    createAsset(trx, tenant.tenantId, { code: "GB", scale: 0, name: "Gigabyte" }, t.clock.now()),
  );
  const root = { id: tenant.rootOrgUnitId, path: `/${tenant.rootOrgUnitId}/` };
  enterprise = await createTestOrgUnit(t, tenant.tenantId, root, "enterprise", "Master");
  other = await createTestOrgUnit(t, tenant.tenantId, root, "enterprise", "Other master");
  member = await createTestOrgUnit(t, tenant.tenantId, enterprise, "member_account", "M1");
  keys = {
    owner: tenant.auth,
    master: (await createTestKey(t, tenant.tenantId, "operator", enterprise.id)).auth,
    other: (await createTestKey(t, tenant.tenantId, "operator", other.id)).auth,
  };
});
afterAll(async () => t?.close());

const get = (url: string, headers: Record<string, string>) => t.app.inject({ url, headers });
const post = (url: string, headers: Record<string, string>, payload: object) =>
  t.app.inject({ method: "POST", url, headers, payload });
const days = (n: number) => new Date(t.clock.now().getTime() + n * 86_400_000).toISOString();

describe("what the Enterprise Center reads", () => {
  it("the global sharing switch reads as last set (off before any change), in scope only", async () => {
    const read = async () =>
      json<{ enabled: boolean }>(await get(`/v1/enterprises/${enterprise.id}/sharing`, keys.master));
    expect((await read()).enabled).toBe(false);
    await post(`/v1/enterprises/${enterprise.id}/sharing`, keys.master, { enabled: true });
    expect(await read()).toEqual({
      object: "enterprise_sharing",
      enterprise_id: enterprise.id,
      enabled: true,
    });
    expectProblem(
      await get(`/v1/enterprises/${enterprise.id}/sharing`, keys.other),
      404,
      "enterprise_not_found",
    );
  });

  it("lists the master's own packages with what each has left after usage", async () => {
    const grant = async (owner: Unit, quantity: number, startsIn: number) =>
      json<{ id: string }>(
        await post("/v1/resource-packages", keys.owner, {
          owner_id: owner.id,
          product_code: "cos",
          unit: "GB",
          quantity,
          starts_at: days(startsIn),
          expires_at: days(30),
        }),
      );
    const now = await grant(enterprise, 100, 0);
    const later = await grant(enterprise, 40, 5);
    await grant(member, 10, 0); // a member's own package is not the master's
    await post(`/v1/enterprises/${enterprise.id}/members`, keys.master, { member_id: member.id });
    const usage = await post("/v1/resource-usages", keys.owner, {
      usage_id: "u-reads-1",
      account_id: member.id,
      product_code: "cos",
      unit: "GB",
      quantity: 25,
    });
    expect(usage.statusCode, usage.body).toBe(200);
    type Holding = { id: string; total_quantity: number; remaining_quantity: number; active: boolean };
    const list = json<{ data: Holding[] }>(
      await get(`/v1/enterprises/${enterprise.id}/resource-packages`, keys.master),
    );
    const byId = new Map(list.data.map((p) => [p.id, p]));
    expect(list.data).toHaveLength(2);
    // 25 used: the member's own 10 first, then 15 from the master's package that has started.
    expect(byId.get(now.id)).toMatchObject({ total_quantity: 100, remaining_quantity: 85, active: true });
    expect(byId.get(later.id)).toMatchObject({ total_quantity: 40, remaining_quantity: 40, active: false });
    const active = json<{ data: Holding[] }>(
      await get(`/v1/enterprises/${enterprise.id}/resource-packages?active=true`, keys.master),
    );
    expect(active.data.map((p) => p.id)).toEqual([now.id]);
    expectProblem(
      await get(`/v1/enterprises/${enterprise.id}/resource-packages`, keys.other),
      404,
      "enterprise_not_found",
    );
  });
});
