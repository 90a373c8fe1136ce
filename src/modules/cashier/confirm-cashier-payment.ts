import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { closeSmartTopup, creditSmartTopup } from "../topup/index.js";
import {
  confirmProviderPayment,
  isKnownProviderPayment,
  resolvePayment,
  type WebhookOutcome,
} from "../wallets/index.js";
import { CashierError } from "./cashier.errors.js";
import { emitCashierEvent } from "./cashier.events.js";
import {
  findOrder,
  type OrderRow,
  orderOfProviderPayment,
  type PaymentRow,
  updateOrder,
  updatePayment,
} from "./cashier.repository.js";
import { recordProviderRefundOfPayment } from "./record-payment-refund.js";
import { attemptFailed, attemptSucceeded } from "./settle-attempt.js";

export type ConfirmResult =
  | "paid"
  | "failed"
  | "expired"
  | "refund_due"
  | "already_settled"
  | "refund_ignored"
  | "refund_recorded";

/**
 * Applies a verified provider notification to its cashier payment, exactly once: the payment
 * row is locked first (confirmProviderPayment); a settled one changes nothing and answers
 * `already_settled`, so a repeated notification neither credits nor pays twice.
 * - the online rest of a partial payment: success posts the held balance part (wallets'
 *   resolvePayment, whose listener marks the order paid); failure or lateness voids it and
 *   the order is open again;
 * - a smart top-up: success credits the top-up and pays the order from the balance (topup's
 *   creditSmartTopup); failure or lateness closes the top-up uncredited.
 * A success the attempt can no longer take — after its time, or after the provider had said it
 * failed (a retry at the provider) — took the member's money without paying the order: the
 * attempt ends `refund_due` (audited, `cashier_payment.unfulfilled`) for finance to refund at
 * the provider and record, whatever became of the order since. A refund notification is never
 * taken for the payment's success (audited): on a `refund_due` attempt it keeps a part refund
 * and records the attempt refunded once all it collected is back (`refund_recorded`); on a
 * split payment that paid the order it is the order's money given back, counted on the order
 * (`refund_recorded`); on a smart top-up that paid the order it comes back out of the top-up's
 * lots, the order still paid (`refund_recorded`); otherwise it changes nothing (`refund_ignored`); a refund of a payment that is no cashier
 * attempt here is acknowledged the same way, writing nothing (no payment id).
 */
