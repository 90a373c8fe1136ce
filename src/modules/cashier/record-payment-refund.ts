import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import {
  notRefundDue,
  providerRefundRecord,
  type RecordRefundInput,
  type RefundRecord,
  refundRecordOf,
} from "../../platform/http/record-refund.js";
import type { TopupPaymentHolderLookup } from "../../platform/payment-outcomes.js";
import { recordProviderRefundOfHeldTopup, recordRefundOfPaidTopup } from "../topup/index.js";
import type { WebhookOutcome } from "../wallets/index.js";
import { CashierError } from "./cashier.errors.js";
import { emitCashierEvent } from "./cashier.events.js";
import {
  findOrder,
  logProviderRefund,
  type OrderRow,
  type PaymentRow,
  updatePayment,
} from "./cashier.repository.js";
import { orderMoneyReturned } from "./order-refunds.js";

/**
 * Finance refunded a `refund_due` attempt's online part at the provider: the attempt becomes
 * `refunded` with who recorded it, when, the provider's refund id and a note. The money never
 * reached the ledger, so nothing moves. The order is locked before the attempt, as every
 * payment of it does; any other status (a second call included) refuses with `not_refund_due`
 * and writes nothing. A smart top-up's attempt records its top-up's refund with it. The caller
 * has checked the order is visible to it.
 */
export async function recordPaymentRefund(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: { orderId: string; paymentId: string; body: RecordRefundInput },
  now: Date,
): Promise<OrderRow> {
  const { trx, tenantId } = uow;
  const order = await findOrder(trx, tenantId, input.orderId, { lock: true });
  if (!order) throw new CashierError("cashier_order_not_found", "Cashier order not found");
  const payment = await trx
    .selectFrom("cashier_payments")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("order_id", "=", order.id)
    .where("id", "=", input.paymentId)
    .forUpdate()
    .executeTakeFirst();
  if (!payment) throw new CashierError("cashier_payment_not_found", "No such payment of this order");
  if (payment.status !== "refund_due") {
    throw new CashierError(...notRefundDue("cashier payment", payment.status));
  }
  await settleRefunded(uow, ctx, order, payment, refundRecordOf(ctx, input.body, now), now);
  return order;
}

/**
 * The provider says it refunded (part of) what an attempt collected online (order and attempt
 * locked by the caller). Each refund id counts once on the attempt, never more in all than it
 * collected (`provider_refunds`, its `refunded_amount`); what a new one means depends on where
 * that money went:
 * - an attempt kept `refund_due` (collected, nothing paid): once all of it is back, it is
 *   recorded refunded exactly as finance would record it, the provider's event as its record
 *   (its smart top-up with it); a part keeps it owed, for finance;
 * - the online part of a split payment that paid the order: the order's money given back;
 * - a smart top-up that was credited and paid its order from the balance: the order stays paid
 *   (the balance paid it), and the share comes back out of the top-up's lots, what the member
 *   already spent kept as its shortfall, as for a top-up paid at the top-ups' own webhook.
 * `refund_recorded`, or `refund_ignored` for a refund id already heard of or no more than
 * already recorded; null for any other attempt (nothing it collected is owed or held).
 */
export async function recordProviderRefundOfPayment(
  uow: UnitOfWork,
  ctx: RequestContext,
  order: OrderRow | undefined,
  payment: PaymentRow,
  outcome: WebhookOutcome,
  provider: string,
  now: Date,
): Promise<{ result: "refund_recorded" | "refund_ignored"; refundedTotal: number } | null> {
  const paid = payment.status === "succeeded";
  const owed = payment.status === "refund_due" && order;
  const paidPart = paid && payment.kind === "balance_and_online" && order;
  const paidTopupId = paid && payment.kind === "smart_topup" ? payment.topup_id : null;
  if (!owed && !paidPart && !paidTopupId) return null;
  const notice = { ...outcome, provider };
  const { refund, refundedTotal } = await logProviderRefund(uow.trx, uow.tenantId, payment, notice, now);
  if (!refund) return { result: "refund_ignored", refundedTotal };
  if (owed && refund.whole) {
    await settleRefunded(uow, ctx, owed, payment, providerRefundRecord(ctx, notice, refund, now), now);
  } else if (paidPart) {
    const back = {
      source: "online" as const,
      amount: refund.share,
      paymentId: payment.id,
      refundId: refund.refundId,
    };
    await orderMoneyReturned(uow, ctx, paidPart, back, now);
  } else if (paidTopupId) {
    await recordProviderRefundOfHeldTopup(uow, ctx, { topupId: paidTopupId, provider, outcome }, now);
  }
  return { result: "refund_recorded", refundedTotal: refund.total };
}

/** A `refund_due` attempt (locked, its order too) becomes `refunded` with `record`: audited, announced. */
async function settleRefunded(
  uow: UnitOfWork,
  ctx: RequestContext,
  order: OrderRow,
  payment: PaymentRow,
  record: RefundRecord,
  now: Date,
): Promise<void> {
  const { trx, tenantId } = uow;
  // A smart top-up that could not be credited is owed back on its own row too: one refund
  // settles both, whether finance records it here or on the top-up (cashierTopupPaymentHolder),
  // or the provider announces it.
  if (payment.topup_id) {
    await recordRefundOfPaidTopup(uow, ctx, { topupId: payment.topup_id, record }, now);
  }
  await updatePayment(
    trx,
    tenantId,
    payment.id,
    { status: "refunded", refund_record: JSON.stringify(record) },
    now,
  );
  const refunded = {
    payment_id: payment.id,
    amount: payment.online_amount,
    currency: payment.currency,
    provider: payment.provider,
    provider_ref: payment.provider_ref,
    reference: record.reference,
  };
  await recordAudit(
    uow,
    ctx,
    {
      action: "cashier_payment.refunded",
      targetType: "cashier_order",
      targetId: order.id,
      summary: {
        ...refunded,
        note: record.note,
        previous_status: payment.status,
        ...(record.provider_event ? { provider_event: record.provider_event } : {}),
      },
    },
    now,
  );
  await emitCashierEvent(
    uow,
    tenantId,
    "cashier_payment.refunded",
    {
      order_id: order.id,
      merchant_order_ref: order.merchant_order_ref,
      member_id: order.member_id,
      ...refunded,
    },
    now,
  );
}

/**
 * A smart top-up's money is collected by the cashier's attempt: recording the top-up's refund
 * records the attempt's, through the one path above (order, attempt, then top-up locked).
 */
export const cashierTopupPaymentHolder: TopupPaymentHolderLookup = async (trx, tenantId, topup) => {
  const payment = await trx
    .selectFrom("cashier_payments")
    .select(["id", "order_id"])
    .where("tenant_id", "=", tenantId)
    .where("id", "=", topup.orderId)
    .where("topup_id", "=", topup.id)
    .executeTakeFirst();
  if (!payment) return null;
  return {
    module: "cashier",
    recordRefund: async (uow, ctx, body, now) => {
      await recordPaymentRefund(uow, ctx, { orderId: payment.order_id, paymentId: payment.id, body }, now);
    },
  };
};
