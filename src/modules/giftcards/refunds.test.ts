import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, json, type TestApp, type TestTenant } from "../../../test/helpers/app.js";
import {
  type ActivityBody,
  type giftCardClient,
  giftCardTenant,
  twoStores,
} from "../../../test/helpers/giftcards.js";
import { verifyLedger } from "../../ledger/index.js";

/** Refunds of redemptions and of cards at their edges: references, adjusted cards. */
let t: TestApp;
let tenant: TestTenant;
let gc: ReturnType<typeof giftCardClient>;
let planId: string;
let storeA: string;

beforeAll(async () => {
  t = await createTestApp();
  ({ tenant, gc } = await giftCardTenant(t));
  [storeA] = await twoStores(t, tenant);
  planId = await gc.activePlan({ store_scope: { stores: [storeA] } });
});
afterAll(async () => t?.close());

const redeem = (cardId: string, amount: number) =>
  gc.ok<ActivityBody>("POST", `/v1/gift-cards/${cardId}/redeem`, { amount, store_id: storeA });

describe("refunding a redemption", () => {
  it("keeps refunds with the same reference id from different systems apart", async () => {
    const { card } = await gc.sell(planId, 20000);
    const spent = await redeem(card.id, 8000);
    const refund = (module: string, amount: number) =>
      gc.call("POST", `/v1/gift-card-activities/${spent.id}/refund`, {
        amount,
        reference: { module, id: "1001" },
      });
    const pos = await refund("pos", 1000);
    expect(pos.statusCode, pos.body).toBe(201);
    const checkout = await refund("checkout", 2000);
    expect(checkout.statusCode, checkout.body).toBe(201);
    expect(json<ActivityBody>(checkout).id).not.toBe(json<ActivityBody>(pos).id);
    // Each reference still replays its own refund.
    expect(json<ActivityBody>(await refund("pos", 1000)).id).toBe(json<ActivityBody>(pos).id);
    expect((await gc.card(card.id)).balance).toBe(15000);
  });
});

describe("the ledger", () => {
  it("leaves the ledger verified", async () => {
    const report = await verifyLedger(t.deps.db, tenant.tenantId);
    expect(report.differences).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
