import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  issueMemberVoucher,
  type MemberVoucherInput,
  voucherAccountIds,
} from "../../src/modules/vouchers/index.js";
import { systemActor } from "../../src/platform/auth/actor.js";
import { createTestApp, createTestTenant, json, type TestApp, type TestTenant } from "../helpers/app.js";
import { expectProblem } from "../helpers/problem.js";

/**
 * A Friday at the till in Shanghai: a Platinum member buys with a member-day discount, a
 * voucher, part of the order on balance, earns points; the order is retried, a benefit is
 * switched off mid-checkout, and the order is refunded — every balance checked in the ledger.
 */
let t: TestApp;
let tenant: TestTenant;

let MEMBER = "";
let GOLD = "";
let VOUCHER = "";
const SETTLEMENT = voucherAccountIds.settlement("CNY");
// Friday 2026-11-27, 12:00 in Shanghai.
const FRIDAY_NOON = "2026-11-27T04:00:00Z";

interface OrderBody {
  id: string;
  status: string;
  total: number;
  balance_amount: number;
  remaining_payable: number;
  points_earned: number;
  voucher_total: number;
  quote: { benefits_applied: { benefit_id: string }[] };
}

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
  await t.app.inject({
    method: "PATCH",
    url: "/v1/tenant",
    headers: tenant.auth,
    payload: { timezone: "Asia/Shanghai" },
  });
  const plan = await t.app.inject({
    method: "POST",
    url: "/v1/card-plans",
    headers: tenant.auth,
    payload: {
      code: "standard",
      name: "Standard",
      validity: { kind: "relative", days: 365 },
      tiers: [
        { code: "silver", name: "Silver", rank: 1 },
        { code: "gold", name: "Gold", rank: 2 },
        { code: "platinum", name: "Platinum", rank: 3 },
      ],
    },
  });
  expect(plan.statusCode, plan.body).toBe(201);
  const member = async (name: string, tier: string) => {
    const res = await t.app.inject({
      method: "POST",
      url: "/v1/members",
      headers: tenant.auth,
      payload: { name, tier, birthday: "03-15" },
    });
    expect(res.statusCode, res.body).toBe(201);
    return json<{ id: string }>(res).id;
  };
  MEMBER = await member("Pat Platinum", "platinum");
  GOLD = await member("Gil Gold", "gold");
  await topUp(MEMBER, 5000);
  await topUp(GOLD, 10000);
  VOUCHER = await giveVoucher({
    memberId: MEMBER,
    amount: 1000,
    startsAt: new Date("2026-11-01T00:00:00Z"),
    expiresAt: new Date("2026-12-31T16:00:00Z"),
    minBillAmount: 5000,
  });
  t.clock.set(FRIDAY_NOON);
});
afterAll(async () => t?.close());

/** A member voucher issued by the tenant (the vouchers module, on the ledger). */
async function giveVoucher(
  input: Pick<MemberVoucherInput, "memberId" | "amount" | "startsAt" | "expiresAt" | "minBillAmount">,
) {
  const context = { actor: systemActor(tenant.tenantId, "test.vouchers"), requestId: null };
  const row = await t.deps.ledger.run(tenant.tenantId, (uow) =>
    issueMemberVoucher(
      uow,
      context,
      { ...input, issuerId: null, asset: "CNY", scope: { kind: "all", productCodes: [] } },
      t.clock.now(),
    ),
  );
  return row.id;
}

/** Posted balance of a ledger account (credits − debits). */
async function ledgerBalance(accountId: string) {
  return t.deps.db.tenantTx(tenant.tenantId, async (trx) => {
    const b = await t.deps.ledger.within(trx, tenant.tenantId).balances(accountId);
    return b ? b.credits_posted - b.debits_posted : 0;
  });
}
const voucherBalance = (id: string) => ledgerBalance(voucherAccountIds.voucher(id));

async function topUp(memberId: string, amount: number) {
  const res = await t.app.inject({
    method: "POST",
    url: `/v1/members/${memberId}/top-ups`,
    headers: tenant.auth,
    payload: { amount, reason: "cash at the desk" },
  });
  expect(res.statusCode, res.body).toBe(201);
}

