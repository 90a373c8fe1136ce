import { sql } from "kysely";
import { type Ledger, voidExpiredHolds } from "../../ledger/index.js";
import { systemActor } from "../../platform/auth/actor.js";
import { eachItem, type ItemFailure, ItemSweepError } from "../../platform/jobs/each-item.js";
import { resolvePayment } from "./resolve-payment.js";

/**
 * Held payments read per page by the expiry job (per tenant); a run takes page after page
 * until none is due, each payment in its own unit of work.
 */
export const EXPIRED_PER_PAGE = 500;

/** Where a page of due payments ended: the next page starts after it. */
type PageEnd = { id: string; timeout_at: Date };

/**
 * Voids every held balance payment whose timeout has passed: the external payment did not
 * succeed in time, so the balance is released. Racing a confirmation, exactly one wins (both
 * lock the payment row first). Returns how many were released. Each payment is released in
 * its own unit of work: one that fails does not hold back the others; once they are all done
 * the failures are thrown, naming each payment, so the job is recorded failed and retried.
 * Pages follow on from the last payment read, not from the first still held: a payment that
 * fails on every run is passed over instead of taking a place in every page, and a backlog
 * larger than a page is released in one run rather than a page a minute.
 */
export async function expirePayments(ledger: Ledger, tenantId: string, now: Date): Promise<number> {
  const failures: ItemFailure[] = [];
  // Only the ledger's expiry may void a hold past its timeout; then each payment records it.
  // A payment whose hold it could not void yet is still marked expired; the hold waits for
  // the ledger's next expiry run.
  await voidExpiredHolds(ledger, tenantId, now).catch((error: unknown) => {
    failures.push({ id: "ledger hold expiry", error });
  });
  const ctx = { actor: systemActor(tenantId, "wallets.expire_payments"), requestId: null };
  let released = 0;
  let after: PageEnd | null = null;
  for (;;) {
    const from: PageEnd | null = after;
    const due: PageEnd[] = await ledger.db.tenantTx(tenantId, (trx) =>
      trx
        .selectFrom("wallet_payments")
        .select(["id", "timeout_at"])
        .where("tenant_id", "=", tenantId)
        .where("status", "=", "held")
        .where("timeout_at", "<=", now)
        .$if(from !== null, (q) =>
          q.where(sql<boolean>`(timeout_at, id) > (${from!.timeout_at}, ${from!.id})`),
        )
        .orderBy("timeout_at")
        .orderBy("id")
        .limit(EXPIRED_PER_PAGE)
        .$narrowType<{ timeout_at: Date }>()
        .execute(),
    );
    if (due.length === 0) break;
    after = due[due.length - 1]!;
    const done = await eachItem(
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
          // Its hold posted through the ledger's own API: the balance was taken, so there is
          // nothing to release, and marking it paid would complete an order whose external
          // part never succeeded. It stays held for an operator; passed over, not a failure.
          const code = (error as { code?: string }).code;
          if (code !== "payment_not_held" && code !== "payment_hold_posted") throw error;
          return false;
        }
      },
      failures,
    );
    released += done.filter(Boolean).length;
    if (due.length < EXPIRED_PER_PAGE) break;
  }
  if (failures.length > 0) throw new ItemSweepError("held payment(s)", failures);
  return released;
}
