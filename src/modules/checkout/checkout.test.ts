import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestApp,
  createTestKey,
  createTestOrgUnit,
  createTestTenant,
  json,
  type TestApp,
  type TestTenant,
} from "../../../test/helpers/app.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { MAX_AMOUNT } from "../../shared/money.js";
import { expirePayments } from "../wallets/index.js";

/** The checkout's HTTP surface with the service's own settlement: members and wallets modules. */
let t: TestApp;
let tenant: TestTenant;
let memberId: string;
let discountId: string;

const lines = [
  { sku: "tea", category: "drinks", quantity: 2, unit_price: 1500 },
  { sku: "cake", category: "bakery", quantity: 1, unit_price: 4000 },
];

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
  await t.app.inject({
    method: "POST",
    url: "/v1/card-plans",
    headers: tenant.auth,
    payload: {
      code: "standard",
      name: "Standard",
      validity: { kind: "permanent" },
      tiers: [
        { code: "silver", name: "Silver", rank: 1 },
        { code: "gold", name: "Gold", rank: 2 },
      ],
    },
  });
  memberId = json<{ id: string }>(
    await t.app.inject({
      method: "POST",
      url: "/v1/members",
      headers: tenant.auth,
      payload: { name: "Ann", tier: "gold" },
    }),
  ).id;
  discountId = json<{ id: string }>(
    await t.app.inject({
      method: "POST",
      url: "/v1/benefits",
      headers: tenant.auth,
      payload: {
        kind: "member_discount",
        name: "20% off",
        audience: { min_tier: "silver" },
        config: { discount_percent: 20 },
      },
    }),
  ).id;
});
afterAll(async () => t?.close());

/** A new Gold member topped up with `amount` (cash at the desk). */
async function goldMemberWithBalance(name: string, amount: number): Promise<string> {
  const created = await t.app.inject({
    method: "POST",
    url: "/v1/members",
    headers: tenant.auth,
    payload: { name, tier: "gold" },
  });
  const id = json<{ id: string }>(created).id;
  const top = await t.app.inject({
    method: "POST",
    url: `/v1/members/${id}/top-ups`,
    headers: tenant.auth,
    payload: { amount, reason: "cash" },
  });
  expect(top.statusCode, top.body).toBe(201);
  return id;
}

const quote = (payload: object, headers = tenant.auth) =>
  t.app.inject({ method: "POST", url: "/v1/checkout/quotes", headers, payload });
const order = (payload: object, headers = tenant.auth) =>
  t.app.inject({ method: "POST", url: "/v1/checkout/orders", headers, payload });

