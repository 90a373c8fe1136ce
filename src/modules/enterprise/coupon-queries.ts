import type { Tx } from "../../db/database.js";
import type { Actor } from "../../platform/auth/actor.js";
import { findVoucher, type VoucherListRow } from "../vouchers/index.js";
import { EnterpriseError } from "./enterprise.errors.js";
import { loadEnterprise } from "./enterprise.repository.js";

export type CouponView = VoucherListRow & {
  enterprise_id: string;
  allocation_mode: "once" | "multiple";
  allocation_count: number;
};

/**
 * A master's coupon (its enterprise in the actor's scope) with its voucher and balance.
 * `forUpdate` locks the coupon row: allocations and revocations of one coupon run one at a time.
 */
export async function loadCoupon(
  trx: Tx,
  actor: Actor,
  couponId: string,
  now: Date,
  options: { forUpdate?: boolean } = {},
): Promise<CouponView> {
  let query = trx
    .selectFrom("enterprise_coupons")
    .selectAll()
    .where("tenant_id", "=", actor.tenantId)
    .where("id", "=", couponId);
  if (options.forUpdate) query = query.forUpdate();
  const coupon = await query.executeTakeFirst();
  if (!coupon) throw new EnterpriseError("enterprise_coupon_not_found", "Coupon not found");
  await loadEnterprise(trx, actor, coupon.enterprise_id).catch(() => {
    throw new EnterpriseError("enterprise_coupon_not_found", "Coupon not found");
  });
  const voucher = await findVoucher(trx, actor.tenantId, coupon.id, now);
  if (!voucher) throw new EnterpriseError("enterprise_coupon_not_found", "Coupon not found");
  return couponView(coupon, voucher);
}

/** A coupon's row and its voucher (with balance) as one view. */
export function couponView(
  coupon: Pick<CouponView, "enterprise_id" | "allocation_mode" | "allocation_count">,
  voucher: VoucherListRow,
): CouponView {
  return {
    ...voucher,
    enterprise_id: coupon.enterprise_id,
    allocation_mode: coupon.allocation_mode,
    allocation_count: coupon.allocation_count,
  };
}