async function walletOf(memberId: string) {
  const res = await t.app.inject({ url: `/v1/members/${memberId}/balance`, headers: tenant.auth });
  expect(res.statusCode, res.body).toBe(200);
  return json<{ available: number; points: number }>(res);
}
const available = async (memberId: string) => (await walletOf(memberId)).available;
const points = async (memberId: string) => (await walletOf(memberId)).points;

const cart = {
  get member_id() {
    return MEMBER;
  },
  channel: "POS",
  lines: [
    { sku: "latte", category: "drinks", quantity: 2, unit_price: 3000 },
    { sku: "gift-card", category: "stored_value", quantity: 1, unit_price: 2000 },
  ],
  get voucher_ids() {
    return [VOUCHER];
  },
  pay_with_balance: true,
};

async function benefit(payload: object) {
  const res = await t.app.inject({ method: "POST", url: "/v1/benefits", headers: tenant.auth, payload });
  expect(res.statusCode, res.body).toBe(201);
  return json<{ id: string }>(res).id;
}

describe("checkout scenario", () => {
  let memberDay: string;
  let discount: string;
  let order: OrderBody;

  it("prices the cart with the Friday member day, Platinum perks, a voucher and balance", async () => {
    memberDay = await benefit({
      kind: "member_day",
      name: "Friday Member Day",
      audience: { min_tier: "silver" },
      config: {
        schedule: {
          frequency: "weekly",
          days: [5],
          time: { kind: "unified", window: { start: "10:00", end: "22:00" } },
        },
        discount_percent: 10,
        perks: [{ audience: { tiers: ["platinum"] }, extra_discount_percent: 20, extra_points_percent: 20 }],
        items: { kind: "exclude_categories", categories: ["stored_value"] },
      },
    });
    discount = await benefit({
      kind: "member_discount",
      name: "Members 5% off",
      config: { discount_percent: 5, items: { kind: "exclude_categories", categories: ["stored_value"] } },
    });
    const res = await t.app.inject({
      method: "POST",
      url: "/v1/checkout/quotes",
      headers: tenant.auth,
      payload: cart,
    });
    expect(res.statusCode, res.body).toBe(200);
    const q = json<{
      total: number;
      lines: { final_amount: number; member_amount: number }[];
      benefits_applied: { benefit_id: string; discount_amount: number }[];
      benefits_not_applied: { benefit_id: string; reason: string }[];
      vouchers_applied: unknown[];
      balance: { amount: number; remaining_payable: number };
      points: { earned: number };
    }>(res);
    // latte 6000 × 0.9 × 0.8 = 4320; gift card excluded: 2000. Voucher 1000 spread 540 / 460.
    expect(q.lines.map((l) => l.member_amount)).toEqual([4320, 2000]);
    expect(q.benefits_applied).toEqual([
      expect.objectContaining({ benefit_id: memberDay, discount_amount: 1680 }),
    ]);
    expect(q.benefits_not_applied).toEqual([
      expect.objectContaining({ benefit_id: discount, reason: "not_best" }),
    ]);
    expect(q.vouchers_applied).toEqual([{ voucher_id: VOUCHER, amount: 1000 }]);
    expect(q.total).toBe(5320);
    expect(q.balance).toMatchObject({ amount: 5000, remaining_payable: 320 });
    expect(q.points.earned).toBe(63); // 5320 → 53 points × 1.2 = 63.84 → 63
    // Quoting moves nothing.
    expect(await available(MEMBER)).toBe(5000);
  });

  it("completes the order atomically: voucher, balance and points move in the ledger", async () => {
    const headers = { ...tenant.auth, "idempotency-key": "order-1" };
    const payload = { ...cart, client_order_id: "pos-0001", expected_total: 5320 };
    const res = await t.app.inject({ method: "POST", url: "/v1/checkout/orders", headers, payload });
    expect(res.statusCode, res.body).toBe(201);
    order = json<OrderBody>(res);
    expect(order).toMatchObject({
      status: "completed",
      total: 5320,
      balance_amount: 5000,
      remaining_payable: 320,
      points_earned: 63,
      voucher_total: 1000,
    });
    expect(await available(MEMBER)).toBe(0);
    expect(await voucherBalance(VOUCHER)).toBe(0);
    expect(await points(MEMBER)).toBe(63);
    expect(await ledgerBalance(SETTLEMENT)).toBe(1000);

    // A retry with the same key replays; the same client order id without the key returns the same order.
    const replay = await t.app.inject({ method: "POST", url: "/v1/checkout/orders", headers, payload });
    expect(replay.headers["idempotent-replayed"]).toBe("true");
    expect(json<OrderBody>(replay).id).toBe(order.id);
    const again = await t.app.inject({
      method: "POST",
      url: "/v1/checkout/orders",
      headers: tenant.auth,
      payload,
    });
    expect(again.statusCode).toBe(201);
    expect(json<OrderBody>(again).id).toBe(order.id);
    expect(await ledgerBalance(SETTLEMENT)).toBe(1000);
    expectProblem(
      await t.app.inject({
        method: "POST",
        url: "/v1/checkout/orders",
        headers: tenant.auth,
        payload: { ...payload, pay_with_balance: false },
      }),
      409,
      "client_order_id_reused",
    );

    const usage = json<{ orders: number; members: number; discount_total: number }>(
      await t.app.inject({ url: `/v1/benefits/${memberDay}/usage`, headers: tenant.auth }),
    );
    expect(usage).toMatchObject({ orders: 1, members: 1, discount_total: 1680 });
  });

  it("re-checks at complete: a benefit deactivated after the quote refuses the old total and writes nothing", async () => {
    const payload = { ...cart, member_id: GOLD, voucher_ids: [], client_order_id: "pos-0002" };
    const quoted = json<{ total: number }>(
      await t.app.inject({
        method: "POST",
        url: "/v1/checkout/quotes",
        headers: tenant.auth,
        payload: { ...payload, client_order_id: undefined },
      }),
    );
    expect(quoted.total).toBe(5400 + 2000);
    await t.app.inject({ method: "POST", url: `/v1/benefits/${memberDay}/deactivate`, headers: tenant.auth });
    const refused = expectProblem(
      await t.app.inject({
        method: "POST",
        url: "/v1/checkout/orders",
        headers: tenant.auth,
        payload: { ...payload, expected_total: quoted.total },
      }),
      409,
      "quote_changed",
    ) as unknown as { quote: { total: number } };
    expect(refused.quote.total).toBe(5700 + 2000); // now the 5% member discount is the best
    expect(await available(GOLD)).toBe(10000);
    await t.app.inject({ method: "POST", url: `/v1/benefits/${memberDay}/activate`, headers: tenant.auth });
  });

  it("refuses a voucher that cannot be used and moves nothing", async () => {
    expectProblem(
      await t.app.inject({
        method: "POST",
        url: "/v1/checkout/orders",
        headers: tenant.auth,
        payload: { ...cart, member_id: GOLD, client_order_id: "pos-0003" },
      }),
      422,
      "voucher_not_usable",
    );
    expect(await available(GOLD)).toBe(10000);
  });

  it("refunds the order: points back, voucher restored, balance returned; once only", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: `/v1/checkout/orders/${order.id}/refund`,
      headers: tenant.auth,
      payload: { reason: "customer returned the drinks" },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(json<OrderBody>(res).status).toBe("refunded");
    expect(await available(MEMBER)).toBe(5000);
    expect(await voucherBalance(VOUCHER)).toBe(1000);
    expect(await points(MEMBER)).toBe(0);
    expect(await ledgerBalance(SETTLEMENT)).toBe(0);
    expectProblem(
      await t.app.inject({
        method: "POST",
        url: `/v1/checkout/orders/${order.id}/refund`,
        headers: tenant.auth,
        payload: {},
      }),
      409,
      "order_already_refunded",
    );
    const usage = json<{ orders: number; discount_total: number }>(
      await t.app.inject({ url: `/v1/benefits/${memberDay}/usage`, headers: tenant.auth }),
    );
    expect(usage).toMatchObject({ orders: 0, discount_total: 0 });
    const audit = await t.database.owner
      .selectFrom("audit_events")
      .select("action")
      .where("target_id", "=", order.id)
      .orderBy("id")
      .execute();
    expect(audit.map((a) => a.action)).toEqual(["checkout_order.completed", "checkout_order.refunded"]);
    // One event per effect, however many retries: the outbox row commits with the order.
    const events = await t.database.owner
      .selectFrom("events")
      .select(["type", "data"])
      .where("tenant_id", "=", tenant.tenantId)
      .where("type", "like", "checkout_order.%")
      .orderBy("id")
      .execute();
    expect(events.map((e) => e.type)).toEqual(["checkout_order.completed", "checkout_order.refunded"]);
    expect(events[0]!.data).toMatchObject({
      order_id: order.id,
      total: 5320,
      points_earned: 63,
      benefit_ids: [memberDay],
    });
  });

  it("concurrent orders never overdraw the balance, and a duplicated order completes once", async () => {
    const RICH = await (async () => {
      const res = await t.app.inject({
        method: "POST",
        url: "/v1/members",
        headers: tenant.auth,
        payload: { name: "Concurrent", tier: "silver" },
      });
      return json<{ id: string }>(res).id;
    })();
    await topUp(RICH, 10000);
    const one = { sku: "latte", category: "stored_value", quantity: 1, unit_price: 3000 };
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        t.app.inject({
          method: "POST",
          url: "/v1/checkout/orders",
          headers: tenant.auth,
          payload: {
            member_id: RICH,
            channel: "ONLINE",
            lines: [one],
            pay_with_balance: true,
            client_order_id: `web-${i}`,
          },
        }),
      ),
    );
    for (const r of results) expect(r.statusCode, r.body).toBe(201);
    const paid = results.map((r) => json<OrderBody>(r).balance_amount);
    expect(paid.reduce((a, b) => a + b, 0)).toBe(10000);
    expect(paid.every((p) => p >= 0 && p <= 3000)).toBe(true);
    expect(await available(RICH)).toBe(0);

    const same = { member_id: RICH, channel: "ONLINE", lines: [one], client_order_id: "web-dup" };
    const dup = await Promise.all(
      Array.from({ length: 5 }, () =>
        t.app.inject({ method: "POST", url: "/v1/checkout/orders", headers: tenant.auth, payload: same }),
      ),
    );
    const ids = new Set(dup.map((r) => json<OrderBody>(r).id));
    expect(dup.every((r) => r.statusCode === 201)).toBe(true);
    expect(ids.size).toBe(1);
    const earned = await points(RICH);
    expect(earned).toBe(6 * 30 + 30); // six orders and the duplicated one, once
  });

  it("concurrent orders naming one voucher spend it once, never beyond its balance", async () => {
    const res = await t.app.inject({
      method: "POST",
      url: "/v1/members",
      headers: tenant.auth,
      payload: { name: "Voucher Racer", tier: "silver" },
    });
    const racer = json<{ id: string }>(res).id;
    const voucher = await giveVoucher({
      memberId: racer,
      amount: 1000,
      startsAt: t.clock.now(),
      expiresAt: new Date(t.clock.now().getTime() + 7 * 86_400_000),
      minBillAmount: 0,
    });
    const line = { sku: "tea", category: "stored_value", quantity: 1, unit_price: 600 };
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        t.app.inject({
          method: "POST",
          url: "/v1/checkout/orders",
          headers: tenant.auth,
          payload: {
            member_id: racer,
            channel: "POS",
            lines: [line],
            voucher_ids: [voucher],
            rest_paid: "offline",
            client_order_id: `race-${i}`,
          },
        }),
      ),
    );
    const done = results.filter((r) => r.statusCode === 201).map((r) => json<OrderBody>(r));
    for (const r of results.filter((r) => r.statusCode !== 201)) {
      expectProblem(r, 422, "voucher_not_usable");
    }
    expect(done.map((o) => o.voucher_total).sort()).toEqual([400, 600]);
    expect(await voucherBalance(voucher)).toBe(0);

    // Refunding the order that used 600 gives 600 back to the voucher.
    const big = done.find((o) => o.voucher_total === 600)!;
    const refund = await t.app.inject({
      method: "POST",
      url: `/v1/checkout/orders/${big.id}/refund`,
      headers: tenant.auth,
      payload: {},
    });
    expect(refund.statusCode, refund.body).toBe(200);
    expect(await voucherBalance(voucher)).toBe(600);
  });

  it("a card-extension benefit extends the card once, on the order that reaches the yearly spending", async () => {
    const ext = await benefit({
      kind: "card_extension",
      name: "30 days for 100.00 a year",
      config: { extension_days: 30, min_annual_spend: 10000 },
    });
    const res = await t.app.inject({
      method: "POST",
      url: "/v1/members",
      headers: tenant.auth,
      payload: { name: "Extender", tier: "silver" },
    });
    const id = json<{ id: string }>(res).id;
    const expiresBefore = json<{ card_expires_at: string }>(res).card_expires_at;
    const line = { sku: "bag", category: "stored_value", quantity: 1, unit_price: 6000 };
    const buy = (n: number) =>
      t.app.inject({
        method: "POST",
        url: "/v1/checkout/orders",
        headers: tenant.auth,
        payload: { member_id: id, channel: "POS", lines: [line], client_order_id: `ext-${n}` },
      });
    const expires = async () =>
      json<{ card_expires_at: string }>(
        await t.app.inject({ url: `/v1/members/${id}`, headers: tenant.auth }),
      ).card_expires_at;
    expect((await buy(1)).statusCode).toBe(201);
    expect(await expires()).toBe(expiresBefore);
    const second = json<OrderBody>(await buy(2));
    const extended = new Date(new Date(expiresBefore).getTime() + 30 * 86_400_000).toISOString();
    expect(await expires()).toBe(extended);
    expect(second.quote.benefits_applied.map((b) => b.benefit_id)).not.toContain(ext);
    expect((await buy(3)).statusCode).toBe(201);
    expect(await expires()).toBe(extended);
    const usage = json<{ orders: number; members: number }>(
      await t.app.inject({ url: `/v1/benefits/${ext}/usage`, headers: tenant.auth }),
    );
    expect(usage).toMatchObject({ orders: 1, members: 1 });
  });

  it("an order paid partly online whose payment fails returns its voucher and balance and grants nothing", async () => {
    const buyer = await t.app.inject({
      method: "POST",
      url: "/v1/members",
      headers: tenant.auth,
      payload: { name: "Olive Online", tier: "gold" },
    });
    const id = json<{ id: string }>(buyer).id;
    await topUp(id, 1000);
    const voucher = await giveVoucher({
      memberId: id,
      amount: 500,
      startsAt: new Date("2026-11-01T00:00:00Z"),
      expiresAt: new Date("2027-12-31T16:00:00Z"),
      minBillAmount: 0,
    });
    const res = await t.app.inject({
      method: "POST",
      url: "/v1/checkout/orders",
      headers: tenant.auth,
      payload: {
        ...cart,
        member_id: id,
        channel: "ONLINE",
        voucher_ids: [voucher],
        rest_paid: "online",
        client_order_id: "web-voucher-failed",
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    const placed = json<OrderBody & { payment_id: string }>(res);
    expect(placed).toMatchObject({ status: "pending_payment", balance_amount: 1000, voucher_total: 500 });
    expect(await voucherBalance(voucher)).toBe(0);

    const cancel = await t.app.inject({
      method: "POST",
      url: `/v1/wallet-payments/${placed.payment_id}/cancel`,
      headers: { ...tenant.auth, "idempotency-key": "web-voucher-failed-cancel" },
    });
    expect(cancel.statusCode, cancel.body).toBe(200);
    expect(await voucherBalance(voucher)).toBe(500);
    expect(await walletOf(id)).toMatchObject({ available: 1000, points: 0 });
    const order = json<OrderBody>(
      await t.app.inject({ url: `/v1/checkout/orders/${placed.id}`, headers: tenant.auth }),
    );
    expect(order).toMatchObject({ status: "cancelled", points_earned: 0 });
    const audit = await t.database.owner
      .selectFrom("audit_events")
      .select("action")
      .where("target_id", "=", placed.id)
      .orderBy("id")
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      "checkout_order.pending_payment",
      "checkout_order.cancelled",
    ]);
    const events = await t.database.owner
      .selectFrom("events")
      .select(["type", "data"])
      .where("tenant_id", "=", tenant.tenantId)
      .where(sql<string>`data->>'order_id'`, "=", placed.id)
      .where("type", "like", "checkout_order.%")
      .execute();
    expect(events.map((e) => e.type)).toEqual(["checkout_order.cancelled"]);
    expect(events[0]!.data).toMatchObject({ reason: "failed", total: placed.total });
  });
});