describe("checkout quotes over HTTP", () => {
  it("prices a member's cart: 20 = pay 80%, points, reasons; the same input gives the same answer", async () => {
    const payload = { member_id: memberId, channel: "POS", lines, at: "2026-11-27T04:00:00Z" };
    const a = await quote(payload);
    expect(a.statusCode, a.body).toBe(200);
    const body = json<{
      total: number;
      points: { earned: number };
      benefits_applied: { benefit_id: string }[];
    }>(a);
    expect(body.total).toBe(5600);
    expect(body.points.earned).toBe(56);
    expect(body.benefits_applied.map((b) => b.benefit_id)).toEqual([discountId]);
    expect((await quote(payload)).body).toBe(a.body);
  });

  it("without a member: no benefit, each with reason member_required", async () => {
    const body = json<{ total: number; benefits_not_applied: { benefit_id: string; reason: string }[] }>(
      await quote({ channel: "ONLINE", lines }),
    );
    expect(body.total).toBe(7000);
    expect(body.benefits_not_applied).toEqual([
      expect.objectContaining({ benefit_id: discountId, reason: "member_required" }),
    ]);
  });

  it.each([
    [{ channel: "POS", lines: [] }, "validation_failed"],
    [{ channel: "POS", lines: [{ ...lines[0], quantity: 0 }] }, "validation_failed"],
    [{ channel: "POS", lines: [{ ...lines[0], unit_price: -1 }] }, "validation_failed"],
    [{ channel: "POS", lines: [{ ...lines[0], unit_price: 1.5 }] }, "validation_failed"],
    [{ channel: "KIOSK", lines }, "validation_failed"],
    [{ channel: "POS", lines: Array.from({ length: 101 }, () => lines[0]) }, "validation_failed"],
    [
      { channel: "POS", lines, voucher_ids: Array.from({ length: 11 }, (_, i) => `vch_${i}`) },
      "validation_failed",
    ],
  ])("refuses bad input %#", async (payload, code) => {
    expectProblem(await quote(payload), 400, code);
  });

  it("a cart beyond the amount bound is 422 amount_out_of_range, quoted or ordered; nothing written", async () => {
    // Each line is legal (10,000 × 10^11 = 10^15), but two of them are past MAX_AMOUNT.
    const maxLine = { sku: "gold", category: "bullion", quantity: 10_000, unit_price: 100_000_000_000 };
    const atBound = await quote({ channel: "POS", lines: [maxLine] });
    expect(atBound.statusCode, atBound.body).toBe(200);
    expect(json<{ total: number }>(atBound).total).toBe(MAX_AMOUNT);
    const past = { channel: "POS", lines: [maxLine, { ...maxLine, sku: "silver" }] };
    expectProblem(await quote(past), 422, "amount_out_of_range");
    const many = {
      channel: "POS",
      lines: Array.from({ length: 100 }, (_, i) => ({ ...maxLine, sku: `g${i}` })),
    };
    expectProblem(await quote(many), 422, "amount_out_of_range");
    expectProblem(await quote({ ...past, member_id: memberId }), 422, "amount_out_of_range");
    expectProblem(await order({ ...past, client_order_id: "too-big-1" }), 422, "amount_out_of_range");
    expectProblem(await order({ ...many, client_order_id: "too-big-2" }), 422, "amount_out_of_range");
    expectProblem(
      await order({ ...past, member_id: memberId, client_order_id: "too-big-3" }),
      422,
      "amount_out_of_range",
    );
    const rows = await t.database.owner
      .selectFrom("checkout_orders")
      .select("id")
      .where("client_order_id", "like", "too-big-%")
      .execute();
    expect(rows).toHaveLength(0);
  });

  it("unknown member and unknown store are 404; a store-bound key sells only in its subtree", async () => {
    expectProblem(await quote({ member_id: "mbr_nobody", channel: "POS", lines }), 404, "member_not_found");
    expectProblem(await quote({ store_id: "org_nowhere", channel: "POS", lines }), 404, "store_not_found");
    const root = { id: tenant.rootOrgUnitId, path: `/${tenant.rootOrgUnitId}/` };
    const storeA = await createTestOrgUnit(t, tenant.tenantId, root, "store", "A");
    const storeB = await createTestOrgUnit(t, tenant.tenantId, root, "store", "B");
    const keyA = await createTestKey(t, tenant.tenantId, "operator", storeA.id);
    expect((await quote({ channel: "POS", lines }, keyA.auth)).statusCode).toBe(200);
    expectProblem(
      await quote({ store_id: storeB.id, channel: "POS", lines }, keyA.auth),
      404,
      "store_not_found",
    );
  });
});

