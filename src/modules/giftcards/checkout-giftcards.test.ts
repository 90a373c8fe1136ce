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
import { expectProblem } from "../../../test/helpers/problem.js";
import { verifyLedger } from "../../ledger/index.js";

/** A gift card as a payment method in the checkout, beside balance; refunds put each part back. */
let t: TestApp;
let tenant: TestTenant;
let gc: ReturnType<typeof giftCardClient>;
let planId: string;
let storeA: string;
let storeB: string;
let ann: string;

const lines = [
  { sku: "tea", category: "drinks", quantity: 2, unit_price: 1500 },
  { sku: "cake", category: "bakery", quantity: 1, unit_price: 4000 },
]; // 7000

interface OrderBody {
  id: string;
  status: string;
  total: number;
  balance_amount: number;
  gift_card_total: number;
  gift_cards: { card_id: string; amount: number }[];
  remaining_payable: number;
}

beforeAll(async () => {
  t = await createTestApp();
  ({ tenant, gc } = await giftCardTenant(t));
  [storeA, storeB] = await twoStores(t, tenant);
  planId = await gc.activePlan({ store_scope: { stores: [storeA] } });
  ann = (await gc.ok<{ id: string }>("POST", "/v1/members", { name: "Ann" })).id;
  await gc.ok("POST", `/v1/members/${ann}/top-ups`, { amount: 10000, reason: "cash" });
});
afterAll(async () => t?.close());

let orderNo = 0;
const order = (payload: object, headers = tenant.auth) =>
  gc.call(
    "POST",
    "/v1/checkout/orders",
    {
      channel: "POS",
      store_id: storeA,
      lines,
      client_order_id: `till-${++orderNo}`,
      ...payload,
    },
    headers,
  );
const quote = (payload: object) =>
  gc.call("POST", "/v1/checkout/quotes", { channel: "POS", store_id: storeA, lines, ...payload });
const memberBalance = async (id: string) =>
  (await gc.ok<{ available: number }>("GET", `/v1/members/${id}/balance`)).available;

