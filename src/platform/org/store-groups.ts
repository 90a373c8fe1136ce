import type { QueryCreator } from "kysely";
import type { Tx } from "../../db/database.js";
import type { DB } from "../../db/schema.js";
import { DomainError } from "../../shared/errors.js";
import { newId } from "../../shared/ids.js";
import { changeSummary, recordAudit } from "../audit/audit.js";
import type { Actor, RequestContext } from "../auth/actor.js";
import { assertInScope } from "../auth/scope.js";
import type { StoreGroupRow } from "./org.schemas.js";
import { isForeignKeyViolation, lockTree, type OrgUnitRow, orgUnitInScope } from "./org-units.js";
import { storeScopeReference } from "./store-scope-references.js";

/* Store groups: the lookups and the operations (transaction, who asks, what, when). */

/** A group the actor may see (its owning unit in scope; a tenant-wide group only for tenant-wide staff). */
export async function groupInScope(trx: Tx, actor: Actor, id: string, forUpdate = false) {
  let query = groupQuery(trx, actor.tenantId, id);
  if (forUpdate) query = query.forUpdate("store_groups");
  return scopedGroup(await query.executeTakeFirst(), actor);
}

/** The group's row with its owning unit's path, as a query for a transaction or for `Database.tenantQuery`. */
export function groupQuery(qc: QueryCreator<DB>, tenantId: string, id: string) {
  return qc
    .selectFrom("store_groups")
    .leftJoin("org_units", (j) =>
      j
        .onRef("org_units.tenant_id", "=", "store_groups.tenant_id")
        .onRef("org_units.id", "=", "store_groups.org_unit_id"),
    )
    .selectAll("store_groups")
    .select("org_units.path")
    .where("store_groups.tenant_id", "=", tenantId)
    .where("store_groups.id", "=", id);
}

/** `groupInScope` of the row `groupQuery` read. */
export function scopedGroup(
  row: { org_unit_id: string | null; path: string | null } | undefined,
  actor: Actor,
): StoreGroupRow & { path: string | null } {
  if (!row) throw new DomainError("store_group_not_found", "Store group not found");
  assertInScope(actor, row.org_unit_id ? row.path : null, "store_group");
  return row as StoreGroupRow & { path: string | null };
}

/**
 * Checks that every id is a store of the tenant inside `owner`'s subtree (when the group
 * has an owner) and inside the actor's scope. Missing and out-of-scope stores answer alike.
 */
async function assertStores(trx: Tx, actor: Actor, owner: OrgUnitRow | null, storeIds: string[]) {
  if (storeIds.length === 0) return;
  const units = await trx
    .selectFrom("org_units")
    .select(["id", "kind", "path"])
    .where("tenant_id", "=", actor.tenantId)
    .where("id", "in", storeIds)
    .execute();
  const byId = new Map(units.map((u) => [u.id, u]));
  for (const [index, id] of storeIds.entries()) {
    const unit = byId.get(id);
    if (!unit) throw new DomainError("store_not_found", `Store ${id} not found`);
    assertInScope(actor, unit.path, "store");
    if (unit.kind !== "store") {
      throw new DomainError("not_a_store", `Org unit ${id} is a ${unit.kind}, not a store`, {
        errors: [{ field: `/body/store_ids/${index}`, message: "is not a store" }],
      });
    }
    if (owner && !unit.path.startsWith(owner.path)) {
      throw new DomainError("store_outside_group_unit", `Store ${id} is not inside the group's org unit`, {
        errors: [{ field: `/body/store_ids/${index}`, message: "is outside the group's org unit" }],
      });
    }
  }
}

/** Staff bound to a unit create groups only inside it (a tenant-wide group is for tenant-wide staff). */
export function assertMayOwnGroup(actor: Actor, orgUnitId: string | null | undefined): void {
  if (orgUnitId === null && actor.orgUnitPath) {
    throw new DomainError("forbidden", "You can only create groups inside your own org unit");
  }
}

