import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import {
  EMPTY_REFUND_LOG,
  nextProviderRefund,
  type ProviderRefundNotice,
  providerRefundRecord,
} from "../../platform/http/record-refund.js";
import { usedGiftVouchers } from "../catalog/index.js";
import { entitlementSourceUsed } from "../checkout/index.js";
import { lockUsableMember } from "../members/index.js";
import { readMemberPoints } from "../wallets/index.js";
import { giftSourceRef } from "./package-config.js";
import type { OrderRow, ProviderRefundReview } from "./packages.repository.js";
import { endRefundedOrder, lockHolding } from "./refund-package-order.js";

/**
 * The provider refunded (part of) a paid order's payment (the order locked by the caller),
 * once per refund id, cumulative or one by one as the provider counts; recorded on the order
 * (`provider_refunds`: `refunded_amount`, `refund_count`) and audited `package.provider_refund`.
 * All of it back and nothing the package gave used yet (no gifted voucher has paid for
 * anything, no checkout completed or awaiting its payment applied one of its benefits, the
 * bonus points are all still there): the package ends as an offline refund
 * would end it (period, entitlements, unused vouchers, points), the order `refunded` (kind
 * `provider`, `refund_record` from the provider's event). Otherwise the package stays with the
 * member and the order says why for an operator (`provider_refund_review`): `part_refund`,
 * `benefits_used`, or `member_closed` (its points can no longer be taken back); the operator
 * decides (an offline refund ends it).
 */
export async function recordProviderRefundOfPaidOrder(
  uow: UnitOfWork,
  context: RequestContext,
  order: OrderRow,
  notice: ProviderRefundNotice,
  now: Date,
): Promise<{ result: "refund_recorded" | "refund_ignored"; order: OrderRow }> {
  const log = order.provider_refunds ?? EMPTY_REFUND_LOG;
  const refund = nextProviderRefund(log, notice, order.amount);
  if (!refund) return { result: "refund_ignored", order };
  const review: ProviderRefundReview | null = refund.whole
    ? await whyKept(uow, context, order, now)
    : "part_refund";
  const next = {
    refunds: { ...log.refunds, [refund.refundId]: refund.share },
    refunded_total: refund.total,
    ...(review ? { review } : {}),
  };
  let row = await uow.trx
    .updateTable("package_orders")
    .set({ provider_refunds: JSON.stringify(next), updated_at: now })
    .where("tenant_id", "=", uow.tenantId)
    .where("id", "=", order.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    uow,
    context,
    {
      action: "package.provider_refund",
      targetType: "package_order",
      targetId: order.id,
      summary: {
        refund_id: refund.refundId,
        provider_event: notice.eventId,
        refund_amount: refund.share,
        amount: order.amount,
        currency: order.currency,
        package_ended: review === null,
        review,
        ...next,
      },
    },
    now,
  );
  if (review === null) {
    const record = providerRefundRecord(context, notice, refund, now);
    const reason = `refunded at the payment provider (refund ${refund.refundId})`;
    row = (await endRefundedOrder(uow, context, row, { kind: "provider", reason, record }, now)).order;
  }
  return { result: "refund_recorded", order: row };
}

/** Why a package whose payment came back in full stays with the member, or null to end it. */
async function whyKept(
  uow: UnitOfWork,
  context: RequestContext,
  order: OrderRow,
  now: Date,
): Promise<ProviderRefundReview | null> {
  // Before anything is read: a checkout applying the package's benefit now has then either
  // committed (and is found below) or waits, to find the entitlements revoked.
  await lockHolding(uow.trx, uow.tenantId, order);
  const refs = order.snapshot.perks.filter((p) => "gift" in p).map((p) => giftSourceRef(order.id, p.key));
  if ((await usedGiftVouchers(uow.trx, uow.tenantId, refs)).length > 0) return "benefits_used";
  if (
    order.period_id &&
    (await entitlementSourceUsed(uow.trx, uow.tenantId, order.member_id, {
      type: "package_period",
      id: order.period_id,
    }))
  )
    return "benefits_used";
  if (order.points_awarded > 0) {
    // Locked as the points reversal locks it, so the points read stay true until it runs.
    try {
      await lockUsableMember(uow.trx, context.actor, order.member_id, { allowFrozen: true });
    } catch (error) {
      if ((error as { code?: string }).code === "member_closed") return "member_closed";
      throw error;
    }
    const { points } = await readMemberPoints(uow.trx, uow.tenantId, order.member_id, now);
    if (points < order.points_awarded) return "benefits_used";
  }
  return null;
}
