import fc from "fast-check";
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { bonusShare } from "./refund-payment.js";
import {
  localDay,
  lotAvailable,
  orderSources,
  planRefund,
  planSpend,
  type SpendSource,
} from "./spend-plan.js";

const src = (
  o: Partial<SpendSource> & Pick<SpendSource, "accountId" | "kind" | "available">,
): SpendSource => ({
  lotId: o.accountId.startsWith("wlot") ? o.accountId : null,
  eligibleSkus: null,
  createdAt: 0,
  ...o,
});

describe("spending order and plan (tagged lots)", () => {
  const untaggedP = src({ accountId: "wprin_m", kind: "principal", available: 500 });
  const untaggedB = src({ accountId: "wbonus_m", kind: "bonus", available: 100 });
  const oldLot = src({ accountId: "wlot_old", kind: "principal", available: 300, createdAt: 1 });
  const newLot = src({ accountId: "wlot_new", kind: "principal", available: 300, createdAt: 2 });
  const coffee = src({
    accountId: "wlot_coffee",
    kind: "principal",
    available: 1000,
    createdAt: 3,
    eligibleSkus: ["coffee"],
  });
  const bonusLot = src({ accountId: "wlot_bonus", kind: "bonus", available: 50, createdAt: 1 });

  it("orders by kind (tenant order), then item-restricted lots, then lots oldest first, then untagged", () => {
    const ids = (o: "bonus_first" | "principal_first") =>
      orderSources([untaggedP, untaggedB, newLot, oldLot, coffee, bonusLot], o).map((s) => s.accountId);
    expect(ids("bonus_first")).toEqual([
      "wlot_bonus",
      "wbonus_m",
      "wlot_coffee",
      "wlot_old",
      "wlot_new",
      "wprin_m",
    ]);
    expect(ids("principal_first")).toEqual([
      "wlot_coffee",
      "wlot_old",
      "wlot_new",
      "wprin_m",
      "wlot_bonus",
      "wbonus_m",
    ]);
  });

  it("an item-restricted lot pays only its lines; the others pay the rest and the remaining lines", () => {
    const sources = orderSources([untaggedP, coffee], "principal_first");
    const lines = [
      { sku: "cake", amount: 400 },
      { sku: "coffee", amount: 700 },
    ];
    const plan = planSpend(1_150, sources, lines, 50);
    expect(plan.legs).toEqual([
      { accountId: "wlot_coffee", lotId: "wlot_coffee", kind: "principal", amount: 700 },
      { accountId: "wprin_m", lotId: null, kind: "principal", amount: 450 },
    ]);
    expect(plan.total).toBe(1_150);
    // Without lines nothing restricted pays; short plans say how much they cover.
    expect(planSpend(1_000, sources, null, 0).total).toBe(500);
  });

  it("an unrestricted source leaves the lines a later restricted lot could pay", () => {
    const bonus = src({ accountId: "wbonus_m", kind: "bonus", available: 300 });
    const sources = orderSources([bonus, coffee], "bonus_first");
    const lines = [
      { sku: "coffee", amount: 300 },
      { sku: "cake", amount: 300 },
    ];
    // Bonus first takes the cake line, so the coffee lot can still pay the coffee.
    expect(planSpend(600, sources, lines, 0).legs.map((l) => [l.accountId, l.amount])).toEqual([
      ["wbonus_m", 300],
      ["wlot_coffee", 300],
    ]);
  });

  it("day rules: no use on the top-up day, or a share of the lot (down to the minor unit) minus what it gave", () => {
    const lot = {
      amount: 1_001,
      taken_back: 0,
      topup_day: "2026-11-23",
      no_use_on_topup_day: false,
      same_day_limit_bps: 5_000,
    };
    expect(lotAvailable(lot, 1_001, "2026-11-23")).toBe(500);
    expect(lotAvailable(lot, 701, "2026-11-23")).toBe(200);
    expect(lotAvailable(lot, 400, "2026-11-23")).toBe(0);
    expect(lotAvailable(lot, 400, "2026-11-24")).toBe(400);
    expect(
      lotAvailable({ ...lot, same_day_limit_bps: null, no_use_on_topup_day: true }, 1_001, "2026-11-23"),
    ).toBe(0);
  });

  it("day rules after a provider's refund took part of the lot back: the share is of what was kept, none of it given", () => {
    // 10,000 topped up at 50 %, 4,000 taken back the same day: 6,000 kept, nothing given yet.
    const refunded = {
      amount: 10_000,
      taken_back: 4_000,
      topup_day: "2026-11-23",
      no_use_on_topup_day: false,
      same_day_limit_bps: 5_000,
    };
    expect(lotAvailable(refunded, 6_000, "2026-11-23")).toBe(3_000);
    // 1,000 of the kept 6,000 spent: 2,000 more may go today.
    expect(lotAvailable(refunded, 5_000, "2026-11-23")).toBe(2_000);
    // 3,001 kept at 50 % rounds down to 1,500.
    expect(lotAvailable({ ...refunded, taken_back: 6_999 }, 3_001, "2026-11-23")).toBe(1_500);
  });

  it("refunds: bonus share rounded down on the cumulative total, legs filled in spending order, exact at the end", () => {
    const legs = [
      { accountId: "wlot_bonus", kind: "bonus" as const, amount: 100 },
      { accountId: "wbonus_m", kind: "bonus" as const, amount: 50 },
      { accountId: "wlot_old", kind: "principal" as const, amount: 300 },
      { accountId: "wprin_m", kind: "principal" as const, amount: 550 },
    ];
    const back = new Map<string, number>();
    for (const part of [333, 333, 334]) {
      for (const leg of planRefund(legs, back, part, bonusShare))
        back.set(leg.accountId, (back.get(leg.accountId) ?? 0) + leg.amount);
    }
    expect(Object.fromEntries(back)).toEqual({ wlot_bonus: 100, wbonus_m: 50, wlot_old: 300, wprin_m: 550 });
    // The first third: bonus 150 × 333 / 1000 = 49.95 → 49, all from the first bonus leg.
    expect(planRefund(legs, new Map(), 333, bonusShare)).toEqual([
      { accountId: "wlot_bonus", kind: "bonus", amount: 49 },
      { accountId: "wlot_old", kind: "principal", amount: 284 },
    ]);
  });
});

