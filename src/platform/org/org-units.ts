import { type QueryCreator, sql } from "kysely";
import type { Tx } from "../../db/database.js";
import type { DB } from "../../db/schema.js";
import { DomainError, defineErrors } from "../../shared/errors.js";
import type { Actor } from "../auth/actor.js";
import { assertInScope } from "../auth/scope.js";

export const ORG_UNIT_ERRORS = defineErrors({ org_unit_in_use: 409, org_unit_code_taken: 409 });

/** The kinds the modules use; a unit's kind says which module's things hang off it. */
export const ORG_UNIT_KINDS = [
  "organization",
  "store",
  "distributor",
  "reseller",
  "customer",
  "enterprise",
  "member_account",
  "merchant",
] as const;
export type OrgUnitKind = (typeof ORG_UNIT_KINDS)[number];

export interface OrgUnitRow {
  id: string;
  parent_id: string | null;
  kind: string;
  name: string;
  code: string | null;
  path: string;
  metadata: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

export const ORG_UNIT_COLUMNS = [
  "id",
  "parent_id",
  "kind",
  "name",
  "code",
  "path",
  "metadata",
  "created_at",
  "updated_at",
] as const;

/** A unit's path (`/root/…/self/`), or undefined when the tenant has no unit of that id. */
export async function orgUnitPath(trx: Tx, tenantId: string, id: string): Promise<string | undefined> {
  const unit = await trx
    .selectFrom("org_units")
    .select("path")
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
  return unit?.path;
}

/**
 * The unit, if it exists in the tenant and lies in the actor's subtree; otherwise
 * `org_unit_not_found` (out-of-scope units answer exactly as missing ones).
 */
export async function orgUnitInScope(
  trx: Tx,
  actor: Actor,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<OrgUnitRow> {
  let query = orgUnitQuery(trx, actor.tenantId, id);
  if (options.forUpdate) query = query.forUpdate();
  return scopedOrgUnit(await query.executeTakeFirst(), actor);
}

/** The unit's row, as a query for a transaction or for `Database.tenantQuery`. */
export function orgUnitQuery(qc: QueryCreator<DB>, tenantId: string, id: string) {
  return qc
    .selectFrom("org_units")
    .select(ORG_UNIT_COLUMNS)
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id);
}

/** `orgUnitInScope` of the row `orgUnitQuery` read. */
export function scopedOrgUnit(unit: { path: string } | undefined, actor: Actor): OrgUnitRow {
  if (!unit) throw new DomainError("org_unit_not_found", "Org unit not found");
  assertInScope(actor, unit.path, "org_unit");
  return unit as OrgUnitRow;
}

/**
 * Moves rewrite paths of whole subtrees; creations read a parent's path. Both take this
 * per-tenant lock (moves exclusively), so no unit is ever created under a stale path and
 * two moves can't interleave into a cycle.
 */
export async function lockTree(trx: Tx, tenantId: string, mode: "shared" | "exclusive"): Promise<void> {
  const key = sql`hashtextextended(${`org_tree:${tenantId}`}, 0)`;
  if (mode === "exclusive") await sql`select pg_advisory_xact_lock(${key})`.execute(trx);
  else await sql`select pg_advisory_xact_lock_shared(${key})`.execute(trx);
}

/**
 * Re-parents `unit` under `parent`, rewriting the path of every unit of its subtree in
 * one statement. Refuses the root and any move under the unit's own subtree.
 */
export async function moveOrgUnit(
  trx: Tx,
  tenantId: string,
  unit: OrgUnitRow,
  parent: OrgUnitRow,
  now: Date,
): Promise<number> {
  if (unit.parent_id === null) {
    throw new DomainError("org_unit_is_root", "The root org unit cannot be moved");
  }
  if (parent.path.startsWith(unit.path)) {
    throw new DomainError("org_unit_move_cycle", "An org unit cannot move under itself or its own subtree");
  }
  const newPath = `${parent.path}${unit.id}/`;
  const result = await sql`
    update org_units
    set path = ${newPath} || substr(path, ${unit.path.length + 1}),
        parent_id = case when id = ${unit.id} then ${parent.id} else parent_id end,
        updated_at = case when id = ${unit.id} then ${now}::timestamptz else updated_at end
    where tenant_id = ${tenantId} and path like ${`${escapeLike(unit.path)}%`}`.execute(trx);
  return Number(result.numAffectedRows ?? 0);
}

/** Paths are ids and slashes, but a LIKE pattern must never trust its input. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The LIKE pattern of a subtree: ids contain `_`, which LIKE would read as a wildcard. */
export function subtreePattern(path: string): string {
  return `${escapeLike(path)}%`;
}

export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const e = error as { code?: string; constraint?: string };
  return e?.code === "23505" && e.constraint === constraint;
}

export function isForeignKeyViolation(error: unknown): boolean {
  return (error as { code?: string })?.code === "23503";
}
