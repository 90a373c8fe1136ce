import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { balancePaymentResolved } from "../../platform/payment-outcomes.js";
import { paymentLegs } from "./lots.repository.js";
import { settlePayment } from "./pay-with-balance.js";
import { WalletsError } from "./wallets.errors.js";
import { emitWalletEvent } from "./wallets.events.js";
import type { UnitOfWork } from "./wallets.ledger.js";
import { findPayment, type PaymentRow } from "./wallets.repository.js";

/** The ledger holds (or transfers, once settled) that took a payment's balance part. */
export async function paymentHolds(
  trx: Tx,
  tenantId: string,
  payment: Pick<PaymentRow, "id" | "principal_transfer_id" | "bonus_transfer_id">,
): Promise<string[]> {
  const legs = await paymentLegs(trx, tenantId, payment.id);
  return (
    legs.length > 0
      ? legs.map((l) => l.transfer_id)
      : [payment.principal_transfer_id, payment.bonus_transfer_id]
  ).filter((x): x is string => x !== null);
}

/**
 * The outcome of a partial payment's external part: `succeeded` posts the held balance,
 * `failed` (or `cancelled`) voids it. Each happens once; a hold past its timeout can no
 * longer be posted (payment_expired) and is voided by the expiry job. A hold already posted
 * through the ledger's own API is refused either way (payment_hold_posted), writing nothing.
 */
export async function resolvePayment(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: { paymentId: string; outcome: "succeeded" | "failed" | "cancelled" },
  now: Date,
): Promise<PaymentRow> {
  const payment = await findPayment(uow.trx, uow.tenantId, { id: input.paymentId }, { lock: true });
  if (!payment) throw new WalletsError("payment_not_found", "Payment not found");
  if (payment.status !== "held") {
    throw new WalletsError("payment_not_held", `The payment is already ${payment.status}`);
  }
  const timedOut = payment.timeout_at !== null && payment.timeout_at.getTime() <= now.getTime();
  if (input.outcome === "succeeded" && timedOut) {
    throw new WalletsError("payment_expired", "The balance hold timed out; the balance part was released");
  }
  const ids = await paymentHolds(uow.trx, uow.tenantId, payment);
  const succeeded = input.outcome === "succeeded";
  for (const pendingId of ids) {
    const r = succeeded
      ? await uow.post({ pending_id: pendingId, code: "payment" })
      : await uow.void({ pending_id: pendingId, code: "payment_void" });
    if (!r.ok) {
      if (r.code === "pending_expired" && succeeded) {
        throw new WalletsError("payment_expired", "The balance hold timed out");
      }
      // Taken in the ledger itself (its own API, whole or in part): the balance has moved, so
      // it cannot be released, and the payment cannot tell what was taken to record it as
      // paid. The payment stays held, untouched, for someone to correct in the ledger.
      if (r.code === "pending_already_posted") {
        throw new WalletsError(
          "payment_hold_posted",
          "The balance hold was already posted in the ledger directly: the balance was taken, so the payment can be neither released nor confirmed; correct it in the ledger",
        );
      }
      // Released in the ledger itself (its own API): nothing is held to take; the payment
      // can still be cancelled, which records the release.
      if (r.code === "pending_already_voided" && succeeded) {
        throw new WalletsError(
          "payment_not_held",
          "The balance hold was already released in the ledger: the payment can only be cancelled",
        );
      }
      // Voided already by the ledger's expiry, or due to be (past its timeout only the
      // ledger's expiry voids a hold): either way the release has happened or is due.
      if (!((r.code === "pending_already_voided" || r.code === "pending_expired") && !succeeded)) {
        throw new Error(`ledger refused to resolve hold ${pendingId}: ${r.code} ${r.detail}`);
      }
    }
  }
  const status = succeeded ? "paid" : timedOut ? "expired" : "voided";
  const updated = await uow.trx
    .updateTable("wallet_payments")
    .set({ status, updated_at: now })
    .where("tenant_id", "=", uow.tenantId)
    .where("id", "=", payment.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const reason = input.outcome === "succeeded" ? null : timedOut ? "timeout" : input.outcome;
  if (succeeded) await settlePayment(uow, ctx, updated, now);
  else {
    await emitWalletEvent(
      uow,
      uow.tenantId,
      "wallet.payment_voided",
      {
        payment_id: payment.id,
        order_id: payment.order_id,
        member_id: payment.member_id,
        asset: payment.currency,
        reason,
      },
      now,
    );
  }
  await recordAudit(
    uow,
    ctx,
    {
      action: succeeded ? "wallet.payment_succeeded" : "wallet.payment_voided",
      targetType: "wallet_payment",
      targetId: payment.id,
      summary: { order_id: payment.order_id, outcome: reason ?? input.outcome },
    },
    now,
  );
  // The order this payment pays follows it in the same unit: completed, or cancelled whole.
  await balancePaymentResolved(
    uow,
    ctx,
    {
      paymentId: payment.id,
      orderId: payment.order_id,
      memberId: payment.member_id,
      outcome: succeeded ? "succeeded" : "voided",
      reason,
    },
    now,
  );
  return updated;
}
