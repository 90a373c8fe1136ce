import { sql } from "kysely";
import type { Tx } from "../../db/database.js";
import { DomainError } from "../../shared/errors.js";
import { changeSummary, recordAudit } from "../audit/audit.js";
import type { RequestContext } from "../auth/actor.js";
import { insertOrgUnit } from "../tenants.js";
import { checkOrgUnitMove } from "./move-guards.js";
import {
  isForeignKeyViolation,
  isUniqueViolation,
  lockTree,
  moveOrgUnit,
  ORG_UNIT_COLUMNS,
  type OrgUnitKind,
  type OrgUnitRow,
  orgUnitInScope,
} from "./org-units.js";
import { storeScopeReference } from "./store-scope-references.js";

/* The org unit operations: each takes the transaction, who asks, what, and when. */

/** A code another unit holds answers 409; any other error passes. */
function codeTaken(error: unknown): never {
  if (isUniqueViolation(error, "org_units_code")) {
    throw new DomainError("org_unit_code_taken", "Another org unit of the tenant has this code");
  }
  throw error;
}

export interface NewOrgUnit {
  parent_id: string;
  kind: OrgUnitKind;
  name: string;
  code?: string | null;
  metadata?: Record<string, unknown>;
}

/** Creates a unit under a parent in the actor's scope (the tree is locked shared: no move meanwhile). */
export async function createOrgUnit(
  trx: Tx,
  ctx: RequestContext,
  input: NewOrgUnit,
  now: Date,
): Promise<OrgUnitRow> {
  const { actor } = ctx;
  try {
    await lockTree(trx, actor.tenantId, "shared");
    const parent = await orgUnitInScope(trx, actor, input.parent_id);
    const { id } = await insertOrgUnit(
      trx,
      actor.tenantId,
      {
        parentId: parent.id,
        parentPath: parent.path,
        kind: input.kind,
        name: input.name,
        code: input.code ?? null,
        metadata: input.metadata,
      },
      now,
    );
    const unit = await orgUnitInScope(trx, actor, id);
    await recordAudit(
      trx,
      ctx,
      {
        action: "org_unit.created",
        targetType: "org_unit",
        targetId: id,
        summary: { after: { parent_id: parent.id, kind: input.kind, name: input.name, code: unit.code } },
      },
      now,
    );
    return unit;
  } catch (error) {
    return codeTaken(error);
  }
}

/** Renames a unit or changes its code or metadata. */
export async function updateOrgUnit(
  trx: Tx,
  ctx: RequestContext,
  input: { id: string; name?: string; code?: string | null; metadata?: Record<string, unknown> },
  now: Date,
): Promise<OrgUnitRow> {
  const { actor } = ctx;
  try {
    const before = await orgUnitInScope(trx, actor, input.id, { forUpdate: true });
    const after = (await trx
      .updateTable("org_units")
      .set({
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.code !== undefined ? { code: input.code } : {}),
        ...(input.metadata !== undefined ? { metadata: JSON.stringify(input.metadata) } : {}),
        updated_at: now,
      })
      .where("tenant_id", "=", actor.tenantId)
      .where("id", "=", before.id)
      .returning(ORG_UNIT_COLUMNS)
      .executeTakeFirstOrThrow()) as OrgUnitRow;
    await recordAudit(
      trx,
      ctx,
      {
        action: "org_unit.updated",
        targetType: "org_unit",
        targetId: before.id,
        summary: changeSummary(before, after, ["name", "code", "metadata"]),
      },
      now,
    );
    return after;
  } catch (error) {
    return codeTaken(error);
  }
}

/**
 * Moves a unit with its subtree under another parent (the tree is locked exclusive). The
 * modules' checks see the subtree where it now lies and may refuse the move.
 */
export async function moveUnit(
  trx: Tx,
  ctx: RequestContext,
  input: { id: string; parentId: string },
  now: Date,
): Promise<OrgUnitRow> {
  const { actor } = ctx;
  await lockTree(trx, actor.tenantId, "exclusive");
  const unit = await orgUnitInScope(trx, actor, input.id, { forUpdate: true });
  const parent = await orgUnitInScope(trx, actor, input.parentId);
  const moved = await moveOrgUnit(trx, actor.tenantId, unit, parent, now);
  const movedPath = `${parent.path}${unit.id}/`;
  await assertGroupsKeepTheirStores(trx, actor.tenantId, movedPath);
  await checkOrgUnitMove(trx, actor.tenantId, movedPath);
  await recordAudit(
    trx,
    ctx,
    {
      action: "org_unit.moved",
      targetType: "org_unit",
      targetId: unit.id,
      summary: { before: { parent_id: unit.parent_id }, after: { parent_id: parent.id }, units_moved: moved },
    },
    now,
  );
  return orgUnitInScope(trx, actor, unit.id);
}

/**
 * A store group's stores lie in its owner's subtree (that is what lets the owner's staff
 * manage the group): a move that takes one of them out of it is refused. Checked on the
 * moved subtree, as it now lies.
 */
async function assertGroupsKeepTheirStores(trx: Tx, tenantId: string, movedPath: string): Promise<void> {
  const stranded = await sql<{ id: string; store_id: string }>`
    select g.id, u.id as store_id
    from store_groups g
    join org_units o on o.tenant_id = g.tenant_id and o.id = g.org_unit_id
    join org_units u on u.tenant_id = g.tenant_id and g.store_ids @> jsonb_build_array(u.id)
    where g.tenant_id = ${tenantId}
      and starts_with(u.path, ${movedPath})
      and not starts_with(u.path, o.path)
    limit 1`.execute(trx);
  const row = stranded.rows[0];
  if (row) {
    throw new DomainError(
      "org_unit_in_use",
      `Store ${row.store_id} belongs to store group ${row.id}, whose org unit it would leave: take it out of the group first`,
    );
  }
}

/** Deletes a unit nothing refers to (not the root, not a store in a group or named in a store scope). */
export async function deleteOrgUnit(trx: Tx, ctx: RequestContext, unitId: string, now: Date): Promise<void> {
  const { actor } = ctx;
  try {
    await lockTree(trx, actor.tenantId, "exclusive");
    const unit = await orgUnitInScope(trx, actor, unitId, { forUpdate: true });
    if (unit.parent_id === null) {
      throw new DomainError("org_unit_is_root", "The root org unit cannot be deleted");
    }
    const inGroup = await trx
      .selectFrom("store_groups")
      .select("id")
      .where("tenant_id", "=", actor.tenantId)
      .where(sql<boolean>`store_ids @> ${JSON.stringify([unit.id])}::jsonb`)
      .executeTakeFirst();
    if (inGroup) throw new DomainError("org_unit_in_use", "The store belongs to a store group");
    const scoped = await storeScopeReference(trx, actor.tenantId, { kind: "org_unit", id: unit.id });
    if (scoped) throw new DomainError("org_unit_in_use", `The store scope of ${scoped} names this org unit`);
    await trx
      .deleteFrom("org_units")
      .where("tenant_id", "=", actor.tenantId)
      .where("id", "=", unit.id)
      .execute();
    await recordAudit(
      trx,
      ctx,
      {
        action: "org_unit.deleted",
        targetType: "org_unit",
        targetId: unit.id,
        summary: { before: { parent_id: unit.parent_id, kind: unit.kind, name: unit.name, code: unit.code } },
      },
      now,
    );
  } catch (error) {
    // Children, users, API keys and other modules' rows refer to units by foreign key.
    if (isForeignKeyViolation(error)) {
      throw new DomainError("org_unit_in_use", "Other things still refer to this org unit");
    }
    throw error;
  }
}
