import { DateTime } from "luxon";
import { basisPoints } from "../../shared/money.js";
import { GiftcardsError } from "./giftcards.errors.js";
import type { CustomAmount, Denomination, PlanRow, Validity } from "./giftcards.repository.js";

/** "Set up to 6 fixed denominations" (seed 001 §2.5.2). */
export const MAX_DENOMINATIONS = 6;
/** The largest amount a plan may sell or a load may add, in minor units (10^10: 100,000,000.00). */
export const MAX_CARD_AMOUNT = 10_000_000_000;
/** The built-in card designs ("platform template library available"). */
export const DESIGN_TEMPLATES = [
  "classic",
  "celebration",
  "birthday",
  "thank_you",
  "festival",
  "minimal",
] as const;

const field = (name: string, message: string) => [{ field: `/body/${name}`, message }];

/**
 * A plan's amounts: at most 6 distinct denominations, each with a discount below it; a
 * custom range with 1 ≤ min ≤ max ≤ MAX_CARD_AMOUNT; at least one of the two.
 */
export function validateAmounts(denominations: readonly Denomination[], custom: CustomAmount | null): void {
  if (denominations.length > MAX_DENOMINATIONS) {
    throw new GiftcardsError(
      "invalid_denominations",
      `A plan has at most ${MAX_DENOMINATIONS} denominations, not ${denominations.length}`,
      { errors: field("denominations", `at most ${MAX_DENOMINATIONS} items`) },
    );
  }
  const seen = new Set<number>();
  denominations.forEach((d, i) => {
    if (!Number.isSafeInteger(d.amount) || d.amount < 1 || d.amount > MAX_CARD_AMOUNT) {
      throw new GiftcardsError("invalid_denominations", `Denomination ${i + 1} is not a positive amount`, {
        errors: field(`denominations/${i}/amount`, `1-${MAX_CARD_AMOUNT} minor units`),
      });
    }
    if (seen.has(d.amount)) {
      throw new GiftcardsError("invalid_denominations", `Denomination ${d.amount} appears twice`, {
        errors: field(`denominations/${i}/amount`, "denominations are distinct"),
      });
    }
    seen.add(d.amount);
    if (!Number.isSafeInteger(d.discount) || d.discount < 0 || d.discount >= d.amount) {
      throw new GiftcardsError(
        "invalid_denominations",
        `The discount on ${d.amount} must be at least 0 and below the amount`,
        { errors: field(`denominations/${i}/discount`, "0 ≤ discount < amount") },
      );
    }
  });
  if (custom) {
    const ok =
      Number.isSafeInteger(custom.min) &&
      Number.isSafeInteger(custom.max) &&
      custom.min >= 1 &&
      custom.max >= custom.min &&
      custom.max <= MAX_CARD_AMOUNT;
    if (!ok) {
      throw new GiftcardsError("invalid_custom_amount", "A custom amount needs 1 ≤ min ≤ max", {
        errors: field("custom_amount", `1 ≤ min ≤ max ≤ ${MAX_CARD_AMOUNT}`),
      });
    }
    if (!Number.isInteger(custom.discount_bps) || custom.discount_bps < 0 || custom.discount_bps >= 10_000) {
      throw new GiftcardsError(
        "invalid_custom_amount",
        "The custom amount's discount is 0-9999 basis points",
        {
          errors: field("custom_amount/discount_bps", "0 ≤ discount_bps < 10000"),
        },
      );
    }
  }
  if (denominations.length === 0 && !custom) {
    throw new GiftcardsError(
      "plan_has_no_amount",
      "A plan sells at least one denomination or a custom amount",
      {
        errors: field("denominations", "give denominations, custom_amount, or both"),
      },
    );
  }
}

/** The longest validity after purchase: 10 years, counted as 10 × 366 days. */
const MAX_VALIDITY_DAYS = 3660;

export function validateValidity(validity: Validity): void {
  const bad = (message: string) =>
    new GiftcardsError("invalid_gift_card_validity", message, { errors: field("validity", message) });
  if (validity.kind === "after_purchase") {
    const { years = 0, months = 0, days = 0 } = validity;
    if (years + months + days === 0) throw bad("give years, months or days after purchase");
    // The parts add up, so the bound is on their total. Months differ in length, so the total
    // is counted in days the way the days-only bound already is (10 years = 3660 days): a year
    // as 366 days, a month as 30.5, in half days to stay in integers.
    if ((years * 12 + months) * 61 + days * 2 > MAX_VALIDITY_DAYS * 2) {
      throw bad("at most 10 years in all (a year counts 366 days, a month 30.5)");
    }
  }
  if (validity.kind === "fixed" && !DateTime.fromISO(validity.until, { zone: "UTC" }).isValid) {
    throw bad("until is a date, YYYY-MM-DD");
  }
}

/**
 * When a card sold at `soldAt` expires (null: never), in the tenant's zone: "N after
 * purchase" counts from the start of the purchase day, so a card bought on 23 Nov 2026 and
 * valid 1 year is usable through 22 Nov 2027 and expires at midnight starting 23 Nov 2027
 * (the purchase day is day 1, as the vouchers module counts). A fixed end date is
 * inclusive: the card expires at the midnight that ends it.
 */
export function expiryOf(validity: Validity, soldAt: Date, timezone: string): Date | null {
  if (validity.kind === "none") return null;
  if (validity.kind === "fixed") {
    return DateTime.fromISO(validity.until, { zone: timezone }).startOf("day").plus({ days: 1 }).toJSDate();
  }
  return DateTime.fromJSDate(soldAt, { zone: timezone })
    .startOf("day")
    .plus({ years: validity.years ?? 0, months: validity.months ?? 0, days: validity.days ?? 0 })
    .toJSDate();
}

export interface Price {
  face: number;
  discount: number;
  /** What the buyer pays: face − discount. */
  paid: number;
}

/**
 * What a card of `amount` costs on this plan: a denomination's own discount, or on a custom
 * amount the plan's basis points rounded down (the buyer never gets more than the rate).
 */
export function priceOf(plan: Pick<PlanRow, "denominations" | "custom_amount">, amount: number): Price {
  const denomination = plan.denominations.find((d) => d.amount === amount);
  if (denomination) {
    return { face: amount, discount: denomination.discount, paid: amount - denomination.discount };
  }
  const custom = plan.custom_amount;
  if (custom && Number.isSafeInteger(amount) && amount >= custom.min && amount <= custom.max) {
    const discount = basisPoints(amount, custom.discount_bps, "down");
    return { face: amount, discount, paid: amount - discount };
  }
  const offered = [
    ...plan.denominations.map((d) => String(d.amount)),
    ...(custom ? [`${custom.min}-${custom.max}`] : []),
  ].join(", ");
  throw new GiftcardsError(
    "gift_card_amount_not_allowed",
    `This plan sells ${offered} (minor units), not ${amount}`,
    { extra: { denominations: plan.denominations.map((d) => d.amount), custom_amount: custom } },
  );
}

/** The most one load (POS recharge) may add: the plan's largest sellable amount. */
export function maxLoadOf(plan: Pick<PlanRow, "denominations" | "custom_amount">): number {
  return Math.max(plan.custom_amount?.max ?? 0, ...plan.denominations.map((d) => d.amount));
}
