import { allocateProportionally } from "../../shared/money.js";
import { audienceMatches, type Benefit, localMoment } from "../benefits/index.js";
import { AUDIENCE, type BenefitSource, entitlementsAt } from "./benefit-source.js";
import {
  type Compiled,
  candidateAmount,
  canonicalOrder,
  checkTime,
  compile,
  type Eligible,
  effectOf,
  excludes,
  pricedInOrder,
  type Rejection,
} from "./quote-eligibility.js";
import { bpsToMultiplier } from "./quote-math.js";
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
  // Per benefit (by its place in `priced`): whether some line is not excluded from it, and
  // whether a member price names some line's SKU. Flags, not sets: this is the hot loop.
  const seenLine = new Uint8Array(priced.length);
  const pricedSomewhere = new Uint8Array(priced.length);
  // Per benefit: whether it stacks, and whether the current line is excluded from it (the
  // first loop over the line finds out; the stackable loop after it reuses the answer).
  const stackable = priced.map((e) => e.c.benefit.stackable && !e.memberPricing);
  const stackableExcluded = new Uint8Array(priced.length);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    let best: Eligible | null = null;
    let bestAmount = amounts[i]!;
    let anyStackable = false;
    for (let k = 0; k < priced.length; k++) {
      const e = priced[k]!;
      if (excludes(e.c, line)) {
        stackableExcluded[k] = 1;
        continue;
      }
      stackableExcluded[k] = 0;
      seenLine[k] = 1;
      if (stackable[k]) {
        anyStackable = true;
        continue;
      }
      let amount: number | null;
      if (e.memberPricing) {
        // candidateAmount's member-price case, with the one look-up also telling pricedSomewhere.
        const unit = e.c.prices?.get(line.sku);
        if (unit === undefined) continue;
        pricedSomewhere[k] = 1;
        amount = unit * line.quantity;
      } else {
        amount = candidateAmount(e, line, originals[i]!);
      }
      // bestAmount starts at the line's original amount, so this is candidateAmount's "< current".
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
    if (!anyStackable) continue;
    for (let k = 0; k < priced.length; k++) {
      if (!stackable[k] || stackableExcluded[k]) continue;
      const e = priced[k]!;
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
  for (let k = 0; k < priced.length; k++) {
    const e = priced[k]!;
    const id = e.c.benefit.id;
    if (!seenLine[k]) excludedEverywhere.add(id);
    else if (e.memberPricing && !pricedSomewhere[k]) noPrice.add(id);
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
  const ordered = pricedInOrder(input.benefits);
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
  // In the order of `pricedInOrder` (compareBenefits): placed by rank, no comparisons. Each
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
