import { DateTime } from "luxon";
import type { LotKind, LotRow } from "./lots.repository.js";
import type { SpendOrder } from "./wallets.repository.js";

/**
 * Where a balance payment's money comes from. The member's balance is the untagged principal
 * and bonus accounts plus tagged lots (one principal and one bonus lot per plan top-up).
 *
 * Spending order (documented in the wallets README):
 * 1. kind: the tenant's `spend_order` (bonus_first: every bonus source before any principal);
 * 2. within a kind: lots restricted to items first (fewest eligible SKUs first), then the
 *    other lots oldest first, then the untagged account;
 * 3. each source pays what it may: an item-restricted lot only the lines of its SKUs (in the
 *    cart's order); any other source first what is not on a line (shipping), then lines no
 *    later restricted source could pay, then the rest.
 * A lot restricted to items pays nothing when the payment names no lines. On the top-up day
 * (tenant zone) a lot with `no_use_on_topup_day` gives nothing, and one with a same-day limit
 * gives at most floor(amount × bps / 10000) minus what it has already given.
 */
export interface SpendSource {
  accountId: string;
  lotId: string | null;
  kind: LotKind;
  /** What it may give now, after the day rules. */
  available: number;
  eligibleSkus: readonly string[] | null;
  createdAt: number;
}

export interface SpendLine {
  sku: string;
  amount: number;
}

export interface SpendLeg {
  accountId: string;
  lotId: string | null;
  kind: LotKind;
  amount: number;
}

/** The local date of `at` in `zone`, `YYYY-MM-DD`. */
export function localDay(at: Date, zone: string): string {
  // Zone offsets since 1972 are whole minutes, so the local date is fixed within a UTC minute;
  // working it out (Intl, through Luxon) costs more than the rest of a balance read.
  const key = `${zone}|${Math.floor(at.getTime() / 60_000)}`;
  const hit = localDays.get(key);
  if (hit !== undefined) return hit;
  const day = DateTime.fromJSDate(at, { zone }).toISODate() ?? "";
  if (localDays.size >= LOCAL_DAYS_REMEMBERED) localDays.clear();
  localDays.set(key, day);
  return day;
}

const localDays = new Map<string, string>();
const LOCAL_DAYS_REMEMBERED = 256;

/**
 * What a lot may give on `today` out of what its account has available. On its top-up day a
 * limited lot gives at most its share (rounded down) of what the top-up left it, less what it
 * has given: money a provider's refund took back is neither given nor counted in the share.
 */
export function lotAvailable(
  lot: Pick<LotRow, "amount" | "taken_back" | "topup_day" | "no_use_on_topup_day" | "same_day_limit_bps">,
  accountAvailable: number,
  today: string,
): number {
  // Earlier, not merely other: after the tenant's zone moves west, today there can still be the
  // day before the top-up day, which must not lift the top-up day's limits until it comes.
  if (lot.topup_day < today) return accountAvailable;
  if (lot.no_use_on_topup_day) return 0;
  if (lot.same_day_limit_bps === null) return accountAvailable;
  const kept = lot.amount - lot.taken_back;
  const cap = Number((BigInt(kept) * BigInt(lot.same_day_limit_bps)) / 10_000n);
  const given = kept - accountAvailable;
  return Math.max(0, Math.min(accountAvailable, cap - given));
}

/** The sources in spending order. */
export function orderSources(sources: readonly SpendSource[], order: SpendOrder): SpendSource[] {
  const kindRank = (k: LotKind) => ((k === "bonus") === (order === "bonus_first") ? 0 : 1);
  const group = (s: SpendSource) => (s.lotId === null ? 2 : s.eligibleSkus ? 0 : 1);
  return [...sources].sort(
    (a, b) =>
      kindRank(a.kind) - kindRank(b.kind) ||
      group(a) - group(b) ||
      (a.eligibleSkus?.length ?? 0) - (b.eligibleSkus?.length ?? 0) ||
      a.createdAt - b.createdAt ||
      (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0),
  );
}

