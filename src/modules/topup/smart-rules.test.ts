import { describe, expect, it } from "vitest";
import { roundingStep, tierFigures, tierRefusal, topupFor } from "./smart-rules.js";

const o = { scale: 2, rounding: "0.1" as const, minimum: 0, first: false };

describe("smart top-up tiers (seed §2.4 figures, CNY scale 2)", () => {
  it("discount: order 100 × 1.2 → top up 120, bonus 8% → 8, usable 128", () => {
    const f = tierFigures({ type: "discount", multiplier_bps: 12_000, bonus_bps: 800 }, 10_000, o);
    expect(f).toMatchObject({ amount: 12_000, bonus: 800, points: 0 });
    expect(f.amount + f.bonus).toBe(12_800);
  });

  it("gift: 90 × 1.3 = 117, bonus 5% of 90 = 4.50, points 10% of 117 = 11.7 → 11 (down)", () => {
    const f = tierFigures(
      { type: "gift", multiplier_bps: 13_000, bonus_bps: 500, points_bps: 1000 },
      9_000,
      o,
    );
    expect(f).toMatchObject({ amount: 11_700, bonus: 450, points: 11 });
  });

  it("gift tier first top-up extras: +5% bonus of the order, +3% points of the top-up", () => {
    const tier = {
      type: "gift" as const,
      multiplier_bps: 13_000,
      bonus_bps: 500,
      points_bps: 1000,
      first_topup_extra_bonus_bps: 500,
      first_topup_extra_points_bps: 300,
    };
    // 4.50 + 4.50; 11 + floor(3.51) = 3
    expect(tierFigures(tier, 9_000, { ...o, first: true })).toEqual({
      amount: 11_700,
      bonus: 900,
      points: 14,
      first_bonus: 450,
      first_points: 3,
    });
  });

  it("fixed: 300 / 500 / 800 with bonus 30 / 60 and points 300 / 1,000 as given", () => {
    for (const [amount, bonus, points] of [
      [30_000, 3_000, 300],
      [50_000, 6_000, 500],
      [80_000, 6_000, 1_000],
    ] as const) {
      expect(
        tierFigures({ type: "fixed", amount, bonus_amount: bonus, bonus_points: points }, 12_345, o),
      ).toMatchObject({ amount, bonus, points });
    }
  });

  it("rounds the top-up UP to each precision so it still covers the order: 83.27 × 1.3 = 108.251", () => {
    const at = (rounding: "0.1" | "1" | "10" | "100") =>
      topupFor(8_327, 13_000, 0, roundingStep(rounding, 2));
    expect(at("0.1")).toBe(10_830);
    expect(at("1")).toBe(10_900);
    expect(at("10")).toBe(11_000);
    expect(at("100")).toBe(20_000);
    // An exact multiple stays: 100 × 1.2 = 120 at every precision up to 10.
    expect(topupFor(10_000, 12_000, 0, roundingStep("10", 2))).toBe(12_000);
    expect(roundingStep("0.1", 0)).toBe(1n);
  });

  it("a minimum top-up raises the top-up, then rounds; fixed tiers below it or short of the order are not offered", () => {
    expect(topupFor(8_000, 10_000, 10_000, roundingStep("1", 2))).toBe(10_000);
    const small = tierFigures({ type: "fixed", amount: 5_000, bonus_amount: 0, bonus_points: 0 }, 9_000, o);
    expect(tierRefusal(small, 9_000, 0, 10_000)).toBe("below_minimum");
    expect(tierRefusal(small, 9_000, 3_999, 0)).toBe("does_not_cover_order");
    expect(tierRefusal(small, 9_000, 4_000, 0)).toBeNull();
  });
});
