import { sql } from "kysely";
import type { Database, Tx } from "../../db/database.js";
import { type PageParams, pageLimit } from "../http/pagination.js";
import { SandboxError } from "./sandbox.errors.js";
import type { TestClockState } from "./tenant-clock.js";

/**
 * Active sandboxes one live tenant may have. Each is a whole tenant (keys, schedules, ledger),
 * so the number is bounded; archived ones do not count, and archiving one frees a place.
 */
export const MAX_ACTIVE_SANDBOXES = 10;

/**
 * Refuses a new sandbox of `liveTenantId` when it already has the most it may. Runs in the
 * transaction that inserts the sandbox: the live tenant's row stays locked until it commits,
 * so two creates at once count one after the other and cannot both take the last place.
 */
export async function claimSandboxPlace(trx: Tx, liveTenantId: string): Promise<void> {
  await lockLiveTenant(trx, liveTenantId);
  await assertSandboxPlace(trx, liveTenantId);
}

/** The live tenant's row, locked: what every change to the number of its active sandboxes takes first. */
async function lockLiveTenant(trx: Tx, liveTenantId: string): Promise<void> {
  await trx.selectFrom("tenants").select("id").where("id", "=", liveTenantId).forUpdate().executeTakeFirst();
}

/** Refuses one more active sandbox of `liveTenantId` past the cap; the caller holds `lockLiveTenant`. */
async function assertSandboxPlace(trx: Tx, liveTenantId: string): Promise<void> {
  const row = await trx
    .selectFrom("tenants")
    .select(sql<number>`count(*)::int`.as("active"))
    .where("live_tenant_id", "=", liveTenantId)
    .where("archived_at", "is", null)
    .executeTakeFirstOrThrow();
  if (row.active >= MAX_ACTIVE_SANDBOXES) {
    throw new SandboxError(
      "sandbox_limit_reached",
      `A live tenant has at most ${MAX_ACTIVE_SANDBOXES} active sandboxes: archive one to free a place`,
    );
  }
}

export interface SandboxRow {
  id: string;
  name: string;
  timezone: string;
  live_tenant_id: string;
  created_at: Date;
  archived_at: Date | null;
  clock: TestClockState;
}

const sandboxColumns = (trx: Tx) =>
  trx
    .selectFrom("tenants as t")
    .leftJoin("tenant_clocks as c", "c.tenant_id", "t.id")
    .select([
      "t.id",
      "t.name",
      "t.timezone",
      "t.live_tenant_id",
      "t.created_at",
      "t.archived_at",
      "c.frozen_at",
      "c.offset_ms",
    ])
    .where("t.sandbox", "=", true);

function toSandboxRow(row: {
  id: string;
  name: string;
  timezone: string;
  live_tenant_id: string | null;
  created_at: Date;
  archived_at: Date | null;
  frozen_at: Date | null;
  offset_ms: string | null;
}): SandboxRow {
  return {
    id: row.id,
    name: row.name,
    timezone: row.timezone,
    live_tenant_id: row.live_tenant_id ?? "",
    created_at: row.created_at,
    archived_at: row.archived_at,
    clock: { frozenAt: row.frozen_at, offsetMs: Number(row.offset_ms ?? 0), archivedAt: row.archived_at },
  };
}

/**
 * One page of a live tenant's sandboxes, newest first (ids are time-ordered). Sandboxes are
 * tenants of their own, so this reads across tenants, only ever those naming `liveTenantId`.
 */
export async function listSandboxes(
  db: Database,
  liveTenantId: string,
  page: PageParams,
): Promise<{ rows: SandboxRow[]; hasMore: boolean }> {
  const limit = pageLimit(page.limit);
  const rows = await db.systemTx((trx) => {
    let query = sandboxColumns(trx)
      .where("t.live_tenant_id", "=", liveTenantId)
      .orderBy("t.id", "desc")
      .limit(limit + 1);
    if (page.starting_after) query = query.where("t.id", "<", page.starting_after);
    return query.execute();
  });
  return { rows: rows.slice(0, limit).map(toSandboxRow), hasMore: rows.length > limit };
}

/**
 * Locks a sandbox of `liveTenantId` for an archive or a restore: its clock row first (an
 * advance under way finishes before, and one after sees the change), then its tenant row.
 */
async function lockSandbox(trx: Tx, liveTenantId: string, sandboxId: string) {
  await trx
    .selectFrom("tenant_clocks")
    .select("tenant_id")
    .where("tenant_id", "=", sandboxId)
    .forUpdate()
    .executeTakeFirst();
  const row = await sandboxColumns(trx)
    .where("t.id", "=", sandboxId)
    .where("t.live_tenant_id", "=", liveTenantId)
    .forUpdate("t")
    .executeTakeFirst();
  if (!row) throw new SandboxError("sandbox_not_found", "No such sandbox of this tenant");
  return row;
}

async function setArchivedAt(trx: Tx, sandboxId: string, archivedAt: Date | null, now: Date): Promise<void> {
  await trx
    .updateTable("tenants")
    .set({ archived_at: archivedAt, updated_at: now })
    .where("id", "=", sandboxId)
    .execute();
}

/**
 * Archives a sandbox of `liveTenantId`: from then on its credentials are refused and its jobs
 * and timeouts no longer run. Nothing is deleted (ledger rows never are). `archived` says
 * whether this call archived it (false: it already was). The sandbox's clock row is locked
 * first, so an advance under way finishes before, and one after sees the archive.
 */
export async function archiveSandbox(
  db: Database,
  liveTenantId: string,
  sandboxId: string,
  now: Date,
): Promise<{ sandbox: SandboxRow; archived: boolean }> {
  return db.systemTx(async (trx) => {
    const row = await lockSandbox(trx, liveTenantId, sandboxId);
    if (row.archived_at) return { sandbox: toSandboxRow(row), archived: false };
    await setArchivedAt(trx, sandboxId, now, now);
    return { sandbox: toSandboxRow({ ...row, archived_at: now }), archived: true };
  });
}

/**
 * Brings an archived sandbox of `liveTenantId` back: its credentials work again and its jobs
 * run again. `restored` says whether this call restored it (false: it was active, and nothing
 * is written). The live tenant's row is locked first, as a create locks it, so a restore and a
 * create (or two restores) count the active sandboxes one after the other and cannot both take
 * the last place; then the sandbox's clock and row, in the order an archive locks them.
 */
export async function restoreSandbox(
  db: Database,
  liveTenantId: string,
  sandboxId: string,
  now: Date,
): Promise<{ sandbox: SandboxRow; restored: boolean }> {
  return db.systemTx(async (trx) => {
    await lockLiveTenant(trx, liveTenantId);
    const row = await lockSandbox(trx, liveTenantId, sandboxId);
    if (!row.archived_at) return { sandbox: toSandboxRow(row), restored: false };
    await assertSandboxPlace(trx, liveTenantId);
    await setArchivedAt(trx, sandboxId, null, now);
    return { sandbox: toSandboxRow({ ...row, archived_at: null }), restored: true };
  });
}
