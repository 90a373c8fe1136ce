import { type QueryCreator, sql } from "kysely";
import type { Tx } from "../../db/database.js";
import type { DB } from "../../db/schema.js";
import type { Actor } from "../auth/actor.js";
import { type PageParams, pageQuery } from "../http/pagination.js";
import { serializeUnit } from "./org.schemas.js";
import {
  ORG_UNIT_COLUMNS,
  type OrgUnitKind,
  type OrgUnitRow,
  orgUnitInScope,
  subtreePattern,
} from "./org-units.js";

/** Org units in the actor's scope: a parent's children, a subtree, or all. */
export async function listOrgUnits(
  trx: Tx,
  actor: Actor,
  q: PageParams & { parent_id?: string; subtree_of?: string; kind?: OrgUnitKind },
) {
  let query = trx.selectFrom("org_units").select(ORG_UNIT_COLUMNS).where("tenant_id", "=", actor.tenantId);
  if (actor.orgUnitPath) query = query.where("path", "like", subtreePattern(actor.orgUnitPath));
  if (q.subtree_of) {
    const top = await orgUnitInScope(trx, actor, q.subtree_of);
    query = query.where("path", "like", subtreePattern(top.path));
  }
  if (q.parent_id) {
    await orgUnitInScope(trx, actor, q.parent_id);
    query = query.where("parent_id", "=", q.parent_id);
  }
  if (q.kind) query = query.where("kind", "=", q.kind);
  return pageQuery(query, q, (row) => serializeUnit(row as OrgUnitRow));
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
