import { recordAudit } from "../../platform/audit/audit.js";
import type { Actor, RequestContext } from "../../platform/auth/actor.js";
import { inScope } from "../../platform/auth/scope.js";
import { VouchersError } from "./vouchers.errors.js";
import { emitVoucherEvent, holderRef } from "./vouchers.events.js";
import { accountIds, postedBalance, returnRemainingToSource, type UnitOfWork } from "./vouchers.ledger.js";
import { loadVoucher, type VoucherRow } from "./vouchers.repository.js";

/**
 * Who may withdraw what: a customer_discount voucher by its issuing reseller (or staff
 * above it: its distributor, tenant-wide staff); a product_trial voucher only by its
 * distributor (or tenant-wide staff) — never by the reseller whose customer holds it.
 * Both rules are "the caller's scope contains the issuer".
 */
export function assertMayWithdraw(actor: Actor, voucher: VoucherRow, issuerPath: string): void {
  if (actor.type === "member" || !inScope(actor, issuerPath)) {
    throw new VouchersError(
      "voucher_withdraw_forbidden",
      voucher.purpose === "product_trial"
        ? "A product_trial voucher can only be withdrawn by its distributor"
        : "Only the issuing reseller (or its distributor) can withdraw this voucher",
    );
  }
}

/**
 * Withdrawal is irreversible: the voucher offsets nothing afterwards, amounts already
 * deducted stay as they are, and the remaining balance returns to where it came from (the
 * reseller's quota, or the distributor's funding for product_trial). Only a voucher that
 * has not expired and still has a balance can be withdrawn.
 */
export async function withdrawVoucher(
  uow: UnitOfWork,
  context: RequestContext,
  input: {
    voucherId: string;
    reason: string | null;
    /** The enterprise's revocation, which records the allocation's end on its own side. */
    revokingAllocation?: boolean;
  },
  now: Date,
): Promise<{ voucher: VoucherRow; returned: number }> {
  const { actor } = context;
  const voucher = await loadVoucher(uow.trx, actor, input.voucherId, { forUpdate: true });
  assertMayWithdraw(actor, voucher, voucher.issuer_path);
  const couponId = allocatedFrom(voucher);
  if (couponId !== null && !input.revokingAllocation) {
    // Withdrawn here, the allocation would end without the revocation record, audit and
    // event its master's history and revocable amounts rest on.
    const revokePath = `/v1/enterprise-coupons/${couponId}/revocations`;
    throw new VouchersError(
      "enterprise_revocation_required",
      `This coupon was allocated from the enterprise coupon ${couponId}: revoke it with POST ${revokePath}`,
      { extra: { voucher_id: voucher.id, coupon_id: couponId, revoke_path: revokePath } },
    );
  }
  return withdrawLocked(uow, context, voucher, input.reason, now);
}

/**
 * The master coupon a cash coupon was allocated from (its source is that coupon's account),
 * or null for any other voucher, the master coupon itself included.
 */
function allocatedFrom(voucher: VoucherRow): string | null {
  const prefix = accountIds.voucher("");
  if (voucher.purpose !== "cash_coupon" || !voucher.source_account_id?.startsWith(prefix)) return null;
  return voucher.source_account_id.slice(prefix.length);
}

/**
 * The withdrawal of a voucher row the caller has locked and checked the actor may withdraw
 * (an org unit's or a member's): only unexpired with a balance; the remainder returns to the
 * source, the row is marked withdrawn, audited and announced.
 */
export async function withdrawLocked(
  uow: UnitOfWork,
  context: RequestContext,
  voucher: VoucherRow,
  reason: string | null,
  now: Date,
): Promise<{ voucher: VoucherRow; returned: number }> {
  const { actor } = context;
  if (voucher.state !== "active") {
    throw new VouchersError("voucher_not_withdrawable", `The voucher is already ${voucher.state}`);
  }
  if (voucher.expires_at.getTime() <= now.getTime()) {
    throw new VouchersError("voucher_not_withdrawable", "The voucher has expired");
  }
  const balance = await postedBalance(uow, voucher.account_id!);
  if (balance === 0) throw new VouchersError("voucher_not_withdrawable", "The voucher has no balance left");
  await returnRemainingToSource(uow, voucher, "withdraw", reason);
  const updated = await uow.trx
    .updateTable("vouchers")
    .set({ state: "withdrawn", withdrawn_at: now, withdrawn_by: `${actor.type}:${actor.id}` })
    .where("tenant_id", "=", actor.tenantId)
    .where("id", "=", voucher.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    uow,
    context,
    {
      action: "voucher.withdrawn",
      targetType: "voucher",
      targetId: voucher.id,
      summary: {
        ...(voucher.member_id ? { member_id: voucher.member_id } : {}),
        returned_amount: balance,
        asset: voucher.asset,
        reason,
      },
    },
    now,
  );
  await emitVoucherEvent(
    uow,
    actor.tenantId,
    "voucher.withdrawn",
    { voucher_id: voucher.id, ...holderRef(voucher), asset: voucher.asset, returned_amount: balance },
    now,
  );
  return { voucher: updated, returned: balance };
}
