import type { Database, Tx } from "../../db/database.js";
import type { Actor } from "../../platform/auth/actor.js";
import {
  type PageParams,
  pageLimit,
  pageOfRows,
  pageRowsQuery,
  tenantPage,
  toPage,
} from "../../platform/http/pagination.js";
import { type AudienceRule, audienceMatches, loadTierCatalog, validateAudienceRule } from "./audience.js";
import { findVisibleMember, visibleMemberOf, visibleMemberQueries } from "./member-access.js";
import { MembersError } from "./members.errors.js";
import {
  type Catalog,
  catalogOf,
  catalogQueries,
  factsOf,
  type LabelRow,
  loadCatalog,
} from "./members.repository.js";
import { serializeMember, serializePlan, serializeTierChange } from "./members.schemas.js";
import {
  assertListableCursor,
  filterNeedsCatalog,
  type ListedMember,
  listableQuery,
  type MemberFilter,
  searchMembersQuery,
} from "./search-members.js";

/**
 * Read views: they check what the actor may see, and neither write nor lock. Those whose
 * reads need no other's answer send them at once (`Database.tenantQueries`).
 */

/** Every card plan with its tiers (a tenant has at most 100 plans). */
export async function listCardPlans(db: Database, tenantId: string) {
  const catalog = catalogOf(await db.tenantQueries(tenantId, catalogQueries(db.kysely, tenantId)));
  const tiers = [...catalog.tiers.values()];
  const plans = [...catalog.plans.values()].sort((a, b) => a.id.localeCompare(b.id));
  return { object: "list" as const, data: plans.map((p) => serializePlan(p, tiers)), has_more: false };
}

export async function showCardPlan(db: Database, tenantId: string, planId: string) {
  const catalog = catalogOf(await db.tenantQueries(tenantId, catalogQueries(db.kysely, tenantId)));
  const plan = catalog.plans.get(planId);
  if (!plan) throw new MembersError("card_plan_not_found", "Card plan not found");
  return serializePlan(plan, [...catalog.tiers.values()]);
}

/** The tenant's groups or tags. */
export async function listLabels<T>(
  db: Database,
  tenantId: string,
  table: "member_groups" | "member_tags",
  page: PageParams,
  serialize: (row: LabelRow) => T,
) {
  // The two tables have the same columns; Kysely needs one of them to type the query.
  const q = db.kysely
    .selectFrom(table as "member_groups")
    .selectAll()
    .where("tenant_id", "=", tenantId);
  return tenantPage(db, tenantId, q, page, (row) => serialize(row as LabelRow));
}

/** Members matching the search, with their plan, tier, groups and tags. */
/**
 * A page of members: in one round trip, with the catalog read beside the search; in two when
 * the filter names plans, tiers, groups or tags, whose ids the search needs first.
 */
export async function findMembers(db: Database, actor: Actor, filter: MemberFilter & PageParams) {
  const limit = pageLimit(filter.limit);
  const { tenantId } = actor;
  const cursor = filter.sort && filter.starting_after !== undefined ? filter.starting_after : undefined;
  // A query that finds nothing when there is no cursor to check keeps the tuple's shape.
  const listable = listableQuery(db.kysely, actor, cursor ?? "");
  let catalog: Catalog;
  let rows: ListedMember[];
  let listed: unknown[] | undefined;
  if (filterNeedsCatalog(filter)) {
    catalog = catalogOf(await db.tenantQueries(tenantId, catalogQueries(db.kysely, tenantId)));
    [rows, listed] = await db.tenantQueries(tenantId, [
      searchMembersQuery(db.kysely, actor, catalog, filter, limit),
      listable,
    ] as const);
  } else {
    const [plans, tiers, groups, tags, found, cursorRows] = await db.tenantQueries(tenantId, [
      ...catalogQueries(db.kysely, tenantId),
      searchMembersQuery(db.kysely, actor, undefined, filter, limit),
      listable,
    ] as const);
    catalog = catalogOf([plans, tiers, groups, tags]);
    rows = found;
    listed = cursorRows;
  }
  assertListableCursor(filter, cursor === undefined ? undefined : listed);
  return toPage(rows, limit, (r) => ({
    ...serializeMember(r, catalog),
    balance: {
      principal: r.balance_principal,
      bonus: r.balance_bonus,
      total: r.balance_principal + r.balance_bonus,
    },
  }));
}

/** One member as the actor may see it (a member token: only its own). */
export async function showMember(db: Database, actor: Actor, memberId: string) {
  const [members, unitPaths, ...catalogRows] = await db.tenantQueries(actor.tenantId, [
    ...visibleMemberQueries(db.kysely, actor.tenantId, memberId),
    ...catalogQueries(db.kysely, actor.tenantId),
  ] as const);
  const row = visibleMemberOf(actor, memberId, members, unitPaths);
  return serializeMember(row, catalogOf(catalogRows));
}

/** A member's tier history, newest first. */
export async function listTierChanges(db: Database, actor: Actor, memberId: string, page: PageParams) {
  const changes = db.kysely
    .selectFrom("member_tier_changes")
    .selectAll()
    .where("tenant_id", "=", actor.tenantId)
    .where("member_id", "=", memberId);
  const [members, unitPaths, rows, ...catalogRows] = await db.tenantQueries(actor.tenantId, [
    ...visibleMemberQueries(db.kysely, actor.tenantId, memberId),
    pageRowsQuery(changes, page, { desc: true }),
    ...catalogQueries(db.kysely, actor.tenantId),
  ] as const);
  visibleMemberOf(actor, memberId, members, unitPaths);
  return pageOfRows(rows, page, serializeTierChange(catalogOf(catalogRows)));
}

/** Whether an audience rule is valid and reaches each of the members. */
export async function checkAudience(trx: Tx, actor: Actor, rule: AudienceRule, memberIds: string[]) {
  const tenantId = actor.tenantId;
  await validateAudienceRule(trx, tenantId, rule);
  const catalog = await loadCatalog(trx, tenantId);
  const tiers = await loadTierCatalog(trx, tenantId);
  const results = [];
  for (const memberId of memberIds) {
    const row = await findVisibleMember(trx, actor, memberId);
    results.push({ member_id: memberId, matches: audienceMatches(rule, factsOf(row, catalog), tiers) });
  }
  return { object: "audience_check" as const, results };
}
