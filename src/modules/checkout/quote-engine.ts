import { allocateProportionally } from "../../shared/money.js";
import {
  type AnyBenefit,
  type AvailableItems,
  audienceMatches,
  type Benefit,
  birthdayMatches,
  type Channel,
  type LocalMoment,
  localMoment,
  type MemberFacts,
  type Perk,
  type Restriction,
  scheduleMatches,
  type TierCatalog,
} from "../benefits/index.js";
import type { EntitlementFacts } from "../catalog/index.js";
import { AUDIENCE, type BenefitSource, entitlementsAt } from "./benefit-source.js";

export type { BenefitSource } from "./benefit-source.js";

/**
 * The pricing engine: a pure function of its input. No clock, no database, no order
 * dependence: the same input always gives the same breakdown (docs/checkout-stacking.md
 * states the policy this implements).
 */

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

// ---- integer helpers (exact; bigint only when a product could pass 2^53) ----

/** a × num / den rounded half up, a ≥ 0, num ≥ 0, den > 0. */
export function mulDivHalfUp(a: number, num: number, den: number): number {
  const n = a * num;
  if (Number.isSafeInteger(n)) {
    let q = Math.floor(n / den);
    let r = n - q * den;
    if (r < 0) {
      q -= 1;
      r += den;
    } else if (r >= den) {
      q += 1;
      r -= den;
    }
    return r * 2 >= den ? q + 1 : q;
  }
  const bn = BigInt(a) * BigInt(num);
  const bd = BigInt(den);
  const q = bn / bd;
  return Number((bn % bd) * 2n >= bd ? q + 1n : q);
}

/** Exact "2" / "1.5" → basis points (2 → 20000). */
export function multiplierBps(multiplier: string): number {
  const [whole, frac = ""] = multiplier.split(".");
  return Number(whole) * 10_000 + Number(frac.padEnd(4, "0").slice(0, 4));
}

function bpsToMultiplier(bps: number): string {
  const whole = Math.floor(bps / 10_000);
  const frac = String(bps % 10_000)
    .padStart(4, "0")
    .replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : String(whole);
}

// ---- compiled benefits (cached per benefit object) ----

const KIND_ORDER: Record<AnyBenefit["kind"], number> = {
  member_pricing: 0,
  member_discount: 1,
  member_day: 2,
  birthday: 3,
  promotional: 4,
  multiplier_points: 5,
  marketing: 9,
  card_extension: 9,
  exclusive_services: 9,
  custom: 9,
};

interface Compiled {
  benefit: AnyBenefit;
  channels: readonly Channel[] | undefined;
  restrictions: readonly Restriction[];
  excludedSkus: ReadonlySet<string> | null;
  excludedCategories: ReadonlySet<string> | null;
  prices: ReadonlyMap<string, number> | null;
}

const compiledCache = new WeakMap<AnyBenefit, Compiled>();

function itemsOf(items: AvailableItems | undefined) {
  return {
    excludedSkus: items?.kind === "exclude_products" ? new Set(items.skus) : null,
    excludedCategories: items?.kind === "exclude_categories" ? new Set(items.categories) : null,
  };
}

function compile(benefit: AnyBenefit): Compiled {
  const hit = compiledCache.get(benefit);
  if (hit) return hit;
  const c = benefit.config as {
    channels?: Channel[];
    restrictions?: Restriction[];
    items?: AvailableItems;
    prices?: { sku: string; price: number }[];
  };
  const compiled: Compiled = {
    benefit,
    channels: c.channels,
    restrictions: c.restrictions ?? [],
    ...itemsOf(c.items),
    prices: c.prices ? new Map(c.prices.map((p) => [p.sku, p.price])) : null,
  };
  compiledCache.set(benefit, compiled);
  return compiled;
}

function excludes(c: Compiled, line: CartLine): boolean {
  return (c.excludedSkus?.has(line.sku) ?? false) || (c.excludedCategories?.has(line.category) ?? false);
}

/** The effect a member day or birthday benefit has for this member: its best matching perk. */
interface Effect {
  /** Price factor numerator over 10_000 (a 20% discount = 8_000); null: no price effect. */
  factor: number | null;
  pointsBps: number | null;
  extraPointsPercent: number;
  freeShipping: boolean;
}

