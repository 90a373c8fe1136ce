import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestKey,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { type ActivityBody, type giftCardClient, giftCardTenant } from "../../../test/helpers/giftcards.js";
import { someoneWaitsForALock } from "../../../test/helpers/last-place.js";
import { waitFor } from "../../../test/helpers/wait.js";
import { createAsset, Ledger, verifyLedger } from "../../ledger/index.js";
import { giftCardAccountIds as ids } from "./index.js";

/**
 * ACIDRain's gift-card overspend, tried here: many clients spend, refund and cash out one
 * card at the same time, through the HTTP API, with the ledger's group commit on (units of
 * one tenant share a transaction) and off (each request its own transaction and row locks).
 */
describe.each([
  { batching: true, label: "group commit" },
  { batching: false, label: "one transaction per request" },
])("concurrent use of one card ($label)", ({ batching }) => {
  let t: TestApp;
  let tenant: TestTenant;
  let gc: ReturnType<typeof giftCardClient>;
  let planId: string;
  let clients: { authorization: string }[];

  beforeAll(async () => {
    t = await createTestApp({
      extend: (base) => ({ ledger: new Ledger(base.db, { clock: base.clock, batching }) }),
    });
    ({ tenant, gc } = await giftCardTenant(t));
    planId = await gc.activePlan();
    clients = [];
    for (let i = 0; i < 4; i++) clients.push((await createTestKey(t, tenant.tenantId, "operator")).auth);
  });
  afterAll(async () => t?.close());

  /** 200 different amounts between 50 and 249: together far more than the card holds. */
  const amounts = Array.from({ length: 200 }, (_, i) => 50 + ((i * 37) % 200));

  it("200 redemptions by different clients never overspend it; the successes add up to the balance drop", async () => {
    const { card } = await gc.sell(planId, 20000);
    const settled = await gc.posted(ids.settlement("CNY"));
    const responses = await Promise.all(
      amounts.map((amount, i) =>
        gc.call(
          "POST",
          `/v1/gift-cards/${card.id}/redeem`,
          { amount },
          clients[i % clients.length],
          `redeem-${i}`,
        ),
      ),
    );
    const succeeded = responses.filter((r) => r.statusCode === 201).map((r) => json<ActivityBody>(r));
    for (const r of responses.filter((r) => r.statusCode !== 201)) {
      expect(r.statusCode, r.body).toBe(422);
      expect(json<{ code: string }>(r).code).toBe("gift_card_balance_insufficient");
    }
    const spent = succeeded.reduce((s, a) => s + a.amount, 0);
    const after = await gc.card(card.id);
    expect(after.balance).toBeGreaterThanOrEqual(0);
    expect(spent).toBe(20000 - after.balance);
    expect((await gc.posted(ids.settlement("CNY"))).credits - settled.credits).toBe(spent);
    expect(await gc.posted(ids.card(card.id))).toEqual({ debits: spent, credits: 20000 });
    // Every refused amount was more than what was left when its turn came: nothing fitting was refused.
    const smallestRefused = Math.min(
      ...amounts.filter((_, i) => responses[i]!.statusCode !== 201),
      Number.POSITIVE_INFINITY,
    );
    expect(after.balance).toBeLessThan(smallestRefused);
    // Each success saw the balance the one before it left: the balances after form one chain.
    const chain = succeeded.map((a) => a.balance_after + a.amount).sort((x, y) => y - x);
    expect(chain[0]).toBe(20000);
    const afters = new Set(succeeded.map((a) => a.balance_after));
    for (const start of chain.slice(1)) expect(afters.has(start)).toBe(true);
  });

  it("200 refunds of one redemption never give back more than it was; the successes add up to the rise", async () => {
    const { card } = await gc.sell(planId, 20000);
    const spent = await gc.ok<ActivityBody>("POST", `/v1/gift-cards/${card.id}/redeem`, { amount: 10000 });
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        gc.call(
          "POST",
          `/v1/gift-card-activities/${spent.id}/refund`,
          { amount: 73, reference: { module: "pos", id: `return-${i}` } },
          clients[i % clients.length],
          `refund-${i}`,
        ),
      ),
    );
    const ok = responses.filter((r) => r.statusCode === 201);
    for (const r of responses.filter((r) => r.statusCode !== 201)) {
      expect(json<{ code: string }>(r).code).toBe("gift_card_refund_exceeds_redemption");
    }
    expect(ok).toHaveLength(Math.floor(10000 / 73)); // 136 × 73 = 9928 ≤ 10000 < 137 × 73
    const after = await gc.card(card.id);
    expect(after.balance - 10000).toBe(ok.length * 73);
  });

  it("20 refunds of one card at once: one pays back, the others are refused", async () => {
    const { card } = await gc.sell(planId, 20000);
    const issued = await gc.posted(ids.issuance("CNY"));
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        gc.call("POST", `/v1/gift-cards/${card.id}/refund`, {}, clients[i % clients.length], `cash-out-${i}`),
      ),
    );
    expect(responses.filter((r) => r.statusCode === 200)).toHaveLength(1);
    for (const r of responses.filter((r) => r.statusCode !== 200)) {
      expect(json<{ code: string }>(r).code).toBe("gift_card_not_active");
    }
    expect((await gc.posted(ids.issuance("CNY"))).credits - issued.credits).toBe(18000);
    expect(await gc.card(card.id)).toMatchObject({ status: "refunded", balance: 0 });
  });

  it("leaves the ledger verified", async () => {
    const report = await verifyLedger(t.deps.db, tenant.tenantId);
    expect(report.differences).toEqual([]);
    expect(report.flag_violations).toEqual([]);
    expect(report.ok).toBe(true);
  });
});

describe("a plan's currency changed while its first card is sold", () => {
  it("the card is sold in the currency the plan has once the change is in", async () => {
    const t = await createTestApp();
    try {
      const { tenant, gc } = await giftCardTenant(t);
      await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
        createAsset(trx, tenant.tenantId, { code: "USD", scale: 2, name: "Dollar" }, t.clock.now()),
      );
      const planId = await gc.activePlan();
      let selling: ReturnType<typeof gc.call> | undefined;
      // A change of the currency, as the plan's update makes it once it found no card: the
      // plan locked, then changed; the sale starts meanwhile and commits after it.
      await t.deps.db.tenantTx(tenant.tenantId, async (trx) => {
        await trx.selectFrom("gift_card_plans").select("id").where("id", "=", planId).forUpdate().execute();
        selling = gc.call("POST", "/v1/gift-cards", {
          plan_id: planId,
          amount: 10000,
          payment: { method: "offline", ref: "receipt" },
        });
        await waitFor(() => someoneWaitsForALock(t), "the sale to wait for the plan");
        await trx.updateTable("gift_card_plans").set({ currency: "USD" }).where("id", "=", planId).execute();
      });
      const sold = await selling!;
      expect(sold.statusCode, sold.body).toBe(201);
      expect(json<{ card: { asset: string } }>(sold).card.asset).toBe("USD");
    } finally {
      await t.close();
    }
  });
});
