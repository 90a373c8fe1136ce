import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, createTestTenant, type TestApp, type TestTenant } from "../../../test/helpers/app.js";
import { expectProblem } from "../../../test/helpers/problem.js";
import { topupClient } from "../../../test/helpers/topup.js";
import { MAX_AMOUNT } from "../../shared/money.js";
import { MAX_POINTS_PER_OPERATION } from "../wallets/index.js";

/** A plan that could only ever fail at top-up time is refused when it is saved, and nothing is written. */
let t: TestApp;
let tenant: TestTenant;
let c: ReturnType<typeof topupClient>;
beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t, "Amount bounds");
  c = topupClient(t, tenant);
});
afterAll(async () => t?.close());

const plans = async () =>
  t.database.owner.selectFrom("topup_plans").select("id").where("tenant_id", "=", tenant.tenantId).execute();
const range = { type: "range", min_amount: 10_000, max_amount: 50_000, bonus_bps: 1000, points_bps: 0 };

describe("amounts a top-up plan may name", () => {
  it.each([
    [
      "a fixed bonus above the ledger's maximum",
      { type: "fixed", amount: 10_000, bonus_amount: MAX_AMOUNT + 1, bonus_points: 0 },
      {},
    ],
    ["a bonus above 100%", { ...range, bonus_bps: 10_001 }, {}],
    [
      "a custom bonus above the ledger's maximum",
      {
        type: "custom",
        min_amount: 100,
        max_amount: 200,
        bonus_min: 0,
        bonus_max: MAX_AMOUNT + 1,
        points_min: 0,
        points_max: 0,
      },
      { kind: "custom" },
    ],
    ["a first-top-up extra bonus above 100%", range, { first_topup_bonus: { extra_bonus_bps: 10_001 } }],
  ])("%s is refused at the door", async (_what, rule, extra) => {
    const before = await plans();
    const r = await c.call("POST", "/v1/topup-plans", { kind: "package", name: "Too much", rule, ...extra });
    expectProblem(r, 400, "validation_failed");
    expect(await plans()).toEqual(before);
  });

  it("a plan whose largest bonus (with the first-top-up extra) exceeds the ledger's maximum is refused", async () => {
    const before = await plans();
    const r = await c.call("POST", "/v1/topup-plans", {
      kind: "package",
      name: "Overflowing",
      rule: { type: "range", min_amount: 1, max_amount: MAX_AMOUNT, bonus_bps: 10_000, points_bps: 0 },
      first_topup_bonus: { extra_bonus_bps: 10 },
    });
    const problem = expectProblem(r, 422, "invalid_topup_plan") as unknown as { errors: { field: string }[] };
    expect(problem.errors.map((e) => e.field)).toContain("/body/first_topup_bonus/extra_bonus_bps");
    expect(await plans()).toEqual(before);
    // The same plan without the extra fits, and an edit that adds it is refused.
    const ok = await c.plan({
      kind: "package",
      name: "At the edge",
      rule: { type: "range", min_amount: 1, max_amount: MAX_AMOUNT, bonus_bps: 10_000, points_bps: 0 },
    });
    const edit = await c.call("PATCH", `/v1/topup-plans/${ok}`, {
      first_topup_bonus: { extra_bonus_bps: 10 },
    });
    expectProblem(edit, 422, "invalid_topup_plan");
    expect((await c.ok<{ version: number }>("GET", `/v1/topup-plans/${ok}`)).version).toBe(1);
  });

  it("a plan whose largest points award exceeds what one points operation may give is refused", async () => {
    // Crediting such a top-up is refused by the points ledger: at the till it fails, and one
    // paid online could be neither credited nor kept for a refund (the payment stuck).
    const before = await plans();
    const fixed = { type: "fixed", amount: 10_000, bonus_amount: 0, bonus_points: MAX_POINTS_PER_OPERATION };
    const withExtra = await c.call("POST", "/v1/topup-plans", {
      kind: "package",
      name: "Points galore",
      rule: fixed,
      first_topup_bonus: { extra_points_bps: 1000 },
    });
    const problem = expectProblem(withExtra, 422, "invalid_topup_plan") as unknown as {
      errors: { field: string }[];
    };
    expect(problem.errors.map((e) => e.field)).toContain("/body/first_topup_bonus/extra_points_bps");
    const wideRange = await c.call("POST", "/v1/topup-plans", {
      kind: "package",
      name: "Points at the top",
      rule: { type: "range", min_amount: 1, max_amount: MAX_AMOUNT, bonus_bps: 0, points_bps: 100 },
    });
    expectProblem(wideRange, 422, "invalid_topup_plan");
    expect(await plans()).toEqual(before);
    // At the edge it fits, and its first top-up is credited with every point.
    const own = topupClient(t, await createTestTenant(t, "Points edge"));
    const edge = await own.plan({ kind: "package", name: "All the points", rule: fixed });
    const m = await own.newMember();
    const r = await own.topUp(edge, { member_id: m, channel: "pos", payment_method: "offline" });
    expect(r.statusCode, r.body).toBe(201);
    expect((await own.balance(m)).points).toBe(MAX_POINTS_PER_OPERATION);
  });

  it("a smart plan's fixed bonus and minimum top-up are bounded too", async () => {
    const tier = { type: "fixed", amount: 10_000, bonus_amount: MAX_AMOUNT + 1, bonus_points: 0 };
    expectProblem(
      await c.call("POST", "/v1/smart-topup-plans", { name: "Big", tiers: [tier] }),
      400,
      "validation_failed",
    );
  });
});

describe("amounts a request may name", () => {
  it("a top-up amount or an order amount above the ledger's maximum is refused, nothing written", async () => {
    const plan = await c.plan({
      kind: "package",
      name: "Open range",
      rule: { type: "range", min_amount: 1, max_amount: MAX_AMOUNT, bonus_bps: 0, points_bps: 0 },
    });
    const m = await c.newMember();
    const r = await c.topUp(plan, {
      member_id: m,
      amount: MAX_AMOUNT + 1,
      channel: "pos",
      payment_method: "offline",
    });
    expectProblem(r, 400, "validation_failed");
    const rows = await t.database.owner
      .selectFrom("topups")
      .select("id")
      .where("tenant_id", "=", tenant.tenantId)
      .execute();
    expect(rows).toEqual([]);
    const offers = await c.call(
      "GET",
      `/v1/smart-topup/offers?member_id=${m}&channel=pos&order_amount=${MAX_AMOUNT + 1}`,
    );
    expectProblem(offers, 400, "validation_failed");
  });
});
