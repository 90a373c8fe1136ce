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
import { topupClient } from "../../../test/helpers/topup.js";
import { MAX_AMOUNT } from "../../shared/money.js";

let t: TestApp;
let tenant: TestTenant;
let c: ReturnType<typeof topupClient>;

interface OfferBody {
  plan_id: string | null;
  reason: string | null;
  available: number;
  tiers: {
    index: number;
    amount: number;
    bonus_amount: number;
    points: number;
    usable_after: number;
    offered: boolean;
    reason: string | null;
  }[];
}
const tiers = [
  { type: "discount", multiplier_bps: 12_000, bonus_bps: 800 },
  { type: "gift", multiplier_bps: 13_000, bonus_bps: 500, points_bps: 1000 },
  { type: "fixed", amount: 30_000, bonus_amount: 3_000, bonus_points: 300 },
  { type: "fixed", amount: 5_000, bonus_amount: 0, bonus_points: 0 },
];

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
  c = topupClient(t, tenant);
});
afterAll(async () => t?.close());

const offers = (member: string, order: number, channel = "pos") =>
  c.ok<OfferBody>(
    "GET",
    `/v1/smart-topup/offers?member_id=${member}&channel=${channel}&order_amount=${order}`,
  );

describe("smart top-up (§2.4)", () => {
  it("takes up to 9 tiers and refuses a 10th", async () => {
    const nine = Array.from({ length: 9 }, () => tiers[0]);
    expect((await c.call("POST", "/v1/smart-topup-plans", { name: "Nine", tiers: nine })).statusCode).toBe(
      201,
    );
    const ten = await c.call("POST", "/v1/smart-topup-plans", { name: "Ten", tiers: [...nine, tiers[0]] });
    const problem = expectProblem(ten, 400, "validation_failed") as unknown as {
      errors: { field: string }[];
    };
    expect(problem.errors.some((e) => e.field.includes("tiers"))).toBe(true);
    // Only the newest active plan matches: retire this one.
    const plans = await c.ok<{ data: { id: string }[] }>("GET", "/v1/smart-topup-plans");
    for (const p of plans.data) {
      await c.ok("POST", `/v1/smart-topup-plans/${p.id}/deactivate`);
    }
  });

  it("offers tiers with computed amounts for an order the balance cannot cover, or none and why", async () => {
    const plan = await c.ok<{ id: string }>("POST", "/v1/smart-topup-plans", {
      name: "Holiday Smart Prepaid Plan",
      rounding: "0.1",
      tiers,
      channels: ["pos"],
    });
    const m = await c.newMember();
    const offer = await offers(m, 10_000);
    expect(offer.plan_id).toBe(plan.id);
    expect(offer.tiers[0]).toMatchObject({
      amount: 12_000,
      bonus_amount: 800,
      usable_after: 12_800,
      offered: true,
    });
    expect(offer.tiers[2]).toMatchObject({ amount: 30_000, bonus_amount: 3_000, points: 300, offered: true });
    expect(offer.tiers[3]).toMatchObject({ offered: false, reason: "does_not_cover_order" });
    const gift = await offers(m, 9_000);
    expect(gift.tiers[1]).toMatchObject({ amount: 11_700, bonus_amount: 450, points: 11 });
    expect((await offers(m, 10_000, "online")).reason).toBe("channel_not_allowed");
    await c.ok("POST", `/v1/members/${m}/top-ups`, { amount: 20_000 });
    expect(await offers(m, 10_000)).toMatchObject({
      plan_id: null,
      reason: "balance_covers_order",
      tiers: [],
    });
  });

  it("accept: credits the tier and pays the order by balance in one idempotent step, recorded", async () => {
    const plan = (
      await c.ok<{ data: { id: string; status: string }[] }>("GET", "/v1/smart-topup-plans?status=active")
    ).data[0]!.id;
    const m = await c.newMember();
    const body = {
      member_id: m,
      plan_id: plan,
      tier_index: 0,
      order_amount: 10_000,
      channel: "pos",
      payment_method: "offline",
      pay_order: { order_id: "SO-SMART-1" },
    };
    const send = () =>
      t.app.inject({
        method: "POST",
        url: "/v1/smart-topup/accept",
        headers: { ...tenant.auth, "idempotency-key": "accept-1" },
        payload: body,
      });
    const first = await send();
    expect(first.statusCode, first.body).toBe(201);
    const r = json<{
      acceptance: { payment_id: string; amount: number; bonus_amount: number };
      topup: { status: string };
    }>(first);
    expect(r.acceptance).toMatchObject({ amount: 12_000, bonus_amount: 800 });
    expect(r.topup.status).toBe("credited");
    expect(r.acceptance.payment_id).toMatch(/^wpay_/);
    // 120 + 8 = 128 in, 100 paid: 28 left.
    expect((await c.balance(m)).total).toBe(2_800);
    const again = await send();
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect((await c.balance(m)).total).toBe(2_800);
    const list = await c.ok<{ data: { order_amount: number; order_id: string; tier_type: string }[] }>(
      "GET",
      `/v1/smart-topup-plans/${plan}/acceptances`,
    );
    expect(list.data[0]).toMatchObject({
      order_amount: 10_000,
      order_id: "SO-SMART-1",
      tier_type: "discount",
    });
    // A tier not offered is refused and nothing is written.
    const m2 = await c.newMember();
    expectProblem(
      await c.call("POST", "/v1/smart-topup/accept", {
        ...body,
        member_id: m2,
        tier_index: 3,
        pay_order: undefined,
      }),
      422,
      "tier_not_offered",
    );
    expect((await c.balance(m2)).total).toBe(0);
  });

  it("gift stock: tier gifts stop at the limit; the top-up still goes on", async () => {
    const template = await c.ok<{ id: string }>("POST", "/v1/gift-voucher-templates", {
      name: "Coffee",
      face_amount: 1500,
      validity: { kind: "relative", valid_days: 30 },
      scope: { kind: "all" },
      min_spend: 0,
    });
    const plan = await c.ok<{ id: string }>("POST", "/v1/smart-topup-plans", {
      name: "With gift",
      rounding: "1",
      gift_stock_limit: 1,
      tiers: [
        {
          type: "discount",
          multiplier_bps: 12_000,
          bonus_bps: 0,
          gift: { kind: "voucher", template_id: template.id },
        },
      ],
    });
    const accept = async () => {
      const m = await c.newMember();
      const r = await c.call("POST", "/v1/smart-topup/accept", {
        member_id: m,
        plan_id: plan.id,
        tier_index: 0,
        order_amount: 5_000,
        channel: "pos",
        payment_method: "offline",
      });
      expect(r.statusCode, r.body).toBe(201);
      return json<{ topup: { gift: { status: string }[] } }>(r).topup.gift[0]!.status;
    };
    expect(await accept()).toBe("granted");
    expect(await accept()).toBe("out_of_stock");
  });

  it("a tier whose top-up would pass the largest amount is not offered, and accepting it writes nothing", async () => {
    const plan = await c.ok<{ id: string }>("POST", "/v1/smart-topup-plans", {
      name: "Hundredfold",
      rounding: "100",
      tiers: [
        { type: "discount", multiplier_bps: 1_000_000, bonus_bps: 0 },
        { type: "fixed", amount: MAX_AMOUNT, bonus_amount: 0, bonus_points: 0 },
      ],
    });
    const m = await c.newMember();
    const offer = await offers(m, MAX_AMOUNT);
    expect(offer.plan_id).toBe(plan.id);
    expect(offer.tiers[0]).toMatchObject({ offered: false, reason: "above_maximum" });
    expect(offer.tiers[1]).toMatchObject({ amount: MAX_AMOUNT, offered: true });
    const accepted = await c.call("POST", "/v1/smart-topup/accept", {
      member_id: m,
      plan_id: plan.id,
      tier_index: 0,
      order_amount: MAX_AMOUNT,
      channel: "pos",
      payment_method: "offline",
    });
    const problem = expectProblem(accepted, 422, "tier_not_offered") as unknown as { reason: string };
    expect(problem.reason).toBe("above_maximum");
    const written = await t.database.owner
      .selectFrom("topups")
      .select("id")
      .where("tenant_id", "=", tenant.tenantId)
      .where("plan_id", "=", plan.id)
      .execute();
    expect(written).toEqual([]);
    expect((await c.balance(m)).total).toBe(0);
  });
});

