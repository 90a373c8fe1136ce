import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestKey,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import {
  type ActivityBody,
  type giftCardClient,
  giftCardTenant,
  twoStores,
} from "../../../test/helpers/giftcards.js";
import { verifyLedger } from "../../ledger/index.js";
import { giftCardAccountIds as ids, runGiftCardExpiry } from "./index.js";

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

describe("refunding a redemption of a card refunded since", () => {
  it("pays the buyer back no more than they paid: the discount's share of the value returns to marketing", async () => {
    const issuance = () => gc.posted(ids.issuance("CNY"));
    const marketing = () => gc.posted(ids.marketing("CNY"));
    const [issuedBefore, marketingBefore] = [await issuance(), await marketing()];
    // 200 sold for 180; 100 spent; the rest refunded: 90 cash, 10 back to marketing.
    const { card } = await gc.sell(planId, 20000);
    const spent = await redeem(card.id, 10000);
    const refunded = await gc.ok<{ cash_amount: number }>("POST", `/v1/gift-cards/${card.id}/refund`, {});
    expect(refunded.cash_amount).toBe(9000);
    // The 100 spent comes back once the card is closed: its cash share is 90, as the rest's was.
    const back = await gc.ok<ActivityBody & { paid_amount: number; discount_amount: number }>(
      "POST",
      `/v1/gift-card-activities/${spent.id}/refund`,
      { amount: 10000 },
    );
    expect(back).toMatchObject({ type: "REFUND", amount: 10000, returned_to: "buyer" });
    expect(back).toMatchObject({ paid_amount: 9000, discount_amount: 1000 });
    const [issuedAfter, marketingAfter] = [await issuance(), await marketing()];
    const paidIn = issuedAfter.debits - issuedBefore.debits;
    const paidBack = issuedAfter.credits - issuedBefore.credits;
    expect(paidIn).toBe(18000);
    expect(paidBack).toBe(18000);
    expect(marketingAfter.credits - marketingBefore.credits).toBe(2000);
  });
});

describe("refunding a redemption of an expired card", () => {
  it("records the balance the card still holds until the expiry job takes it", async () => {
    const fixed = await gc.activePlan({
      validity: { kind: "fixed", until: "2026-12-31" },
      store_scope: { stores: [storeA] },
    });
    const { card } = await gc.sell(fixed, 20000);
    const spent = await redeem(card.id, 5000);
    const was = t.clock.now();
    t.clock.set(new Date("2027-01-01T00:00:00+08:00"));
    try {
      const back = await gc.ok<ActivityBody>("POST", `/v1/gift-card-activities/${spent.id}/refund`, {
        amount: 1000,
      });
      expect(back).toMatchObject({ type: "REFUND", returned_to: "breakage", balance_after: 15000 });
      expect((await gc.card(card.id)).balance).toBe(15000);
      await runGiftCardExpiry(t.deps);
      const activities = await gc.ok<{ data: ActivityBody[] }>("GET", `/v1/gift-cards/${card.id}/activities`);
      expect(activities.data.map((a) => [a.type, a.amount, a.balance_after])).toEqual([
        ["ACTIVATE", 20000, 20000],
        ["REDEEM", 5000, 15000],
        ["REFUND", 1000, 15000],
        ["EXPIRE", 15000, 0],
      ]);
    } finally {
      t.clock.set(was);
    }
  });
});

describe("refunding a card", () => {
  it("never pays back as cash more than the buyer paid: finance's increase is not cash", async () => {
    const { card } = await gc.sell(planId, 10000);
    const finance = await createTestKey(t, tenant.tenantId, "finance");
    const up = await gc.call(
      "POST",
      `/v1/gift-cards/${card.id}/adjust`,
      { direction: "increment", amount: 5000, reason: "goodwill for a late delivery" },
      finance.auth,
    );
    expect(up.statusCode, up.body).toBe(201);
    const issuance = await gc.posted(ids.issuance("CNY"));
    const refund = await gc.ok<{
      cash_amount: number;
      discount_reclaimed: number;
      parts: { amount: number }[];
    }>("POST", `/v1/gift-cards/${card.id}/refund`, { reason: "customer returned the card" });
    expect(refund.cash_amount).toBe(10000);
    expect(refund.parts.reduce((s, p) => s + p.amount, 0)).toBe(refund.cash_amount);
    expect(refund.cash_amount + refund.discount_reclaimed).toBe(15000);
    expect((await gc.posted(ids.issuance("CNY"))).credits - issuance.credits).toBe(10000);
  });

  it("takes a refund with no body at all, and documents that body as optional", async () => {
    const { card } = await gc.sell(planId, 20000);
    // No content type and no body: every field of the refund's body is optional.
    const bare = await gc.call("POST", `/v1/gift-cards/${card.id}/refund`);
    expect(bare.statusCode, bare.body).toBe(200);
    expect(json<{ card: { status: string } }>(bare).card.status).toBe("refunded");
    const doc = json<{
      paths: Record<string, Record<string, { requestBody?: { required?: boolean } }>>;
    }>(await t.app.inject({ method: "GET", url: "/openapi.json" }));
    expect(doc.paths["/v1/gift-cards/{id}/refund"]?.post?.requestBody?.required).toBe(false);
    // A sale's body has required fields: it stays required, and a bare sale is refused.
    expect(doc.paths["/v1/gift-cards"]?.post?.requestBody?.required).toBe(true);
    const bareSale = await gc.call("POST", "/v1/gift-cards");
    expect(bareSale.statusCode, bareSale.body).toBe(400);
    expect(json<{ code: string }>(bareSale).code).toBe("validation_failed");
  });

  it("leaves the ledger verified", async () => {
    const report = await verifyLedger(t.deps.db, tenant.tenantId);
    expect(report.differences).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
