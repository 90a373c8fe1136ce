import { sql } from "kysely";
import type { Database } from "../../db/database.js";

/** Rows one statement removes; a run repeats until a batch comes back short. */
export const PRUNE_BATCH = 1000;
export const DEFAULT_EVENT_RETENTION_DAYS = 30;

/**
 * Removes, across tenants, what is older than the retention period (`now` − days):
 * webhook deliveries that succeeded (last changed before the cutoff; their attempts go with
 * them), then events that were dispatched and have no delivery left. Events with a pending
 * or failed delivery stay, so a failed one can still be re-sent; undispatched events stay.
 * Audit events are not touched (they are the record of who did what).
 */
export async function pruneEvents(
  db: Database,
  now: Date,
  retentionDays: number,
): Promise<{ deliveries: number; events: number }> {
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
  const repeat = async (statement: () => Promise<number>) => {
    let total = 0;
    for (;;) {
      const n = await statement();
      total += n;
      if (n < PRUNE_BATCH) return total;
    }
  };
  const deliveries = await repeat(() =>
    db.systemTx(async (trx) => {
      const r = await sql`
        delete from webhook_deliveries where (tenant_id, id) in (
          select tenant_id, id from webhook_deliveries
           where status = 'succeeded' and updated_at < ${cutoff}
           limit ${PRUNE_BATCH})`.execute(trx);
      return Number(r.numAffectedRows ?? 0);
    }),
  );
  const events = await repeat(() =>
    db.systemTx(async (trx) => {
      const r = await sql`
        delete from events where (tenant_id, id) in (
          select e.tenant_id, e.id from events e
           where e.dispatched_at is not null and e.created_at < ${cutoff}
             and not exists (select 1 from webhook_deliveries d
                              where d.tenant_id = e.tenant_id and d.event_id = e.id)
           limit ${PRUNE_BATCH})`.execute(trx);
      return Number(r.numAffectedRows ?? 0);
    }),
  );
  return { deliveries, events };
}
