import type { UnitOfWork } from "../../ledger/index.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { deductBill, refundBill } from "../vouchers/index.js";
import { EnterpriseError } from "./enterprise.errors.js";
import { emitEnterpriseEvent } from "./enterprise.events.js";
import { loadEnterprise, loadMember, memberEnterprise } from "./enterprise.repository.js";

export interface EnterpriseBill {
  enterpriseId: string;
  memberId: string;
  billId: string;
  asset: string;
  lines: { product_code: string; amount: number }[];
}

/**
 * Pays a member account's bill from its own coupons, then the master's shared ones
 * (the vouchers' deduction with the master as shared holder), and tells subscribers.
 */
export async function payEnterpriseBill(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: EnterpriseBill,
  now: Date,
) {
  const { actor } = ctx;
  const enterprise = await loadEnterprise(uow.trx, actor, input.enterpriseId);
  const member = await loadMember(uow.trx, actor, input.memberId);
  if (member.enterprise_id !== enterprise.id) {
    throw new EnterpriseError(
      "member_not_associated",
      "The member account is not associated with this enterprise",
    );
  }
  const result = await deductBill(
    uow,
    ctx,
    {
      customerId: member.member_id,
      billId: input.billId,
      asset: input.asset,
      lines: input.lines,
      sharedHolderIds: [enterprise.id],
    },
    now,
  );
  // A replay answers the first payment: subscribers heard of it then.
  if (result.replayed) return result;
  await emitEnterpriseEvent(
    uow,
    actor.tenantId,
    "enterprise.bill_paid",
    {
      enterprise_id: enterprise.id,
      member_id: member.member_id,
      bill_id: input.billId,
      total_amount: result.totalAmount,
      deducted_amount: result.deductedAmount,
      payable_amount: result.totalAmount - result.deductedAmount,
    },
    now,
  );
  return result;
}

/**
 * Refunds a member's bill of an enterprise in the actor's scope: value returns where it came
 * from. A member's coupon that has ended returns its share to the master's coupon; if that
 * has ended too, the share goes on at once to the master coupon's source (the sweep's rule).
 */
export async function refundEnterpriseBill(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: {
    enterpriseId: string;
    billId: string;
    refundId: string;
    lines: { lineIndex: number; amount: number }[] | null;
  },
  now: Date,
) {
  const enterprise = await loadEnterprise(uow.trx, ctx.actor, input.enterpriseId);
  // The bill id alone names any bill of the tenant: only this master's members' bills are its own.
  const customerBelongs = async (customerId: string) =>
    (await memberEnterprise(uow.trx, ctx.actor.tenantId, customerId)) === enterprise.id;
  // The vouchers' refund sweeps a dead master coupon it returns value to (onVoucherSourcesCredited).
  return refundBill(
    uow,
    ctx,
    { billId: input.billId, refundId: input.refundId, lines: input.lines, customerBelongs },
    now,
  );
}
