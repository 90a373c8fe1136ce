import { type Ledger, voidExpiredHolds } from "../../ledger/index.js";
import { systemActor } from "../../platform/auth/actor.js";
import { resolvePayment } from "./resolve-payment.js";

/** Held payments released per run of the expiry job (per tenant); the next run takes the rest. */
export const MAX_EXPIRED_PER_RUN = 500;

/**
 * Voids every held balance payment whose timeout has passed: the external payment did not
 * succeed in time, so the balance is released. Racing a confirmation, exactly one wins (both
 * lock the payment row first). Returns how many were released.
 */
export async function expirePayments(ledger: Ledger, tenantId: string, now: Date): Promise<number> {
  // Only the ledger's expiry may void a hold past its timeout; then each payment records it.
  await voidExpiredHolds(ledger, tenantId, now);
  const due = await ledger.db.tenantTx(tenantId, (trx) =>
    trx
      .selectFrom("wallet_payments")
      .select("id")
      .where("tenant_id", "=", tenantId)
      .where("status", "=", "held")
      .where("timeout_at", "<=", now)
      .orderBy("timeout_at")
      .limit(MAX_EXPIRED_PER_RUN)
      .execute(),
  );
  const ctx = { actor: systemActor(tenantId, "wallets.expire_payments"), requestId: null };
  let released = 0;
  for (const { id } of due) {
    try {
      await ledger.run(tenantId, (uow) =>
        resolvePayment(uow, ctx, { paymentId: id, outcome: "failed" }, now),
      );
      released++;
    } catch (error) {
      // Resolved meanwhile (confirmed just before its timeout, or cancelled): nothing to do.
      if ((error as { code?: string }).code !== "payment_not_held") throw error;
    }
  }
  return released;
}
