import { onLocalDates } from "../catalog/index.js";
import type { SalesRule } from "./package-config.js";

/**
 * Which price a sales rule charges (seed 001 §2.2). Pure: the caller says what the member
 * holds of the package and when.
 * - first purchase: the member has never kept a paid order of this package (refunded ones
 *   do not count);
 * - repeat purchase: they have, and hold no period of it now;
 * - early renewal: they hold a period that has not ended (active, or scheduled after one);
 * - limited time: the purchase falls on the promotion's local dates, whoever buys.
 * Every price that applies competes with the original price and **the lowest wins**; on a
 * tie the more specific kind is recorded, in this order: limited_time, early_renewal,
 * first_purchase, repeat_purchase, original. The order keeps the winning kind.
 */
export const SITUATIONS = ["first_purchase", "repeat_purchase", "early_renewal"] as const;
export type Situation = (typeof SITUATIONS)[number];
export const PRICE_KINDS = [
  "original",
  "first_purchase",
  "repeat_purchase",
  "early_renewal",
  "limited_time",
] as const;
export type PriceKind = (typeof PRICE_KINDS)[number];

const PRECEDENCE: readonly PriceKind[] = [
  "limited_time",
  "early_renewal",
  "first_purchase",
  "repeat_purchase",
  "original",
];

export interface PriceCandidate {
  kind: PriceKind;
  amount: number;
  applies: boolean;
  /** Why it does not apply: `not_set`, `not_first_purchase`, `not_repeat_purchase`, `no_active_period`, `outside_dates`. */
  reason: string | null;
}

export interface RulePrice {
  amount: number;
  kind: PriceKind;
  candidates: PriceCandidate[];
}

export function situationOf(history: { boughtBefore: boolean; heldUntil: Date | null }): Situation {
  if (history.heldUntil) return "early_renewal";
  return history.boughtBefore ? "repeat_purchase" : "first_purchase";
}

const NOT_THIS: Record<Situation, string> = {
  first_purchase: "not_first_purchase",
  repeat_purchase: "not_repeat_purchase",
  early_renewal: "no_active_period",
};

export function priceFor(rule: SalesRule, situation: Situation, at: Date, timezone: string): RulePrice {
  const candidates: PriceCandidate[] = [
    { kind: "original", amount: rule.original_price, applies: true, reason: null },
  ];
  for (const kind of SITUATIONS) {
    const amount = rule[`${kind}_price`];
    if (amount === undefined) continue;
    const applies = kind === situation;
    candidates.push({ kind, amount, applies, reason: applies ? null : NOT_THIS[kind] });
  }
  if (rule.limited_time) {
    const applies = onLocalDates(rule.limited_time, at, timezone);
    candidates.push({
      kind: "limited_time",
      amount: rule.limited_time.price,
      applies,
      reason: applies ? null : "outside_dates",
    });
  }
  let best = candidates[0]!;
  for (const c of candidates) {
    if (!c.applies) continue;
    if (
      c.amount < best.amount ||
      (c.amount === best.amount && PRECEDENCE.indexOf(c.kind) < PRECEDENCE.indexOf(best.kind))
    ) {
      best = c;
    }
  }
  return { amount: best.amount, kind: best.kind, candidates };
}
