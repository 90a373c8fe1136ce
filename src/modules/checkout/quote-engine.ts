import { allocateProportionally } from "../../shared/money.js";
import { audienceMatches, type Benefit, localMoment } from "../benefits/index.js";
import { AUDIENCE, type BenefitSource, entitlementsAt } from "./benefit-source.js";
import {
  type CatalogPlan,
  canonicalOrder,
  catalogPlan,
  checkTime,
  compile,
  type Eligible,
  effectOf,
  excludes,
  type Rejection,
} from "./quote-eligibility.js";
import { bpsToMultiplier, mulDivHalfUp } from "./quote-math.js";
import type {
  AppliedBenefit,
  CartLine,
  LineAdjustment,
  NotAppliedReason,
  Quote,
  QuoteInput,
  VoucherFacts,
  VoucherNotAppliedReason,
} from "./quote-types.js";
import { ROUNDINGS } from "./quote-types.js";

export type { BenefitSource } from "./benefit-source.js";
export { mulDivHalfUp, multiplierBps } from "./quote-math.js";
export * from "./quote-types.js";

/*
 * The pricing engine: a pure function of its input. No clock, no database, no order
 * dependence: the same input always gives the same breakdown (docs/checkout-stacking.md
 * states the policy this implements). Its input and breakdown are in quote-types.ts, which
 * benefits may apply in quote-eligibility.ts, and its exact arithmetic in quote-math.ts.
 */

interface MemberPass {
  amounts: number[];
  adjustments: LineAdjustment[][];
  /** By rank: what the benefit took off the lines. */
  discountByRank: number[];
  /** By rank: 1 when every line is excluded from the benefit. */
  excludedEverywhere: Uint8Array;
  /** By rank: 1 for a member price that names the SKU of no line it applies to. */
  noPrice: Uint8Array;
}

const NO_PRICES: readonly { rank: number; unit: number }[] = [];

/**
 * Member benefits per line: the best single non-stackable price, then stackable ones in rank
 * order. The best is the lowest amount, and of equal amounts the benefit of lowest rank. A
 * line meets only the member prices of its own SKU (the plan's index), and the percentage
 * benefits from the lowest factor up: an amount never falls as the factor rises, so the walk
 * ends at the first factor that can neither beat nor tie the best.
 */
function memberPass(
  lines: readonly CartLine[],
  originals: readonly number[],
  priced: readonly Eligible[],
  plan: CatalogPlan,
): MemberPass {
  const ranks = plan.ordered.length;
  const amounts = originals.slice();
  const adjustments: LineAdjustment[][] = lines.map(() => []);
  const discountByRank = new Array<number>(ranks).fill(0);
  const excludedEverywhere = new Uint8Array(ranks);
  const noPrice = new Uint8Array(ranks);
  const pricedByRank: (Eligible | undefined)[] = new Array(ranks);
  const byFactor: Eligible[] = [];
  const stackable: Eligible[] = [];
  for (const e of priced) {
    pricedByRank[e.rank] = e;
    if (lines.length === 0 || (e.c.hasExclusions && lines.every((l) => excludes(e.c, l)))) {
      excludedEverywhere[e.rank] = 1;
    }
    // A member price never stacks; it is unpriced until a line it applies to has its SKU. A
    // benefit without a price factor (points only) prices no line.
    if (e.memberPricing) noPrice[e.rank] = excludedEverywhere[e.rank]! ^ 1;
    else if (e.effect.factor !== null) (e.c.benefit.stackable ? stackable : byFactor).push(e);
  }
  // By factor, then rank: they arrive in rank order and an insertion sort is stable (and,
  // for a handful of benefits, cheaper than Array#sort's call per comparison).
  for (let i = 1; i < byFactor.length; i++) {
    const e = byFactor[i]!;
    let j = i;
    for (; j > 0 && byFactor[j - 1]!.effect.factor! > e.effect.factor!; j--) byFactor[j] = byFactor[j - 1]!;
    byFactor[j] = e;
  }
  const take = (i: number, e: Eligible, amount: number) => {
    const off = amounts[i]! - amount;
    adjustments[i]!.push({ source: "benefit", id: e.c.benefit.id, amount: off });
    discountByRank[e.rank]! += off;
    amounts[i] = amount;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const original = originals[i]!;
    let best: Eligible | null = null;
    let bestAmount = original;
    for (const p of plan.pricesBySku.get(line.sku) ?? NO_PRICES) {
      const e = pricedByRank[p.rank];
      if (e === undefined || excludes(e.c, line)) continue;
      noPrice[p.rank] = 0;
      const amount = p.unit * line.quantity;
      if (amount < bestAmount || (amount === bestAmount && best !== null && e.rank < best.rank)) {
        best = e;
        bestAmount = amount;
      }
    }
    for (const e of byFactor) {
      if (excludes(e.c, line)) continue;
      const amount = mulDivHalfUp(original, e.effect.factor!, 10_000);
      if (amount > bestAmount || (amount === bestAmount && best === null)) break;
      if (amount < bestAmount || e.rank < best!.rank) {
        best = e;
        bestAmount = amount;
      }
    }
    if (best) take(i, best, bestAmount);
    for (const e of stackable) {
      if (excludes(e.c, line)) continue;
      const amount = mulDivHalfUp(amounts[i]!, e.effect.factor!, 10_000);
      if (amount < amounts[i]!) take(i, e, amount);
    }
  }
  return { amounts, adjustments, discountByRank, excludedEverywhere, noPrice };
}

