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
import { type TopupBody, topupClient } from "../../../test/helpers/topup.js";

let t: TestApp;
let tenant: TestTenant;
let c: ReturnType<typeof topupClient>;
let store: string;
let otherStore: string;

const range = { type: "range", min_amount: 10_000, max_amount: 50_000, bonus_bps: 1000, points_bps: 500 };

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t);
  c = topupClient(t, tenant);
  await c.ok("POST", "/v1/card-plans", {
    code: "standard",
    name: "Standard",
    validity: { kind: "permanent" },
    tiers: [
      { code: "silver", name: "Silver", rank: 1 },
      { code: "gold", name: "Gold", rank: 2 },
      { code: "platinum", name: "Platinum", rank: 3 },
    ],
  });
  const root = { id: tenant.rootOrgUnitId, path: `/${tenant.rootOrgUnitId}/` };
  store = (await createTestOrgUnit(t, tenant.tenantId, root, "store", "Store A")).id;
  otherStore = (await createTestOrgUnit(t, tenant.tenantId, root, "store", "Store B")).id;
});
afterAll(async () => t?.close());

describe("top-up plans (§2.3)", () => {
  it("fixed package at the till: 100 → bonus 10 and 50 points into tagged lots, logged with its lots", async () => {
    const plan = await c.plan({
      kind: "package",
      name: "Fixed 100",
      rule: { type: "fixed", amount: 10_000, bonus_amount: 1_000, bonus_points: 50 },
    });
    const m = await c.newMember();
    const r = await c.topUp(plan, { member_id: m, channel: "pos", payment_method: "offline" });
    expect(r.statusCode, r.body).toBe(201);
    const top = json<TopupBody>(r);
    expect(top).toMatchObject({
      status: "credited",
      amount: 10_000,
      bonus_amount: 1_000,
      points: 50,
      first_topup: true,
    });
    expect(await c.balance(m)).toMatchObject({ principal: 10_000, bonus: 1_000, total: 11_000, points: 50 });
    const log = await c.ok<{ data: { kind: string; lots: unknown; source_ref: string }[] }>(
      "GET",
      `/v1/members/${m}/balance-changes?account=balance`,
    );
    expect(log.data[0]).toMatchObject({
      kind: "topup_offline",
      source_ref: top.id,
      lots: [
        { lot_id: top.details.principal_lot_id, kind: "principal", amount: 10_000 },
        { lot_id: top.details.bonus_lot_id, kind: "bonus", amount: 1_000 },
      ],
    });
    const events = await c.ok<{ data: { type: string; data: Record<string, unknown> }[] }>(
      "GET",
      "/v1/events?type=topup.credited",
    );
    expect(events.data.find((e) => e.data.topup_id === top.id)?.data).toMatchObject({
      plan_id: plan,
      member_id: m,
      amount: 10_000,
      bonus_amount: 1_000,
      points: 50,
      first_topup: true,
    });
  });

  it("range package: 250.00 at 10% / 5% → bonus 25.00 and 12 points; amounts outside the range refused", async () => {
    const plan = await c.plan({ kind: "package", name: "Range", rule: range });
    const m = await c.newMember();
    const top = json<TopupBody>(
      await c.topUp(plan, { member_id: m, amount: 25_000, channel: "pos", payment_method: "offline" }),
    );
    expect(top).toMatchObject({ amount: 25_000, bonus_amount: 2_500, points: 12 });
    expectProblem(
      await c.topUp(plan, { member_id: m, amount: 9_999, channel: "pos", payment_method: "offline" }),
      422,
      "amount_out_of_range",
    );
    expectProblem(
      await c.topUp(plan, { member_id: m, amount: 50_001, channel: "pos", payment_method: "offline" }),
      422,
      "amount_out_of_range",
    );
    expect((await c.balance(m)).total).toBe(27_500);
  });

  it("custom top-up: 1,000–5,000 with 100–500 bonus and points, linear between the ends", async () => {
    const plan = await c.plan({
      kind: "custom",
      name: "Flexible Prepaid Plan",
      rule: {
        type: "custom",
        min_amount: 100_000,
        max_amount: 500_000,
        bonus_min: 10_000,
        bonus_max: 50_000,
        points_min: 100,
        points_max: 500,
      },
    });
    for (const [amount, bonus, points] of [
      [100_000, 10_000, 100],
      [300_000, 30_000, 300],
      [500_000, 50_000, 500],
      [234_567, 23_456, 234],
    ] as const) {
      const m = await c.newMember();
      const top = json<TopupBody>(
        await c.topUp(plan, { member_id: m, amount, channel: "pos", payment_method: "offline" }),
      );
      expect([top.amount, top.bonus_amount, top.points]).toEqual([amount, bonus, points]);
    }
    // A custom plan takes only a custom rule.
    expectProblem(
      await c.call("POST", "/v1/topup-plans", { kind: "custom", name: "x", rule: range }),
      422,
      "invalid_topup_plan",
    );
  });

  it("first-time depositor: no top-up of any kind before; first-top-up-only plans refuse others", async () => {
    const plan = await c.plan({
      kind: "package",
      name: "Welcome",
      rule: range,
      first_topup_bonus: { extra_bonus_bps: 500, extra_points_bps: 300 },
    });
    const firstOnly = await c.plan({
      kind: "package",
      name: "First only",
      rule: range,
      restrictions: { first_topup_only: true },
    });
    const fresh = await c.newMember();
    const first = json<TopupBody>(
      await c.topUp(plan, { member_id: fresh, amount: 25_000, channel: "pos", payment_method: "offline" }),
    );
    expect(first).toMatchObject({ first_topup: true, bonus_amount: 3_750, points: 19 });
    const second = json<TopupBody>(
      await c.topUp(plan, { member_id: fresh, amount: 25_000, channel: "pos", payment_method: "offline" }),
    );
    expect(second).toMatchObject({ first_topup: false, bonus_amount: 2_500, points: 12 });
    expectProblem(
      await c.topUp(firstOnly, {
        member_id: fresh,
        amount: 10_000,
        channel: "pos",
        payment_method: "offline",
      }),
      422,
      "first_topup_only",
    );
    // A raw offline top-up makes a depositor too; a reward does not.
    const rewarded = await c.newMember();
    await c.ok("POST", `/v1/members/${rewarded}/rewards`, {
      account: "balance",
      amount: 500,
      source: "manual",
    });
    expect(
      json<TopupBody>(
        await c.topUp(firstOnly, {
          member_id: rewarded,
          amount: 10_000,
          channel: "pos",
          payment_method: "offline",
        }),
      ).first_topup,
    ).toBe(true);
    const deposited = await c.newMember();
    await c.ok("POST", `/v1/members/${deposited}/top-ups`, { amount: 100 });
    expectProblem(
      await c.topUp(firstOnly, {
        member_id: deposited,
        amount: 10_000,
        channel: "pos",
        payment_method: "offline",
      }),
      422,
      "first_topup_only",
    );
  });

  it("hidden plans, channels, store scope, user scope and schedules", async () => {
    const hidden = await c.plan({
      kind: "package",
      name: "Staff only",
      rule: range,
      restrictions: { visibility: "hidden", channels: ["pos"] },
      store_scope: { stores: [store] },
      audience: { min_tier: "gold" },
      availability: {
        from_date: "2026-11-01",
        until_date: "2026-11-30",
        schedule: { frequency: "daily", time: { kind: "unified", window: { start: "10:00", end: "22:00" } } },
      },
    });
    const gold = await c.newMember({ tier: "gold" });
    const silver = await c.newMember({ tier: "silver" });
    const base = {
      member_id: gold,
      amount: 10_000,
      channel: "pos",
      payment_method: "offline",
      store_id: store,
    };
    // The tenant's zone is Asia/Shanghai: 08:00 UTC is 16:00 there, open.
    expect((await c.topUp(hidden, base)).statusCode).toBe(201);
    expectProblem(await c.topUp(hidden, { ...base, store_id: otherStore }), 422, "store_not_in_scope");
    expectProblem(await c.topUp(hidden, { ...base, member_id: silver }), 422, "audience_mismatch");
    expectProblem(
      await c.topUp(hidden, { ...base, channel: "online", payment_method: "online" }),
      422,
      "channel_not_allowed",
    );
    t.clock.set(new Date("2026-11-23T15:00:00Z")); // 23:00 local
    const closed = await c.topUp(hidden, base);
    expectProblem(closed, 422, "plan_not_available_now");
    expect(json<{ reason: string }>(closed).reason).toBe("outside_hours");
    t.clock.set(new Date("2026-12-01T04:00:00Z"));
    expect(json<{ reason: string }>(await c.topUp(hidden, base)).reason).toBe("ended");
    t.clock.set(new Date("2026-11-23T08:00:00Z"));
    // Members never see a hidden plan; staff list it.
    const list = await c.ok<{ data: { id: string }[] }>("GET", "/v1/topup-plans?q=Staff");
    expect(list.data.map((p) => p.id)).toContain(hidden);
    const availability = await c.ok<{ available: boolean; code: string }>(
      "GET",
      `/v1/topup-plans/${hidden}/availability?member_id=${silver}&channel=pos&store_id=${store}`,
    );
    expect(availability).toMatchObject({ available: false, code: "audience_mismatch" });
  });

  it("a member token tops up online only: a plan sold at the till alone is not bought by claiming the till", async () => {
    const tillOnly = await c.plan({
      kind: "package",
      name: "In-store welcome",
      rule: range,
      restrictions: { channels: ["pos"] },
    });
    const m = await c.newMember();
    const link = await c.ok<{ url: string }>("POST", "/v1/member-center/links", { member_id: m });
    const session = await t.app.inject({
      method: "POST",
      url: "/v1/member-center/sessions",
      payload: { tenant_id: tenant.tenantId, code: new URL(link.url).searchParams.get("code") },
    });
    expect(session.statusCode, session.body).toBe(201);
    const token = json<{ token: string }>(session).token;
    const asMember = (body: object, key: string) =>
      t.app.inject({
        method: "POST",
        url: `/v1/topup-plans/${tillOnly}/top-ups`,
        headers: { authorization: `Bearer ${token}`, "idempotency-key": key },
        payload: { member_id: m, amount: 10_000, payment_method: "online", ...body },
      });
    expectProblem(await asMember({ channel: "online" }, "till-only-online"), 422, "channel_not_allowed");
    // The member center is never the till, whatever the request says.
    expectProblem(await asMember({ channel: "pos" }, "till-only-pos"), 403, "forbidden");
    const started = await t.database.owner
      .selectFrom("topups")
      .select("id")
      .where("tenant_id", "=", tenant.tenantId)
      .where("member_id", "=", m)
      .execute();
    expect(started).toEqual([]);
  });

  it("the store a top-up names exists, and a store-bound operator names only a store of its own subtree", async () => {
    // Only Store B may sell this plan; an operator of Store A must not claim Store B to use it.
    const plan = await c.plan({
      kind: "package",
      name: "Store B only",
      rule: range,
      store_scope: { stores: [otherStore] },
    });
    const open = await c.plan({ kind: "package", name: "Any store", rule: range });
    const operatorA = await createTestKey(t, tenant.tenantId, "operator", store);
    let key = 0;
    const asOperator = (planId: string, body: object) =>
      t.app.inject({
        method: "POST",
        url: `/v1/topup-plans/${planId}/top-ups`,
        headers: { ...operatorA.auth, "idempotency-key": `op-store-${++key}` },
        payload: body,
      });
    const created = await t.app.inject({
      method: "POST",
      url: "/v1/members",
      headers: { ...operatorA.auth, "idempotency-key": "op-store-member" },
      payload: { name: "Walk-in at A" },
    });
    const m = json<{ id: string }>(created).id;
    const base = { member_id: m, amount: 10_000, channel: "pos", payment_method: "offline" };
    expectProblem(await asOperator(plan, { ...base, store_id: otherStore }), 404, "store_not_found");
    expectProblem(await asOperator(open, { ...base, store_id: otherStore }), 404, "store_not_found");
    expectProblem(
      await c.topUp(open, { ...base, store_id: "org_01m92d5766hbfe0ngabq71kx2f" }),
      404,
      "store_not_found",
    );
    expect((await c.balance(m)).total).toBe(0);
    const details = await c.ok<{ data: unknown[] }>("GET", `/v1/topup-plans/${open}/top-ups?member_id=${m}`);
    expect(details.data).toEqual([]);
    // At its own store it tops up; the tenant-wide owner names any store.
    expect((await asOperator(open, { ...base, store_id: store })).statusCode).toBe(201);
    expect((await c.topUp(plan, { ...base, store_id: otherStore })).statusCode).toBe(201);
  });

  it("tier upgrade after top-up raises, never lowers", async () => {
    const plan = await c.plan({
      kind: "package",
      name: "To gold",
      rule: range,
      tier_upgrade: { tier: "gold" },
    });
    const silver = await c.newMember({ tier: "silver" });
    const platinum = await c.newMember({ tier: "platinum" });
    const up = json<TopupBody>(
      await c.topUp(plan, { member_id: silver, amount: 10_000, channel: "pos", payment_method: "offline" }),
    );
    expect(up.details.tier_changed_to).toBe("gold");
    expect((await c.ok<{ tier: string }>("GET", `/v1/members/${silver}`)).tier).toBe("gold");
    const kept = json<TopupBody>(
      await c.topUp(plan, { member_id: platinum, amount: 10_000, channel: "pos", payment_method: "offline" }),
    );
    expect(kept.details.tier_changed_to).toBeNull();
    expect((await c.ok<{ tier: string }>("GET", `/v1/members/${platinum}`)).tier).toBe("platinum");
  });

  it("activate / deactivate / archive; an inactive plan refuses top-ups; an archived plan is read-only", async () => {
    const plan = await c.plan({ kind: "package", name: "Seasonal", rule: range });
    const m = await c.newMember();
    expectProblem(await c.call("POST", `/v1/topup-plans/${plan}/archive`), 409, "plan_status_transition");
    expect((await c.ok<{ status: string }>("POST", `/v1/topup-plans/${plan}/deactivate`)).status).toBe(
      "inactive",
    );
    expectProblem(
      await c.topUp(plan, { member_id: m, amount: 10_000, channel: "pos", payment_method: "offline" }),
      422,
      "plan_not_active",
    );
    expect((await c.ok<{ status: string }>("POST", `/v1/topup-plans/${plan}/activate`)).status).toBe(
      "active",
    );
    await c.ok("PATCH", `/v1/topup-plans/${plan}`, { rule: { ...range, bonus_bps: 2000 } });
    expect(
      json<TopupBody>(
        await c.topUp(plan, { member_id: m, amount: 10_000, channel: "pos", payment_method: "offline" }),
      ).bonus_amount,
    ).toBe(2_000);
    await c.ok("POST", `/v1/topup-plans/${plan}/deactivate`);
    expect((await c.ok<{ status: string }>("POST", `/v1/topup-plans/${plan}/archive`)).status).toBe(
      "archived",
    );
    expectProblem(await c.call("PATCH", `/v1/topup-plans/${plan}`, { name: "Again" }), 409, "plan_archived");
    expectProblem(await c.call("POST", `/v1/topup-plans/${plan}/activate`), 409, "plan_status_transition");
  });

  it("gift and bonus benefits: vouchers granted once, entitlement for the member", async () => {
    const template = await c.ok<{ id: string }>("POST", "/v1/gift-voucher-templates", {
      name: "Coffee",
      face_amount: 1500,
      validity: { kind: "relative", valid_days: 30 },
      scope: { kind: "all" },
      min_spend: 0,
    });
    const benefit = await c.ok<{ id: string }>("POST", "/v1/benefits", {
      kind: "member_discount",
      name: "Top-up 5% off",
      audience: { card_plans: ["standard"], exclude: { card_plans: ["standard"] } },
      config: { discount_percent: 5 },
    });
    const plan = await c.plan({
      kind: "package",
      name: "With gift",
      rule: range,
      gift: { kind: "voucher", template_id: template.id },
      bonus_benefits: { benefit_ids: [benefit.id], valid_days: 30 },
    });
    const m = await c.newMember();
    const top = json<TopupBody>(
      await c.topUp(plan, { member_id: m, amount: 10_000, channel: "pos", payment_method: "offline" }),
    );
    expect(top.gift).toHaveLength(1);
    expect(top.gift[0]).toMatchObject({ perk: "gift", status: "granted" });
    expect(top.gift[0]!.voucher_ids).toHaveLength(1);
    const ents = await c.ok<{ data: { benefit_id: string; source: { type: string } }[] }>(
      "GET",
      `/v1/members/${m}/entitlements`,
    );
    expect(ents.data.map((e) => e.benefit_id)).toEqual([benefit.id]);
  });

  it("details list every top-up with filters and export as CSV", async () => {
    const plan = await c.plan({ kind: "package", name: "Details", rule: range });
    const a = await c.newMember({ name: "Ada" });
    const b = await c.newMember({ name: "Bo" });
    await c.topUp(plan, {
      member_id: a,
      amount: 10_000,
      channel: "pos",
      payment_method: "offline",
      store_id: store,
    });
    await c.topUp(plan, { member_id: b, amount: 20_000, channel: "pos", payment_method: "offline" });
    await c.topUp(plan, { member_id: a, amount: 30_000, channel: "pos", payment_method: "offline" });
    const all = await c.ok<{ data: TopupBody[]; has_more: boolean }>(
      "GET",
      `/v1/topup-plans/${plan}/top-ups?limit=2`,
    );
    expect(all.data.map((x) => x.amount)).toEqual([30_000, 20_000]);
    // Each names its member, as the console shows it.
    expect(all.data.map((x) => (x as { member_name?: string }).member_name)).toEqual(["Ada", "Bo"]);
    expect(all.has_more).toBe(true);
    const next = await c.ok<{ data: TopupBody[] }>(
      "GET",
      `/v1/topup-plans/${plan}/top-ups?limit=2&starting_after=${all.data[1]!.id}`,
    );
    expect(next.data.map((x) => x.amount)).toEqual([10_000]);
    const ofA = await c.ok<{ data: TopupBody[] }>(
      "GET",
      `/v1/topup-plans/${plan}/top-ups?member_id=${a}&first_topup=true`,
    );
    expect(ofA.data.map((x) => x.amount)).toEqual([10_000]);
    const atStore = await c.ok<{ data: TopupBody[] }>(
      "GET",
      `/v1/topup-plans/${plan}/top-ups?store_id=${store}`,
    );
    expect(atStore.data).toHaveLength(1);
    const csv = await c.call("GET", `/v1/topup-plans/${plan}/top-ups/export?format=csv&member_id=${a}`);
    expect(csv.statusCode).toBe(200);
    const lines = csv.body.trim().split(/\r?\n/);
    expect(lines[0]).toContain("card_number");
    expect(lines).toHaveLength(3);
  });

  it("details show staff bound to a store only the top-ups of members in their branch, as each top-up does", async () => {
    const plan = await c.plan({ kind: "package", name: "Branch details", rule: range });
    const ours = await c.newMember({ org_unit_id: store });
    const theirs = await c.newMember({ org_unit_id: otherStore });
    for (const member_id of [ours, theirs]) {
      await c.topUp(plan, { member_id, amount: 10_000, channel: "pos", payment_method: "offline" });
    }
    const clerk = await createTestKey(t, tenant.tenantId, "operator", store);
    const as = (url: string) => t.app.inject({ method: "GET", url, headers: clerk.auth });
    const listed = json<{ data: TopupBody[] }>(await as(`/v1/topup-plans/${plan}/top-ups`));
    expect(listed.data.map((x) => x.member_id)).toEqual([ours]);
    const csv = await as(`/v1/topup-plans/${plan}/top-ups/export?format=csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.body.trim().split(/\r?\n/)).toHaveLength(2);
    const everyone = await c.ok<{ data: TopupBody[] }>("GET", `/v1/topup-plans/${plan}/top-ups`);
    expect(everyone.data).toHaveLength(2);
  });
});

describe("stock and purchase limits under concurrency", () => {
  it("50 concurrent top-ups against stock 30: exactly 30 credited, 20 plan_out_of_stock", async () => {
    const plan = await c.plan({
      kind: "package",
      name: "Stock 30",
      rule: range,
      restrictions: { stock_limit: 30 },
    });
    const members = await Promise.all(Array.from({ length: 50 }, () => c.newMember()));
    const results = await Promise.all(
      members.map((m) =>
        c.topUp(plan, { member_id: m, amount: 10_000, channel: "pos", payment_method: "offline" }),
      ),
    );
    const codes = results.map((r) => (r.statusCode === 201 ? "ok" : json<{ code: string }>(r).code));
    expect(codes.filter((x) => x === "ok")).toHaveLength(30);
    expect(codes.filter((x) => x === "plan_out_of_stock")).toHaveLength(20);
    const credited = await c.ok<{ data: unknown[] }>(
      "GET",
      `/v1/topup-plans/${plan}/top-ups?limit=100&status=credited`,
    );
    expect(credited.data).toHaveLength(30);
  });

  it("50 concurrent top-ups by one member with a limit of 3: exactly 3 credited", async () => {
    const plan = await c.plan({
      kind: "package",
      name: "Limit 3",
      rule: range,
      restrictions: { purchase_limit_per_member: 3 },
    });
    const m = await c.newMember();
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        c.topUp(plan, { member_id: m, amount: 10_000, channel: "pos", payment_method: "offline" }),
      ),
    );
    const codes = results.map((r) => (r.statusCode === 201 ? "ok" : json<{ code: string }>(r).code));
    expect(codes.filter((x) => x === "ok")).toHaveLength(3);
    expect(codes.filter((x) => x === "purchase_limit_reached")).toHaveLength(47);
    expect((await c.balance(m)).principal).toBe(30_000);
  });
});

describe("a plan priced in the balance asset the tenant has since changed", () => {
  it("tops up nothing at the till or online, and a smart plan likewise: balances are never converted", async () => {
    const other = await createTestTenant(t, "Changed its currency");
    const o = topupClient(t, other);
    const plan = await o.plan({ kind: "package", name: "In yuan", rule: range });
    const smart = await o.ok<{ id: string }>("POST", "/v1/smart-topup-plans", {
      name: "Smart in yuan",
      tiers: [{ type: "fixed", amount: 10_000, bonus_amount: 1_000, bonus_points: 0 }],
    });
    const m = await o.newMember();
    // No member holds a balance yet, so the asset may change; the plans stay priced in CNY.
    await o.ok("PATCH", "/v1/wallet-settings", { asset: { code: "JPY", scale: 0, name: "Yen" } });
    const base = { member_id: m, amount: 10_000, channel: "pos" };
    expectProblem(await o.topUp(plan, { ...base, payment_method: "offline" }), 422, "currency_mismatch");
    expectProblem(await o.topUp(plan, { ...base, payment_method: "online" }), 422, "currency_mismatch");
    expectProblem(
      await o.call("POST", "/v1/smart-topup/accept", {
        member_id: m,
        plan_id: smart.id,
        tier_index: 0,
        order_amount: 5_000,
        channel: "pos",
        payment_method: "offline",
      }),
      422,
      "currency_mismatch",
    );
    expect(await o.balance(m)).toMatchObject({ total: 0 });
    const written = await t.database.owner
      .selectFrom("topups")
      .select("id")
      .where("tenant_id", "=", other.tenantId)
      .execute();
    expect(written).toEqual([]);
  });
});
