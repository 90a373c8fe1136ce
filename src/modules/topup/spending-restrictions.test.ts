import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { notifyTopupPayment, type TopupBody, topupClient } from "../../../test/helpers/topup.js";

let t: TestApp;
let tenant: TestTenant;
let c: ReturnType<typeof topupClient>;
let n = 0;

const fixed = (amount: number, bonus: number) => ({
  type: "fixed",
  amount,
  bonus_amount: bonus,
  bonus_points: 0,
});
const topUp = async (plan: string, member: string) => {
  const r = await c.topUp(plan, { member_id: member, channel: "pos", payment_method: "offline" });
  expect(r.statusCode, r.body).toBe(201);
  return json<TopupBody>(r);
};
const pay = (
  member: string,
  amountDue: number,
  lines: { sku: string; quantity: number; unit_amount: number }[] = [],
) =>
  c.call("POST", "/v1/wallet-payments", {
    member_id: member,
    order_id: `SR-${++n}`,
    currency: "CNY",
    lines: lines.map((l) => ({ ...l, name: l.sku })),
    amount_due: amountDue,
    external_method: "none",
  });

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
  c = topupClient(t, tenant);
});
afterAll(async () => t?.close());

describe("spending restrictions: the balance knows which top-up its money came from", () => {
  it("usable only on given items: balance payments and the checkout pay only those lines", async () => {
    const plan = await c.plan({
      kind: "package",
      name: "Coffee card",
      rule: fixed(10_000, 1_000),
      restrictions: { eligible_skus: ["coffee"] },
    });
    const m = await c.newMember();
    await topUp(plan, m);
    // 30 coffee + 50 cake: only the coffee may be paid from the lots.
    const refused = expectProblem(
      await pay(m, 8_000, [
        { sku: "coffee", quantity: 1, unit_amount: 3_000 },
        { sku: "cake", quantity: 1, unit_amount: 5_000 },
      ]),
      422,
      "insufficient_balance",
    ) as unknown as { usable: number };
    expect(refused.usable).toBe(3_000);
    // Without lines nothing restricted may pay.
    expectProblem(await pay(m, 100), 422, "insufficient_balance");
    const quote = json<{ balance: { amount: number; remaining_payable: number } }>(
      await c.call("POST", "/v1/checkout/quotes", {
        member_id: m,
        channel: "POS",
        pay_with_balance: true,
        lines: [
          { sku: "coffee", category: "drinks", quantity: 2, unit_price: 3_000 },
          { sku: "cake", category: "bakery", quantity: 1, unit_price: 5_000 },
        ],
      }),
    );
    expect(quote.balance).toMatchObject({ amount: 6_000, remaining_payable: 5_000 });
    const order = await c.call("POST", "/v1/checkout/orders", {
      member_id: m,
      channel: "POS",
      pay_with_balance: true,
      client_order_id: "sr-order-1",
      lines: [
        { sku: "coffee", category: "drinks", quantity: 2, unit_price: 3_000 },
        { sku: "cake", category: "bakery", quantity: 1, unit_price: 5_000 },
      ],
    });
    expect(order.statusCode, order.body).toBe(201);
    expect(json<{ balance_amount: number }>(order).balance_amount).toBe(6_000);
    // Bonus first (the tenant's default): 10.00 bonus, then 50.00 principal.
    expect(await c.balance(m)).toMatchObject({ principal: 5_000, bonus: 0, total: 5_000 });
  });

  it("limits the usable share on the top-up day; all of it the next day", async () => {
    const plan = await c.plan({
      kind: "custom",
      name: "Half today",
      rule: {
        type: "custom",
        min_amount: 100_000,
        max_amount: 500_000,
        bonus_min: 10_000,
        bonus_max: 50_000,
        points_min: 0,
        points_max: 0,
      },
      restrictions: { same_day_usable_bps: 5_000 },
    });
    const m = await c.newMember();
    await c.topUp(plan, { member_id: m, amount: 100_000, channel: "pos", payment_method: "offline" });
    // 1,000 principal + 100 bonus; today at most 50% of each: 500 + 50.
    expectProblem(await pay(m, 55_001), 422, "insufficient_balance");
    expect((await pay(m, 30_000)).statusCode).toBe(201);
    expect((await pay(m, 25_000)).statusCode).toBe(201);
    expectProblem(await pay(m, 1), 422, "insufficient_balance");
    t.clock.advanceDays(1);
    expect((await pay(m, 55_000)).statusCode).toBe(201);
    expect((await c.balance(m)).total).toBe(0);
    t.clock.set("2026-11-23T08:00:00Z");
  });

  it("a share of the top-up day counts what a provider's refund took back as kept back, not as given", async () => {
    const plan = await c.plan({
      kind: "package",
      name: "Half today, online",
      rule: { type: "range", min_amount: 10_000, max_amount: 50_000, bonus_bps: 0, points_bps: 0 },
      restrictions: { same_day_usable_bps: 5_000, channels: ["pos", "online"] },
    });
    const m = await c.newMember();
    const started = json<TopupBody>(
      await c.topUp(plan, { member_id: m, amount: 10_000, channel: "online", payment_method: "online" }),
    );
    const notify = (body: Record<string, unknown>) => notifyTopupPayment(t, tenant.tenantId, started, body);
    expect((await notify({ id: "evt-paid", status: "succeeded" })).statusCode).toBe(200);
    const refund = {
      id: "evt-refund",
      status: "succeeded",
      kind: "refund",
      refund_amount: 4_000,
      refund_id: "re-1",
    };
    expect((await notify(refund)).statusCode).toBe(200);
    expect((await c.balance(m)).total).toBe(6_000);
    // Nothing given yet: today half of the 6,000 kept may go, and not a unit more.
    expectProblem(await pay(m, 3_001), 422, "insufficient_balance");
    expect((await pay(m, 3_000)).statusCode).toBe(201);
    expectProblem(await pay(m, 1), 422, "insufficient_balance");
  });

  it("no bonus usage on the top-up day", async () => {
    const plan = await c.plan({
      kind: "package",
      name: "No bonus today",
      rule: fixed(10_000, 1_000),
      restrictions: { no_bonus_on_topup_day: true },
    });
    const m = await c.newMember();
    await topUp(plan, m);
    expectProblem(await pay(m, 10_001), 422, "insufficient_balance");
    expect((await pay(m, 10_000)).statusCode).toBe(201);
    expect(await c.balance(m)).toMatchObject({ principal: 0, bonus: 1_000 });
    t.clock.advanceDays(1);
    expect((await pay(m, 1_000)).statusCode).toBe(201);
    t.clock.set("2026-11-23T08:00:00Z");
  });

  it("no bonus usage on the top-up day, when the tenant's time zone then moves to where that day has not begun", async () => {
    const plan = await c.plan({
      kind: "package",
      name: "No bonus today, westwards",
      rule: fixed(10_000, 1_000),
      restrictions: { no_bonus_on_topup_day: true },
    });
    const m = await c.newMember();
    // 2026-11-24 04:00 in Shanghai: the top-up day is the 24th.
    t.clock.set("2026-11-23T20:00:00Z");
    await topUp(plan, m);
    // Still the 23rd in Los Angeles: the top-up day is yet to end, not over.
    await c.ok("PATCH", "/v1/tenant", { timezone: "America/Los_Angeles" });
    try {
      expectProblem(await pay(m, 10_001), 422, "insufficient_balance");
      expect((await pay(m, 10_000)).statusCode).toBe(201);
      // 2026-11-25 00:00 in Los Angeles: the 24th has ended there too.
      t.clock.set("2026-11-25T08:00:00Z");
      expect((await pay(m, 1_000)).statusCode).toBe(201);
    } finally {
      await c.ok("PATCH", "/v1/tenant", { timezone: "Asia/Shanghai" });
      t.clock.set("2026-11-23T08:00:00Z");
    }
  });

  it("spends in the documented order and refunds back to the lots that paid, shown in the change log", async () => {
    const plan = await c.plan({ kind: "package", name: "Plain", rule: fixed(10_000, 1_000) });
    const m = await c.newMember();
    await c.ok("POST", `/v1/members/${m}/top-ups`, { amount: 2_000, bonus_amount: 500 });
    const top = await topUp(plan, m);
    // bonus_first: the lot's bonus (10.00) then the untagged bonus (5.00), then principal.
    const paid = json<{ id: string }>(await pay(m, 2_000));
    const log = await c.ok<{
      data: { kind: string; lots: { lot_id: string; amount: number }[] | null; bonus_delta: number }[];
    }>("GET", `/v1/members/${m}/balance-changes?account=balance&kind=payment`);
    expect(log.data[0]).toMatchObject({
      bonus_delta: -1_500,
      lots: [
        { lot_id: top.details.bonus_lot_id, amount: -1_000 },
        { lot_id: top.details.principal_lot_id, amount: -500 },
      ],
    });
    await c.ok("POST", `/v1/wallet-payments/${paid.id}/refunds`, { amount: 2_000 });
    const after = await c.ok<{ data: { kind: string; lots: { lot_id: string; amount: number }[] | null }[] }>(
      "GET",
      `/v1/members/${m}/balance-changes?account=balance&kind=refund`,
    );
    expect(after.data[0]!.lots).toEqual([
      { lot_id: top.details.bonus_lot_id, kind: "bonus", amount: 1_000 },
      { lot_id: top.details.principal_lot_id, kind: "principal", amount: 500 },
    ]);
    expect(await c.balance(m)).toMatchObject({ principal: 12_000, bonus: 1_500 });
  });
});
