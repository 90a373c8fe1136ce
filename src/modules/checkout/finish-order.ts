import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import type { BalancePaymentListener } from "../../platform/payment-outcomes.js";
import { newId } from "../../shared/ids.js";
import { lockMemberIsClosed } from "../members/index.js";
import { emitCheckoutEvent } from "./checkout.events.js";
import type { OrderRow, SettlementRecord } from "./checkout.repository.js";
import { grantCardExtensions } from "./grant-card-extensions.js";
import {
  type CheckoutSettlement,
  connectedSettlement,
  type SettleContext,
  settleContext,
} from "./settlement.js";

type Awaiting = NonNullable<SettlementRecord["awaiting"]>;

/**
 * What an order grants once it is paid: its points, its card extensions and the benefits it
 * used, then `completed` with its audit entry and webhook event. An order paid at once runs
 * this as it is placed; an order waiting for its online payment, when the payment succeeds.
 *
 * A paid order always completes, even when its member was frozen or closed while it waited
 * for its payment (the customer has paid; refusing would leave the hold to time out and the
 * order cancelled with the online payment kept). A frozen member earns the order's points as
 * usual (taken back if it is refunded); a closed account holds nothing, so a closed member's
 * points and card extensions are withheld, and the audit entry says so (`points_withheld`).
 */
export async function grantPaidOrder(
  settle: SettleContext,
  settlement: CheckoutSettlement,
  ctx: RequestContext,
  order: OrderRow,
  grants: Awaiting,
  now: Date,
): Promise<OrderRow> {
  const record: SettlementRecord = { ...order.settlement };
  delete record.awaiting;
  // The member is locked before anything is granted, so a freeze or closure waits or is seen.
  const memberClosed =
    order.member_id !== null && (await lockMemberIsClosed(settle.trx, settle.actor, order.member_id));
  const withheld =
    memberClosed && grants.points > 0 ? { points: grants.points, reason: "member_closed" } : null;
  const pointsEarned = withheld ? 0 : grants.points;
  if (pointsEarned > 0 && order.member_id) {
    const awarded = await settlement.awardPoints(settle, {
      orderId: order.id,
      memberId: order.member_id,
      points: pointsEarned,
    });
    record.points = { ref: awarded.ref, points: pointsEarned };
  }
  const extended =
    order.member_id && !memberClosed
      ? await grantCardExtensions(
          settle,
          settlement,
          ctx,
          { id: order.id, memberId: order.member_id, total: order.total, timezone: grants.timezone },
          now,
        )
      : [];
  const used = [...grants.benefits, ...extended.map((benefitId) => ({ benefitId, discount: 0 }))];
  if (used.length > 0) {
    await settle.trx
      .insertInto("checkout_benefit_usages")
      .values(
        used.map((b) => ({
          tenant_id: settle.tenantId,
          order_id: order.id,
          benefit_id: b.benefitId,
          member_id: order.member_id,
          discount_amount: b.discount,
          reversed: false,
          created_at: now,
        })),
      )
      .execute();
  }
  const completed = (await settle.trx
    .updateTable("checkout_orders")
    .set({ status: "completed", points_earned: pointsEarned, settlement: JSON.stringify(record) })
    .where("tenant_id", "=", settle.tenantId)
    .where("id", "=", order.id)
    .returningAll()
    .executeTakeFirstOrThrow()) as OrderRow;
  const summary = {
    client_order_id: order.client_order_id,
    member_id: order.member_id,
    total: order.total,
    voucher_total: order.voucher_total,
    balance_amount: order.balance_amount,
    points_earned: pointsEarned,
  };
  await recordAudit(
    settle.trx,
    ctx,
    {
      action: "checkout_order.completed",
      targetType: "checkout_order",
      targetId: order.id,
      summary: {
        after: { ...summary, benefits: used.map((b) => b.benefitId) },
        ...(withheld ? { points_withheld: withheld } : {}),
      },
    },
    now,
  );
  await emitCheckoutEvent(
    settle.trx,
    settle.tenantId,
    "checkout_order.completed",
    {
      order_id: order.id,
      currency: order.currency,
      ...summary,
      benefit_ids: used.map((b) => b.benefitId),
    },
    now,
  );
  return completed;
}

/**
 * Gives each voucher and each gift card that paid the order back what it paid, under one
 * return id (a refund's or a cancellation's).
 */
export async function returnTenders(
  settle: SettleContext,
  settlement: CheckoutSettlement,
  order: OrderRow,
  returnId: string,
): Promise<void> {
  for (const v of order.settlement.vouchers ?? []) {
    await settlement.returnVoucher(settle, {
      orderId: order.id,
      refundId: returnId,
      voucherId: v.voucherId,
      redemption: { ref: v.ref },
      amount: v.amount,
    });
  }
  for (const c of order.settlement.giftCards ?? []) {
    await settlement.refundGiftCard(settle, {
      orderId: order.id,
      refundId: returnId,
      cardId: c.cardId,
      redemption: { ref: c.ref },
      amount: c.amount,
    });
  }
}

/**
 * An order whose online payment failed, was cancelled or timed out: each voucher and gift
 * card gets back what it paid (the balance part was only held, and the payment has released
 * it), nothing was granted, and the order is `cancelled`.
 */
export async function cancelUnpaidOrder(
  settle: SettleContext,
  settlement: CheckoutSettlement,
  ctx: RequestContext,
  order: OrderRow,
  reason: string,
  now: Date,
): Promise<OrderRow> {
  await returnTenders(settle, settlement, order, newId("orf"));
  const cancelled = (await settle.trx
    .updateTable("checkout_orders")
    .set({ status: "cancelled", cancelled_at: now })
    .where("tenant_id", "=", settle.tenantId)
    .where("id", "=", order.id)
    .returningAll()
    .executeTakeFirstOrThrow()) as OrderRow;
  await recordAudit(
    settle.trx,
    ctx,
    {
      action: "checkout_order.cancelled",
      targetType: "checkout_order",
      targetId: order.id,
      summary: { reason, total: order.total, balance_amount: order.balance_amount },
    },
    now,
  );
  await emitCheckoutEvent(
    settle.trx,
    settle.tenantId,
    "checkout_order.cancelled",
    {
      order_id: order.id,
      client_order_id: order.client_order_id,
      member_id: order.member_id,
      currency: order.currency,
      total: order.total,
      reason,
    },
    now,
  );
  return cancelled;
}

/**
 * Follows a held balance payment to the checkout order it pays: success completes the order
 * and grants what it earned; a release cancels it whole. Payments of other orders, and
 * orders no longer waiting, are left alone.
 */
export const followOrderPayment: BalancePaymentListener = async (uow, ctx, outcome, now) => {
  if (!outcome.orderId) return;
  const order = (await uow.trx
    .selectFrom("checkout_orders")
    .selectAll()
    .where("tenant_id", "=", uow.tenantId)
    .where("id", "=", outcome.orderId)
    .where("status", "=", "pending_payment")
    .forUpdate()
    .executeTakeFirst()) as OrderRow | undefined;
  if (!order || order.settlement.balance?.ref !== outcome.paymentId) return;
  const settle = settleContext(uow, ctx, now);
  if (outcome.outcome === "succeeded") {
    const grants = order.settlement.awaiting ?? { points: 0, benefits: [], timezone: "UTC" };
    await grantPaidOrder(settle, connectedSettlement, ctx, order, grants, now);
  } else {
    await cancelUnpaidOrder(settle, connectedSettlement, ctx, order, outcome.reason ?? "failed", now);
  }
};
