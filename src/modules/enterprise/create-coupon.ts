import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { openVoucher, type ProductScope, unitBalance, type VoucherRow } from "../vouchers/index.js";
import { type CouponView, loadCoupon } from "./coupon-queries.js";
import { EnterpriseError } from "./enterprise.errors.js";
import { assertGrantor, loadEnterprise, type UnitRef } from "./enterprise.repository.js";

export interface CouponInput {
  amount: number;
  asset: string;
  allocationMode: "once" | "multiple";
  scope: ProductScope;
  minBillAmount: number;
  startsAt: Date;
  expiresAt: Date;
}

/**
 * A master's cash coupon: a voucher held by the enterprise, funded by the platform (the
 * enterprise's funding account). Its balance is the unallocated part, which every member
 * may use as a shared pool; allocations move parts of it into member-held vouchers.
 */
export async function createCoupon(
  uow: UnitOfWork,
  context: RequestContext,
  enterprise: UnitRef,
  input: CouponInput,
  now: Date,
): Promise<VoucherRow> {
  // A coupon that ends before it starts could never pay anything: its funding would only wait
  // for the expiry to return it.
  if (input.expiresAt.getTime() <= input.startsAt.getTime()) {
    throw new EnterpriseError("invalid_validity", "The coupon's validity must end after it starts");
  }
  const voucher = await openVoucher(
    uow,
    context,
    {
      holderId: enterprise.id,
      issuerId: enterprise.id,
      purpose: "cash_coupon",
      amount: input.amount,
      asset: input.asset,
      scope: input.scope,
      minBillAmount: input.minBillAmount,
      startsAt: input.startsAt,
      expiresAt: input.expiresAt,
      source: { fundingOwnerId: enterprise.id },
      insufficient: () => new EnterpriseError("coupon_balance_exceeded", "Funding refused"),
    },
    now,
  );
  await uow.trx
    .insertInto("enterprise_coupons")
    .values({
      tenant_id: context.actor.tenantId,
      id: voucher.id,
      enterprise_id: enterprise.id,
      allocation_mode: input.allocationMode,
      created_at: now,
    })
    .execute();
  await recordAudit(
    uow,
    context,
    {
      action: "enterprise_coupon.created",
      targetType: "enterprise_coupon",
      targetId: voucher.id,
      summary: { enterprise_id: enterprise.id, amount: input.amount, allocation_mode: input.allocationMode },
    },
    now,
  );
  return voucher;
}

/**
 * The route's operation: a coupon for an enterprise in the actor's scope, answered as the
 * coupon view. The unit's ledger writes reach `ledger_accounts` only at commit, so the
 * balance (and the status it decides) come from the unit's own ledger view.
 */
export async function grantCoupon(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: CouponInput & { enterpriseId: string },
  now: Date,
): Promise<CouponView> {
  const { enterpriseId, ...coupon } = input;
  const enterprise = await loadEnterprise(uow.trx, ctx.actor, enterpriseId);
  await assertGrantor(uow.trx, ctx.actor, enterprise);
  const voucher = await createCoupon(uow, ctx, enterprise, coupon, now);
  const view = await loadCoupon(uow.trx, ctx.actor, voucher.id, now);
  const balance = await unitBalance(uow, view.account_id);
  const status =
    view.status === "withdrawn" || view.status === "expired"
      ? view.status
      : balance === 0
        ? "used_up"
        : balance >= view.face_amount
          ? "unused"
          : "partly_used";
  return { ...view, balance, status };
}
