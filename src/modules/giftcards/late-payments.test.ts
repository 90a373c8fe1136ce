import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestKey,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { type giftCardClient, giftCardTenant } from "../../../test/helpers/giftcards.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { tenantTrail } from "../../../test/helpers/trail.js";
import { createAsset } from "../../ledger/index.js";
import { systemActor } from "../../platform/auth/actor.js";
import { signTestWebhook, tenantProviders, testProviderSecret } from "../wallets/index.js";
import { pinSecretOf } from "./card-number.js";
import { runGiftCardExpiry } from "./index.js";
import { ONLINE_PAYMENT_TTL_SECONDS, prepareOnlineSale, recordOnlineSale } from "./online-sale.js";

/**
 * An online gift card payment may succeed after a "failed" notification (the member retried
 * it) or after the 30 minutes: the member paid, so the card is activated then, or, when it
 * can no longer be, the sale is kept for a refund where finance sees it.
 */
let t: TestApp;
let tenant: TestTenant;
let gc: ReturnType<typeof giftCardClient>;
let planId: string;
const START = "2025-10-10T02:00:00Z";

interface PurchaseBody {
  card: { id: string; status: string };
  payment: { id: string; status: string; amount: number };
}

beforeAll(async () => {
  t = await createTestApp();
  t.clock.set(START);
  ({ tenant, gc } = await giftCardTenant(t));
  planId = await gc.activePlan();
});
afterAll(async () => t?.close());

const member = async () => (await gc.ok<{ id: string }>("POST", "/v1/members", { name: "Ann" })).id;
const buy = async (memberId: string, plan = planId) => {
  const res = await gc.call("POST", `/v1/members/${memberId}/gift-card-purchases`, {
    plan_id: plan,
    amount: 20000,
    payment_method: "online",
  });
  expect(res.statusCode, res.body).toBe(201);
  return json<PurchaseBody>(res);
};
let seq = 0;
async function notify(paymentId: string, status: "succeeded" | "failed", eventId = `evt-gc-${++seq}`) {
  const payment = await t.database.owner
    .selectFrom("gift_card_payments")
    .select(["provider_ref", "amount", "asset"])
    .where("id", "=", paymentId)
    .executeTakeFirstOrThrow();
  const signed = signTestWebhook(
    testProviderSecret(t.config.signingSecret),
    {
      id: eventId,
      provider_ref: payment.provider_ref,
      status,
      amount: payment.amount,
      currency: payment.asset,
    },
    t.clock.now(),
  );
  return t.app.inject({
    method: "POST",
    url: `/v1/gift-card-payment-webhooks/test/${tenant.tenantId}`,
    headers: { "content-type": "application/json", ...signed.headers },
    payload: signed.body,
  });
}
/** The provider's signed notification that it refunded (part of) the payment. */
async function notifyRefund(paymentId: string, eventId: string, refund: Record<string, unknown>) {
  const payment = await t.database.owner
    .selectFrom("gift_card_payments")
    .select(["provider_ref", "amount", "asset"])
    .where("id", "=", paymentId)
    .executeTakeFirstOrThrow();
  const signed = signTestWebhook(
    testProviderSecret(t.config.signingSecret),
    {
      id: eventId,
      provider_ref: payment.provider_ref,
      status: "succeeded",
      amount: payment.amount,
      currency: payment.asset,
      kind: "refund",
      ...refund,
    },
    t.clock.now(),
  );
  return t.app.inject({
    method: "POST",
    url: `/v1/gift-card-payment-webhooks/test/${tenant.tenantId}`,
    headers: { "content-type": "application/json", ...signed.headers },
    payload: signed.body,
  });
}
const result = async (r: ReturnType<typeof notify>) => {
  const res = await r;
  expect(res.statusCode, res.body).toBe(200);
  return json<{ result: string }>(res).result;
};
const activities = async (cardId: string) =>
  (await gc.ok<{ data: { type: string }[] }>("GET", `/v1/gift-cards/${cardId}/activities`)).data.map(
    (a) => a.type,
  );
