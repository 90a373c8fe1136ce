import { describe, expect, it } from "vitest";
import { isUpgrade } from "./credit-topup.js";
import { bonusOf, linear, pointsOf, topupFigures } from "./topup-rules.js";

const custom = {
  type: "custom" as const,
  min_amount: 100_000,
  max_amount: 500_000,
  bonus_min: 10_000,
  bonus_max: 50_000,
  points_min: 100,
  points_max: 500,
};

describe("top-up rules (seed §2.3 figures, CNY scale 2)", () => {
  it("fixed: 100 → bonus 10, 50 points", () => {
    const rule = { type: "fixed" as const, amount: 10_000, bonus_amount: 1_000, bonus_points: 50 };
    expect(topupFigures(rule, undefined, 2, null)).toMatchObject({
      amount: 10_000,
      bonus: 1_000,
      points: 50,
    });
  });

  it("range 100–500 at 10% / 5%: 250.00 → bonus 25.00 (down to the cent), 12 points (12.5 down)", () => {
    const rule = {
      type: "range" as const,
      min_amount: 10_000,
      max_amount: 50_000,
      bonus_bps: 1000,
      points_bps: 500,
    };
    expect(topupFigures(rule, 25_000, 2, null)).toMatchObject({ amount: 25_000, bonus: 2_500, points: 12 });
    // 123.45 × 10% = 12.345 → 12.34; × 5% = 6.1725 points → 6
    expect(topupFigures(rule, 12_345, 2, null)).toMatchObject({ bonus: 1_234, points: 6 });
  });

  it("custom 1,000–5,000 with bonus 100–500 and points 100–500: linear, rounded down", () => {
    expect(topupFigures(custom, 100_000, 2, null)).toMatchObject({ bonus: 10_000, points: 100 });
    expect(topupFigures(custom, 500_000, 2, null)).toMatchObject({ bonus: 50_000, points: 500 });
    expect(topupFigures(custom, 300_000, 2, null)).toMatchObject({ bonus: 30_000, points: 300 });
    // 2,345.67: bonus 100 + 1,345.67 × 400/4,000 = 234.567 → 234.56; points 234.567 → 234
    expect(topupFigures(custom, 234_567, 2, null)).toMatchObject({ bonus: 23_456, points: 234 });
  });

  it("first top-up bonus: extra % of the amount, rounded like the rest", () => {
    const rule = {
      type: "range" as const,
      min_amount: 10_000,
      max_amount: 50_000,
      bonus_bps: 1000,
      points_bps: 500,
    };
    // 250.00: +5% bonus = 12.50, +3% points = 7.5 → 7
    const f = topupFigures(rule, 25_000, 2, { extra_bonus_bps: 500, extra_points_bps: 300 });
    expect(f).toEqual({ amount: 25_000, bonus: 3_750, points: 19, first_bonus: 1_250, first_points: 7 });
  });

  it("named roundings", () => {
    expect(bonusOf(999, 1000)).toBe(99); // 9.99 × 10% = 0.999 → 0.99
    expect(pointsOf(199, 10_000, 2)).toBe(1); // 1.99 × 100% = 1.99 points → 1
    expect(pointsOf(100, 500, 0)).toBe(5); // scale 0: 100 × 5% = 5
    expect(linear(7, 7, 7, 3, 9)).toBe(3);
  });

  it("tier upgrade is never a downgrade", () => {
    const silver = { plan: "standard", rank: 1 };
    const gold = { plan: "standard", rank: 2 };
    expect(isUpgrade(undefined, gold)).toBe(true);
    expect(isUpgrade(silver, gold)).toBe(true);
    expect(isUpgrade(gold, gold)).toBe(false);
    expect(isUpgrade(gold, silver)).toBe(false);
    expect(isUpgrade({ plan: "vip", rank: 1 }, gold)).toBe(false);
  });
});