interface ReductionPass {
  amounts: number[];
  /** By rank: the reduction the benefit gave (0: none). */
  reductionByRank: number[];
  belowMin: Uint8Array;
  excluded: Uint8Array;
}

/** Promotional order reductions ("20 off 100") after member prices: the best one unless stackable. */
function reductionPass(
  lines: readonly CartLine[],
  order: readonly number[],
  start: readonly number[],
  adjustments: LineAdjustment[][],
  reductions: readonly Eligible[],
  ranks: number,
): ReductionPass {
  const amounts = [...start];
  const reductionByRank = new Array<number>(ranks).fill(0);
  const belowMin = new Uint8Array(ranks);
  const excluded = new Uint8Array(ranks);
  const evaluate = ({ c }: Eligible) => {
    const r = (c.benefit as Benefit<"promotional">).config.order_reduction!;
    const idx = c.hasExclusions ? order.filter((i) => !excludes(c, lines[i]!)) : order;
    let subtotal = 0;
    for (const i of idx) subtotal += amounts[i]!;
    if (idx.length === 0) return { idx, amount: 0, reason: "excluded_item" as const };
    if (subtotal === 0 || subtotal < r.min_amount)
      return { idx, amount: 0, reason: "below_min_amount" as const };
    return { idx, amount: Math.min(r.amount, subtotal), reason: null };
  };
  // Applied only over a positive subtotal, so the weights never sum to zero here.
  const apply = (e: Eligible, idx: readonly number[], amount: number) => {
    const parts = allocateProportionally(
      amount,
      idx.map((i) => amounts[i]!),
    );
    idx.forEach((i, k) => {
      const part = parts[k]!;
      if (part === 0) return;
      amounts[i]! -= part;
      adjustments[i]!.push({ source: "order_reduction", id: e.c.benefit.id, amount: part });
    });
    reductionByRank[e.rank] = amount;
  };
  const judge = (e: Eligible, outcome: ReturnType<typeof evaluate>) => {
    if (outcome.reason === "excluded_item") excluded[e.rank] = 1;
    else if (outcome.reason) belowMin[e.rank] = 1;
    return outcome.reason === null;
  };
  let best: { e: Eligible; idx: readonly number[]; amount: number } | null = null;
  for (const e of reductions) {
    if (e.c.benefit.stackable) continue;
    const outcome = evaluate(e);
    if (judge(e, outcome) && (!best || outcome.amount > best.amount)) best = { e, ...outcome };
  }
  if (best) apply(best.e, best.idx, best.amount);
  for (const e of reductions) {
    if (!e.c.benefit.stackable) continue;
    const outcome = evaluate(e);
    if (judge(e, outcome)) apply(e, outcome.idx, outcome.amount);
  }
  return { amounts, reductionByRank, belowMin, excluded };
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
  const plan = catalogPlan(input.benefits);
  const ordered = plan.ordered;
  for (let rank = 0; rank < ordered.length; rank++) {
    const benefit = ordered[rank]!;
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
      rejected.push({ c, rank, reason, source });
      continue;
    }
    eligible.push({
      c,
      rank,
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
    pass = memberPass(lines, originals, priced, plan);
    adjustments = pass.adjustments;
    reduced = reductionPass(
      lines,
      order,
      pass.amounts,
      adjustments,
      active.filter((e) => e.c.benefit.kind === "promotional"),
      ordered.length,
    );
    const discounted = reduced.amounts.reduce((s, a) => s + a, 0);
    const dropping = active.filter((e) =>
      e.c.restrictions.some(
        (r) => r.kind === "balance_below_discounted_outstanding" && input.balanceAvailable < discounted,
      ),
    );
    if (dropping.length === 0) break;
    for (const e of dropping)
      rejected.push({
        c: e.c,
        rank: e.rank,
        reason: "restriction_balance_below_discounted_outstanding",
        source: e.source,
      });
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
  const benefitsApplied: AppliedBenefit[] = [];
  let freeShipping = false;
  let pointsBps = 10_000;
  let extraPointsPercent = 0;
  for (const e of active) {
    const b = e.c.benefit;
    const discount = pass.discountByRank[e.rank]! + reduced.reductionByRank[e.rank]!;
    const givesPoints = e.effect.pointsBps !== null || e.effect.extraPointsPercent > 0;
    const applied = discount > 0 || e.effect.freeShipping || givesPoints;
    if (!applied) {
      const reason: NotAppliedReason =
        pass.excludedEverywhere[e.rank] || reduced.excluded[e.rank]
          ? "excluded_item"
          : pass.noPrice[e.rank]
            ? "no_member_price"
            : reduced.belowMin[e.rank]
              ? "below_min_amount"
              : "not_best";
      rejected.push({ c: e.c, rank: e.rank, reason, source: e.source });
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
  // In the order of `catalogPlan` (compareBenefits): placed by rank, no comparisons. Each
  // benefit is rejected at most once (a dropped one leaves `active`), so no rank repeats.
  const byRank: (Rejection | undefined)[] = new Array(ordered.length);
  for (const r of rejected) byRank[r.rank] = r;
  rejected.length = 0;
  for (const r of byRank) if (r) rejected.push(r);

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
