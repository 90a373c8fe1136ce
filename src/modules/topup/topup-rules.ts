/**
 * What a top-up gives, as pure functions of a plan's rule and the amount. Every rounding is
 * named here and tested (topup-rules.test.ts):
 * - bonus (minor units) = amount × bps / 10000, rounded DOWN to the minor unit;
 * - points = amount in major units × bps / 10000, rounded DOWN to whole points
 *   (amount_minor × bps / (10000 × 10^scale));
 * - custom top-up: bonus and points move LINEARLY from their low end at the lowest amount to
 *   their high end at the highest (low + (amount − min) × (high − low) / (max − min)),
 *   bonus rounded DOWN to the minor unit, points DOWN to whole points; a range of one amount
 *   gives the low ends.
 * Seed figures: fixed 100 → bonus 10, 50 points; range 10% / 5% on 250.00 → bonus 25.00,
 * 12 points (12.5 rounded down); custom 1,000–5,000 with 100–500 / 100–500 → 3,000 gives
 * 300 and 300.
 */
export type PackageRule =
  | { type: "fixed"; amount: number; bonus_amount: number; bonus_points: number }
  | { type: "range"; min_amount: number; max_amount: number; bonus_bps: number; points_bps: number };
export type CustomRule = {
  type: "custom";
  min_amount: number;
  max_amount: number;
  bonus_min: number;
  bonus_max: number;
  points_min: number;
  points_max: number;
};
export type TopupRule = PackageRule | CustomRule;

export interface FirstTopupBonusRule {
  extra_bonus_bps?: number;
  extra_points_bps?: number;
}

export interface TopupFigures {
  amount: number;
  bonus: number;
  points: number;
  /** The first top-up bonus's part of bonus and points (already included above). */
  first_bonus: number;
  first_points: number;
}

const TEN_THOUSAND = 10_000n;

/** amount × bps / 10000, rounded down to the minor unit. */
export function bonusOf(amount: number, bps: number): number {
  return Number((BigInt(amount) * BigInt(bps)) / TEN_THOUSAND);
}

/** Whole points for amount × bps / 10000 in major units, rounded down. */
export function pointsOf(amount: number, bps: number, scale: number): number {
  return Number((BigInt(amount) * BigInt(bps)) / (TEN_THOUSAND * 10n ** BigInt(scale)));
}

/** low + (x − min) × (high − low) / (max − min), rounded down; the low end when min = max. */
export function linear(x: number, min: number, max: number, low: number, high: number): number {
  if (max === min) return low;
  return low + Number((BigInt(x - min) * BigInt(high - low)) / BigInt(max - min));
}

/** The amounts a rule accepts: [min, max]; fixed: exactly its amount. */
export function amountRange(rule: TopupRule): { min: number; max: number } {
  return rule.type === "fixed"
    ? { min: rule.amount, max: rule.amount }
    : { min: rule.min_amount, max: rule.max_amount };
}

/**
 * The figures of a top-up of `amount` (ignored for fixed: its own amount) under `rule`, with
 * the first top-up bonus when `first` is given: extra bonus and extra points are percentages
 * of the amount, rounded like the rest.
 */
export function topupFigures(
  rule: TopupRule,
  amount: number | undefined,
  scale: number,
  first: FirstTopupBonusRule | null,
): TopupFigures {
  let base: { amount: number; bonus: number; points: number };
  if (rule.type === "fixed") {
    base = { amount: rule.amount, bonus: rule.bonus_amount, points: rule.bonus_points };
  } else {
    const a = amount ?? 0;
    base =
      rule.type === "range"
        ? { amount: a, bonus: bonusOf(a, rule.bonus_bps), points: pointsOf(a, rule.points_bps, scale) }
        : {
            amount: a,
            bonus: linear(a, rule.min_amount, rule.max_amount, rule.bonus_min, rule.bonus_max),
            points: linear(a, rule.min_amount, rule.max_amount, rule.points_min, rule.points_max),
          };
  }
  const firstBonus = first ? bonusOf(base.amount, first.extra_bonus_bps ?? 0) : 0;
  const firstPoints = first ? pointsOf(base.amount, first.extra_points_bps ?? 0, scale) : 0;
  return {
    amount: base.amount,
    bonus: base.bonus + firstBonus,
    points: base.points + firstPoints,
    first_bonus: firstBonus,
    first_points: firstPoints,
  };
}
