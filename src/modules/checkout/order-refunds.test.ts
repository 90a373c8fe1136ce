import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, json, type TestApp, type TestTenant } from "../../../test/helpers/app.js";
import { type giftCardClient, giftCardTenant, twoStores } from "../../../test/helpers/giftcards.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { tenantTrail } from "../../../test/helpers/trail.js";
import { systemActor } from "../../platform/auth/actor.js";
import { issueMemberVoucher, voucherAccountIds } from "../vouchers/index.js";
import { expirePayments } from "../wallets/index.js";

/**
 * An order's money across the checkout and the wallets: a refund for a frozen member, a
 * balance payment refunded outside its order, and a payment that succeeds after its member
 * was frozen or closed. Each puts every part back, once, and leaves the ledger clean.
 */
let t: TestApp;
let tenant: TestTenant;
let gc: ReturnType<typeof giftCardClient>;
let planId: string;
let store: string;

const lines = [
  { sku: "tea", category: "drinks", quantity: 2, unit_price: 1500 },
  { sku: "cake", category: "bakery", quantity: 1, unit_price: 4000 },
]; // 7000

interface OrderBody {
  id: string;
  status: string;
  total: number;
  voucher_total: number;
  gift_card_total: number;
  balance_amount: number;
  points_earned: number;
  payment_id: string | null;
}

beforeAll(async () => {
  t = await createTestApp();
  ({ tenant, gc } = await giftCardTenant(t));
  [store] = await twoStores(t, tenant);
  planId = await gc.activePlan();
});
afterAll(async () => t?.close());

let seq = 0;
const trail = () => tenantTrail(t, tenant.tenantId);

async function memberWithBalance(name: string, amount: number): Promise<string> {
  const id = (await gc.ok<{ id: string }>("POST", "/v1/members", { name })).id;
  await gc.ok("POST", `/v1/members/${id}/top-ups`, { amount, reason: "cash" });
  return id;
}

async function giveVoucher(memberId: string, amount: number): Promise<string> {
  const context = { actor: systemActor(tenant.tenantId, "test.vouchers"), requestId: null };
  const row = await t.deps.ledger.run(tenant.tenantId, (uow) =>
    issueMemberVoucher(
      uow,
      context,
      {
        memberId,
        amount,
        startsAt: new Date("2026-01-01T00:00:00Z"),
        expiresAt: new Date("2027-12-31T16:00:00Z"),
        minBillAmount: 0,
        issuerId: null,
        asset: "CNY",
        scope: { kind: "all", productCodes: [] },
      },
      t.clock.now(),
    ),
  );
  return row.id;
}

async function voucherBalance(id: string): Promise<number> {
  return t.deps.db.tenantTx(tenant.tenantId, async (trx) => {
    const b = await t.deps.ledger.within(trx, tenant.tenantId).balances(voucherAccountIds.voucher(id));
    return b ? b.credits_posted - b.debits_posted : 0;
  });
}

const wallet = (memberId: string) =>
  gc.ok<{ available: number; held: number; principal: number; bonus: number; points: number }>(
    "GET",
    `/v1/members/${memberId}/balance`,
  );
const setStatus = (memberId: string, status: "frozen" | "closed" | "active") =>
  gc.ok("PATCH", `/v1/members/${memberId}`, { status });
const getOrder = (id: string) => gc.ok<OrderBody>("GET", `/v1/checkout/orders/${id}`);
const refundOrder = (id: string) => gc.call("POST", `/v1/checkout/orders/${id}/refund`, {});

/** An order paid by a voucher, a gift card and balance (the rest online when asked). */
async function placeOrder(memberId: string, extra: object = {}) {
  const voucher = await giveVoucher(memberId, 500);
  const { card } = await gc.sell(planId, 10000);
  const res = await gc.call("POST", "/v1/checkout/orders", {
    member_id: memberId,
    channel: "POS",
    store_id: store,
    lines,
    voucher_ids: [voucher],
    gift_cards: [{ card_id: card.id, amount: 1000 }],
    pay_with_balance: true,
    client_order_id: `till-${++seq}`,
    ...extra,
  });
  expect(res.statusCode, res.body).toBe(201);
  return { order: json<OrderBody>(res), voucher, cardId: card.id };
}

