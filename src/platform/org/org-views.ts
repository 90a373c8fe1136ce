import { type QueryCreator, sql } from "kysely";
import type { Database } from "../../db/database.js";
import type { DB } from "../../db/schema.js";
import type { Actor } from "../auth/actor.js";
import { type PageParams, pageOfRows, pageRowsQuery } from "../http/pagination.js";
import { serializeUnit } from "./org.schemas.js";
import {
  ORG_UNIT_COLUMNS,
  type OrgUnitKind,
  type OrgUnitRow,
  scopedOrgUnit,
  subtreePattern,
} from "./org-units.js";

/**
 * Org units in the actor's scope: a parent's children, a subtree, or all, in one round trip.
 * The named parent and subtree top are read beside the page and checked as `orgUnitInScope`
 * checks them; the page finds the subtree by its top's path in the same snapshot.
 */
export async function listOrgUnits(
  db: Database,
  actor: Actor,
  q: PageParams & { parent_id?: string; subtree_of?: string; kind?: OrgUnitKind },
) {
  const tenantId = actor.tenantId;
  let query = db.kysely.selectFrom("org_units").select(ORG_UNIT_COLUMNS).where("tenant_id", "=", tenantId);
  if (actor.orgUnitPath) query = query.where("path", "like", subtreePattern(actor.orgUnitPath));
  if (q.subtree_of) {
    const topPath = sql<string>`(select top.path from org_units top where top.tenant_id = ${tenantId} and top.id = ${q.subtree_of})`;
    query = query.where(sql<boolean>`starts_with(path, ${topPath})`);
  }
  if (q.parent_id) query = query.where("parent_id", "=", q.parent_id);
  if (q.kind) query = query.where("kind", "=", q.kind);
  const named = [q.subtree_of, q.parent_id].filter((id): id is string => id !== undefined);
  const [units, rows] = await db.tenantQueries(tenantId, [
    db.kysely
      .selectFrom("org_units")
      .select(["id", "path"])
      .where("tenant_id", "=", tenantId)
      .where("id", "in", named.length > 0 ? named : [""]),
    pageRowsQuery(query, q),
  ] as const);
  for (const id of named)
    scopedOrgUnit(
      units.find((unit) => unit.id === id),
      actor,
    );
  return pageOfRows(rows, q, (row) => serializeUnit(row as OrgUnitRow));
}

/** Store groups in the actor's scope, optionally those holding one store (see `pageRowsQuery`). */
export function storeGroupsQuery(qc: QueryCreator<DB>, actor: Actor, q: { store_id?: string }) {
  let query = qc
    .selectFrom("store_groups")
    .leftJoin("org_units", (j) =>
      j
        .onRef("org_units.tenant_id", "=", "store_groups.tenant_id")
        .onRef("org_units.id", "=", "store_groups.org_unit_id"),
    )
    .selectAll("store_groups")
    .where("store_groups.tenant_id", "=", actor.tenantId);
  if (actor.orgUnitPath) query = query.where("org_units.path", "like", subtreePattern(actor.orgUnitPath));
  if (q.store_id)
    query = query.where(sql<boolean>`store_groups.store_ids @> ${JSON.stringify([q.store_id])}::jsonb`);
  return query;
}

/** The store groups are paged by their own id (the join makes a bare `id` ambiguous). */
export const STORE_GROUP_ORDER = { by: "store_groups.id" };
