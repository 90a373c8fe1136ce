import type { BalancePaymentListener } from "../../platform/payment-outcomes.js";
import { findOrder, lockPaymentOfHold } from "./cashier.repository.js";
import { attemptFailed, attemptSucceeded } from "./settle-attempt.js";

/**
 * Follows a held balance payment to the cashier order it pays part of, in the unit of work
 * that resolves it: posted → the order is paid; released (the provider's failure, a lapse,
 * the hold's timeout) → the attempt failed or expired and the order is open again. Payments
 * of anything else, and attempts already settled, are left alone.
 */
export const followCashierHold: BalancePaymentListener = async (uow, ctx, outcome, now) => {
  const payment = await lockPaymentOfHold(uow.trx, uow.tenantId, outcome.paymentId);
  if (payment?.status !== "pending") return;
  const order = (await findOrder(uow.trx, uow.tenantId, payment.order_id, { lock: true }))!;
  if (outcome.outcome === "succeeded") {
    await attemptSucceeded(uow, ctx, order, payment, outcome.paymentId, now);
    return;
  }
  const lapsed =
    outcome.reason === "timeout" ||
    (payment.expires_at !== null && payment.expires_at.getTime() <= now.getTime());
  await attemptFailed(uow, ctx, order, payment, lapsed ? "expired" : "failed", now);
};