export async function confirmCashierPayment(
  uow: UnitOfWork,
  provider: string,
  outcome: WebhookOutcome,
  now: Date,
): Promise<{ result: ConfirmResult; paymentId: string | null }> {
  if (
    outcome.kind === "refund" &&
    !(await isKnownProviderPayment(uow.trx, uow.tenantId, "cashier_payments", provider, outcome.providerRef))
  ) {
    return { result: "refund_ignored", paymentId: null };
  }
  const paidAtProvider = outcome.kind !== "refund" && outcome.status === "succeeded";
  // Order before attempt, as a new payment of the order locks them: the two never deadlock.
  const orderId = await orderOfProviderPayment(uow.trx, uow.tenantId, provider, outcome.providerRef);
  const locked = orderId ? await findOrder(uow.trx, uow.tenantId, orderId, { lock: true }) : undefined;
  const confirmed = await confirmProviderPayment(
    uow,
    {
      table: "cashier_payments",
      provider,
      outcome,
      facts: (p) => ({
        amount: p.online_amount,
        currency: p.currency,
        expiresAt: p.expires_at,
        open: p.status === "pending" || (paidAtProvider && (p.status === "failed" || p.status === "expired")),
      }),
      refuse: {
        notFound: () =>
          new CashierError("cashier_payment_not_found", "No cashier payment for this notification"),
        mismatch: () =>
          new CashierError(
            "amount_mismatch",
            "The notification's amount or currency differs from the payment",
          ),
      },
    },
    now,
  );
  const { row: payment, ctx } = confirmed;
  // A refund made at the provider is not a payment: it never pays the order, whatever the
  // attempt's status. Kept in the order's audit for finance; an attempt kept for a refund is
  // recorded refunded by it once all it collected is back, as finance's record would.
  if (outcome.kind === "refund") {
    const heard = await recordProviderRefundOfPayment(uow, ctx, locked, payment, outcome, provider, now);
    await recordAudit(
      uow,
      ctx,
      {
        action: "cashier_payment.provider_refund",
        targetType: "cashier_order",
        targetId: payment.order_id,
        summary: {
          payment_id: payment.id,
          provider_event: outcome.eventId,
          refund_id: outcome.refundId ?? null,
          refund_amount: outcome.refundAmount ?? null,
          payment_status: payment.status,
          ...(heard
            ? {
                result: heard.result,
                amount: payment.online_amount,
                refunded_total: heard.refundedTotal,
                ...(payment.status === "refund_due"
                  ? { still_owed: payment.online_amount - heard.refundedTotal }
                  : {}),
              }
            : {}),
        },
      },
      now,
    );
    return { result: heard?.result ?? "refund_ignored", paymentId: payment.id };
  }
  if (confirmed.result === "closed") return { result: "already_settled", paymentId: payment.id };
  const order = (await findOrder(uow.trx, uow.tenantId, payment.order_id, { lock: true }))!;
  if (paidAtProvider && (payment.status !== "pending" || confirmed.result === "expired")) {
    if (payment.status === "pending") await endUnpaid(uow, ctx, order, payment, "expired", now);
    await owedBack(uow, ctx, order, payment, outcome, now);
    return { result: "refund_due", paymentId: payment.id };
  }
  const result: ConfirmResult =
    confirmed.result === "succeeded" ? "paid" : confirmed.result === "failed" ? "failed" : "expired";
  const heard = (answer: ConfirmResult) =>
    recordAudit(
      uow,
      ctx,
      {
        action: `cashier_payment.provider_${outcome.status}`,
        targetType: "cashier_order",
        targetId: order.id,
        summary: { payment_id: payment.id, provider_event: outcome.eventId, result: answer },
      },
      now,
    );
  if (result !== "paid") {
    await heard(result);
    await endUnpaid(uow, ctx, order, payment, result, now);
    return { result, paymentId: payment.id };
  }
  if (payment.kind === "balance_and_online") {
    await heard(result);
    await resolvePayment(uow, ctx, { paymentId: payment.wallet_payment_id!, outcome: "succeeded" }, now);
    return { result, paymentId: payment.id };
  }
  const credited = await creditSmartTopup(
    uow,
    ctx,
    {
      topupId: payment.topup_id!,
      payOrder: { orderId: payment.id },
      payment: { provider: payment.provider ?? provider, providerRef: payment.provider_ref ?? "", outcome },
    },
    now,
  );
  if ("refused" in credited) {
    // The top-up cannot be credited (the topup module keeps it refund_due): the order is not
    // paid and may be paid otherwise; the collected payment is owed back.
    await heard("refund_due");
    if (order.status === "pending_payment") {
      await updateOrder(uow.trx, uow.tenantId, order.id, { status: "open" }, now);
    }
    await owedBack(uow, ctx, order, payment, outcome, now);
    return { result: "refund_due", paymentId: payment.id };
  }
  await heard(result);
  await attemptSucceeded(uow, ctx, order, payment, credited.acceptance.payment_id, now);
  return { result, paymentId: payment.id };
}

/** A pending attempt that will not pay: its hold is voided (the listener reopens the order) or its top-up closed. */
async function endUnpaid(
  uow: UnitOfWork,
  ctx: RequestContext,
  order: OrderRow,
  payment: PaymentRow,
  result: "failed" | "expired",
  now: Date,
): Promise<void> {
  if (payment.kind === "balance_and_online") {
    await resolvePayment(uow, ctx, { paymentId: payment.wallet_payment_id!, outcome: "failed" }, now);
    return;
  }
  await closeSmartTopup(uow, ctx, { topupId: payment.topup_id!, result }, now);
  await attemptFailed(uow, ctx, order, payment, result, now);
}

/** The provider collected the online part of an attempt that no longer pays its order: owed back. */
async function owedBack(
  uow: UnitOfWork,
  ctx: RequestContext,
  order: OrderRow,
  payment: PaymentRow,
  outcome: WebhookOutcome,
  now: Date,
): Promise<void> {
  await updatePayment(uow.trx, uow.tenantId, payment.id, { status: "refund_due" }, now);
  const owed = {
    payment_id: payment.id,
    kind: payment.kind,
    amount: payment.online_amount,
    currency: payment.currency,
    provider: payment.provider,
    provider_ref: payment.provider_ref,
  };
  await recordAudit(
    uow,
    ctx,
    {
      action: "cashier_payment.unfulfilled",
      targetType: "cashier_order",
      targetId: order.id,
      summary: { ...owed, provider_event: outcome.eventId, previous_status: payment.status },
    },
    now,
  );
  await emitCashierEvent(
    uow,
    uow.tenantId,
    "cashier_payment.unfulfilled",
    { order_id: order.id, merchant_order_ref: order.merchant_order_ref, member_id: order.member_id, ...owed },
    now,
  );
}
