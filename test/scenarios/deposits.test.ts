import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, createTestTenant, type TestApp } from "../helpers/app.js";
import {
  accountOf,
  bankRecord,
  call,
  createMerchant,
  type DepositWorld,
  depositWorld,
  expectCode,
  ok,
  openConfigured,
} from "../helpers/deposits.js";

/**
 * The README's worked example: Acme opens a deposit account, is activated by its first wire,
 * runs an instalment campaign, falls below 1,000.00 (campaigns suspended), runs into arrears,
 * and is brought back by the next wire (arrears repaid first, campaigns resumed). Every number
 * is checked on the account page and the webhook events.
 */
let t: TestApp;
let w: DepositWorld;

beforeAll(async () => {
  t = await createTestApp();
  w = await depositWorld(t, await createTestTenant(t));
});
afterAll(async () => t?.close());

describe("a merchant's prepaid deposit account", () => {
  it("opens, activates, suspends, owes and recovers", async () => {
    const m = await createMerchant(w, "Acme Ltd");
    const id = await openConfigured(w, m, { warning_value: 500_000, emails: ["fin@acme.example"] });
    expect((await accountOf(w, m.auth, id)).status).toBe("pending_activation");

    const wire = async (amount: number) => {
      const topup = ok<{ reference: string }>(
        await call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/topups`, { amount }),
        201,
      );
      return bankRecord(w, { payer_name: "Acme Ltd", amount, reference: topup.reference });
    };
    expect((await wire(300_000)).status).toBe("matched");
    expect(await accountOf(w, m.auth, id)).toMatchObject({ status: "active", available: 300_000 });

    const campaign = ok<{ id: string }>(
      await call(w, m.auth, "POST", "/v1/deposit-campaigns", {
        merchant_id: m.id,
        name: "12 instalments interest-free",
        starts_at: t.clock.now().toISOString(),
        ends_at: new Date(t.clock.now().getTime() + 30 * 86_400_000).toISOString(),
      }),
      201,
    );
    const freeze = (order: string, amount: number) =>
      call(w, w.tenant.auth, "POST", `/v1/deposit-accounts/${id}/freezes`, {
        order_id: order,
        amount,
        campaign_id: campaign.id,
      });
    ok(await freeze("A", 250_000), 201);
    expect(await accountOf(w, m.auth, id)).toMatchObject({ available: 50_000, campaigns_suspended: true });
    ok(await freeze("B", 80_000), 201);
    expect(await accountOf(w, m.auth, id)).toMatchObject({ available: 0, frozen: 300_000, arrears: 30_000 });
    expectCode(
      await call(w, m.auth, "POST", `/v1/deposit-accounts/${id}/withdrawals`, { amount: 1 }),
      409,
      "account_in_arrears",
    );
    ok(await call(w, w.tenant.auth, "POST", `/v1/deposit-accounts/${id}/orders/B/settle`, {}));

    expect((await wire(300_000)).status).toBe("matched");
    expect(await accountOf(w, m.auth, id)).toMatchObject({
      available: 270_000,
      frozen: 250_000,
      arrears: 0,
      campaigns_suspended: false,
      total_topped_up: 600_000,
      total_settled: 80_000,
    });
    const campaigns = ok<{ data: { status: string }[] }>(
      await call(w, m.auth, "GET", `/v1/deposit-campaigns?merchant_id=${m.id}`),
    );
    expect(campaigns.data.map((c) => c.status)).toEqual(["running"]);

    const events = await t.deps.db.tenantTx(w.tenant.tenantId, (trx) =>
      trx.selectFrom("events").select("type").where("type", "like", "deposit.%").orderBy("id").execute(),
    );
    expect(events.map((e) => e.type)).toEqual([
      "deposit.activated",
      "deposit.topped_up",
      // The campaign runs from its creation: its start is announced once.
      "deposit.campaign_started",
      "deposit.campaigns_suspended",
      "deposit.arrears_recorded",
      "deposit.topped_up",
      "deposit.campaigns_resumed",
    ]);
  });
});