describe("a smart plan's acceptances", () => {
  it("show staff bound to a store only those of members in their branch, as a plan's top-ups do", async () => {
    const root = { id: tenant.rootOrgUnitId, path: `/${tenant.rootOrgUnitId}/` };
    const store = (await createTestOrgUnit(t, tenant.tenantId, root, "store", "Branch A")).id;
    const otherStore = (await createTestOrgUnit(t, tenant.tenantId, root, "store", "Branch B")).id;
    const plan = await c.ok<{ id: string }>("POST", "/v1/smart-topup-plans", {
      name: "Branch smart",
      tiers: [tiers[0]],
    });
    const ours = await c.newMember({ org_unit_id: store });
    const theirs = await c.newMember({ org_unit_id: otherStore });
    for (const member_id of [ours, theirs]) {
      await c.ok("POST", "/v1/smart-topup/accept", {
        member_id,
        plan_id: plan.id,
        tier_index: 0,
        order_amount: 10_000,
        channel: "pos",
        payment_method: "offline",
      });
    }
    const clerk = await createTestKey(t, tenant.tenantId, "operator", store);
    const seen = await t.app.inject({
      method: "GET",
      url: `/v1/smart-topup-plans/${plan.id}/acceptances`,
      headers: clerk.auth,
    });
    expect(seen.statusCode, seen.body).toBe(200);
    expect(json<{ data: { member_id: string }[] }>(seen).data.map((a) => a.member_id)).toEqual([ours]);
    const everyone = await c.ok<{ data: unknown[] }>("GET", `/v1/smart-topup-plans/${plan.id}/acceptances`);
    expect(everyone.data).toHaveLength(2);
  });
});

