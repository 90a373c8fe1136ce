import { sql } from "kysely";
import type { Tx } from "../db/database.js";
import { liveTenantOnly } from "../db/sandbox.js";
import { recordAudit } from "../platform/audit/audit.js";
import { systemActor } from "../platform/auth/actor.js";
import { eachItem, type ItemFailure, ItemSweepError } from "../platform/jobs/each-item.js";
import { forEachTenant } from "../platform/jobs/each-tenant.js";
import { type HoldProgress, holdProgress, type LayerOps, type ResolutionStep } from "./engine.js";
import type { Ledger } from "./ledger.js";
import type { TransferKind } from "./ledger.schema.js";

/**
 * SQL: the hold `alias` is unresolved — not posted, and not voided down to nothing (a void of
 * part leaves it pending, and it still expires).
 */
export const unresolvedHold = (alias: string) =>
  `not exists (select 1 from ledger_transfers r where r.tenant_id = ${alias}.tenant_id and r.pending_id = ${alias}.id and (r.kind = 'post_pending' or r.amount = r.pending_before))`;

/** Holds voided per unit of work by the expiry job (one batch each). */
const HOLDS_PER_UNIT = 500;

/** The scheduled job that voids expired holds (its name names it in a sweep's failure). */
export const LEDGER_HOLD_EXPIRY_JOB = "ledger.void_expired_holds";

/**
 * Voids what is left of every hold whose timeout has passed at `now` and that is not resolved,
 * in one tenant or in all. The scheduled job calls this; posts racing it lose or win
 * cleanly because both lock the hold's accounts. Returns how many holds were voided.
 * A hold that cannot be voided (its unit fails) holds back neither the holds after it nor
 * the tenants after its own: its page is voided again a hold to a unit, every tenant has its
 * turn, and then the holds that failed are thrown, each named, so the job is recorded failed.
 * `only` limits a tenant's run to these holds (a request that releases its own order's holds
 * neither waits for nor fails on the rest of the tenant's).
 */
export async function voidExpiredHolds(
  ledger: Ledger,
  scope: string | "all",
  now: Date,
  options: { only?: readonly string[] } = {},
): Promise<number> {
  if (scope !== "all") return voidTenantHolds(ledger, scope, now, options.only);
  const tenants = await ledger.db.systemTx(async (trx) => {
    const rows = await sql<{ tenant_id: string }>`
      select distinct p.tenant_id from ledger_transfers p
      where p.kind = 'pending' and p.timeout_at is not null and p.timeout_at <= ${now}
        and ${liveTenantOnly("p.tenant_id")}
        and ${sql.raw(unresolvedHold("p"))}`.execute(trx);
    return rows.rows.map((r) => r.tenant_id);
  });
  const counts = await forEachTenant(LEDGER_HOLD_EXPIRY_JOB, tenants, (tenantId) =>
    voidTenantHolds(ledger, tenantId, now),
  );
  return counts.reduce((sum, n) => sum + n, 0);
}

async function voidTenantHolds(
  ledger: Ledger,
  tenantId: string,
  now: Date,
  only?: readonly string[],
): Promise<number> {
  if (only?.length === 0) return 0;
  const failures: ItemFailure[] = [];
  const actor = systemActor(tenantId, LEDGER_HOLD_EXPIRY_JOB);
  let voided = 0;
  let lastId = "";
  for (;;) {
    const due = await ledger.db.tenantTx(tenantId, async (trx) => {
      const rows = await sql<{ id: string }>`
        select p.id from ledger_transfers p
        where p.tenant_id = ${tenantId} and p.kind = 'pending' and p.timeout_at is not null
          and p.timeout_at <= ${now} and p.id > ${lastId}
          ${only ? sql`and p.id = any(${[...only]}::text[])` : sql``}
          and ${sql.raw(unresolvedHold("p"))}
        order by p.id limit ${HOLDS_PER_UNIT}`.execute(trx);
      return rows.rows.map((r) => r.id);
    });
    if (due.length === 0) break;
    lastId = due[due.length - 1]!;
    const voidAll = (ids: readonly string[]) =>
      ledger.run(tenantId, async (uow) => {
        const ops = uow as unknown as LayerOps;
        let created = 0;
        for (const id of ids) {
          const r = await ops.voidExpired(id);
          // A hold posted or voided since the query answers pending_already_*: nothing to do.
          if (!r.ok || r.code !== "created") continue;
          created++;
          // The release is a change like a void asked for by a caller: audited, as the job's.
          await recordAudit(
            uow,
            actor,
            {
              action: "ledger_hold.expired",
              targetType: "ledger_transfer",
              targetId: id,
              summary: { amount: r.transfer.amount, resolution_id: r.transfer.id },
            },
            now,
          );
        }
        return created;
      });
    try {
      voided += await voidAll(due);
    } catch {
      // Which hold failed is not known here: each is voided alone, and those failing again
      // are recorded with their own error.
      const counts = await eachItem(
        due,
        (id) => id,
        (id) => voidAll([id]),
        failures,
      );
      voided += counts.reduce((sum, n) => sum + n, 0);
    }
    if (due.length < HOLDS_PER_UNIT) break;
  }
  if (failures.length > 0) throw new ItemSweepError("expired hold(s)", failures);
  return voided;
}

/**
 * The state of a hold: pending (with what is left of it after voids of part), or how it was
 * resolved and by which transfer.
 */
export async function holdState(
  trx: Tx,
  tenantId: string,
  pendingId: string,
): Promise<{ state: HoldProgress["state"]; resolved_by: string | null; pending: number }> {
  const rows = await sql<{ amount: number; id: string | null } & Partial<ResolutionStep>>`
    select p.amount, r.id, r.kind, r.amount as step_amount, r.pending_before
    from ledger_transfers p
    left join lateral (
      select id, kind, amount, pending_before from ledger_transfers
      where tenant_id = p.tenant_id and pending_id = p.id order by pending_before limit 1
    ) r on true
    where p.tenant_id = ${tenantId} and p.id = ${pendingId}`.execute(trx);
  const row = rows.rows[0] as
    | {
        amount: number;
        id: string | null;
        kind: TransferKind | null;
        step_amount: number | null;
        pending_before: number | null;
      }
    | undefined;
  const latest =
    row?.id && row.kind && row.step_amount !== null
      ? { kind: row.kind, amount: row.step_amount, pending_before: row.pending_before }
      : undefined;
  const hold = holdProgress({ amount: row?.amount ?? 0 }, latest);
  return {
    state: hold.state,
    resolved_by: hold.state === "pending" ? null : (row?.id ?? null),
    pending: hold.pending,
  };
}
