import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { openVoucher } from "../vouchers/index.js";
import { loadCoupon } from "./coupon-queries.js";
import { EnterpriseError } from "./enterprise.errors.js";
import { emitEnterpriseEvent } from "./enterprise.events.js";

export const MAX_ALLOCATIONS_PER_CALL = 100;

/**
 * Allocates parts of a master's coupon to member accounts, all or none. Each part becomes
 * a voucher held by the member, funded from the master's coupon account: the ledger
 * refuses the whole call once the parts exceed the unallocated balance, whatever the
 * concurrency (`coupon_balance_exceeded`). A once-only coupon allows one allocation call.
 */
export async function allocateCoupon(
  uow: UnitOfWork,
  context: RequestContext,
  couponId: string,
  allocations: { memberId: string; amount: number }[],
  now: Date,
) {
  const { actor } = context;
  if (allocations.length === 0 || allocations.length > MAX_ALLOCATIONS_PER_CALL) {
    throw new EnterpriseError(
      "limit_exceeded",
      `Allocate to 1-${MAX_ALLOCATIONS_PER_CALL} member accounts per call`,
    );
  }
  const coupon = await loadCoupon(uow.trx, actor, couponId, now, { forUpdate: true });
  if (coupon.allocation_mode === "once" && coupon.allocation_count > 0) {
    throw new EnterpriseError("coupon_already_allocated", "This coupon can be allocated only once");
  }
  if (coupon.state !== "active" || coupon.expires_at.getTime() <= now.getTime()) {
    throw new EnterpriseError("coupon_balance_exceeded", "The coupon is no longer usable");
  }
  const members = await uow.trx
    .selectFrom("enterprise_members")
    .select("member_id")
    .where("tenant_id", "=", actor.tenantId)
    .where("enterprise_id", "=", coupon.enterprise_id)
    .where(
      "member_id",
      "in",
      allocations.map((a) => a.memberId),
    )
    .execute();
  const associated = new Set(members.map((m) => m.member_id));
  const missing = allocations.filter((a) => !associated.has(a.memberId)).map((a) => a.memberId);
  if (missing.length > 0) {
    throw new EnterpriseError(
      "member_not_associated",
      "Some member accounts are not associated with this enterprise",
      {
        extra: { member_ids: missing },
      },
    );
  }
  const results = [];
  for (const allocation of allocations) {
    const voucher = await openVoucher(
      uow,
      context,
      {
        holderId: allocation.memberId,
        issuerId: coupon.enterprise_id,
        purpose: "cash_coupon",
        amount: allocation.amount,
        asset: coupon.asset,
        scope: { kind: coupon.scope_kind, productCodes: coupon.product_codes },
        minBillAmount: coupon.min_bill_amount,
        startsAt: coupon.starts_at,
        expiresAt: coupon.expires_at,
        source: { accountId: coupon.account_id! },
        insufficient: () =>
          new EnterpriseError(
            "coupon_balance_exceeded",
            "The allocations exceed the coupon's unallocated balance",
          ),
      },
      now,
    );
    await uow.trx
      .insertInto("enterprise_coupon_records")
      .values({
        tenant_id: actor.tenantId,
        id: newId("ecr"),
        coupon_id: coupon.id,
        enterprise_id: coupon.enterprise_id,
        member_id: allocation.memberId,
        voucher_id: voucher.id,
        kind: "allocation",
        amount: allocation.amount,
        actor_type: actor.type,
        actor_id: actor.id,
        created_at: now,
      })
      .execute();
    results.push({ memberId: allocation.memberId, voucherId: voucher.id, amount: allocation.amount });
  }
  await uow.trx
    .updateTable("enterprise_coupons")
    .set((eb) => ({ allocation_count: eb("allocation_count", "+", 1) }))
    .where("tenant_id", "=", actor.tenantId)
    .where("id", "=", coupon.id)
    .execute();
  await recordAudit(
    uow,
    context,
    {
      action: "enterprise_coupon.allocated",
      targetType: "enterprise_coupon",
      targetId: coupon.id,
      summary: { allocations: results.map((r) => ({ member_id: r.memberId, amount: r.amount })) },
    },
    now,
  );
  await emitEnterpriseEvent(
    uow,
    actor.tenantId,
    "enterprise.coupon_allocated",
    {
      enterprise_id: coupon.enterprise_id,
      coupon_id: coupon.id,
      allocations: results.map((r) => ({ member_id: r.memberId, voucher_id: r.voucherId, amount: r.amount })),
    },
    now,
  );
  return results;
}