describe("gift cards at checkout", () => {
  it("pays part by card and part by balance; the refund returns each part to where it came from", async () => {
    const { card } = await gc.sell(planId, 20000);
    const before = await memberBalance(ann);
    const res = await order({
      member_id: ann,
      gift_cards: [{ card_id: card.id, amount: 3000 }],
      pay_with_balance: true,
    });
    expect(res.statusCode, res.body).toBe(201);
    const placed = json<OrderBody>(res);
    expect(placed).toMatchObject({
      total: 7000,
      gift_card_total: 3000,
      gift_cards: [{ card_id: card.id, amount: 3000 }],
      balance_amount: 4000,
      remaining_payable: 0,
    });
    expect((await gc.card(card.id)).balance).toBe(17000);
    expect(await memberBalance(ann)).toBe(before - 4000);
    const redeemed = (await gc.ok<{ data: ActivityBody[] }>("GET", `/v1/gift-cards/${card.id}/activities`))
      .data[1];
    expect(redeemed).toMatchObject({
      type: "REDEEM",
      amount: 3000,
      reference: { module: "checkout", id: placed.id },
    });

    const refunded = await gc.call("POST", `/v1/checkout/orders/${placed.id}/refund`, { reason: "returned" });
    expect(refunded.statusCode, refunded.body).toBe(200);
    expect((await gc.card(card.id)).balance).toBe(20000);
    expect(await memberBalance(ann)).toBe(before);
    const back = (await gc.ok<{ data: ActivityBody[] }>("GET", `/v1/gift-cards/${card.id}/activities`))
      .data[2];
    expect(back).toMatchObject({
      type: "REFUND",
      amount: 3000,
      redemption_id: redeemed!.id,
      returned_to: "card",
    });
  });

  it("a card's part of an order comes back only with the order: refunded alone it is refused, naming the order", async () => {
    const { card } = await gc.sell(planId, 20000);
    const placed = json<OrderBody>(
      await order({
        member_id: ann,
        gift_cards: [{ card_id: card.id, amount: 3000 }],
        pay_with_balance: true,
      }),
    );
    const redeemed = (await gc.ok<{ data: ActivityBody[] }>("GET", `/v1/gift-cards/${card.id}/activities`))
      .data[1]!;
    const alone = expectProblem(
      await gc.call("POST", `/v1/gift-card-activities/${redeemed.id}/refund`, { amount: 3000 }),
      409,
      "redemption_refunded_by_order",
    );
    expect(alone).toMatchObject({
      module: "checkout",
      order_id: placed.id,
      refund_path: `/v1/checkout/orders/${placed.id}/refund`,
    });
    expect((await gc.card(card.id)).balance).toBe(17000);
    // A till may not file its own redemption under the checkout's name either.
    expectProblem(
      await gc.call("POST", `/v1/gift-cards/${card.id}/redeem`, {
        amount: 100,
        reference: { module: "checkout", id: placed.id },
      }),
      400,
      "validation_failed",
    );
    const refunded = await gc.call("POST", `/v1/checkout/orders/${placed.id}/refund`, { reason: "returned" });
    expect(refunded.statusCode, refunded.body).toBe(200);
    expect((await gc.card(card.id)).balance).toBe(20000);
  });

  it("without an amount a card pays what it holds up to what is due; the rest is paid by other means", async () => {
    const { card } = await gc.sell(planId, 5000);
    const q = json<{ gift_cards_applied: unknown[]; balance: { remaining_payable: number } }>(
      await quote({ gift_cards: [{ card_id: card.id }] }),
    );
    expect(q.gift_cards_applied).toEqual([{ card_id: card.id, amount: 5000 }]);
    expect(q.balance.remaining_payable).toBe(2000);
    const big = (await gc.sell(planId, 20000)).card;
    const placed = json<OrderBody>(await order({ gift_cards: [{ card_id: big.id }] }));
    expect(placed).toMatchObject({ gift_card_total: 7000, remaining_payable: 0 });
    expect((await gc.card(big.id)).balance).toBe(13000);
  });

  it("refuses a frozen card, another store, an amount beyond the balance, and the same card twice", async () => {
    const { card } = await gc.sell(planId, 5000);
    await gc.ok("POST", `/v1/gift-cards/${card.id}/freeze`, { reason: "fraud check" });
    const frozen = json<{ gift_cards_not_applied: unknown[] }>(
      await quote({ gift_cards: [{ card_id: card.id }] }),
    );
    expect(frozen.gift_cards_not_applied).toEqual([{ card_id: card.id, reason: "frozen" }]);
    const refused = expectProblem(
      await order({ gift_cards: [{ card_id: card.id }] }),
      422,
      "gift_card_not_usable",
    );
    expect(refused).toMatchObject({ card_id: card.id, reason: "frozen" });
    await gc.ok("POST", `/v1/gift-cards/${card.id}/restore`, { reason: "cleared" });
    expect((await order({ gift_cards: [{ card_id: card.id, amount: 1000 }] })).statusCode).toBe(201);

    const elsewhere = json<{ gift_cards_not_applied: unknown[] }>(
      await gc.call("POST", "/v1/checkout/quotes", {
        channel: "POS",
        store_id: storeB,
        lines,
        gift_cards: [{ card_id: card.id }],
      }),
    );
    expect(elsewhere.gift_cards_not_applied).toEqual([{ card_id: card.id, reason: "store_not_allowed" }]);
    expectProblem(
      await order({ gift_cards: [{ card_id: card.id, amount: 4001 }] }),
      422,
      "gift_card_not_usable",
    );
    const twice = json<{ gift_cards_not_applied: unknown[] }>(
      await quote({
        gift_cards: [
          { card_id: card.id, amount: 100 },
          { card_id: card.id, amount: 100 },
        ],
      }),
    );
    expect(twice.gift_cards_not_applied).toEqual([{ card_id: card.id, reason: "duplicate" }]);
    expect((await gc.card(card.id)).balance).toBe(4000);
  });

  it("a till bound to a store outside the card's scope cannot name it", async () => {
    const { card } = await gc.sell(planId, 5000, { store_id: storeA });
    const tillB = await createTestKey(t, tenant.tenantId, "operator", storeB);
    const q = json<{ gift_cards_applied: unknown[]; gift_cards_not_applied: unknown[] }>(
      await gc.call(
        "POST",
        "/v1/checkout/quotes",
        { channel: "POS", lines, gift_cards: [{ card_id: card.id }] },
        tillB.auth,
      ),
    );
    expect(q.gift_cards_applied).toEqual([]);
    expect(q.gift_cards_not_applied).toEqual([{ card_id: card.id, reason: "not_found" }]);
  });

  it("20 concurrent orders on one card never spend more than it holds", async () => {
    const { card } = await gc.sell(planId, 20000);
    const clients = [tenant.auth, (await createTestKey(t, tenant.tenantId, "operator")).auth];
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        order({ gift_cards: [{ card_id: card.id, amount: 3000 }] }, clients[i % 2]),
      ),
    );
    const ok = responses.filter((r) => r.statusCode === 201);
    expect(ok).toHaveLength(6); // 6 × 3000 = 18000; a 7th would need 21000
    for (const r of responses.filter((r) => r.statusCode !== 201)) {
      expect(json<{ code: string }>(r).code, r.body).toMatch(/^gift_card_(not_usable|balance_insufficient)$/);
    }
    expect((await gc.card(card.id)).balance).toBe(2000);
  });

  it("leaves the ledger verified", async () => {
    const report = await verifyLedger(t.deps.db, tenant.tenantId);
    expect(report.differences).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
