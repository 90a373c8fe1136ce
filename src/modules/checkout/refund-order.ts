import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { lockMemberIsClosed } from "../members/index.js";
import { CheckoutError } from "./checkout.errors.js";
import { emitCheckoutEvent } from "./checkout.events.js";
import { assertOrderInScope, findOrder, type OrderRow } from "./checkout.repository.js";
import { returnTenders } from "./finish-order.js";
import { type CheckoutSettlement, settleContext } from "./settlement.js";

/**
 * Refunds a whole order in one transaction: the points it earned are taken back (not from a
 * member closed since: its account holds nothing, and the audit entry records them), each
 * voucher and each gift card gets back what it paid, the balance payment returns to the accounts that paid it
 * (the wallets module follows its funding trace), and the benefits it used stop counting.
 * The order row is locked first, so two refunds cannot both pass the check.
 */
export async function refundOrder(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: { settlement: CheckoutSettlement; orderId: string; reason: string | null },
  now: Date,
): Promise<OrderRow> {
  const { settlement, orderId, reason } = input;
  // A store-bound actor refunds only its subtree's orders; others answer as missing.
  await assertOrderInScope(uow.trx, ctx.actor, await findOrder(uow.trx, uow.tenantId, orderId));
  const settle = settleContext(uow, ctx, now);
  const order = await findOrder(settle.trx, settle.tenantId, orderId, true);
  if (order.status === "refunded") {
    throw new CheckoutError("order_already_refunded", "This order has already been refunded");
  }
  if (order.status !== "completed") {
    // Waiting for its online payment, or cancelled when that failed: nothing was taken to give back.
    throw new CheckoutError(
      "order_not_paid",
      order.status === "cancelled"
        ? "This order was cancelled when its online payment failed; everything it took was returned"
        : "This order is waiting for its online payment: cancel the payment instead",
      { extra: { order_status: order.status } },
    );
  }
  const refundId = newId("orf");
  const s = order.settlement;
  // Closing is final and a closed account holds nothing usable, so the points it earned are
  // not taken back (that would refuse the closed member and with it the whole refund, while the
  // merchant must still be able to give the money parts back); the audit entry and the event
  // say so, as completing a closed member's order records the points it withheld. The member is
  // locked here, as taking the points back would, so a close cannot slip in between.
  const memberClosed =
    s.points !== undefined &&
    order.member_id !== null &&
    (await lockMemberIsClosed(settle.trx, settle.actor, order.member_id));
  const notReversed =
    memberClosed && s.points ? { points: s.points.points, reason: "member_closed" as const } : null;
  if (s.points && order.member_id && !notReversed) {
    await settlement.reversePoints(settle, {
      orderId,
      refundId,
      memberId: order.member_id,
      award: { ref: s.points.ref },
      points: s.points.points,
    });
  }
  await returnTenders(settle, settlement, order, refundId);
  if (s.balance) {
    await settlement.refundBalance(settle, {
      orderId,
      refundId,
      payment: { ref: s.balance.ref },
      amount: s.balance.amount,
    });
  }
  await settle.trx
    .insertInto("checkout_refunds")
    .values({
      tenant_id: settle.tenantId,
      id: refundId,
      order_id: orderId,
      reason,
      created_by: ctx.actor.id,
      created_at: now,
    })
    .execute();
  await settle.trx
    .updateTable("checkout_benefit_usages")
    .set({ reversed: true })
    .where("tenant_id", "=", settle.tenantId)
    .where("order_id", "=", orderId)
    .execute();
  const refunded = (await settle.trx
    .updateTable("checkout_orders")
    .set({ status: "refunded", refunded_at: now })
    .where("tenant_id", "=", settle.tenantId)
    .where("id", "=", orderId)
    .returningAll()
    .executeTakeFirstOrThrow()) as OrderRow;
  await recordAudit(
    settle.trx,
    ctx,
    {
      action: "checkout_order.refunded",
      targetType: "checkout_order",
      targetId: orderId,
      summary: {
        refund_id: refundId,
        reason,
        total: order.total,
        ...(notReversed ? { points_not_reversed: notReversed } : {}),
      },
    },
    now,
  );
  await emitCheckoutEvent(
    settle.trx,
    settle.tenantId,
    "checkout_order.refunded",
    {
      order_id: orderId,
      client_order_id: order.client_order_id,
      member_id: order.member_id,
      currency: order.currency,
      total: order.total,
      refund_id: refundId,
      ...(notReversed ? { points_not_reversed: notReversed } : {}),
    },
    now,
  );
  return refunded;
}
