import type { LightMyRequestResponse } from "fastify";
import { expect } from "vitest";
import { createTestKey, createTestOrgUnit, type TestApp, type TestTenant } from "./app.js";

/**
 * The voucher hierarchy: a distributor with two resellers, each with customers, and a
 * key bound to each level (plus the tenant owner's key).
 */
export async function createVoucherTree(t: TestApp, tenant: TestTenant) {
  const root = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
    trx
      .selectFrom("org_units")
      .select(["id", "path"])
      .where("id", "=", tenant.rootOrgUnitId)
      .executeTakeFirstOrThrow(),
  );
  const distributor = await createTestOrgUnit(t, tenant.tenantId, root, "distributor", "Distributor");
  const reseller1 = await createTestOrgUnit(t, tenant.tenantId, distributor, "reseller", "Reseller one");
  const reseller2 = await createTestOrgUnit(t, tenant.tenantId, distributor, "reseller", "Reseller two");
  const customer1a = await createTestOrgUnit(t, tenant.tenantId, reseller1, "customer", "Customer 1a");
  const customer1b = await createTestOrgUnit(t, tenant.tenantId, reseller1, "customer", "Customer 1b");
  const customer2 = await createTestOrgUnit(t, tenant.tenantId, reseller2, "customer", "Customer 2");
  const keys = {
    owner: tenant.auth,
    distributor: (await createTestKey(t, tenant.tenantId, "operator", distributor.id)).auth,
    reseller1: (await createTestKey(t, tenant.tenantId, "operator", reseller1.id)).auth,
    reseller2: (await createTestKey(t, tenant.tenantId, "operator", reseller2.id)).auth,
  };
  return { root, distributor, reseller1, reseller2, customer1a, customer1b, customer2, keys };
}
export type VoucherTree = Awaited<ReturnType<typeof createVoucherTree>>;

export async function memberAuth(t: TestApp, tenant: TestTenant, memberId: string) {
  const response = await t.app.inject({
    method: "POST",
    url: "/v1/member-tokens",
    headers: tenant.auth,
    payload: { member_id: memberId },
  });
  expect(response.statusCode).toBe(201);
  return { authorization: `Bearer ${(JSON.parse(response.body) as { token: string }).token}` };
}

export function expectCode(response: LightMyRequestResponse, status: number, code: string) {
  if (response.statusCode !== status)
    throw new Error(`expected ${status} ${code}, got ${response.statusCode} ${response.body}`);
  expect(String(response.headers["content-type"])).toContain("application/problem+json");
  expect(JSON.parse(response.body).code).toBe(code);
}

/** A test app with the ledger (group commit on); the tenant's CNY asset comes with the tenant. */
export async function createVoucherApp() {
  const { createTestApp, createTestTenant } = await import("./app.js");
  const t = await createTestApp();
  const tenant = await createTestTenant(t);
  const tree = await createVoucherTree(t, tenant);
  return { t, tenant, tree };
}