const audit = (id: string) => tenantTrail(t, tenant.tenantId).audit(id);
const events = (type: string) => tenantTrail(t, tenant.tenantId).events(type);
const ledgerClean = () => tenantTrail(t, tenant.tenantId).ledgerClean();

describe("a gift card payment that succeeds after it failed or its window closed", () => {
  it("after a failed notification: the card is activated once; a stale failure changes nothing", async () => {
    const bought = await buy(await member());
    expect(await result(notify(bought.payment.id, "failed"))).toBe("failed");
    expect(await gc.card(bought.card.id)).toMatchObject({ status: "cancelled" });
    expect(await result(notify(bought.payment.id, "succeeded", "evt-gc-retry"))).toBe("activated");
    expect(await gc.card(bought.card.id)).toMatchObject({ status: "active", balance: 20000 });
    // The same success again, or a stale failure, changes nothing.
    expectProblem(
      await notify(bought.payment.id, "succeeded", "evt-gc-retry"),
      409,
      "gift_card_payment_closed",
    );
    expectProblem(await notify(bought.payment.id, "failed"), 409, "gift_card_payment_closed");
    expect(await gc.card(bought.card.id)).toMatchObject({ status: "active", balance: 20000 });
    expect(await activities(bought.card.id)).toEqual(["ACTIVATE"]);
    expect(await audit(bought.card.id)).toEqual([
      "gift_card.activated",
      "gift_card.online_sale_cancelled",
      "gift_card.online_sale_paid",
      "gift_card.online_sale_started",
    ]);
    await ledgerClean();
  });

  it("after the expiry job cancelled it, or past the window before the job ran: activated then", async () => {
    const cancelled = await buy(await member());
    const waiting = await buy(await member());
    t.clock.advance((ONLINE_PAYMENT_TTL_SECONDS + 1) * 1000);
    expect(await result(notify(waiting.payment.id, "succeeded"))).toBe("activated");
    expect((await runGiftCardExpiry(t.deps)).sales).toBe(1);
    expect(await gc.card(cancelled.card.id)).toMatchObject({ status: "cancelled" });
    expect(await result(notify(cancelled.payment.id, "succeeded"))).toBe("activated");
    for (const id of [cancelled.card.id, waiting.card.id]) {
      expect(await gc.card(id)).toMatchObject({ status: "active", balance: 20000 });
      expect(await activities(id)).toEqual(["ACTIVATE"]);
    }
    t.clock.set(START);
    await ledgerClean();
  });

  it("a plan no longer on sale: the sale is kept refund_due, visibly, once, with no value", async () => {
    const plan = await gc.activePlan({ name: "Ends soon" });
    const bought = await buy(await member(), plan);
    expect(await result(notify(bought.payment.id, "failed"))).toBe("failed");
    await gc.ok("POST", `/v1/gift-card-plans/${plan}/deactivate`, {});
    expect(await result(notify(bought.payment.id, "succeeded", "evt-gc-gone"))).toBe("refund_due");
    expectProblem(
      await notify(bought.payment.id, "succeeded", "evt-gc-gone"),
      409,
      "gift_card_payment_closed",
    );
    expect(await gc.card(bought.card.id)).toMatchObject({ status: "refund_due", balance: 0 });
    expect(await activities(bought.card.id)).toEqual([]);
    const due = await gc.ok<{ data: { id: string }[] }>("GET", "/v1/gift-cards?status=refund_due");
    expect(due.data.map((c) => c.id)).toEqual([bought.card.id]);
    expect(await events("gift_card.payment_unfulfilled")).toEqual([
      expect.objectContaining({
        card_id: bought.card.id,
        payment_id: bought.payment.id,
        amount: 18000,
        currency: "CNY",
        reason: "plan_not_on_sale",
      }),
    ]);
    expect(await audit(bought.card.id)).toContain("gift_card.payment_unfulfilled");
    await ledgerClean();
  });

  it("a card past its own validity, or a buyer whose account is closed: refund_due", async () => {
    const plan = await gc.activePlan({
      name: "Ends today",
      validity: { kind: "fixed", until: "2025-10-10" },
    });
    const expiring = await buy(await member(), plan);
    const closedBuyer = await member();
    const closing = await buy(closedBuyer);
    expect(await result(notify(expiring.payment.id, "failed"))).toBe("failed");
    expect(await result(notify(closing.payment.id, "failed"))).toBe("failed");
    await gc.ok("PATCH", `/v1/members/${closedBuyer}`, { status: "closed" });
    t.clock.set("2025-10-11T00:00:01Z");
    expect(await result(notify(expiring.payment.id, "succeeded"))).toBe("refund_due");
    expect(await result(notify(closing.payment.id, "succeeded"))).toBe("refund_due");
    const reasons = (await events("gift_card.payment_unfulfilled")).map((e) => [e.card_id, e.reason]);
    expect(reasons).toEqual(
      expect.arrayContaining([
        [expiring.card.id, "card_expired"],
        [closing.card.id, "member_closed"],
      ]),
    );
    t.clock.set(START);
    await ledgerClean();
  });

  it("racing the expiry job, the card is activated exactly once", async () => {
    const bought = await buy(await member());
    t.clock.advance((ONLINE_PAYMENT_TTL_SECONDS + 1) * 1000);
    const [paid] = await Promise.all([
      result(notify(bought.payment.id, "succeeded")),
      runGiftCardExpiry(t.deps),
    ]);
    expect(paid).toBe("activated");
    expect(await gc.card(bought.card.id)).toMatchObject({ status: "active", balance: 20000 });
    expect(await activities(bought.card.id)).toEqual(["ACTIVATE"]);
    t.clock.set(START);
    await ledgerClean();
  });
});

