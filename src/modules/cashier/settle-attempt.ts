import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { closeSmartTopup } from "../topup/index.js";
import { resolvePayment } from "../wallets/index.js";
import { emitCashierEvent } from "./cashier.events.js";
import { type OrderRow, type PaymentRow, updateOrder, updatePayment } from "./cashier.repository.js";

/**
 * An attempt that paid its order: the attempt succeeded, the order is paid, and the merchant
 * hears of it (`cashier_order.paid`), in the unit of work that moved the money.
 */
export async function attemptSucceeded(
  uow: UnitOfWork,
  ctx: RequestContext,
  order: OrderRow,
  payment: PaymentRow,
  walletPaymentId: string | null,
  now: Date,
): Promise<OrderRow> {
  const done = await updatePayment(
    uow.trx,
    uow.tenantId,
    payment.id,
    { status: "succeeded", wallet_payment_id: walletPaymentId },
    now,
  );
  const paid = await updateOrder(
    uow.trx,
    uow.tenantId,
    order.id,
    { status: "paid", paid_by: payment.kind, paid_at: now },
    now,
  );
  const summary = {
    merchant_order_ref: order.merchant_order_ref,
    member_id: order.member_id,
    total: order.total,
    paid_by: payment.kind,
    balance_amount: done.balance_amount,
    online_amount: done.online_amount,
  };
  await recordAudit(
    uow,
    ctx,
    {
      action: "cashier_order.paid",
      targetType: "cashier_order",
      targetId: order.id,
      summary: { ...summary, payment_id: payment.id },
    },
    now,
  );
  await emitCashierEvent(
    uow,
    uow.tenantId,
    "cashier_order.paid",
    {
      order_id: order.id,
      currency: order.currency,
      ...summary,
      payment_id: payment.id,
      wallet_payment_id: walletPaymentId,
      topup_id: done.topup_id,
    },
    now,
  );
  return paid;
}

/** An attempt that failed or lapsed: nothing was taken, and the order may be paid again until its time. */
export async function attemptFailed(
  uow: UnitOfWork,
  ctx: RequestContext,
  order: OrderRow,
  payment: PaymentRow,
  status: "failed" | "expired",
  now: Date,
): Promise<OrderRow> {
  await updatePayment(uow.trx, uow.tenantId, payment.id, { status }, now);
  const reopened =
    order.status === "pending_payment"
      ? await updateOrder(uow.trx, uow.tenantId, order.id, { status: "open" }, now)
      : order;
  await recordAudit(
    uow,
    ctx,
    {
      action: `cashier_payment.${status}`,
      targetType: "cashier_order",
      targetId: order.id,
      summary: { payment_id: payment.id, kind: payment.kind },
    },
    now,
  );
  return reopened;
}

/**
 * Ends an attempt whose provider never answered in time, so the member can pay again: a held
 * balance is released through the wallets (whose listener reopens the order), a smart
 * top-up is closed uncredited.
 */
export async function releaseLapsed(
  uow: UnitOfWork,
  ctx: RequestContext,
  order: OrderRow,
  payment: PaymentRow,
  now: Date,
): Promise<void> {
  if (payment.kind === "balance_and_online" && payment.wallet_payment_id) {
    await resolvePayment(uow, ctx, { paymentId: payment.wallet_payment_id, outcome: "cancelled" }, now);
    return;
  }
  if (payment.topup_id)
    await closeSmartTopup(uow, ctx, { topupId: payment.topup_id, result: "expired" }, now);
  await attemptFailed(uow, ctx, order, payment, "expired", now);
}
