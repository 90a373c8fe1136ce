/** The members module's public surface: other modules import only this file. */

import type { ModuleManifest } from "../../app-types.js";
import type { ReadStatement, Tx } from "../../db/database.js";
import type { Actor } from "../../platform/auth/actor.js";
import { ALL_STAFF, MANAGERS, OPERATORS } from "../../platform/auth/permissions.js";
import { inScope } from "../../platform/auth/scope.js";
import { VersionedTenantCache } from "../../shared/versioned-cache.js";
import { type MemberFacts, type TierCatalog, tierCatalogOf } from "./audience.js";
import { memberTokenGuard } from "./member-access.js";
import { MEMBERS_ERRORS, MembersError } from "./members.errors.js";
import { MEMBERS_IMPORT } from "./members.files.js";
import { birthdayText, factsOf, findMember, loadCatalog, type MemberRow } from "./members.repository.js";
import { membersRoutes } from "./members.routes.js";

export {
  AudienceRule,
  audienceMatches,
  loadTierCatalog,
  MAX_AUDIENCE_ENTRIES,
  type MemberFacts,
  plansReached,
  type TierCatalog,
  validateAudienceRule,
} from "./audience.js";
export { changeMemberTier } from "./change-member-tier.js";
export { createMember } from "./create-member.js";
export { extendCard } from "./extend-card.js";
export {
  findVisibleMember,
  lockMemberIsClosed,
  lockMemberTakingRefund,
  lockUsableMember,
  visibleMemberOf,
  visibleMemberQueries,
} from "./member-access.js";
export type { MemberRow, MemberStatus, TierChangeReason } from "./members.repository.js";
export { catalogOf, catalogQueries, factsOf } from "./members.repository.js";
export { moveStudentLabels, type StudentLabels, setStudentStatus } from "./student-status.js";

/** Members' names by id, in one read (unknown ids are left out): lists that name their members. */
export async function memberNames(
  trx: Tx,
  tenantId: string,
  ids: readonly string[],
): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await trx
    .selectFrom("members")
    .select(["id", "name"])
    .where("tenant_id", "=", tenantId)
    .where("id", "in", [...new Set(ids)])
    .execute();
  return new Map(rows.map((m) => [m.id, m.name]));
}

/** What audience rules look at, for one member; undefined when there is no such member. */
export async function loadMemberFacts(
  trx: Tx,
  tenantId: string,
  memberId: string,
): Promise<MemberFacts | undefined> {
  const row = await findMember(trx, tenantId, memberId);
  if (!row) return undefined;
  return factsOf(row, await loadCatalog(trx, tenantId));
}

/**
 * One member's facts and the tenant's tier ranks, from one load of the tenant's catalog (a
 * checkout quote needs both; loading them apart reads the tiers twice).
 */
export async function loadMemberFactsAndTiers(
  trx: Tx,
  tenantId: string,
  memberId: string,
): Promise<{ facts: MemberFacts; tiers: TierCatalog } | undefined> {
  const row = await findMember(trx, tenantId, memberId);
  if (!row) return undefined;
  const catalog = await loadCatalog(trx, tenantId);
  return { facts: factsOf(row, catalog), tiers: tierCatalogOf(catalog) };
}

/** At most this many tenants' card plans and tiers stay in memory; the least recently used goes first. */
export const MEMBER_CATALOG_CACHE_TENANTS = 1000;

interface MemberCatalog {
  planCodes: ReadonlyMap<string, string>;
  tierCodes: ReadonlyMap<string, string>;
  tiers: TierCatalog;
}

/**
 * A tenant's card plans and tiers as of a version of `member_catalog_versions` (bumped by
 * triggers with every change to either table), for snapshot reads of member facts.
 */
const memberCatalogs = new VersionedTenantCache<MemberCatalog>(MEMBER_CATALOG_CACHE_TENANTS);

type MemberCatalogRow = {
  plan_id: string;
  plan: string;
  tier_id: string | null;
  tier: string | null;
  rank: number | null;
};

function memberCatalogOf(rows: readonly MemberCatalogRow[]): MemberCatalog {
  const planCodes = new Map<string, string>();
  const tierCodes = new Map<string, string>();
  const tiers = new Map<string, { plan: string; rank: number }>();
  for (const r of rows) {
    planCodes.set(r.plan_id, r.plan);
    if (r.tier_id === null || r.tier === null || r.rank === null) continue;
    tierCodes.set(r.tier_id, r.tier);
    tiers.set(r.tier, { plan: r.plan, rank: r.rank });
  }
  return { planCodes, tierCodes, tiers };
}

/** `memberFactsFromRows`'s answer when the plans and tiers held here are not the snapshot's. */
export const MEMBER_CATALOG_CHANGED = Symbol("member catalog changed");