describe("finance records the refund of a refund_due card", () => {
  const dueCard = async (name: string) => {
    const plan = await gc.activePlan({ name });
    const bought = await buy(await member(), plan);
    expect(await result(notify(bought.payment.id, "failed"))).toBe("failed");
    await gc.ok("POST", `/v1/gift-card-plans/${plan}/deactivate`, {});
    expect(await result(notify(bought.payment.id, "succeeded"))).toBe("refund_due");
    return bought;
  };

  it("refunded once, with reference, note, who and when; audited and announced; nothing moves", async () => {
    const bought = await dueCard("Refunded at the provider");
    const finance = await createTestKey(t, tenant.tenantId, "finance");
    const operator = await createTestKey(t, tenant.tenantId, "operator");
    const url = `/v1/gift-cards/${bought.card.id}/record-refund`;
    expectProblem(await gc.call("POST", url, {}, operator.auth), 403, "forbidden");
    const other = await createTestTenant(t, "Other");
    expectProblem(await gc.call("POST", url, {}, other.auth), 404, "gift_card_not_found");
    expectProblem(await gc.call("POST", url, {}, finance.auth, null), 400, "idempotency_key_required");
    // A part the provider announced first still shows once finance records the rest by hand.
    const part = { refund_id: "re_gc_first", refund_amount: 500 };
    expect(await result(notifyRefund(bought.payment.id, "evt-gc-first", part))).toBe("refund_recorded");
    const body = { reference: "re_gc_1", note: "refunded in the dashboard" };
    const first = await gc.call("POST", url, body, finance.auth, "rr-gc-1");
    expect(first.statusCode, first.body).toBe(200);
    expect(json(first)).toMatchObject({
      status: "refunded",
      balance: 0,
      refunded_amount: 500,
      refund_count: 1,
      refund_record: {
        reference: "re_gc_1",
        note: "refunded in the dashboard",
        recorded_by: { type: "api_key", id: finance.id },
        recorded_at: t.clock.now().toISOString(),
      },
    });
    expect((await gc.call("POST", url, body, finance.auth, "rr-gc-1")).body).toBe(first.body);
    expectProblem(await gc.call("POST", url, {}, finance.auth), 409, "not_refund_due");
    expect(await gc.card(bought.card.id)).toMatchObject({ status: "refunded", balance: 0 });
    expect(await activities(bought.card.id)).toEqual([]);
    expect(await audit(bought.card.id)).toEqual([
      "gift_card.online_sale_cancelled",
      "gift_card.online_sale_started",
      "gift_card.payment_unfulfilled",
      "gift_card.provider_refund",
      "gift_card.refund_recorded",
    ]);
    expect(await events("gift_card.payment_refunded")).toEqual([
      expect.objectContaining({
        card_id: bought.card.id,
        payment_id: bought.payment.id,
        amount: 18000,
        currency: "CNY",
        reference: "re_gc_1",
      }),
    ]);
    expectProblem(await notify(bought.payment.id, "succeeded"), 409, "gift_card_payment_closed");
    await ledgerClean();
  });

  it("refuses any other status with 409 not_refund_due and writes nothing", async () => {
    const active = await buy(await member());
    expect(await result(notify(active.payment.id, "succeeded"))).toBe("activated");
    const pending = await buy(await member());
    for (const id of [active.card.id, pending.card.id]) {
      const before = await audit(id);
      expectProblem(await gc.call("POST", `/v1/gift-cards/${id}/record-refund`), 409, "not_refund_due");
      expect(await audit(id)).toEqual(before);
    }
    expect(await gc.card(active.card.id)).toMatchObject({ status: "active", balance: 20000 });
    expect(await gc.card(pending.card.id)).toMatchObject({ status: "pending" });
    expectProblem(
      await gc.call("POST", "/v1/gift-cards/gc_missing/record-refund"),
      404,
      "gift_card_not_found",
    );
    await ledgerClean();
  });
});

