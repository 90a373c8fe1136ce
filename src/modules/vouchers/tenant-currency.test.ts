import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, createTestTenant, json, type TestApp } from "../../../test/helpers/app.js";
import { createVoucherTree } from "../../../test/helpers/vouchers.js";
import { findAsset } from "../../ledger/index.js";
import { createTenant } from "../../platform/tenants.js";

/** Seed 002: a fresh tenant's distributor allocates quota in the tenant's own currency at once. */
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

describe("the tenant's currency exists from tenant creation", () => {
  it("a distributor's first CNY quota allocation on a fresh tenant just works", async () => {
    const tenant = await createTestTenant(t, "Fresh");
    const tree = await createVoucherTree(t, tenant);
    const adjust = await t.app.inject({
      method: "POST",
      url: "/v1/voucher-quotas/adjustments",
      headers: tree.keys.distributor,
      payload: { reseller_id: tree.reseller1.id, asset: "CNY", delta: 500_000, reason: "first quota" },
    });
    expect(adjust.statusCode, adjust.body).toBe(200);
    const quotas = json<{ data: { reseller_id: string; allocated: number }[] }>(
      await t.app.inject({
        url: `/v1/voucher-quotas?reseller_id=${tree.reseller1.id}`,
        headers: tenant.auth,
      }),
    );
    expect(quotas.data[0]).toMatchObject({ reseller_id: tree.reseller1.id, allocated: 500_000 });
    const assets = json<{ data: { code: string; scale: number }[] }>(
      await t.app.inject({ url: "/v1/ledger/assets", headers: tenant.auth }),
    );
    expect(assets.data).toEqual([expect.objectContaining({ code: "CNY", scale: 2 })]);
  });

  it("another default currency is set up in its own minor unit", async () => {
    const created = await createTenant(t.deps.db, { name: "Yen", defaultCurrency: "JPY" }, t.clock.now());
    const asset = await t.deps.db.tenantTx(created.tenantId, (trx) =>
      findAsset(trx, created.tenantId, "JPY"),
    );
    expect(asset).toMatchObject({ code: "JPY", scale: 0, name: "Japanese Yen" });
  });
});