function perkEffect(
  base: { discount_percent?: number; points_multiplier?: string },
  perk: Perk | null,
): Effect {
  const discount = perk?.discount_percent ?? base.discount_percent;
  const extra = perk?.extra_discount_percent;
  const factor =
    discount === undefined && extra === undefined ? null : (100 - (discount ?? 0)) * (100 - (extra ?? 0));
  const multiplier = perk?.points_multiplier ?? base.points_multiplier;
  return {
    factor,
    pointsBps: multiplier ? multiplierBps(multiplier) : null,
    extraPointsPercent: perk?.extra_points_percent ?? 0,
    freeShipping: perk?.free_shipping ?? false,
  };
}

function bestPerkEffect(
  base: { discount_percent?: number; points_multiplier?: string; perks?: Perk[] },
  member: MemberFacts | null,
  ranks: TierCatalog,
): Effect {
  let best = perkEffect(base, null);
  for (const perk of base.perks ?? []) {
    if (!audienceMatches(perk.audience, member, ranks)) continue;
    const e = perkEffect(base, perk);
    const ef = e.factor ?? 10_000;
    const bf = best.factor ?? 10_000;
    // Lowest price first; then most points; then the earlier perk.
    const better =
      ef < bf ||
      (ef === bf &&
        (e.pointsBps ?? 10_000) * (100 + e.extraPointsPercent) >
          (best.pointsBps ?? 10_000) * (100 + best.extraPointsPercent));
    if (better) best = e;
  }
  return best;
}

interface Eligible {
  c: Compiled;
  effect: Effect;
  memberPricing: boolean;
  source: BenefitSource;
}

type Rejection = { c: Compiled; reason: NotAppliedReason; source: BenefitSource | null };

function checkTime(benefit: AnyBenefit, input: QuoteInput, now: LocalMoment): NotAppliedReason | null {
  switch (benefit.kind) {
    case "member_day":
      return scheduleMatches(benefit.config.schedule, now) === "ok" ? null : "time_window";
    case "birthday":
      if (!input.member?.birthday) return "no_birthday";
      return birthdayMatches(benefit.config.period, input.member.birthday, now) ? null : "time_window";
    case "multiplier_points": {
      const c = benefit.config;
      const t = input.at.getTime();
      if (c.valid_from && t < Date.parse(c.valid_from)) return "time_window";
      if (c.valid_until && t >= Date.parse(c.valid_until)) return "time_window";
      if (c.schedule && scheduleMatches(c.schedule, now) !== "ok") return "time_window";
      return null;
    }
    default:
      return null;
  }
}

function effectOf(benefit: AnyBenefit, input: QuoteInput): Effect {
  switch (benefit.kind) {
    case "member_discount":
      return {
        factor: (100 - benefit.config.discount_percent) * 100,
        pointsBps: null,
        extraPointsPercent: 0,
        freeShipping: false,
      };
    case "member_day":
    case "birthday":
      return bestPerkEffect(benefit.config, input.member, input.tierRanks);
    case "multiplier_points":
      return {
        factor: null,
        pointsBps: multiplierBps(benefit.config.multiplier),
        extraPointsPercent: 0,
        freeShipping: false,
      };
    default:
      return { factor: null, pointsBps: null, extraPointsPercent: 0, freeShipping: false };
  }
}

const PRICED_KINDS = new Set<AnyBenefit["kind"]>([
  "member_pricing",
  "member_discount",
  "member_day",
  "birthday",
  "promotional",
  "multiplier_points",
]);

/** The catalog's priced benefits in (kind, id) order; cached per catalog array (it is immutable). */
const orderedCache = new WeakMap<readonly AnyBenefit[], readonly AnyBenefit[]>();
function pricedInOrder(benefits: readonly AnyBenefit[]): readonly AnyBenefit[] {
  const hit = orderedCache.get(benefits);
  if (hit) return hit;
  const sorted = benefits
    .filter((b) => b.status === "active" && PRICED_KINDS.has(b.kind))
    .sort(compareBenefits);
  if (Object.isFrozen(benefits)) orderedCache.set(benefits, sorted);
  return sorted;
}