describe("smart top-up offers for an order the till pays from the balance", () => {
  let smart: string;
  let anyItem: string;
  let coffeeOnly: string;
  const ORDER = 8_200;
  const offersFor = (member: string, extra: object = {}, order = ORDER) =>
    c.ok<OfferBody>("POST", "/v1/smart-topup/offers", {
      member_id: member,
      channel: "pos",
      order_amount: order,
      ...extra,
    });
  const offered = (o: OfferBody) => o.tiers.map((x) => [x.offered, x.reason]);
  /** 10.00 any item may pay and 40.00 only coffee may: 50.00 available. */
  async function coffeeMember(): Promise<string> {
    const m = await c.newMember();
    for (const plan of [anyItem, coffeeOnly]) {
      const r = await c.topUp(plan, { member_id: m, channel: "pos", payment_method: "offline" });
      expect(r.statusCode, r.body).toBe(201);
    }
    return m;
  }

  beforeAll(async () => {
    smart = (
      await c.ok<{ id: string }>("POST", "/v1/smart-topup-plans", {
        name: "Till orders",
        channels: ["pos"],
        tiers: [
          { type: "discount", multiplier_bps: 12_000, bonus_bps: 800 },
          { type: "fixed", amount: 5_000, bonus_amount: 0, bonus_points: 0 },
          { type: "fixed", amount: 10_000, bonus_amount: 0, bonus_points: 0 },
        ],
      })
    ).id;
    anyItem = await c.plan({
      kind: "package",
      name: "Ten for anything",
      rule: { type: "fixed", amount: 1_000, bonus_amount: 0, bonus_points: 0 },
    });
    coffeeOnly = await c.plan({
      kind: "package",
      name: "Forty for coffee",
      rule: { type: "fixed", amount: 4_000, bonus_amount: 0, bonus_points: 0 },
      restrictions: { eligible_skus: ["coffee"] },
    });
  });

  it("count what the payment naming the order's lines may use, and every tier offered for it is accepted", async () => {
    const m = await coffeeMember();
    const lines = [
      { sku: "coffee", amount: 3_000 },
      { sku: "cake", amount: 5_200 },
    ];
    // Without pay_order all 50.00 counts, as GET counts it.
    const all = await offersFor(m);
    expect(all).toMatchObject({ plan_id: smart, available: 5_000 });
    expect(
      await c.ok<OfferBody>("GET", `/v1/smart-topup/offers?member_id=${m}&channel=pos&order_amount=${ORDER}`),
    ).toMatchObject({ plan_id: smart, available: 5_000 });
    // Paid naming no item, only the 10.00 counts: the fixed 50.00 no longer pays 82.00.
    const itemless = await offersFor(m, { pay_order: {} });
    expect(itemless).toMatchObject({ plan_id: smart, reason: null, available: 1_000 });
    expect(offered(itemless)).toEqual([
      [true, null],
      [false, "does_not_cover_order"],
      [true, null],
    ]);
    // Naming 30.00 of coffee, the coffee money pays that line: 40.00 counts, and 50.00 more pays.
    const named = await offersFor(m, { pay_order: { lines } });
    expect(named).toMatchObject({ plan_id: smart, reason: null, available: 4_000 });
    expect(offered(named)).toEqual([
      [true, null],
      [true, null],
      [true, null],
    ]);
    expect(named.tiers[1]!.usable_after).toBe(9_000);

    // The tier the itemless offer left out is refused for an itemless payment, nothing written.
    const accept = (payOrder: object) =>
      c.call("POST", "/v1/smart-topup/accept", {
        member_id: m,
        plan_id: smart,
        tier_index: 1,
        order_amount: ORDER,
        channel: "pos",
        payment_method: "offline",
        pay_order: payOrder,
      });
    const refused = expectProblem(await accept({ order_id: "SO-TILL-1" }), 422, "tier_not_offered");
    expect(refused).toMatchObject({ reason: "does_not_cover_order" });
    expect((await c.balance(m)).total).toBe(5_000);
    expect(
      (await c.ok<{ data: unknown[] }>("GET", `/v1/smart-topup-plans/${smart}/acceptances`)).data,
    ).toHaveLength(0);
    // Accepted with the lines it was offered for: credited, and the order paid.
    const done = await accept({ order_id: "SO-TILL-1", lines });
    expect(done.statusCode, done.body).toBe(201);
    expect(json<{ acceptance: { payment_id: string | null } }>(done).acceptance.payment_id).toMatch(/^wpay_/);
    expect((await c.balance(m)).total).toBe(5_000 + 5_000 - ORDER);
  });

  it("say the balance covers an order when the coffee money may pay its coffee, and not when paid naming no item", async () => {
    const m = await coffeeMember();
    const order = 4_500;
    const covered = await offersFor(m, { pay_order: { lines: [{ sku: "coffee", amount: 4_000 }] } }, order);
    expect(covered).toMatchObject({ plan_id: null, reason: "balance_covers_order", available: 4_500 });
    const itemless = await offersFor(m, { pay_order: {} }, order);
    expect(itemless).toMatchObject({ plan_id: smart, reason: null, available: 1_000 });
    // Lines over the order's amount (another tender paid part): the payment still takes at most the order.
    const over = await offersFor(
      m,
      {
        pay_order: {
          lines: [
            { sku: "coffee", amount: 4_000 },
            { sku: "cake", amount: 3_000 },
          ],
        },
      },
      order,
    );
    expect(over).toMatchObject({ reason: "balance_covers_order", available: 4_500 });
  });

  it("refuse a bad body with validation_failed", async () => {
    const m = await c.newMember();
    for (const body of [
      { member_id: m, channel: "pos", order_amount: 0 },
      { member_id: m, channel: "pos", order_amount: 100, pay_order: { lines: [{ sku: "", amount: 1 }] } },
      { member_id: m, channel: "pos", order_amount: 100, pay_order: { lines: [{ sku: "a", amount: -1 }] } },
      {
        member_id: m,
        channel: "pos",
        order_amount: 100,
        pay_order: { lines: Array.from({ length: 101 }, () => ({ sku: "a", amount: 1 })) },
      },
      { member_id: m, channel: "pos", order_amount: 100, pay_order: { order_id: "SO-1" } },
    ]) {
      expectProblem(await c.call("POST", "/v1/smart-topup/offers", body), 400, "validation_failed");
    }
  });
});
