import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, createTestTenant, json, type TestApp } from "../../test/helpers/app.js";
import { verifyTenants } from "./queries.js";

/** `vouchsafe verify-ledger` over every tenant: one broken tenant is reported, the rest still checked. */
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

async function tenantWithBalance(name: string) {
  const tenant = await createTestTenant(t, name);
  const member = json<{ id: string }>(
    await t.app.inject({ method: "POST", url: "/v1/members", headers: tenant.auth, payload: { name: "M" } }),
  );
  const top = await t.app.inject({
    method: "POST",
    url: `/v1/members/${member.id}/top-ups`,
    headers: tenant.auth,
    payload: { amount: 500, reason: "cash" },
  });
  expect(top.statusCode, top.body).toBe(201);
  return tenant.tenantId;
}

describe("verifying every tenant's ledger", () => {
  it("reports a tenant whose balances disagree with its journal and goes on to check the next", async () => {
    const broken = await tenantWithBalance("Broken");
    const sound = await tenantWithBalance("Sound");
    // A balance changed behind the ledger's back (what verify exists to catch).
    const tampered = await t.database.owner
      .updateTable("ledger_accounts")
      .set((eb) => ({ credits_posted: eb("credits_posted", "+", 1) }))
      .where("tenant_id", "=", broken)
      .where("credits_posted", ">", 0)
      .returning("id")
      .execute();
    expect(tampered.length).toBeGreaterThan(0);

    const reports = await verifyTenants(t.deps.db, [broken, sound]);
    expect(reports.map((r) => [r.tenant_id, r.ok])).toEqual([
      [broken, false],
      [sound, true],
    ]);
    expect(reports[0]!.differences.map((d) => d.account_id).sort()).toEqual(tampered.map((a) => a.id).sort());
    expect(reports[1]!.accounts_checked).toBeGreaterThan(0);
    expect(reports[1]!.error).toBeNull();
  });
});
