import { sql } from "kysely";
import type { Database } from "../../db/database.js";
import type { Clock } from "../../shared/clock.js";
import { forEachTenant } from "./each-tenant.js";

/**
 * Rows that are worth nothing once they have ended (a console session, a one-time member
 * center code): a table whose primary key is `(tenant_id, id)` and the column saying when a
 * row ended. A session that was signed out ends at its `expires_at` too (at most the session's
 * lifetime later), so one column says it for every row.
 */
export interface ExpiringRows {
  table: string;
  at: string;
  /**
   * When `at` is not indexed (it moves as the row is used): a column written once, never later
   * than `at`, with an index on (tenant_id, it). The prune finds its candidates through it.
   */
  startedAt?: string;
}

/**
 * How long an ended row is kept: long enough to answer "was that link used, was I signed
 * in" for a month; the audit log, not these rows, is the lasting record of who did what.
 */
export const EXPIRED_RETENTION_DAYS = 30;
/** Rows one transaction removes; a tenant's run repeats until a batch comes back short. */
export const EXPIRED_PRUNE_BATCH = 1000;
/** Tenants one run visits; the next run takes the rest. */
export const EXPIRED_PRUNE_TENANTS = 1000;
export const EXPIRED_PRUNE_JOB = "expired.prune";

/** The platform's own: console sessions. Modules add theirs through their manifest. */
const PLATFORM_ROWS: readonly ExpiringRows[] = [
  { table: "sessions", at: "expires_at", startedAt: "created_at" },
];
const TABLES = new Map<string, ExpiringRows>(PLATFORM_ROWS.map((r) => [r.table, r]));
const IDENT = /^[a-z_][a-z0-9_]*$/;

export function defineExpiringRows(rows: ExpiringRows): void {
  if (!IDENT.test(rows.table) || !IDENT.test(rows.at) || (rows.startedAt && !IDENT.test(rows.startedAt))) {
    throw new Error(`expiring rows ${rows.table}.${rows.at} is not a plain column`);
  }
  const existing = TABLES.get(rows.table);
  if (existing && (existing.at !== rows.at || existing.startedAt !== rows.startedAt))
    throw new Error(`expiring rows of ${rows.table} defined twice`);
  TABLES.set(rows.table, rows);
}

export function expiringRows(): readonly ExpiringRows[] {
  return [...TABLES.values()];
}

const cutoffAt = (now: Date) => new Date(now.getTime() - EXPIRED_RETENTION_DAYS * 86_400_000);

/**
 * Tenants with rows ended before the cutoff at the real time. No index serves this across
 * tenants (a session's `expires_at` slides on use, and indexing it would cost its updates their
 * HOT path): a scan of rows kept at most the retention period, once an hour.
 */
async function tenantsWithExpired(
  db: Database,
  tables: readonly ExpiringRows[],
  now: Date,
): Promise<string[]> {
  return db.systemTx(async (trx) => {
    const tenants = new Set<string>();
    for (const rows of tables) {
      const result = await sql<{ tenant_id: string }>`
        select distinct tenant_id from ${sql.table(rows.table)}
         where ${sql.ref(rows.at)} < ${cutoffAt(now)} limit ${EXPIRED_PRUNE_TENANTS}`.execute(trx);
      for (const r of result.rows) tenants.add(r.tenant_id);
    }
    return [...tenants].slice(0, EXPIRED_PRUNE_TENANTS);
  });
}

/** One tenant's ended rows of one table, in batches, each its own transaction. */
async function pruneTenant(db: Database, tenantId: string, rows: ExpiringRows, now: Date, batch: number) {
  const cutoff = cutoffAt(now);
  // A row that ended before the cutoff started before it: the started-at index narrows the
  // read to those rows and the few that started then but ended later, instead of the tenant's all.
  const started = rows.startedAt ? sql`and ${sql.ref(rows.startedAt)} < ${cutoff}` : sql``;
  let total = 0;
  for (;;) {
    const n = await db.tenantTx(tenantId, async (trx) => {
      const r = await sql`
        delete from ${sql.table(rows.table)} where tenant_id = ${tenantId} and id in (
          select id from ${sql.table(rows.table)}
           where tenant_id = ${tenantId} ${started} and ${sql.ref(rows.at)} < ${cutoff}
           limit ${batch})`.execute(trx);
      return Number(r.numAffectedRows ?? 0);
    });
    total += n;
    if (n < batch) return total;
  }
}

/**
 * Removes every registered table's rows that ended more than EXPIRED_RETENTION_DAYS ago, tenant
 * by tenant, at the real time (credentials expire in real time, in sandboxes too). A tenant
 * that fails does not hold back the others: they are done, then the failures are reported.
 */
export async function pruneExpired(
  deps: { db: Database; clock: Clock },
  options: { batch?: number } = {},
): Promise<Record<string, number>> {
  const batch = options.batch ?? EXPIRED_PRUNE_BATCH;
  const tables = expiringRows();
  const now = deps.clock.now();
  const tenants = await tenantsWithExpired(deps.db, tables, now);
  const done = await forEachTenant(EXPIRED_PRUNE_JOB, tenants, async (tenantId) => {
    const removed: Record<string, number> = {};
    for (const rows of tables) removed[rows.table] = await pruneTenant(deps.db, tenantId, rows, now, batch);
    return removed;
  });
  const total: Record<string, number> = Object.fromEntries(tables.map((r) => [r.table, 0]));
  for (const removed of done)
    for (const [table, n] of Object.entries(removed)) total[table] = (total[table] ?? 0) + n;
  return total;
}