function canonicalOrder(lines: readonly CartLine[]): number[] {
  const order = lines.map((_, i) => i);
  order.sort((a, b) => {
    const x = lines[a]!;
    const y = lines[b]!;
    if (x.sku !== y.sku) return x.sku < y.sku ? -1 : 1;
    if (x.category !== y.category) return x.category < y.category ? -1 : 1;
    if (x.unitPrice !== y.unitPrice) return x.unitPrice - y.unitPrice;
    return x.quantity - y.quantity;
  });
  return order;
}

function compareBenefits(a: AnyBenefit, b: AnyBenefit): number {
  const k = KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
  if (k !== 0) return k;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The price of a line under one price benefit, or null when it gives nothing there. */
function candidateAmount(e: Eligible, line: CartLine, current: number): number | null {
  if (e.memberPricing) {
    const unit = e.c.prices?.get(line.sku);
    if (unit === undefined) return null;
    const amount = unit * line.quantity;
    return amount < current ? amount : null;
  }
  if (e.effect.factor === null) return null;
  const amount = mulDivHalfUp(current, e.effect.factor, 10_000);
  return amount < current ? amount : null;
}

interface MemberPass {
  amounts: number[];
  adjustments: LineAdjustment[][];
  usedBy: Map<string, number>;
  touched: Set<string>;
  excludedEverywhere: Set<string>;
  noPrice: Set<string>;
}

/** Member benefits per line: the best single non-stackable price, then stackable ones in order. */
function memberPass(
  lines: readonly CartLine[],
  originals: readonly number[],
  priced: readonly Eligible[],
): MemberPass {
  const amounts = [...originals];
  const adjustments: LineAdjustment[][] = lines.map(() => []);
  const usedBy = new Map<string, number>();
  const touched = new Set<string>();
  const seenLine = new Set<string>();
  const pricedSomewhere = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    let best: Eligible | null = null;
    let bestAmount = amounts[i]!;
    for (const e of priced) {
      if (excludes(e.c, line)) continue;
      seenLine.add(e.c.benefit.id);
      if (e.memberPricing && e.c.prices?.has(line.sku)) pricedSomewhere.add(e.c.benefit.id);
      if (e.c.benefit.stackable && !e.memberPricing) continue;
      const amount = candidateAmount(e, line, originals[i]!);
      if (amount !== null && amount < bestAmount) {
        best = e;
        bestAmount = amount;
      }
    }
    if (best) {
      const id = best.c.benefit.id;
      adjustments[i]!.push({ source: "benefit", id, amount: amounts[i]! - bestAmount });
      usedBy.set(id, (usedBy.get(id) ?? 0) + amounts[i]! - bestAmount);
      touched.add(id);
      amounts[i] = bestAmount;
    }
    for (const e of priced) {
      if (!e.c.benefit.stackable || e.memberPricing || excludes(e.c, line)) continue;
      const amount = candidateAmount(e, line, amounts[i]!);
      if (amount === null) continue;
      const id = e.c.benefit.id;
      adjustments[i]!.push({ source: "benefit", id, amount: amounts[i]! - amount });
      usedBy.set(id, (usedBy.get(id) ?? 0) + amounts[i]! - amount);
      touched.add(id);
      amounts[i] = amount;
    }
  }
  const excludedEverywhere = new Set<string>();
  const noPrice = new Set<string>();
  for (const e of priced) {
    const id = e.c.benefit.id;
    if (!seenLine.has(id)) excludedEverywhere.add(id);
    else if (e.memberPricing && !pricedSomewhere.has(id)) noPrice.add(id);
  }
  return { amounts, adjustments, usedBy, touched, excludedEverywhere, noPrice };
}

interface ReductionPass {
  amounts: number[];
  applied: { c: Compiled; amount: number }[];
  belowMin: Set<string>;
  excluded: Set<string>;
}