describe("orders with the default settlement", () => {
  it("completes an order without a member, idempotently by client_order_id", async () => {
    const payload = { channel: "POS", lines, client_order_id: "till-1" };
    const first = await order(payload);
    expect(first.statusCode, first.body).toBe(201);
    const again = await order(payload);
    expect(json<{ id: string }>(again).id).toBe(json<{ id: string }>(first).id);
    expect(json<{ total: number; points_earned: number }>(first)).toMatchObject({
      total: 7000,
      points_earned: 0,
    });
    const got = await t.app.inject({
      url: `/v1/checkout/orders/${json<{ id: string }>(first).id}`,
      headers: tenant.auth,
    });
    expect(json<{ client_order_id: string }>(got).client_order_id).toBe("till-1");
  });

  it("a client_order_id already used at another store is client_order_id_reused, not that store's order", async () => {
    const root = { id: tenant.rootOrgUnitId, path: `/${tenant.rootOrgUnitId}/` };
    const north = await createTestOrgUnit(t, tenant.tenantId, root, "store", "North");
    const south = await createTestOrgUnit(t, tenant.tenantId, root, "store", "South");
    const tillNorth = await createTestKey(t, tenant.tenantId, "operator", north.id);
    const tillSouth = await createTestKey(t, tenant.tenantId, "operator", south.id);
    // Both tills send the same body; each sells at its own store.
    const payload = { channel: "POS", lines, client_order_id: "till-shared-1" };
    const first = await order(payload, tillNorth.auth);
    expect(first.statusCode, first.body).toBe(201);
    const placed = json<{ id: string; store_id: string }>(first);
    expect(placed.store_id).toBe(north.id);
    expectProblem(await order(payload, tillSouth.auth), 409, "client_order_id_reused");
    // Named explicitly by tenant-wide staff, the other store is a different order too.
    expectProblem(await order({ ...payload, store_id: south.id }), 409, "client_order_id_reused");
    // The till that placed it still gets its order back.
    const again = await order(payload, tillNorth.auth);
    expect(again.statusCode, again.body).toBe(201);
    expect(json<{ id: string }>(again).id).toBe(placed.id);
  });

  it("pays by balance and awards points through the wallets module; the refund puts both back", async () => {
    const top = await t.app.inject({
      method: "POST",
      url: `/v1/members/${memberId}/top-ups`,
      headers: tenant.auth,
      payload: { amount: 4000, bonus_amount: 1000, reason: "cash" },
    });
    expect(top.statusCode, top.body).toBe(201);
    const balance = async () =>
      json<{ available: number; principal: number; bonus: number; points: number }>(
        await t.app.inject({ url: `/v1/members/${memberId}/balance`, headers: tenant.auth }),
      );
    const quoted = json<{ balance: { available: number; amount: number; remaining_payable: number } }>(
      await quote({ member_id: memberId, channel: "POS", lines, pay_with_balance: true }),
    );
    expect(quoted.balance).toEqual({
      available: 5000,
      pay_with_balance: true,
      amount: 5000,
      remaining_payable: 600,
    });
    const res = await order({
      member_id: memberId,
      channel: "POS",
      lines,
      pay_with_balance: true,
      client_order_id: "till-2",
      expected_total: 5600,
    });
    expect(res.statusCode, res.body).toBe(201);
    const placed = json<{
      id: string;
      balance_amount: number;
      remaining_payable: number;
      points_earned: number;
    }>(res);
    expect(placed).toMatchObject({ balance_amount: 5000, remaining_payable: 600, points_earned: 56 });
    expect(await balance()).toMatchObject({ available: 0, points: 56 });
    const usage = json<{ orders: number; discount_total: number }>(
      await t.app.inject({ url: `/v1/benefits/${discountId}/usage`, headers: tenant.auth }),
    );
    expect(usage).toMatchObject({ orders: 1, discount_total: 1400 });
    // A benefit that does not exist has no usage to report.
    expectProblem(
      await t.app.inject({ url: "/v1/benefits/bnf_missing/usage", headers: tenant.auth }),
      404,
      "benefit_not_found",
    );

    const refund = await t.app.inject({
      method: "POST",
      url: `/v1/checkout/orders/${placed.id}/refund`,
      headers: tenant.auth,
      payload: {},
    });
    expect(refund.statusCode, refund.body).toBe(200);
    expect(await balance()).toMatchObject({ principal: 4000, bonus: 1000, available: 5000, points: 0 });
  });

  it("a benefit's usage counts, for store-bound staff, only the orders of stores in their subtree", async () => {
    const root = { id: tenant.rootOrgUnitId, path: `/${tenant.rootOrgUnitId}/` };
    const east = await createTestOrgUnit(t, tenant.tenantId, root, "store", "East");
    const west = await createTestOrgUnit(t, tenant.tenantId, root, "store", "West");
    const usageAs = async (headers: Record<string, string>) =>
      json<{ orders: number; discount_total: number }>(
        await t.app.inject({ url: `/v1/benefits/${discountId}/usage`, headers }),
      );
    const before = await usageAs(tenant.auth);
    const placed = await order({
      member_id: memberId,
      channel: "POS",
      lines,
      store_id: east.id,
      client_order_id: "usage-east",
    });
    expect(placed.statusCode, placed.body).toBe(201);
    const eastTill = await createTestKey(t, tenant.tenantId, "operator", east.id);
    const westTill = await createTestKey(t, tenant.tenantId, "operator", west.id);
    expect(await usageAs(eastTill.auth)).toMatchObject({ orders: 1, discount_total: 1400 });
    expect(await usageAs(westTill.auth)).toMatchObject({ orders: 0, discount_total: 0 });
    expect(await usageAs(tenant.auth)).toMatchObject({
      orders: before.orders + 1,
      discount_total: before.discount_total + 1400,
    });
  });

  describe("an order whose rest is paid online waits for that payment", () => {
    interface PlacedOrder {
      id: string;
      status: string;
      payment_id: string | null;
      points_earned: number;
      balance_amount: number;
      remaining_payable: number;
    }
    const wallet = async (member: string) =>
      json<{ held: number; available: number; points: number }>(
        await t.app.inject({ url: `/v1/members/${member}/balance`, headers: tenant.auth }),
      );
    const getOrder = async (id: string) =>
      json<PlacedOrder & { cancelled_at: string | null }>(
        await t.app.inject({ url: `/v1/checkout/orders/${id}`, headers: tenant.auth }),
      );
    const usage = async () =>
      json<{ orders: number }>(
        await t.app.inject({ url: `/v1/benefits/${discountId}/usage`, headers: tenant.auth }),
      ).orders;
    const resolve = (paymentId: string, verb: "confirm" | "cancel") =>
      t.app.inject({
        method: "POST",
        url: `/v1/wallet-payments/${paymentId}/${verb}`,
        headers: { ...tenant.auth, "idempotency-key": `${verb}-${paymentId}` },
      });
    async function placeOnline(name: string, clientOrderId: string): Promise<[string, PlacedOrder]> {
      const buyer = await goldMemberWithBalance(name, 1000);
      const res = await order({
        member_id: buyer,
        channel: "ONLINE",
        lines,
        pay_with_balance: true,
        rest_paid: "online",
        client_order_id: clientOrderId,
      });
      expect(res.statusCode, res.body).toBe(201);
      return [buyer, json<PlacedOrder>(res)];
    }

    it("holds the balance part and grants nothing until the payment succeeds; then completes with its points", async () => {
      const usedBefore = await usage();
      const [buyer, placed] = await placeOnline("Web", "web-online-1");
      expect(placed).toMatchObject({
        status: "pending_payment",
        balance_amount: 1000,
        remaining_payable: 4600,
        points_earned: 0,
      });
      expect(placed.payment_id).toMatch(/^\w+_/);
      expect(await wallet(buyer)).toMatchObject({ held: 1000, available: 0, points: 0 });
      expect(await usage()).toBe(usedBefore);
      expectProblem(
        await t.app.inject({
          method: "POST",
          url: `/v1/checkout/orders/${placed.id}/refund`,
          headers: tenant.auth,
          payload: {},
        }),
        409,
        "order_not_paid",
      );

      const confirmed = await resolve(placed.payment_id!, "confirm");
      expect(confirmed.statusCode, confirmed.body).toBe(200);
      expect(await getOrder(placed.id)).toMatchObject({ status: "completed", points_earned: 56 });
      expect(await wallet(buyer)).toMatchObject({ held: 0, available: 0, points: 56 });
      expect(await usage()).toBe(usedBefore + 1);

      // Paid, it refunds like any order: points back out, balance back in.
      const refund = await t.app.inject({
        method: "POST",
        url: `/v1/checkout/orders/${placed.id}/refund`,
        headers: tenant.auth,
        payload: {},
      });
      expect(refund.statusCode, refund.body).toBe(200);
      expect(await wallet(buyer)).toMatchObject({ available: 1000, points: 0 });
    });

    it("a failed payment cancels the order whole: balance released, no points, no benefit usage", async () => {
      const usedBefore = await usage();
      const [buyer, placed] = await placeOnline("Failed", "web-online-failed");
      const cancelled = await resolve(placed.payment_id!, "cancel");
      expect(cancelled.statusCode, cancelled.body).toBe(200);
      const after = await getOrder(placed.id);
      expect(after).toMatchObject({ status: "cancelled", points_earned: 0 });
      expect(after.cancelled_at).not.toBeNull();
      expect(await wallet(buyer)).toMatchObject({ held: 0, available: 1000, points: 0 });
      expect(await usage()).toBe(usedBefore);
      // The replay of the order answers what it became; nothing can be refunded twice.
      const replay = await order({
        member_id: buyer,
        channel: "ONLINE",
        lines,
        pay_with_balance: true,
        rest_paid: "online",
        client_order_id: "web-online-failed",
      });
      expect(json<PlacedOrder>(replay).status).toBe("cancelled");
      expectProblem(
        await t.app.inject({
          method: "POST",
          url: `/v1/checkout/orders/${placed.id}/refund`,
          headers: tenant.auth,
          payload: {},
        }),
        409,
        "order_not_paid",
      );
      expectProblem(await resolve(placed.payment_id!, "confirm"), 409, "payment_not_held");
    });

    it("a payment that times out cancels its order; a success arriving after the timeout is refused", async () => {
      const [buyer, placed] = await placeOnline("Slow", "web-online-timeout");
      const payment = json<{ timeout_at: string }>(
        await t.app.inject({ url: `/v1/wallet-payments/${placed.payment_id}`, headers: tenant.auth }),
      );
      t.clock.set(new Date(Date.parse(payment.timeout_at) + 1000));
      expectProblem(await resolve(placed.payment_id!, "confirm"), 409, "payment_expired");
      expect((await getOrder(placed.id)).status).toBe("pending_payment");
      expect(await expirePayments(t.deps.ledger, tenant.tenantId, t.clock.now())).toBeGreaterThanOrEqual(1);
      expect(await getOrder(placed.id)).toMatchObject({ status: "cancelled", points_earned: 0 });
      expect(await wallet(buyer)).toMatchObject({ held: 0, available: 1000, points: 0 });
    });
  });

  it("a refund whose points were already spent is refused whole: nothing moves", async () => {
    const buyer = await goldMemberWithBalance("Spender", 9000);
    const placed = json<{ id: string; points_earned: number }>(
      await order({
        member_id: buyer,
        channel: "POS",
        lines,
        pay_with_balance: true,
        client_order_id: "spent-1",
      }),
    );
    expect(placed.points_earned).toBe(56);
    const spend = await t.app.inject({
      method: "POST",
      url: `/v1/members/${buyer}/points`,
      headers: tenant.auth,
      payload: { operation: "spend", points: 50, reason: "gift" },
    });
    expect(spend.statusCode, spend.body).toBe(201);
    const wallet = async () =>
      json<{ available: number; points: number }>(
        await t.app.inject({ url: `/v1/members/${buyer}/balance`, headers: tenant.auth }),
      );
    const before = await wallet();
    expectProblem(
      await t.app.inject({
        method: "POST",
        url: `/v1/checkout/orders/${placed.id}/refund`,
        headers: tenant.auth,
        payload: {},
      }),
      422,
      "insufficient_points",
    );
    expect(await wallet()).toEqual(before);
    const got = json<{ status: string }>(
      await t.app.inject({ url: `/v1/checkout/orders/${placed.id}`, headers: tenant.auth }),
    );
    expect(got.status).toBe("completed");
  });

  it("a frozen member may be quoted but not sold to, even an order that earns no points; nothing written", async () => {
    const frozen = await goldMemberWithBalance("Frost", 1000);
    const freeze = await t.app.inject({
      method: "PATCH",
      url: `/v1/members/${frozen}`,
      headers: tenant.auth,
      payload: { status: "frozen" },
    });
    expect(freeze.statusCode, freeze.body).toBe(200);
    // 0.99 at 20% off: 0.79, under one point, so no points account is touched.
    const small = {
      member_id: frozen,
      channel: "POS",
      lines: [{ ...lines[0], quantity: 1, unit_price: 99 }],
    };
    const quoted = await quote(small);
    expect(quoted.statusCode, quoted.body).toBe(200);
    expect(json<{ total: number; points: { earned: number } }>(quoted)).toMatchObject({
      total: 79,
      points: { earned: 0 },
    });
    const usedBefore = json<{ orders: number }>(
      await t.app.inject({ url: `/v1/benefits/${discountId}/usage`, headers: tenant.auth }),
    ).orders;
    expectProblem(await order({ ...small, client_order_id: "frozen-1" }), 422, "member_frozen");
    const rows = await t.database.owner
      .selectFrom("checkout_orders")
      .select("id")
      .where("client_order_id", "=", "frozen-1")
      .execute();
    expect(rows).toHaveLength(0);
    const usedAfter = json<{ orders: number }>(
      await t.app.inject({ url: `/v1/benefits/${discountId}/usage`, headers: tenant.auth }),
    ).orders;
    expect(usedAfter).toBe(usedBefore);
  });

  it("a currency the ledger does not have is asset_not_found, quoted or ordered: no order, no points for it", async () => {
    const buyer = await goldMemberWithBalance("Faux", 1000);
    const points = async () =>
      json<{ points: number }>(
        await t.app.inject({ url: `/v1/members/${buyer}/balance`, headers: tenant.auth }),
      ).points;
    const before = await points();
    const cart = { member_id: buyer, channel: "POS", lines, currency: "ZZZ" };
    expectProblem(await quote(cart), 404, "asset_not_found");
    expectProblem(await quote({ ...cart, member_id: null }), 404, "asset_not_found");
    expectProblem(await order({ ...cart, client_order_id: "faux-1" }), 404, "asset_not_found");
    expectProblem(
      await order({ ...cart, member_id: null, client_order_id: "faux-2" }),
      404,
      "asset_not_found",
    );
    const rows = await t.database.owner
      .selectFrom("checkout_orders")
      .select("id")
      .where("client_order_id", "in", ["faux-1", "faux-2"])
      .execute();
    expect(rows).toHaveLength(0);
    expect(await points()).toBe(before);
    // The tenant's currency, named or not, is one.
    const named = await quote({ ...cart, currency: "CNY" });
    expect(named.statusCode, named.body).toBe(200);
  });

  it("refuses an order naming an unknown voucher (voucher_not_usable: not_found); nothing written", async () => {
    const refused = expectProblem(
      await order({
        member_id: memberId,
        channel: "POS",
        lines,
        voucher_ids: ["vch_x"],
        client_order_id: "till-4",
      }),
      422,
      "voucher_not_usable",
    ) as unknown as { voucher_id: string; reason: string };
    expect(refused).toMatchObject({ voucher_id: "vch_x", reason: "not_found" });
    const rows = await t.database.owner
      .selectFrom("checkout_orders")
      .select("id")
      .where("client_order_id", "=", "till-4")
      .execute();
    expect(rows).toHaveLength(0);
  });

  it("an unknown order is 404; a viewer may quote but not sell", async () => {
    expectProblem(
      await t.app.inject({ url: "/v1/checkout/orders/ord_nothing", headers: tenant.auth }),
      404,
      "order_not_found",
    );
    const viewer = await createTestKey(t, tenant.tenantId, "viewer");
    expect((await quote({ channel: "POS", lines }, viewer.auth)).statusCode).toBe(200);
    expectProblem(
      await order({ channel: "POS", lines, client_order_id: "till-3" }, viewer.auth),
      403,
      "forbidden",
    );
  });
});