/** Creates a group of stores owned by a unit (default: the actor's own). */
export async function createStoreGroup(
  trx: Tx,
  ctx: RequestContext,
  input: { name: string; store_ids: string[]; org_unit_id?: string | null },
  now: Date,
): Promise<StoreGroupRow> {
  const { actor } = ctx;
  assertMayOwnGroup(actor, input.org_unit_id);
  // Store paths are read to check the stores lie in the owner's subtree: no move meanwhile.
  await lockTree(trx, actor.tenantId, "shared");
  const ownerId = input.org_unit_id ?? actor.orgUnitId;
  const owner = ownerId ? await orgUnitInScope(trx, actor, ownerId) : null;
  await assertStores(trx, actor, owner, input.store_ids);
  const row = await trx
    .insertInto("store_groups")
    .values({
      tenant_id: actor.tenantId,
      id: newId("sgr"),
      name: input.name,
      org_unit_id: ownerId,
      store_ids: JSON.stringify(input.store_ids),
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    trx,
    ctx,
    {
      action: "store_group.created",
      targetType: "store_group",
      targetId: row.id,
      summary: { after: { name: row.name, org_unit_id: ownerId, store_ids: input.store_ids } },
    },
    now,
  );
  return row as StoreGroupRow;
}

/** Renames a group or replaces its stores. */
export async function updateStoreGroup(
  trx: Tx,
  ctx: RequestContext,
  input: { id: string; name?: string; store_ids?: string[] },
  now: Date,
): Promise<StoreGroupRow> {
  const { actor } = ctx;
  // As on creation: the stores' paths must not move while they are checked.
  if (input.store_ids) await lockTree(trx, actor.tenantId, "shared");
  const before = await groupInScope(trx, actor, input.id, true);
  if (input.store_ids) {
    const owner = before.org_unit_id ? await orgUnitInScope(trx, actor, before.org_unit_id) : null;
    await assertStores(trx, actor, owner, input.store_ids);
  }
  const after = (await trx
    .updateTable("store_groups")
    .set({
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.store_ids !== undefined ? { store_ids: JSON.stringify(input.store_ids) } : {}),
      updated_at: now,
    })
    .where("tenant_id", "=", actor.tenantId)
    .where("id", "=", before.id)
    .returningAll()
    .executeTakeFirstOrThrow()) as StoreGroupRow;
  await recordAudit(
    trx,
    ctx,
    {
      action: "store_group.updated",
      targetType: "store_group",
      targetId: before.id,
      summary: changeSummary(before, after, ["name", "store_ids"]),
    },
    now,
  );
  return after;
}

/** Deletes a group nothing refers to (by foreign key or in a store scope). */
export async function deleteStoreGroup(
  trx: Tx,
  ctx: RequestContext,
  groupId: string,
  now: Date,
): Promise<void> {
  const { actor } = ctx;
  try {
    const group = await groupInScope(trx, actor, groupId, true);
    const scoped = await storeScopeReference(trx, actor.tenantId, { kind: "store_group", id: group.id });
    if (scoped)
      throw new DomainError("store_group_in_use", `The store scope of ${scoped} names this store group`);
    await trx
      .deleteFrom("store_groups")
      .where("tenant_id", "=", actor.tenantId)
      .where("id", "=", group.id)
      .execute();
    await recordAudit(
      trx,
      ctx,
      {
        action: "store_group.deleted",
        targetType: "store_group",
        targetId: group.id,
        summary: { before: { name: group.name, org_unit_id: group.org_unit_id, store_ids: group.store_ids } },
      },
      now,
    );
  } catch (error) {
    // Other modules (benefits, vouchers) may refer to a group by foreign key.
    if (isForeignKeyViolation(error)) {
      throw new DomainError("store_group_in_use", "Other things still refer to this store group");
    }
    throw error;
  }
}