describe("the provider's refund of a refund_due card", () => {
  it("a part refund keeps it owed, audited with its amount; all of it records it refunded as finance would, once", async () => {
    const plan = await gc.activePlan({ name: "Refunded by the provider" });
    const bought = await buy(await member(), plan);
    expect(await result(notify(bought.payment.id, "failed"))).toBe("failed");
    await gc.ok("POST", `/v1/gift-card-plans/${plan}/deactivate`, {});
    expect(await result(notify(bought.payment.id, "succeeded"))).toBe("refund_due");
    const auditRows = () =>
      t.database.owner
        .selectFrom("audit_events")
        .select(["action", "summary", "actor_type", "actor_id"])
        .where("tenant_id", "=", tenant.tenantId)
        .where("target_id", "=", bought.card.id)
        .orderBy("created_at")
        .execute();
    const refunded = async () =>
      (await events("gift_card.payment_refunded")).filter((e) => e.card_id === bought.card.id);
    const part = { refund_id: "re_gc_part", refund_amount: 8000 };

    // Part of it back: still owed, the part in the audit for finance.
    expect(await result(notifyRefund(bought.payment.id, "evt-gc-part", part))).toBe("refund_recorded");
    expect(await gc.card(bought.card.id)).toMatchObject({
      status: "refund_due",
      balance: 0,
      refund_record: null,
      refunded_amount: 8000,
      refund_count: 1,
    });
    expect((await auditRows()).find((a) => a.action === "gift_card.provider_refund")).toMatchObject({
      actor_type: "system",
      actor_id: "payment_provider:test",
      summary: { refund_id: "re_gc_part", refund_amount: 8000, refunded_total: 8000, still_owed: 10_000 },
    });
    expect(await refunded()).toEqual([]);

    // All of it back (cumulative): refunded, the provider's event its record.
    const whole = { refund_id: "re_gc_whole", refund_amount: 18_000, refund_cumulative: true };
    expect(await result(notifyRefund(bought.payment.id, "evt-gc-whole", whole))).toBe("refund_recorded");
    const settled = await gc.card(bought.card.id);
    expect(settled).toMatchObject({
      status: "refunded",
      balance: 0,
      refunded_amount: 18_000,
      refund_count: 2,
      refund_record: {
        reference: "re_gc_whole",
        note: null,
        recorded_by: { type: "system", id: "payment_provider:test" },
        recorded_at: t.clock.now().toISOString(),
        provider_event: {
          provider: "test",
          event_id: "evt-gc-whole",
          refund_id: "re_gc_whole",
          amount: 18_000,
          currency: "CNY",
        },
      },
    });
    const recorded = (await auditRows()).filter((a) => a.action === "gift_card.refund_recorded");
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      actor_type: "system",
      actor_id: "payment_provider:test",
      summary: { reference: "re_gc_whole", amount: 18_000, previous_status: "refund_due" },
    });
    expect(await refunded()).toEqual([
      expect.objectContaining({ payment_id: bought.payment.id, amount: 18_000, reference: "re_gc_whole" }),
    ]);

    // Heard again, nothing changes; finance has nothing left to record.
    const before = await audit(bought.card.id);
    expect(await result(notifyRefund(bought.payment.id, "evt-gc-whole", whole))).toBe("refund_ignored");
    expect(await result(notifyRefund(bought.payment.id, "evt-gc-part", part))).toBe("refund_ignored");
    expect(await audit(bought.card.id)).toEqual(before);
    expect(await gc.card(bought.card.id)).toEqual(settled);
    expect(await activities(bought.card.id)).toEqual([]);
    expectProblem(
      await gc.call("POST", `/v1/gift-cards/${bought.card.id}/record-refund`),
      409,
      "not_refund_due",
    );

    // A refund of a payment that is no card here (another sale's at the same provider
    // account) is acknowledged, so the provider stops resending it, and writes nothing.
    const written = () => tenantTrail(t, tenant.tenantId).auditCount();
    const audited = await written();
    const stranger = await notifyRefund(bought.payment.id, "evt-gc-stranger", {
      ...part,
      provider_ref: "testpay_elsewhere",
    });
    expect(stranger.statusCode, stranger.body).toBe(200);
    expect(JSON.parse(stranger.body)).toEqual({
      object: "webhook_receipt",
      card_id: null,
      result: "refund_ignored",
    });
    expect(await written()).toEqual(audited);
    await ledgerClean();
  });

  it("a refund of a sale not paid yet activates, cancels and records nothing", async () => {
    const pending = await buy(await member());
    const before = await audit(pending.card.id);
    const refund = { refund_id: `re_${pending.card.id}`, refund_amount: pending.payment.amount };
    expectProblem(
      await notifyRefund(pending.payment.id, `evt-${pending.card.id}`, refund),
      409,
      "gift_card_payment_closed",
    );
    expect(await audit(pending.card.id)).toEqual(before);
    expect(await gc.card(pending.card.id)).toMatchObject({ status: "pending" });
    await ledgerClean();
  });

  it("of an activated card: each refund comes off the card once, part then all; what was spent is the shortfall", async () => {
    const b = await buy(await member());
    // The plan sells 20000 of value for 18000: a refund takes its share of the value, discount included.
    expect(b.payment.amount).toBe(18000);
    expect(await result(notify(b.payment.id, "succeeded"))).toBe("activated");
    await gc.ok("POST", `/v1/gift-cards/${b.card.id}/redeem`, { amount: 5000 });

    const part = { refund_id: "re_gc_part", refund_amount: 9000 };
    expect(await result(notifyRefund(b.payment.id, "evt-gc-part", part))).toBe("refund_recorded");
    expect(await gc.card(b.card.id)).toMatchObject({
      status: "active",
      balance: 5000,
      refunded_amount: 9000,
      refund_count: 1,
      refund_shortfall: 0,
    });
    expect(await result(notifyRefund(b.payment.id, "evt-gc-part-again", part))).toBe("refund_ignored");
    expect(await gc.card(b.card.id)).toMatchObject({ balance: 5000 });

    // Everything refunded so far, as Stripe and Alipay count it: 10000 of value more, 5000 left.
    const all = { refund_id: "re_gc_all", refund_amount: 18000, refund_cumulative: true };
    expect(await result(notifyRefund(b.payment.id, "evt-gc-all", all))).toBe("refund_recorded");
    expect(await gc.card(b.card.id)).toMatchObject({
      status: "refunded",
      balance: 0,
      refunded_amount: 18000,
      refund_count: 2,
      refund_shortfall: 5000,
      refund_record: { reference: "re_gc_all", provider_event: { amount: 18000 } },
    });
    const late = { refund_id: "re_gc_late", refund_amount: 100 };
    expect(await result(notifyRefund(b.payment.id, "evt-gc-late", late))).toBe("refund_ignored");
    expect((await activities(b.card.id)).sort()).toEqual(
      ["ACTIVATE", "ADJUST_DECREMENT", "ADJUST_DECREMENT", "REDEEM"].sort(),
    );
    expect((await audit(b.card.id)).filter((a) => a === "gift_card.provider_refund")).toHaveLength(2);
    const refunded = (await events("gift_card.payment_refunded")).filter((e) => e.card_id === b.card.id);
    expect(refunded).toHaveLength(1);
    const adjusted = (await events("gift_card.adjusted_down")).filter((e) => e.card_id === b.card.id);
    expect(adjusted.map((e) => e.amount)).toEqual([10000, 5000]);
    // Nothing is left to redeem.
    expect((await gc.call("POST", `/v1/gift-cards/${b.card.id}/redeem`, { amount: 1 })).statusCode).toBe(409);
    await ledgerClean();
  });

  it("of a frozen card: the refunded value comes off, and the card stays frozen", async () => {
    const b = await buy(await member());
    expect(await result(notify(b.payment.id, "succeeded"))).toBe("activated");
    await gc.ok("POST", `/v1/gift-cards/${b.card.id}/freeze`, { reason: "reported lost" });
    const part = { refund_id: "re_gc_frozen", refund_amount: 9000 };
    expect(await result(notifyRefund(b.payment.id, "evt-gc-frozen", part))).toBe("refund_recorded");
    expect(await gc.card(b.card.id)).toMatchObject({ status: "frozen", balance: 10000, refund_shortfall: 0 });
    expect((await gc.call("POST", `/v1/gift-cards/${b.card.id}/redeem`, { amount: 1 })).statusCode).toBe(409);
    await gc.ok("POST", `/v1/gift-cards/${b.card.id}/restore`, { reason: "found" });
    await gc.ok("POST", `/v1/gift-cards/${b.card.id}/redeem`, { amount: 1000 });
    expect(await gc.card(b.card.id)).toMatchObject({ status: "active", balance: 9000 });
    await ledgerClean();
  });

  it("a card refunded after the provider refunded its sale pays back only what is still paid: the load, in full", async () => {
    const b = await buy(await member());
    expect(await result(notify(b.payment.id, "succeeded"))).toBe("activated");
    await gc.ok("POST", `/v1/gift-cards/${b.card.id}/load`, {
      amount: 10000,
      payment: { method: "offline", ref: "till-load" },
    });
    const whole = { refund_id: "re_gc_then_card", refund_amount: b.payment.amount };
    expect(await result(notifyRefund(b.payment.id, "evt-gc-then-card", whole))).toBe("refund_recorded");
    // The sale's 20000 of value went back with its 18000; the load's 10000 is what the card holds.
    expect(await gc.card(b.card.id)).toMatchObject({ status: "active", balance: 10000 });
    const refund = await gc.ok<{ cash_amount: number; discount_reclaimed: number; parts: unknown[] }>(
      "POST",
      `/v1/gift-cards/${b.card.id}/refund`,
      {},
    );
    expect(refund).toMatchObject({
      cash_amount: 10000,
      discount_reclaimed: 0,
      parts: [{ method: "offline", ref: "till-load", amount: 10000 }],
    });
    await ledgerClean();
  });

  it("a card refunded after the provider refunded all of its sale pays no cash for finance's increase", async () => {
    const b = await buy(await member());
    expect(await result(notify(b.payment.id, "succeeded"))).toBe("activated");
    await gc.ok("POST", `/v1/gift-cards/${b.card.id}/adjust`, {
      direction: "increment",
      amount: 5000,
      reason: "goodwill",
    });
    const whole = { refund_id: "re_gc_adjusted", refund_amount: b.payment.amount };
    expect(await result(notifyRefund(b.payment.id, "evt-gc-adjusted", whole))).toBe("refund_recorded");
    expect(await gc.card(b.card.id)).toMatchObject({ status: "active", balance: 5000 });
    // The buyer has all 18000 back from the provider: nothing paid is left to pay out again.
    const refund = await gc.ok<{ cash_amount: number; discount_reclaimed: number; parts: unknown[] }>(
      "POST",
      `/v1/gift-cards/${b.card.id}/refund`,
      {},
    );
    expect(refund).toMatchObject({ cash_amount: 0, discount_reclaimed: 5000, parts: [] });
    await ledgerClean();
  });

  it("of an unused activated card, all at once: all of its value comes off, no shortfall", async () => {
    const b = await buy(await member());
    expect(await result(notify(b.payment.id, "succeeded"))).toBe("activated");
    const whole = { refund_id: "re_gc_whole", refund_amount: b.payment.amount };
    expect(await result(notifyRefund(b.payment.id, "evt-gc-whole", whole))).toBe("refund_recorded");
    expect(await gc.card(b.card.id)).toMatchObject({
      status: "refunded",
      balance: 0,
      refunded_amount: b.payment.amount,
      refund_shortfall: 0,
    });
    await ledgerClean();
  });
});

