import { type Ledger, voidExpiredHolds } from "../../ledger/index.js";
import { systemActor } from "../../platform/auth/actor.js";
import { eachItem, type ItemFailure, ItemSweepError } from "../../platform/jobs/each-item.js";
import { resolvePayment } from "./resolve-payment.js";

/** Held payments released per run of the expiry job (per tenant); the next run takes the rest. */
export const MAX_EXPIRED_PER_RUN = 500;

/**
 * Voids every held balance payment whose timeout has passed: the external payment did not
 * succeed in time, so the balance is released. Racing a confirmation, exactly one wins (both
 * lock the payment row first). Returns how many were released. Each payment is released in
 * its own unit of work: one that fails does not hold back the others; once they are all done
 * the failures are thrown, naming each payment, so the job is recorded failed and retried.
 */
export async function expirePayments(ledger: Ledger, tenantId: string, now: Date): Promise<number> {
  const failures: ItemFailure[] = [];
  // Only the ledger's expiry may void a hold past its timeout; then each payment records it.
  // A payment whose hold it could not void yet is still marked expired; the hold waits for
  // the ledger's next expiry run.
  await voidExpiredHolds(ledger, tenantId, now).catch((error: unknown) => {
    failures.push({ id: "ledger hold expiry", error });
  });
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
  const released = await eachItem(
    due,
    (row) => row.id,
    async ({ id }) => {
      try {
        await ledger.run(tenantId, (uow) =>
          resolvePayment(uow, ctx, { paymentId: id, outcome: "failed" }, now),
        );
        return true;
      } catch (error) {
        // Resolved meanwhile (confirmed just before its timeout, or cancelled): nothing to do.
        if ((error as { code?: string }).code !== "payment_not_held") throw error;
        return false;
      }
    },
    failures,
  );
  if (failures.length > 0) throw new ItemSweepError("held payment(s)", failures);
  return released.filter(Boolean).length;
}