/** Promotional order reductions ("20 off 100") after member prices: the best one unless stackable. */
function reductionPass(
  lines: readonly CartLine[],
  order: readonly number[],
  start: readonly number[],
  adjustments: LineAdjustment[][],
  reductions: readonly Compiled[],
): ReductionPass {
  const amounts = [...start];
  const applied: { c: Compiled; amount: number }[] = [];
  const belowMin = new Set<string>();
  const excluded = new Set<string>();
  const evaluate = (c: Compiled) => {
    const r = (c.benefit as Benefit<"promotional">).config.order_reduction!;
    const idx = order.filter((i) => !excludes(c, lines[i]!));
    const subtotal = idx.reduce((s, i) => s + amounts[i]!, 0);
    if (idx.length === 0) return { idx, amount: 0, reason: "excluded_item" as const };
    if (subtotal === 0 || subtotal < r.min_amount)
      return { idx, amount: 0, reason: "below_min_amount" as const };
    return { idx, amount: Math.min(r.amount, subtotal), reason: null };
  };
  // Applied only over a positive subtotal, so the weights never sum to zero here.
  const apply = (c: Compiled, idx: number[], amount: number) => {
    const parts = allocateProportionally(
      amount,
      idx.map((i) => amounts[i]!),
    );
    idx.forEach((i, k) => {
      const part = parts[k]!;
      if (part === 0) return;
      amounts[i]! -= part;
      adjustments[i]!.push({ source: "order_reduction", id: c.benefit.id, amount: part });
    });
    applied.push({ c, amount });
  };
  let best: { c: Compiled; idx: number[]; amount: number } | null = null;
  for (const c of reductions) {
    if (c.benefit.stackable) continue;
    const e = evaluate(c);
    if (e.reason === "excluded_item") excluded.add(c.benefit.id);
    else if (e.reason) belowMin.add(c.benefit.id);
    else if (!best || e.amount > best.amount) best = { c, idx: e.idx, amount: e.amount };
  }
  if (best) apply(best.c, best.idx, best.amount);
  for (const c of reductions) {
    if (!c.benefit.stackable) continue;
    const e = evaluate(c);
    if (e.reason === "excluded_item") excluded.add(c.benefit.id);
    else if (e.reason) belowMin.add(c.benefit.id);
    else apply(c, e.idx, e.amount);
  }
  return { amounts, applied, belowMin, excluded };
}

function voucherInScope(v: VoucherFacts, line: CartLine): boolean {
  if (v.scope.kind === "all") return true;
  const listed = v.scope.skus.includes(line.sku);
  return v.scope.kind === "allow" ? listed : !listed;
}