describe("a plan's currency changed while a card of it is bought online", () => {
  it("the sale is refused when it is recorded, never written in a currency the provider was not told", async () => {
    await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      createAsset(trx, tenant.tenantId, { code: "USD", scale: 2, name: "Dollar" }, t.clock.now()),
    );
    const plan = await gc.activePlan({ name: "Fresh plan, no card yet" });
    const buyer = await member();
    const ctx = { actor: systemActor(tenant.tenantId, "test"), requestId: null };
    // The payment is created at the provider in CNY (the plan's currency then)...
    const prepared = await prepareOnlineSale(
      t.deps.db,
      ctx,
      tenantProviders(t.config.signingSecret),
      {
        planId: plan,
        amount: 20000,
        channel: "ONLINE",
        storeId: null,
        buyer: {},
        buyerMemberId: buyer,
        holderMemberId: buyer,
        recipient: null,
      },
      t.clock.now(),
    );
    // ...and meanwhile the plan, with no card yet, is moved to USD.
    await gc.ok("PATCH", `/v1/gift-card-plans/${plan}`, { currency: "USD" });
    const recording = t.deps.ledger.run(tenant.tenantId, (uow) =>
      recordOnlineSale(uow, ctx, prepared, pinSecretOf(t.config.signingSecret), t.clock.now()),
    );
    await expect(recording).rejects.toMatchObject({ code: "gift_card_plan_changed" });
    const written = await t.database.owner
      .selectFrom("gift_card_payments")
      .select("id")
      .where("id", "=", prepared.paymentId)
      .execute();
    expect(written).toEqual([]);
  });
});