/**
 * The reads `memberFactsFromRows` needs, as statements for one read-only snapshot of the
 * tenant (`Database.tenantRead`): the member with the codes of its groups and tags, its org
 * unit's path and the tenant's member catalog version; and the tenant's card plans and tiers,
 * unless this process holds them (`withCatalog` forces them). Held ones are checked against
 * the version read with the member, so a change made through any process is seen at once.
 */
export function memberFactsReads(
  tenantId: string,
  memberId: string,
  options: { withCatalog?: boolean } = {},
): ReadStatement[] {
  // The member's order of ids kept by position, not by joining to unnest: a plan of two nodes
  // instead of six, and PostgreSQL starts each node of it on every execution.
  const codes = (table: string, column: string) =>
    `array(select x.code from ${table} x
       where x.tenant_id = m.tenant_id and x.id = any(m.${column})
       order by array_position(m.${column}, x.id))`;
  const member: ReadStatement = {
    text: `select m.id, m.status, m.student, m.birth_year, m.birth_month, m.birth_day,
         m.card_plan_id, m.tier_id,
         ${codes("member_groups", "group_ids")} as groups,
         ${codes("member_tags", "tag_ids")} as tags,
         m.org_unit_id,
         (select o.path from org_units o where o.tenant_id = m.tenant_id and o.id = m.org_unit_id) as org_unit_path,
         coalesce((select v.version from member_catalog_versions v where v.tenant_id = m.tenant_id), 0)
           as member_catalog_version
       from members m where m.tenant_id = $1::text and m.id = $2::text`,
    values: [tenantId, memberId],
  };
  if (!options.withCatalog && memberCatalogs.holds(tenantId)) return [member];
  return [
    member,
    {
      text: `select p.id as plan_id, p.code as plan, c.id as tier_id, c.code as tier, c.rank
       from card_plans p left join card_tiers c on c.tenant_id = p.tenant_id and c.card_plan_id = p.id
       where p.tenant_id = $1::text`,
      values: [tenantId],
    },
  ];
}

/**
 * `findVisibleMember` (for an actor confined to a subtree or a member token) and
 * `loadMemberFactsAndTiers` over rows `memberFactsReads` returned (in that order): undefined
 * when there is no such member; member_not_found when the actor may not see it;
 * MEMBER_CATALOG_CHANGED when the plans and tiers were not read and the ones held here are
 * not the snapshot's version (read again `withCatalog`).
 */
export function memberFactsFromRows(
  rows: readonly Record<string, unknown>[][],
  actor: Actor,
  memberId: string,
): { facts: MemberFacts; tiers: TierCatalog } | undefined | typeof MEMBER_CATALOG_CHANGED {
  const [memberRows, catalogRows] = rows as [
    (Pick<
      MemberRow,
      | "id"
      | "status"
      | "student"
      | "birth_year"
      | "birth_month"
      | "birth_day"
      | "org_unit_id"
      | "card_plan_id"
      | "tier_id"
    > & {
      groups: string[];
      tags: string[];
      org_unit_path: string | null;
      member_catalog_version: number;
    })[],
    MemberCatalogRow[] | undefined,
  ];
  const row = memberRows[0];
  if (actor.orgUnitPath !== null || actor.type === "member") {
    const visible =
      row !== undefined &&
      (actor.type !== "member" || actor.memberId === memberId) &&
      inScope(actor, row.org_unit_id ? row.org_unit_path : null);
    if (!visible) throw new MembersError("member_not_found", "Member not found");
  }
  if (!row) return undefined;
  const version = row.member_catalog_version;
  let catalog: MemberCatalog | undefined;
  if (catalogRows) {
    catalog = memberCatalogOf(catalogRows);
    memberCatalogs.put(actor.tenantId, version, catalog);
  } else {
    catalog = memberCatalogs.at(actor.tenantId, version);
  }
  if (!catalog) {
    memberCatalogs.dropOlderThan(actor.tenantId, version);
    return MEMBER_CATALOG_CHANGED;
  }
  return {
    facts: {
      id: row.id,
      status: row.status,
      cardPlan: row.card_plan_id === null ? null : (catalog.planCodes.get(row.card_plan_id) ?? null),
      tier: row.tier_id === null ? null : (catalog.tierCodes.get(row.tier_id) ?? null),
      groups: row.groups,
      tags: row.tags,
      student: row.student,
      birthday: birthdayText(row),
    },
    tiers: catalog.tiers,
  };
}

/** Everything the members module adds to the app. */
export const membersManifest: ModuleManifest = {
  name: "members",
  routes: membersRoutes,
  permissions: {
    "members.read": ALL_STAFF,
    "members.manage": OPERATORS,
    "member_catalog.manage": MANAGERS,
  },
  errors: MEMBERS_ERRORS,
  imports: [MEMBERS_IMPORT],
  memberTokenGuard,
};
