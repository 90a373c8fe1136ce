/** The members module's public surface: other modules import only this file. */

import type { ModuleManifest } from "../../app-types.js";
import type { Tx } from "../../db/database.js";
import { ALL_STAFF, MANAGERS, OPERATORS } from "../../platform/auth/permissions.js";
import { type MemberFacts, type TierCatalog, tierCatalogOf } from "./audience.js";
import { memberTokenGuard } from "./member-access.js";
import { MEMBERS_ERRORS } from "./members.errors.js";
import { MEMBERS_IMPORT } from "./members.files.js";
import { factsOf, findMember, loadCatalog } from "./members.repository.js";
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