describe("a refund for a frozen member", () => {
  it("restores balance, points, voucher and gift card at once; the member stays frozen", async () => {
    const ann = await memberWithBalance("Ann", 10000);
    const before = await wallet(ann);
    const { order, voucher, cardId } = await placeOrder(ann);
    expect(order).toMatchObject({
      status: "completed",
      voucher_total: 500,
      gift_card_total: 1000,
      balance_amount: 5500,
    });
    expect(order.points_earned).toBeGreaterThan(0);
    expect(await wallet(ann)).toMatchObject({ available: 4500, points: order.points_earned });
    await setStatus(ann, "frozen");

    const refunded = await refundOrder(order.id);
    expect(refunded.statusCode, refunded.body).toBe(200);
    expect(json<OrderBody>(refunded).status).toBe("refunded");
    expect(await wallet(ann)).toMatchObject({
      available: before.available,
      principal: before.principal,
      bonus: before.bonus,
      points: 0,
    });
    expect(await voucherBalance(voucher)).toBe(500);
    expect((await gc.card(cardId)).balance).toBe(10000);
    expect((await gc.ok<{ status: string }>("GET", `/v1/members/${ann}`)).status).toBe("frozen");
    expect(await trail().audit(order.id)).toContain("checkout_order.refunded");
    expectProblem(await refundOrder(order.id), 409, "order_already_refunded");
    await trail().ledgerClean();
  });

  it("whose points were spent meanwhile is refused whole: nothing moves", async () => {
    const bo = await memberWithBalance("Bo", 10000);
    const { order, voucher, cardId } = await placeOrder(bo);
    await gc.ok("POST", `/v1/members/${bo}/points`, { operation: "spend", points: 1, reason: "gift" });
    await setStatus(bo, "frozen");
    const before = await wallet(bo);
    expectProblem(await refundOrder(order.id), 422, "insufficient_points");
    expect(await wallet(bo)).toEqual(before);
    expect(await voucherBalance(voucher)).toBe(0);
    expect((await gc.card(cardId)).balance).toBe(9000);
    expect((await getOrder(order.id)).status).toBe("completed");
    await trail().ledgerClean();
  });
});

describe("a refund for a member closed after the sale", () => {
  it("returns the voucher and the gift card; the points the closed account held are not taken back (audited)", async () => {
    const cy = (await gc.ok<{ id: string }>("POST", "/v1/members", { name: "Cy" })).id;
    const { order, voucher, cardId } = await placeOrder(cy, { pay_with_balance: false });
    expect(order).toMatchObject({ status: "completed", balance_amount: 0 });
    expect(order.points_earned).toBeGreaterThan(0);
    // Points do not stop a close; closing is final and the account holds nothing usable.
    await setStatus(cy, "closed");

    const refunded = await refundOrder(order.id);
    expect(refunded.statusCode, refunded.body).toBe(200);
    expect(json<OrderBody>(refunded).status).toBe("refunded");
    expect(await voucherBalance(voucher)).toBe(500);
    expect((await gc.card(cardId)).balance).toBe(10000);
    expect((await gc.ok<{ status: string }>("GET", `/v1/members/${cy}`)).status).toBe("closed");
    const audit = await t.database.owner
      .selectFrom("audit_events")
      .select("summary")
      .where("tenant_id", "=", tenant.tenantId)
      .where("target_id", "=", order.id)
      .where("action", "=", "checkout_order.refunded")
      .executeTakeFirstOrThrow();
    expect(audit.summary).toMatchObject({
      points_not_reversed: { points: order.points_earned, reason: "member_closed" },
    });
    const [event] = (await trail().events("checkout_order.refunded")).filter((e) => e.order_id === order.id);
    expect(event).toMatchObject({
      points_not_reversed: { points: order.points_earned, reason: "member_closed" },
    });
    expectProblem(await refundOrder(order.id), 409, "order_already_refunded");
    await trail().ledgerClean();
  });
});

describe("a checkout order's balance payment refunded at the wallets", () => {
  const refundPayment = (paymentId: string, amount: number) =>
    gc.call("POST", `/v1/wallet-payments/${paymentId}/refunds`, { amount, reason: "at the desk" });

  it("is refused with payment_refunded_by_order, pointing at the order; the order refund then returns everything", async () => {
    const cy = await memberWithBalance("Cy", 10000);
    const before = await wallet(cy);
    const { order, voucher, cardId } = await placeOrder(cy);
    const paymentId = order.payment_id!;
    expect(paymentId).toBeTruthy();
    const afterOrder = await wallet(cy);
    for (const amount of [order.balance_amount, 1]) {
      const refused = expectProblem(await refundPayment(paymentId, amount), 409, "payment_refunded_by_order");
      expect(refused).toMatchObject({ order_id: order.id, module: "checkout" });
    }
    expect(await wallet(cy)).toEqual(afterOrder);
    expect(await trail().audit(paymentId)).not.toContain("wallet.refunded");

    const refunded = await refundOrder(order.id);
    expect(refunded.statusCode, refunded.body).toBe(200);
    expect(await wallet(cy)).toMatchObject({
      available: before.available,
      principal: before.principal,
      bonus: before.bonus,
      points: 0,
    });
    expect(await voucherBalance(voucher)).toBe(500);
    expect((await gc.card(cardId)).balance).toBe(10000);
    // Refunded through its order, the payment is still not refundable a second time at the wallets.
    expectProblem(await refundPayment(paymentId, 1), 409, "payment_refunded_by_order");
    await trail().ledgerClean();
  });

  it("a balance payment of an order outside the checkout is still refunded at the wallets", async () => {
    const di = await memberWithBalance("Di", 10000);
    const paid = await gc.ok<{ id: string }>("POST", "/v1/wallet-payments", {
      member_id: di,
      order_id: `ext-${di}`,
      amount_due: 3000,
      currency: "CNY",
      lines: [{ name: "Lamp", quantity: 1, unit_amount: 3000 }],
      external_method: "none",
    });
    const res = await refundPayment(paid.id, 3000);
    expect(res.statusCode, res.body).toBe(201);
    expect((await wallet(di)).available).toBe(10000);
    await trail().ledgerClean();
  });
});

