import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, createTestTenant, type TestApp, type TestTenant } from "../../../test/helpers/app.js";
import { topupClient } from "../../../test/helpers/topup.js";
import { systemActor } from "../../platform/auth/actor.js";
import { changeMemberTier, extendCard } from "./index.js";

// A tenant whose zone changes its clocks: New York moves forward on 2027-03-14 and back on
// 2027-11-07, so a calendar day there is not always 24 hours.
const ZONE = "America/New_York";

let t: TestApp;
let tenant: TestTenant;
let c: ReturnType<typeof topupClient>;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await createTestTenant(t, "Eastern");
  c = topupClient(t, tenant);
  await c.ok("PATCH", "/v1/tenant", { timezone: ZONE });
  await c.ok("POST", "/v1/card-plans", {
    code: "monthly",
    name: "Monthly",
    validity: { kind: "relative", days: 30 },
    tiers: [{ code: "m1", name: "Monthly one", rank: 1 }],
  });
  await c.ok("POST", "/v1/card-plans", {
    code: "forever",
    name: "Forever",
    validity: { kind: "permanent" },
    tiers: [{ code: "f1", name: "Forever one", rank: 1 }],
  });
});
afterAll(async () => t?.close());

const ctx = () => ({ actor: systemActor(tenant.tenantId, "test"), requestId: null });

describe("a card's validity counts calendar days in the tenant's zone", () => {
  it("a card issued before the clocks go forward ends at the local time it was issued", async () => {
    t.clock.set("2027-03-01T15:00:00Z"); // 10:00 EST
    const m = await c.ok<{ card_expires_at: string }>("POST", "/v1/members", {
      name: "Ada",
      card_plan: "monthly",
    });
    // 10:00 EDT on 31 March: 30 calendar days, 719 hours (not 15:00Z, 11:00 local).
    expect(m.card_expires_at).toBe("2027-03-31T14:00:00.000Z");
  });

  it("a card issued by a change of plan does the same", async () => {
    t.clock.set("2027-03-01T15:00:00Z");
    const m = await c.newMember({ card_plan: "forever" });
    const { member } = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      changeMemberTier(trx, ctx(), m, { card_plan: "monthly", tier: "m1", reason: "package" }, t.clock.now()),
    );
    expect(member.card_expires_at?.toISOString()).toBe("2027-03-31T14:00:00.000Z");
  });

  it("an extension across the clocks going back keeps the local time", async () => {
    t.clock.set("2027-03-01T15:00:00Z");
    const m = await c.newMember({ card_plan: "monthly" });
    // From 10:00 EDT on 31 March, 240 days on: 10:00 EST on 26 November (5,761 hours).
    const row = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      extendCard(trx, ctx(), m, 240, t.clock.now(), ZONE),
    );
    expect(row.card_expires_at?.toISOString()).toBe("2027-11-26T15:00:00.000Z");
    // An expired card is extended from now, in the zone too: 10:00 EST on 1 December plus 120
    // days is 10:00 EDT on 30 March 2028.
    t.clock.set("2027-12-01T15:00:00Z");
    const again = await t.deps.db.tenantTx(tenant.tenantId, (trx) =>
      extendCard(trx, ctx(), m, 120, t.clock.now(), ZONE),
    );
    expect(again.card_expires_at?.toISOString()).toBe("2028-03-30T14:00:00.000Z");
  });

  it("a top-up's bonus benefits last calendar days in the tenant's zone", async () => {
    const benefit = await c.ok<{ id: string }>("POST", "/v1/benefits", {
      kind: "member_discount",
      name: "Top-up 5% off",
      audience: { card_plans: ["forever"], exclude: { card_plans: ["forever"] } },
      config: { discount_percent: 5 },
    });
    const plan = await c.plan({
      kind: "package",
      name: "With benefits",
      rule: { type: "range", min_amount: 10_000, max_amount: 50_000, bonus_bps: 0, points_bps: 0 },
      bonus_benefits: { benefit_ids: [benefit.id], valid_days: 30 },
    });
    t.clock.set("2027-03-01T15:00:00Z");
    const m = await c.newMember();
    await c.topUp(plan, { member_id: m, amount: 10_000, channel: "pos", payment_method: "offline" });
    const ents = await c.ok<{ data: { benefit_id: string; valid_until: string }[] }>(
      "GET",
      `/v1/members/${m}/entitlements`,
    );
    expect(ents.data).toEqual([
      expect.objectContaining({ benefit_id: benefit.id, valid_until: "2027-03-31T14:00:00.000Z" }),
    ]);
  });
});