describe("localDay", () => {
  it("is the zone's calendar date, asked once or again, around midnight and offset changes", () => {
    const zones = [
      "Asia/Shanghai",
      "America/New_York",
      "Asia/Kolkata",
      "Australia/Lord_Howe",
      "Pacific/Kiritimati",
    ];
    fc.assert(
      fc.property(
        fc.date({
          min: new Date("1980-01-01T00:00:00Z"),
          max: new Date("2060-01-01T00:00:00Z"),
          noInvalidDate: true,
        }),
        fc.constantFrom(...zones),
        fc.integer({ min: -90_000, max: 90_000 }),
        (d, zone, deltaMs) => {
          // A second instant near the first: often the same UTC minute, sometimes across midnight.
          for (const at of [d, new Date(d.getTime() + deltaMs), d]) {
            expect(localDay(at, zone), `${at.toISOString()} ${zone}`).toBe(
              DateTime.fromJSDate(at, { zone }).toISODate(),
            );
          }
        },
      ),
      { numRuns: 2000 },
    );
    // One second either side of each zone's midnight, the later instant asked first.
    for (const zone of zones) {
      const midnight = DateTime.fromISO("2026-11-11T00:00:00", { zone }).toMillis();
      expect(localDay(new Date(midnight + 1000), zone)).toBe("2026-11-11");
      expect(localDay(new Date(midnight - 1000), zone)).toBe("2026-11-10");
    }
  });
});