/** Prices a cart. Pure and deterministic; see docs/checkout-stacking.md. */
export function quote(input: QuoteInput): Quote {
  const now = localMoment(input.at, input.timezone);
  const lines = input.lines;
  const order = canonicalOrder(lines);
  const originals = lines.map((l) => l.unitPrice * l.quantity);
  const originalSubtotal = originals.reduce((s, a) => s + a, 0);
  const member = input.member;
  const rejected: Rejection[] = [];
  const entitled = entitlementsAt(input.entitlements, input.at);

  // 1. Order-level eligibility of each benefit that can change a price or points. A member
  // outside a benefit's audience still has it while an entitlement to it is in force.
  const eligible: Eligible[] = [];
  for (const benefit of pricedInOrder(input.benefits)) {
    if (benefit.kind === "promotional" && !benefit.config.order_reduction) continue;
    const c = compile(benefit);
    let reason: NotAppliedReason | null = null;
    let source: BenefitSource | null = null;
    if (member) {
      source = audienceMatches(benefit.audience, member, input.tierRanks)
        ? AUDIENCE
        : (entitled.get(benefit.id) ?? null);
    }
    if (!member) reason = "member_required";
    else if (!source) reason = "audience";
    else if (c.channels && !c.channels.includes(input.channel)) reason = "channel";
    else reason = checkTime(benefit, input, now);
    if (!reason) {
      for (const r of c.restrictions) {
        if (r.kind === "balance_below_amount" && input.balanceAvailable < r.amount) {
          reason = "restriction_balance_below_amount";
        } else if (r.kind === "balance_below_outstanding" && input.balanceAvailable < originalSubtotal) {
          reason = "restriction_balance_below_outstanding";
        }
        if (reason) break;
      }
    }
    if (reason) {
      rejected.push({ c, reason, source });
      continue;
    }
    eligible.push({
      c,
      effect: effectOf(benefit, input),
      memberPricing: benefit.kind === "member_pricing",
      source: source ?? AUDIENCE,
    });
  }

  // 2–3. Member prices per line, then order reductions; a benefit whose rule needs the
  // balance to cover the discounted amount drops out and the rest is priced again, until
  // stable (each drop only raises the amount, so this ends within |benefits| rounds).
  let active = eligible;
  let pass: MemberPass;
  let reduced: ReductionPass;
  let adjustments: LineAdjustment[][];
  for (;;) {
    const priced = active.filter(
      (e) => e.c.benefit.kind !== "promotional" && e.c.benefit.kind !== "multiplier_points",
    );
    pass = memberPass(lines, originals, priced);
    adjustments = pass.adjustments;
    reduced = reductionPass(
      lines,
      order,
      pass.amounts,
      adjustments,
      active.filter((e) => e.c.benefit.kind === "promotional").map((e) => e.c),
    );
    const discounted = reduced.amounts.reduce((s, a) => s + a, 0);
    const dropping = active.filter((e) =>
      e.c.restrictions.some(
        (r) => r.kind === "balance_below_discounted_outstanding" && input.balanceAvailable < discounted,
      ),
    );
    if (dropping.length === 0) break;
    for (const e of dropping)
      rejected.push({ c: e.c, reason: "restriction_balance_below_discounted_outstanding", source: e.source });
    active = active.filter((e) => !dropping.includes(e));
  }
  const memberAmounts = reduced.amounts.slice();
  const amounts = reduced.amounts;

  // 4. Vouchers: earliest expiry first, then id; each covers what its scope allows.
  const vouchersApplied: Quote["vouchersApplied"] = [];
  const vouchersNotApplied: Quote["vouchersNotApplied"] = [];
  const vouchers = [...input.vouchers].sort((a, b) =>
    a.expiresAt.getTime() !== b.expiresAt.getTime()
      ? a.expiresAt.getTime() - b.expiresAt.getTime()
      : a.id < b.id
        ? -1
        : 1,
  );
  const atMs = input.at.getTime();
  for (const v of vouchers) {
    let reason: VoucherNotAppliedReason | null = null;
    if (v.memberId !== null && v.memberId !== member?.id) reason = "not_owner";
    else if (v.asset !== input.currency) reason = "currency";
    else if (!v.usable) reason = "not_usable";
    else if (atMs < v.startsAt.getTime()) reason = "not_started";
    else if (atMs >= v.expiresAt.getTime()) reason = "expired";
    else if (v.balance <= 0) reason = "empty";
    let idx: number[] = [];
    let eligibleSum = 0;
    if (!reason) {
      idx = order.filter((i) => voucherInScope(v, lines[i]!));
      const scopeTotal = idx.reduce((s, i) => s + memberAmounts[i]!, 0);
      eligibleSum = idx.reduce((s, i) => s + amounts[i]!, 0);
      if (idx.length === 0) reason = "no_eligible_item";
      else if (scopeTotal < v.minAmount) reason = "below_min_amount";
      else if (eligibleSum === 0) reason = "order_fully_paid";
    }
    if (reason) {
      vouchersNotApplied.push({ voucherId: v.id, reason });
      continue;
    }
    const use = Math.min(v.balance, eligibleSum);
    const parts = allocateProportionally(
      use,
      idx.map((i) => amounts[i]!),
    );
    idx.forEach((i, k) => {
      const part = parts[k]!;
      if (part === 0) return;
      amounts[i]! -= part;
      adjustments[i]!.push({ source: "voucher", id: v.id, amount: part });
    });
    vouchersApplied.push({ voucherId: v.id, amount: use });
  }

  // 5. Which benefits count as applied, and why the others did not.
  const reductionById = new Map(reduced.applied.map((a) => [a.c.benefit.id, a.amount]));
  const benefitsApplied: AppliedBenefit[] = [];
  let freeShipping = false;
  let pointsBps = 10_000;
  let extraPointsPercent = 0;
  for (const e of active) {
    const b = e.c.benefit;
    const discount = (pass.usedBy.get(b.id) ?? 0) + (reductionById.get(b.id) ?? 0);
    const givesPoints = e.effect.pointsBps !== null || e.effect.extraPointsPercent > 0;
    const applied = discount > 0 || e.effect.freeShipping || givesPoints;
    if (!applied) {
      const reason: NotAppliedReason =
        pass.excludedEverywhere.has(b.id) || reduced.excluded.has(b.id)
          ? "excluded_item"
          : pass.noPrice.has(b.id)
            ? "no_member_price"
            : reduced.belowMin.has(b.id)
              ? "below_min_amount"
              : "not_best";
      rejected.push({ c: e.c, reason, source: e.source });
      continue;
    }
    freeShipping ||= e.effect.freeShipping;
    if (e.effect.pointsBps !== null && e.effect.pointsBps > pointsBps) pointsBps = e.effect.pointsBps;
    extraPointsPercent += e.effect.extraPointsPercent;
    benefitsApplied.push({
      benefitId: b.id,
      kind: b.kind,
      name: b.name,
      discountAmount: discount,
      freeShipping: e.effect.freeShipping,
      pointsMultiplier: e.effect.pointsBps !== null ? bpsToMultiplier(e.effect.pointsBps) : null,
      extraPointsPercent: e.effect.extraPointsPercent,
      source: e.source,
    });
  }
  rejected.sort((a, b) => compareBenefits(a.c.benefit, b.c.benefit));

  // 6. Totals, shipping, balance, points.
  const goods = amounts.reduce((s, a) => s + a, 0);
  const shippingFinal = freeShipping ? 0 : input.shippingAmount;
  const total = goods + shippingFinal;
  const memberTotal = memberAmounts.reduce((s, a) => s + a, 0);
  const memberBenefitTotal = pass.amounts.reduce((s, a) => s + a, 0);
  const voucherTotal = vouchersApplied.reduce((s, v) => s + v.amount, 0);
  const usable = input.balanceUsable
    ? input.balanceUsable(
        lines.map((l, i) => ({ sku: l.sku, amount: amounts[i]! })),
        shippingFinal,
      )
    : input.balanceAvailable;
  const balanceAmount = input.payWithBalance && member ? Math.min(usable, total) : 0;
  let earned = 0;
  if (member && goods > 0 && input.pointsRule.points > 0) {
    const num =
      BigInt(goods) * BigInt(input.pointsRule.points) * BigInt(pointsBps) * BigInt(100 + extraPointsPercent);
    earned = Number(num / (BigInt(input.pointsRule.perMinor) * 1_000_000n));
  }

  return {
    currency: input.currency,
    at: input.at,
    channel: input.channel,
    memberId: member?.id ?? null,
    lines: lines.map((l, i) => ({
      index: i,
      sku: l.sku,
      category: l.category,
      quantity: l.quantity,
      unitPrice: l.unitPrice,
      originalAmount: originals[i]!,
      memberAmount: memberAmounts[i]!,
      finalAmount: amounts[i]!,
      adjustments: adjustments[i]!,
    })),
    originalSubtotal,
    memberDiscountTotal: originalSubtotal - memberBenefitTotal,
    orderReductionTotal: memberBenefitTotal - memberTotal,
    voucherTotal,
    shipping: { original: input.shippingAmount, final: shippingFinal },
    noBenefitTotal: originalSubtotal + input.shippingAmount,
    total,
    benefitsApplied,
    benefitsNotApplied: rejected.map((r) => ({
      benefitId: r.c.benefit.id,
      kind: r.c.benefit.kind,
      name: r.c.benefit.name,
      reason: r.reason,
      source: r.source,
    })),
    vouchersApplied,
    vouchersNotApplied,
    points: {
      eligibleAmount: member ? goods : 0,
      multiplier: bpsToMultiplier(pointsBps),
      extraPercent: extraPointsPercent,
      earned,
    },
    balance: {
      available: input.balanceAvailable,
      payWithBalance: input.payWithBalance,
      amount: balanceAmount,
      remainingPayable: total - balanceAmount,
    },
    roundings: ROUNDINGS,
  };
}
