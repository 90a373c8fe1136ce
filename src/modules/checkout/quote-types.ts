import type { AnyBenefit, Channel, MemberFacts, TierCatalog } from "../benefits/index.js";
import type { EntitlementFacts } from "../catalog/index.js";
import type { BenefitSource } from "./benefit-source.js";

/** The pricing engine's input and its breakdown (quote-engine.ts computes one from the other). */
export interface CartLine {
  sku: string;
  category: string;
  quantity: number;
  /** Minor units. */
  unitPrice: number;
}

/** A voucher as the checkout sees it (the vouchers module owns it). */
export interface VoucherFacts {
  id: string;
  /** The member it belongs to (null: bearer). */
  memberId: string | null;
  asset: string;
  /** What is left on it now (its ledger balance). */
  balance: number;
  usable: boolean;
  startsAt: Date;
  expiresAt: Date;
  scope: { kind: "all" | "allow" | "deny"; skus: readonly string[] };
  minAmount: number;
}

/** Base points: `points` for every `perMinor` minor units paid, before multipliers. */
export interface PointsRule {
  points: number;
  perMinor: number;
}

export const DEFAULT_POINTS_RULE: PointsRule = { points: 1, perMinor: 100 };

export interface QuoteInput {
  at: Date;
  timezone: string;
  channel: Channel;
  currency: string;
  lines: readonly CartLine[];
  member: MemberFacts | null;
  tierRanks: TierCatalog;
  benefits: readonly AnyBenefit[];
  vouchers: readonly VoucherFacts[];
  /** The member's prepaid balance available now (restriction rules and balance payment). */
  balanceAvailable: number;
  /**
   * What balance may pay of this cart (lines at what they still cost, and the rest not on a
   * line): the wallets' tagged lots may be restricted to items or to a share on their top-up
   * day. Absent: all of `balanceAvailable`.
   */
  balanceUsable?: (lines: { sku: string; amount: number }[], rest: number) => number;
  payWithBalance: boolean;
  shippingAmount: number;
  pointsRule: PointsRule;
  /**
   * Benefits the member holds because they bought something (a package period): each
   * counts as an audience match while `validFrom ≤ at < validUntil`.
   */
  entitlements?: readonly EntitlementFacts[];
}

export type NotAppliedReason =
  | "member_required"
  | "audience"
  | "channel"
  | "time_window"
  | "no_birthday"
  | "excluded_item"
  | "no_member_price"
  | "not_best"
  | "below_min_amount"
  | "restriction_balance_below_amount"
  | "restriction_balance_below_outstanding"
  | "restriction_balance_below_discounted_outstanding";

export type VoucherNotAppliedReason =
  | "not_found"
  | "not_owner"
  | "currency"
  | "not_usable"
  | "not_started"
  | "expired"
  | "empty"
  | "below_min_amount"
  | "no_eligible_item"
  | "order_fully_paid";

export interface LineAdjustment {
  source: "benefit" | "order_reduction" | "voucher";
  id: string;
  amount: number;
}

export interface QuotedLine {
  index: number;
  sku: string;
  category: string;
  quantity: number;
  unitPrice: number;
  originalAmount: number;
  /** After member benefits, before order reductions and vouchers. */
  memberAmount: number;
  finalAmount: number;
  adjustments: LineAdjustment[];
}

export interface AppliedBenefit {
  benefitId: string;
  kind: AnyBenefit["kind"];
  name: string;
  discountAmount: number;
  freeShipping: boolean;
  pointsMultiplier: string | null;
  extraPointsPercent: number;
  source: BenefitSource;
}

export interface Quote {
  currency: string;
  at: Date;
  channel: Channel;
  memberId: string | null;
  lines: QuotedLine[];
  originalSubtotal: number;
  memberDiscountTotal: number;
  orderReductionTotal: number;
  voucherTotal: number;
  shipping: { original: number; final: number };
  /** What the order would cost with no benefit and no voucher. */
  noBenefitTotal: number;
  total: number;
  benefitsApplied: AppliedBenefit[];
  benefitsNotApplied: {
    benefitId: string;
    kind: AnyBenefit["kind"];
    name: string;
    reason: NotAppliedReason;
    /** Null when the member was not in its audience (or there was no member). */
    source: BenefitSource | null;
  }[];
  vouchersApplied: { voucherId: string; amount: number }[];
  vouchersNotApplied: { voucherId: string; reason: VoucherNotAppliedReason }[];
  points: { eligibleAmount: number; multiplier: string; extraPercent: number; earned: number };
  balance: { available: number; payWithBalance: boolean; amount: number; remainingPayable: number };
  /** The named roundings this engine uses, for the reader of a breakdown. */
  roundings: readonly string[];
}

export const ROUNDINGS = [
  "line_percent_half_up: a percentage discount rounds the line total to the nearest minor unit, halves up, once per line and benefit",
  "allocation_largest_remainder: order reductions and vouchers are spread over lines in proportion to their amounts; the parts add up exactly",
  "points_down: points earned round down to a whole point",
] as const;
