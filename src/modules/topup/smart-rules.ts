import { MAX_AMOUNT } from "../../shared/money.js";
import type { Rounding, SmartTier } from "./smart-terms.js";
import { bonusOf, pointsOf } from "./topup-rules.js";

/**
 * What a smart top-up tier offers for an order, as pure functions. Roundings (tested in
 * smart-rules.test.ts with the seed's figures):
 * - top-up (discount and gift tiers) = max(order × multiplier, minimum top-up), rounded UP to
 *   a multiple of the plan's precision (0.1 / 1 / 10 / 100 major units), so it always covers
 *   the order (multiplier ≥ 1×): 100 × 1.2 = 120; 83.27 × 1.3 = 108.251 → 108.30 / 109 / 110 / 200;
 * - bonus = order × bonus % rounded DOWN to the minor unit: 100 × 8% = 8; 90 × 5% = 4.50;
 * - points (gift tiers) = top-up × points % rounded DOWN to whole points: 117 × 10% = 11.7 → 11;
 * - first top-up extras (gift tiers): extra bonus = order × %, extra points = top-up × %,
 *   rounded like the rest; discount and fixed tiers give a first-top-up gift instead;
 * - fixed tiers are what they say; offered only when balance + top-up + bonus covers the order
 *   and the top-up is at least the minimum;
 * - no tier is offered whose top-up passes MAX_AMOUNT (a large order times a large multiplier
 *   or rounded up past it): the ledger could never credit it.
 */
export interface TierFigures {
  amount: number;
  bonus: number;
  points: number;
  first_bonus: number;
  first_points: number;
}

/** The precision as minor units of an asset of `scale` (at least 1). */
export function roundingStep(rounding: Rounding, scale: number): bigint {
  const unit = 10n ** BigInt(scale);
  return rounding === "0.1" ? (unit / 10n > 0n ? unit / 10n : 1n) : unit * BigInt(Number(rounding));
}

/** order × multiplier_bps / 10000 rounded UP to a multiple of `step` (minor units). */
export function topupFor(order: number, multiplierBps: number, minimum: number, step: bigint): number {
  const raw = BigInt(order) * BigInt(multiplierBps);
  const floorTo = BigInt(minimum) * 10_000n;
  const wanted = raw > floorTo ? raw : floorTo;
  const unit = step * 10_000n;
  return Number(((wanted + unit - 1n) / unit) * step);
}

export function tierFigures(
  tier: SmartTier,
  order: number,
  o: { scale: number; rounding: Rounding; minimum: number; first: boolean },
): TierFigures {
  if (tier.type === "fixed") {
    return {
      amount: tier.amount,
      bonus: tier.bonus_amount,
      points: tier.bonus_points,
      first_bonus: 0,
      first_points: 0,
    };
  }
  const amount = topupFor(order, tier.multiplier_bps, o.minimum, roundingStep(o.rounding, o.scale));
  const bonus = bonusOf(order, tier.bonus_bps);
  if (tier.type === "discount") return { amount, bonus, points: 0, first_bonus: 0, first_points: 0 };
  const firstBonus = o.first ? bonusOf(order, tier.first_topup_extra_bonus_bps ?? 0) : 0;
  const firstPoints = o.first ? pointsOf(amount, tier.first_topup_extra_points_bps ?? 0, o.scale) : 0;
  return {
    amount,
    bonus: bonus + firstBonus,
    points: pointsOf(amount, tier.points_bps, o.scale) + firstPoints,
    first_bonus: firstBonus,
    first_points: firstPoints,
  };
}

export type TierRefusal = "below_minimum" | "does_not_cover_order" | "above_maximum";

/**
 * Whether the balance counted for the order (`available`), with a tier's top-up (principal
 * and bonus, spendable on anything) credited, pays it: an offer's tiers and an acceptance
 * decide it by this one comparison.
 */
export function paysOrder(available: number, topup: number, order: number): boolean {
  return available + topup >= order;
}

/** Why a tier is not offered for this order, or null. */
export function tierRefusal(
  figures: TierFigures,
  order: number,
  available: number,
  minimum: number,
): TierRefusal | null {
  if (figures.amount > MAX_AMOUNT) return "above_maximum";
  if (figures.amount < minimum) return "below_minimum";
  if (!paysOrder(available, figures.amount + figures.bonus, order)) return "does_not_cover_order";
  return null;
}
