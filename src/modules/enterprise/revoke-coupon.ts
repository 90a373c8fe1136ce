import type { Tx } from "../../db/database.js";
import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { Actor, RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { postedBalance, vouchersHeldBy, withdrawVoucher } from "../vouchers/index.js";
import { loadCoupon } from "./coupon-queries.js";
import { EnterpriseError } from "./enterprise.errors.js";
import { emitEnterpriseEvent } from "./enterprise.events.js";
import { memberEnterprise } from "./enterprise.repository.js";
import { sweepCoupons } from "./sweep-dead-coupons.js";

export const MAX_REVOCATIONS_PER_CALL = 100;

/**
 * What revoking would give back, per allocated voucher of this coupon held by the member:
 * an unused voucher returns whole, a partly used one its remaining balance; used-up,
 * expired or already revoked ones return nothing and are not listed.
 */
export async function revocable(trx: Tx, actor: Actor, couponId: string, memberId: string, now: Date) {
  const coupon = await loadCoupon(trx, actor, couponId, now);
  // Only the coupon's master's own member accounts hold its allocations: anyone else is a
  // mistaken id, refused before anything (a revocation's audit and event) is written.
  if ((await memberEnterprise(trx, actor.tenantId, memberId)) !== coupon.enterprise_id) {
    throw new EnterpriseError(
      "member_not_associated",
      "The member account is not associated with this coupon's enterprise",
    );
  }
  const held = await vouchersHeldBy(
    trx,
    actor.tenantId,
    memberId,
    // Only the live ones are read, so no number of used-up or expired ones can crowd a
    // recoverable one out of the read's limit.
    { source_account_id: coupon.account_id!, purpose: "cash_coupon", status: ["unused", "partly_used"] },
    now,
  );
  return {
    coupon,
    vouchers: held
      .filter((v) => (v.status === "unused" || v.status === "partly_used") && Number(v.balance) > 0)
      .map((v) => ({
        voucherId: v.id,
        accountId: v.account_id!,
        status: v.status,
        faceAmount: v.face_amount,
        recoverable: Number(v.balance),
      })),
  };
}

/**
 * Revokes a member's allocated coupons (all recoverable ones, or those named): each one's
 * remaining balance returns to the master's coupon (the voucher's source) and the voucher
 * is withdrawn, irreversibly; amounts the member already used stay used.
 */
export async function revokeCoupon(
  uow: UnitOfWork,
  context: RequestContext,
  input: { couponId: string; memberId: string; voucherIds: string[] | null },
  now: Date,
) {
  const { actor } = context;
  await loadCoupon(uow.trx, actor, input.couponId, now, { forUpdate: true });
  const { coupon, vouchers } = await revocable(uow.trx, actor, input.couponId, input.memberId, now);
  let chosen = vouchers;
  if (input.voucherIds) {
    if (input.voucherIds.length > MAX_REVOCATIONS_PER_CALL) {
      throw new EnterpriseError("limit_exceeded", `At most ${MAX_REVOCATIONS_PER_CALL} coupons per call`);
    }
    const byId = new Map(vouchers.map((v) => [v.voucherId, v]));
    const missing = input.voucherIds.filter((id) => !byId.has(id));
    if (missing.length > 0) {
      throw new EnterpriseError(
        "voucher_not_withdrawable",
        "Some coupons are not recoverable from this member",
        {
          extra: { voucher_ids: missing },
        },
      );
    }
    chosen = input.voucherIds.map((id) => byId.get(id)!);
  } else if (vouchers.length > MAX_REVOCATIONS_PER_CALL) {
    // "Everything recoverable" must mean everything: name the coupons in calls of at most 100.
    throw new EnterpriseError(
      "limit_exceeded",
      `The member holds ${vouchers.length} recoverable coupons of this coupon, more than ${MAX_REVOCATIONS_PER_CALL} per call; name them in voucher_ids, at most ${MAX_REVOCATIONS_PER_CALL} per call`,
      { extra: { max_items: MAX_REVOCATIONS_PER_CALL } },
    );
  }
  const revoked = [];
  for (const v of chosen) {
    // The listing read committed balances; the ledger's view in this unit decides.
    if ((await postedBalance(uow, v.accountId)) === 0 && input.voucherIds === null) continue;
    const { returned } = await withdrawVoucher(
      uow,
      context,
      { voucherId: v.voucherId, reason: "revoked", revokingAllocation: true },
      now,
    );
    await uow.trx
      .insertInto("enterprise_coupon_records")
      .values({
        tenant_id: actor.tenantId,
        id: newId("ecr"),
        coupon_id: coupon.id,
        enterprise_id: coupon.enterprise_id,
        member_id: input.memberId,
        voucher_id: v.voucherId,
        kind: "revocation",
        amount: returned,
        actor_type: actor.type,
        actor_id: actor.id,
        created_at: now,
      })
      .execute();
    revoked.push({ voucherId: v.voucherId, amount: returned });
  }
  // A master coupon withdrawn before its allocations can no longer be used: what came back
  // to it goes on to its source now, as a refund's return does (the sweep's rule).
  if (revoked.length > 0) await sweepCoupons(uow, [coupon.id], now);
  await recordAudit(
    uow,
    context,
    {
      action: "enterprise_coupon.revoked",
      targetType: "enterprise_coupon",
      targetId: coupon.id,
      summary: { member_id: input.memberId, revocations: revoked },
    },
    now,
  );
  await emitEnterpriseEvent(
    uow,
    actor.tenantId,
    "enterprise.coupon_revoked",
    {
      enterprise_id: coupon.enterprise_id,
      coupon_id: coupon.id,
      member_id: input.memberId,
      revocations: revoked.map((r) => ({ voucher_id: r.voucherId, amount: r.amount })),
    },
    now,
  );
  return { couponId: coupon.id, memberId: input.memberId, revoked };
}
