import type { UnitOfWork } from "../ledger/index.js";

/**
 * Runs in the unit of work of a bill refund that gave value back to the sources of vouchers
 * that can no longer be used (expired or withdrawn since the bill): a module whose records are
 * such sources (an enterprise's master coupon, which funds its members' allocated coupons) moves
 * on what must not stay there. Every route that refunds a bill reaches it the same way.
 */
export type VoucherSourceReturnListener = (
  uow: UnitOfWork,
  voucherIds: readonly string[],
  now: Date,
) => Promise<void>;

const listeners = new Set<VoucherSourceReturnListener>();

/** Installed from module manifests (the enterprise sweeps its dead master coupons). */
export function addVoucherSourceReturnListener(listener: VoucherSourceReturnListener): void {
  listeners.add(listener);
}

/** Tells every module whose records may be the sources of these vouchers. */
export async function voucherSourcesCredited(
  uow: UnitOfWork,
  voucherIds: readonly string[],
  now: Date,
): Promise<void> {
  if (voucherIds.length === 0) return;
  for (const listener of listeners) await listener(uow, voucherIds, now);
}
