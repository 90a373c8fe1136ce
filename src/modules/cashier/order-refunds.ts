import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import type { BalancePaymentRefundListener } from "../../platform/payment-outcomes.js";
import { assert } from "../../shared/assert.js";
import { emitCashierEvent } from "./cashier.events.js";
import { findOrder, findPayment, type OrderRow, updateOrder } from "./cashier.repository.js";

/** Where returned money had been paid from: the member's balance, or the provider (the online part). */
export type RefundSource = "balance" | "online";

/**
 * Part of a paid order's money is back with its member (order locked by the caller): the order
 * counts it, `partially_refunded` while some is still kept, `refunded` once all of it is back;
 * audited (`cashier_order.refunded`) and announced to the merchant, in the unit of work that
 * gave the money back. Each source caps its own refunds at what it took (the wallets at the
 * balance part, the provider's log at the online part), so the total never passes the order's.
 */
export async function orderMoneyReturned(
  uow: UnitOfWork,
  ctx: RequestContext,
  order: OrderRow,
  back: { source: RefundSource; amount: number; paymentId: string; refundId: string },
  now: Date,
): Promise<OrderRow> {
  assert(
    order.status === "paid" || order.status === "partially_refunded",
    `money returned to cashier order ${order.id} which is ${order.status}`,
  );
  const refundedAmount = order.refunded_amount + back.amount;
  assert(
    back.amount > 0 && refundedAmount <= order.total,
    `cashier order ${order.id} refunded ${refundedAmount} of ${order.total}`,
  );
  const whole = refundedAmount === order.total;
  const status = whole ? "refunded" : "partially_refunded";
  const updated = await updateOrder(
    uow.trx,
    uow.tenantId,
    order.id,
    { status, refunded_amount: refundedAmount, refunded_at: whole ? now : null },
    now,
  );
  const summary = {
    source: back.source,
    amount: back.amount,
    refunded_amount: refundedAmount,
    status,
    payment_id: back.paymentId,
    refund_id: back.refundId,
  };
  await recordAudit(
    uow,
    ctx,
    {
      action: "cashier_order.refunded",
      targetType: "cashier_order",
      targetId: order.id,
      summary: { ...summary, merchant_order_ref: order.merchant_order_ref, previous_status: order.status },
    },
    now,
  );
  await emitCashierEvent(
    uow,
    uow.tenantId,
    "cashier_order.refunded",
    {
      order_id: order.id,
      merchant_order_ref: order.merchant_order_ref,
      member_id: order.member_id,
      currency: order.currency,
      total: order.total,
      ...summary,
    },
    now,
  );
  return updated;
}

/**
 * Follows a refund made at the wallets (`POST /v1/wallet-payments/{id}/refunds`, the cashier's
 * own refund path) to the order whose attempt that balance payment paid. The wallet payment's
 * order id is the attempt's id; payments of anything else are left alone. The order is locked
 * here, after the wallet payment and the member: no cashier path holds the order while it waits
 * for either of those of a paid attempt, so the two never deadlock.
 */
export const followCashierRefund: BalancePaymentRefundListener = async (uow, ctx, refund, now) => {
  const attempt = await findPayment(uow.trx, uow.tenantId, refund.orderId);
  if (attempt?.wallet_payment_id !== refund.paymentId) return;
  const order = await findOrder(uow.trx, uow.tenantId, attempt.order_id, { lock: true });
  assert(order, `cashier attempt ${attempt.id} without its order`);
  // Only an attempt that paid the order has a paid wallet payment to refund.
  assert(attempt.status === "succeeded", `refunded cashier attempt ${attempt.id} is ${attempt.status}`);
  await orderMoneyReturned(
    uow,
    ctx,
    order,
    { source: "balance", amount: refund.amount, paymentId: attempt.id, refundId: refund.refundId },
    now,
  );
};