describe("an order paid online whose member is frozen or closed before the payment succeeds", () => {
  const confirm = (paymentId: string) => gc.call("POST", `/v1/wallet-payments/${paymentId}/confirm`);
  const placeOnline = async (memberId: string) => {
    const placed = await placeOrder(memberId, { channel: "ONLINE", rest_paid: "online" });
    expect(placed.order).toMatchObject({ status: "pending_payment", balance_amount: 2000, points_earned: 0 });
    return placed;
  };
  const quotedPoints = async (orderId: string) =>
    (await gc.ok<{ quote: { points: { earned: number } } }>("GET", `/v1/checkout/orders/${orderId}`)).quote
      .points.earned;

  it("a frozen member's paid order completes with its points; it is not cancelled at the timeout", async () => {
    const ed = await memberWithBalance("Ed", 2000);
    const { order, voucher, cardId } = await placeOnline(ed);
    const earned = await quotedPoints(order.id);
    expect(earned).toBeGreaterThan(0);
    await setStatus(ed, "frozen");

    const confirmed = await confirm(order.payment_id!);
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect(await getOrder(order.id)).toMatchObject({ status: "completed", points_earned: earned });
    expect(await wallet(ed)).toMatchObject({ held: 0, available: 0, points: earned });
    expect(await voucherBalance(voucher)).toBe(0);
    expect((await gc.card(cardId)).balance).toBe(9000);
    // The hold's timeout finds nothing left to release.
    t.clock.advance(3_600_000);
    await expirePayments(t.deps.ledger, tenant.tenantId, t.clock.now());
    expect((await getOrder(order.id)).status).toBe("completed");
    expect(await trail().audit(order.id)).toEqual([
      "checkout_order.completed",
      "checkout_order.pending_payment",
    ]);
    // Refunded later, still frozen, everything comes back.
    const refunded = await refundOrder(order.id);
    expect(refunded.statusCode, refunded.body).toBe(200);
    expect(await wallet(ed)).toMatchObject({ available: 2000, points: 0 });
    expect(await voucherBalance(voucher)).toBe(500);
    expect((await gc.card(cardId)).balance).toBe(10000);
    await trail().ledgerClean();
  });

  it("a closed member's paid order completes without points (withheld, audited); nothing is cancelled", async () => {
    // Balance held for the order keeps the member from being closed through the API.
    const flo = await memberWithBalance("Flo", 2000);
    const { order, voucher } = await placeOnline(flo);
    const earned = await quotedPoints(order.id);
    expect(
      expectProblem(
        await gc.call("PATCH", `/v1/members/${flo}`, { status: "closed" }),
        409,
        "member_balance_not_settled",
      ),
    ).toMatchObject({ held: 2000, available: 0 });
    // A member closed with a hold before that rule: the payment still completes the order.
    await t.database.owner
      .updateTable("members")
      .set({ status: "closed" })
      .where("tenant_id", "=", tenant.tenantId)
      .where("id", "=", flo)
      .execute();
    const confirmed = await confirm(order.payment_id!);
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect(await getOrder(order.id)).toMatchObject({ status: "completed", points_earned: 0 });
    expect(await wallet(flo)).toMatchObject({ held: 0, available: 0, points: 0 });
    expect(await voucherBalance(voucher)).toBe(0);
    const audit = await t.database.owner
      .selectFrom("audit_events")
      .select("summary")
      .where("tenant_id", "=", tenant.tenantId)
      .where("target_id", "=", order.id)
      .where("action", "=", "checkout_order.completed")
      .executeTakeFirstOrThrow();
    expect(audit.summary).toMatchObject({ points_withheld: { points: earned, reason: "member_closed" } });
    await trail().ledgerClean();
  });

  it("a freeze racing the payment's confirmation: the order completes once with its points either way", async () => {
    const members = await Promise.all([1, 2, 3].map((i) => memberWithBalance(`Race ${i}`, 2000)));
    const orders: OrderBody[] = [];
    for (const m of members) orders.push((await placeOnline(m)).order);
    const results = await Promise.all(
      members.flatMap((m, i) => [
        setStatus(m, "frozen"),
        confirm(orders[i]!.payment_id!),
        confirm(orders[i]!.payment_id!),
      ]),
    );
    for (const [i, m] of members.entries()) {
      const answers = [results[i * 3 + 1], results[i * 3 + 2]] as { statusCode: number; body: string }[];
      expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409]);
      const earned = await quotedPoints(orders[i]!.id);
      expect(await getOrder(orders[i]!.id)).toMatchObject({ status: "completed", points_earned: earned });
      expect(await wallet(m)).toMatchObject({ held: 0, points: earned });
    }
    await trail().ledgerClean();
  });
});
