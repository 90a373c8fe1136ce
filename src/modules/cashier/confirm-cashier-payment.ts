import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import { closeSmartTopup, creditSmartTopup } from "../topup/index.js";
import { confirmProviderPayment, resolvePayment, type WebhookOutcome } from "../wallets/index.js";
import { CashierError } from "./cashier.errors.js";
import { findOrder, orderOfProviderPayment } from "./cashier.repository.js";
import { attemptFailed, attemptSucceeded } from "./settle-attempt.js";

export type ConfirmResult = "paid" | "failed" | "expired" | "already_settled";

/**
 * Applies a verified provider notification to its cashier payment, exactly once: the payment
 * row is locked first (confirmProviderPayment); a settled one changes nothing and answers
 * `already_settled`, so a repeated notification neither credits nor pays twice.
 * - the online rest of a partial payment: success posts the held balance part (wallets'
 *   resolvePayment, whose listener marks the order paid); failure or lateness voids it and
 *   the order is open again;
 * - a smart top-up: success credits the top-up and pays the order from the balance (topup's
 *   creditSmartTopup); failure or lateness closes the top-up uncredited.
 */
export async function confirmCashierPayment(
  uow: UnitOfWork,
  provider: string,
  outcome: WebhookOutcome,
  now: Date,
): Promise<{ result: ConfirmResult; paymentId: string }> {
  // Order before attempt, as a new payment of the order locks them: the two never deadlock.
  const orderId = await orderOfProviderPayment(uow.trx, uow.tenantId, provider, outcome.providerRef);
  if (orderId) await findOrder(uow.trx, uow.tenantId, orderId, { lock: true });
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
        open: p.status === "pending",
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
  if (confirmed.result === "closed") return { result: "already_settled", paymentId: payment.id };
  const order = (await findOrder(uow.trx, uow.tenantId, payment.order_id, { lock: true }))!;
  const result: ConfirmResult =
    confirmed.result === "succeeded" ? "paid" : confirmed.result === "failed" ? "failed" : "expired";
  await recordAudit(
    uow,
    ctx,
    {
      action: `cashier_payment.provider_${outcome.status}`,
      targetType: "cashier_order",
      targetId: order.id,
      summary: { payment_id: payment.id, provider_event: outcome.eventId, result },
    },
    now,
  );
  if (payment.kind === "balance_and_online") {
    await resolvePayment(
      uow,
      ctx,
      { paymentId: payment.wallet_payment_id!, outcome: result === "paid" ? "succeeded" : "failed" },
      now,
    );
    return { result, paymentId: payment.id };
  }
  if (result === "paid") {
    const { acceptance } = await creditSmartTopup(
      uow,
      ctx,
      { topupId: payment.topup_id!, payOrder: { orderId: payment.id } },
      now,
    );
    await attemptSucceeded(uow, ctx, order, payment, acceptance.payment_id, now);
    return { result, paymentId: payment.id };
  }
  await closeSmartTopup(uow, ctx, { topupId: payment.topup_id!, result }, now);
  await attemptFailed(uow, ctx, order, payment, result, now);
  return { result, paymentId: payment.id };
}
