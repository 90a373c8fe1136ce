/** The members module's public surface: other modules import only this file. */

import type { ModuleManifest } from "../../app-types.js";
import type { ReadStatement, Tx } from "../../db/database.js";
import type { Actor } from "../../platform/auth/actor.js";
import { ALL_STAFF, MANAGERS, OPERATORS } from "../../platform/auth/permissions.js";
import { inScope } from "../../platform/auth/scope.js";
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
export { findVisibleMember, lockUsableMember } from "./member-access.js";
export type { MemberRow, MemberStatus, TierChangeReason } from "./members.repository.js";
export { moveStudentLabels, type StudentLabels, setStudentStatus } from "./student-status.js";

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

/**
 * The reads `memberFactsFromRows` needs, as statements for one read-only snapshot of the
 * tenant (`Database.tenantRead`): the member with the codes of its plan, tier, groups and
 * tags and its org unit's path, and the tenant's tier ranks.
 */
export function memberFactsReads(tenantId: string, memberId: string): ReadStatement[] {
  // The member's order of ids kept by position, not by joining to unnest: a plan of two nodes
  // instead of six, and PostgreSQL starts each node of it on every execution.
  const codes = (table: string, column: string) =>
    `array(select x.code from ${table} x
       where x.tenant_id = m.tenant_id and x.id = any(m.${column})
       order by array_position(m.${column}, x.id))`;
  return [
    {
      text: `select m.id, m.status, m.student, m.birth_year, m.birth_month, m.birth_day,
         (select p.code from card_plans p where p.tenant_id = m.tenant_id and p.id = m.card_plan_id) as card_plan,
         (select c.code from card_tiers c where c.tenant_id = m.tenant_id and c.id = m.tier_id) as tier,
         ${codes("member_groups", "group_ids")} as groups,
         ${codes("member_tags", "tag_ids")} as tags,
         m.org_unit_id,
         (select o.path from org_units o where o.tenant_id = m.tenant_id and o.id = m.org_unit_id) as org_unit_path
       from members m where m.tenant_id = $1::text and m.id = $2::text`,
      values: [tenantId, memberId],
    },
    {
      text: `select c.code as tier, p.code as plan, c.rank from card_tiers c
         join card_plans p on p.tenant_id = c.tenant_id and p.id = c.card_plan_id
       where c.tenant_id = $1::text`,
      values: [tenantId],
    },
  ];
}

/**
 * `findVisibleMember` (for an actor confined to a subtree or a member token) and
 * `loadMemberFactsAndTiers` over rows `memberFactsReads` returned (in that order): undefined
 * when there is no such member; member_not_found when the actor may not see it.
 */
export function memberFactsFromRows(
  rows: readonly Record<string, unknown>[][],
  actor: Actor,
  memberId: string,
): { facts: MemberFacts; tiers: TierCatalog } | undefined {
  const [memberRows, tierRows] = rows as [
    (Pick<
      MemberRow,
      "id" | "status" | "student" | "birth_year" | "birth_month" | "birth_day" | "org_unit_id"
    > & {
      card_plan: string | null;
      tier: string | null;
      groups: string[];
      tags: string[];
      org_unit_path: string | null;
    })[],
    { tier: string; plan: string; rank: number }[],
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
  const tiers = new Map<string, { plan: string; rank: number }>();
  for (const t of tierRows) tiers.set(t.tier, { plan: t.plan, rank: t.rank });
  return {
    facts: {
      id: row.id,
      status: row.status,
      cardPlan: row.card_plan,
      tier: row.tier,
      groups: row.groups,
      tags: row.tags,
      student: row.student,
      birthday: birthdayText(row),
    },
    tiers,
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