/**
 * Takes up to `amount` from `sources` (already in spending order) for an order whose lines
 * are `lines` (null: unknown, so nothing restricted to items may pay) plus `rest` not on
 * any line. Returns the legs, in order, and their total (less than `amount` when the
 * sources cannot cover it).
 */
export function planSpend(
  amount: number,
  sources: readonly SpendSource[],
  lines: readonly SpendLine[] | null,
  rest: number,
): { legs: SpendLeg[]; total: number } {
  const lineLeft = (lines ?? []).map((l) => l.amount);
  let restLeft = lines === null ? amount : rest;
  let need = amount;
  const legs: SpendLeg[] = [];
  const takeFrom = (indexes: number[], max: number) => {
    let taken = 0;
    for (const i of indexes) {
      if (taken === max) break;
      const t = Math.min(lineLeft[i]!, max - taken);
      lineLeft[i]! -= t;
      taken += t;
    }
    return taken;
  };
  sources.forEach((s, position) => {
    if (need === 0 || s.available <= 0) return;
    let max = Math.min(need, s.available);
    let taken = 0;
    if (s.eligibleSkus) {
      if (lines === null) return;
      const eligible = lines.flatMap((l, i) => (s.eligibleSkus!.includes(l.sku) ? [i] : []));
      taken = takeFrom(eligible, max);
    } else {
      taken = Math.min(restLeft, max);
      restLeft -= taken;
      max -= taken;
      if (max > 0 && lines) {
        const wanted = new Set(
          sources
            .slice(position + 1)
            .filter((o) => o.eligibleSkus && o.available > 0)
            .flatMap((o) => o.eligibleSkus!),
        );
        const order = lines.map((_, i) => i);
        const free = order.filter((i) => !wanted.has(lines[i]!.sku));
        const contested = order.filter((i) => wanted.has(lines[i]!.sku));
        taken += takeFrom([...free, ...contested], max);
      }
    }
    if (taken > 0) {
      legs.push({ accountId: s.accountId, lotId: s.lotId, kind: s.kind, amount: taken });
      need -= taken;
    }
  });
  return { legs, total: amount - need };
}

/**
 * How a refund of `amount` spreads over a payment's legs, given what each leg has had back:
 * the bonus share of the cumulative refund is bonus × refunded / paid rounded down (as before
 * lots existed: rounding favours principal), and within a kind the legs fill in the order
 * they were spent. Computed on cumulative totals, so partial refunds never drift.
 */
export function planRefund(
  legs: readonly { accountId: string; kind: LotKind; amount: number }[],
  refundedBefore: ReadonlyMap<string, number>,
  amount: number,
  bonusShare: (refundedTotal: number, principalPaid: number, bonusPaid: number) => number,
): { accountId: string; kind: LotKind; amount: number }[] {
  const paid = (k: LotKind) => legs.filter((l) => l.kind === k).reduce((s, l) => s + l.amount, 0);
  const back = (k: LotKind) =>
    legs.filter((l) => l.kind === k).reduce((s, l) => s + (refundedBefore.get(l.accountId) ?? 0), 0);
  const before = back("principal") + back("bonus");
  const bonusTotal = bonusShare(before + amount, paid("principal"), paid("bonus"));
  const want: Record<LotKind, number> = {
    bonus: bonusTotal - back("bonus"),
    principal: amount - (bonusTotal - back("bonus")),
  };
  const out: { accountId: string; kind: LotKind; amount: number }[] = [];
  for (const leg of legs) {
    const room = leg.amount - (refundedBefore.get(leg.accountId) ?? 0);
    const give = Math.min(room, want[leg.kind]);
    if (give > 0) {
      out.push({ accountId: leg.accountId, kind: leg.kind, amount: give });
      want[leg.kind] -= give;
    }
  }
  return out;
}
