import { allocateProportionally, mulDiv } from "../../shared/money.js";
import { type ProductScope, scopeAllows } from "./voucher-rules.js";

export interface BillLine {
  product_code: string;
  amount: number;
}

export interface UsableVoucher {
  id: string;
  scope: ProductScope;
  minBillAmount: number;
  expiresAt: Date;
  balance: number;
}

export interface Deduction {
  voucherId: string;
  lineIndex: number;
  amount: number;
}

/**
 * Deducts in tiers (a member's own coupons, then its master's shared coupons): each tier
 * is planned on what the earlier tiers left of each line; minimums compare to the whole bill.
 */
export function planTieredDeductions(lines: BillLine[], tiers: UsableVoucher[][]): Deduction[] {
  const billTotal = lines.reduce((sum, line) => sum + line.amount, 0);
  const remaining = lines.map((line) => line.amount);
  return tiers.flatMap((tier) => planDeductions(lines, tier, { billTotal, remaining }));
}

/**
 * The deduction order, documented for the API:
 * 1. only vouchers whose minimum bill amount is at most the bill's total take part;
 * 2. vouchers go earliest expiry first, then smallest balance, then oldest id (issue order);
 * 3. each voucher offsets the lines its product scope allows, in the bill's line order,
 *    as much as both the line's remainder and the voucher's balance allow.
 * A voucher may be partly used and keeps the rest of its balance.
 */
export function orderVouchers<T extends UsableVoucher>(vouchers: T[]): T[] {
  return [...vouchers].sort(
    (a, b) =>
      a.expiresAt.getTime() - b.expiresAt.getTime() ||
      a.balance - b.balance ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

export function planDeductions(
  lines: BillLine[],
  vouchers: UsableVoucher[],
  options: { billTotal?: number; remaining?: number[] } = {},
): Deduction[] {
  const total = options.billTotal ?? lines.reduce((sum, line) => sum + line.amount, 0);
  const remaining = options.remaining ?? lines.map((line) => line.amount);
  const deductions: Deduction[] = [];
  for (const voucher of orderVouchers(vouchers)) {
    if (voucher.minBillAmount > total) continue;
    let balance = voucher.balance;
    for (let i = 0; i < lines.length && balance > 0; i++) {
      const line = lines[i]!;
      if (remaining[i] === 0 || !scopeAllows(voucher.scope, line.product_code)) continue;
      const amount = Math.min(remaining[i]!, balance);
      remaining[i]! -= amount;
      balance -= amount;
      deductions.push({ voucherId: voucher.id, lineIndex: i, amount });
    }
  }
  return deductions;
}

export interface LineUsage {
  voucherId: string;
  /** Deducted from this voucher on this line and not yet returned. */
  outstanding: number;
}

export interface LineRefundState {
  lineAmount: number;
  /** What all vouchers deducted on this line. */
  deducted: number;
  /** Bill amount of this line refunded by earlier refunds. */
  refundedBefore: number;
  /** Voucher value earlier refunds returned on this line. */
  returnedBefore: number;
  usages: LineUsage[];
}

/**
 * How much voucher value a refund of `refundAmount` (a bill amount) on one line returns.
 * The vouchers' share of the line is refunded in proportion: after all refunds so far,
 * vouchers have got back `deducted × refunded / line amount`, rounded down (mode "down":
 * the cash side gets the odd minor unit until the line is refunded in full, when the
 * vouchers get back exactly what they gave). Computed on the cumulative total, so many
 * small refunds never drift from one large one. The amount is split over the line's
 * vouchers in proportion to what each still has outstanding (largest remainder).
 */
export function planLineRefund(state: LineRefundState, refundAmount: number): LineUsage[] {
  const refundedAfter = state.refundedBefore + refundAmount;
  const target = mulDiv(state.deducted, refundedAfter, state.lineAmount, "down");
  const now = Math.max(0, target - state.returnedBefore);
  if (now === 0) return [];
  const parts = allocateProportionally(
    now,
    state.usages.map((u) => u.outstanding),
  );
  return state.usages
    .map((u, i) => ({ voucherId: u.voucherId, outstanding: parts[i]! }))
    .filter((u) => u.outstanding > 0);
}
