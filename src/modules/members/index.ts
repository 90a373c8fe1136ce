/** The members module's public surface: other modules import only this file. */
import type { Tx } from "../../db/database.js";
import type { Actor } from "../../platform/auth/actor.js";
import { setMemberTokenGuard } from "../../platform/auth/member-tokens.js";
import { inScope } from "../../platform/auth/scope.js";
import { DomainError } from "../../shared/errors.js";
import type { MemberFacts } from "./audience.js";
import { factsOf, findMember, loadCatalog, type MemberRow, orgUnitPath } from "./members.repository.js";

export {
  AudienceRule,
  audienceMatches,
  loadTierCatalog,
  MAX_AUDIENCE_ENTRIES,
  type MemberFacts,
  type TierCatalog,
  validateAudienceRule,
} from "./audience.js";
export { changeMemberTier } from "./change-member-tier.js";
export { createMember } from "./create-member.js";
export { extendCard } from "./extend-card.js";
export type { MemberRow, MemberStatus, TierChangeReason } from "./members.repository.js";

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
 * The member, locked for the rest of the transaction, for operations that move its value:
 * unknown (or outside a scoped actor's subtree, or another member's token) → member_not_found;
 * closed → member_closed; frozen → member_frozen unless `allowFrozen` (reads, refunds).
 */
export async function lockUsableMember(
  trx: Tx,
  actor: Actor,
  memberId: string,
  options: { allowFrozen?: boolean; lock?: boolean } = {},
): Promise<MemberRow> {
  const row = await findMember(trx, actor.tenantId, memberId, { lock: options.lock ?? true });
  const visible =
    row !== undefined &&
    (actor.type !== "member" || actor.memberId === memberId) &&
    inScope(actor, row.org_unit_id ? await orgUnitPath(trx, actor.tenantId, row.org_unit_id) : null);
  if (!row || !visible) throw new DomainError("member_not_found", "Member not found");
  if (row.status === "closed") throw new DomainError("member_closed", "The member's account is closed");
  if (row.status === "frozen" && !options.allowFrozen) {
    throw new DomainError("member_frozen", "The member's account is frozen");
  }
  return row;
}

/** Like lockUsableMember without the lock or the status check: for reads. */
export async function findVisibleMember(trx: Tx, actor: Actor, memberId: string): Promise<MemberRow> {
  const row = await findMember(trx, actor.tenantId, memberId);
  const visible =
    row !== undefined &&
    (actor.type !== "member" || actor.memberId === memberId) &&
    inScope(actor, row.org_unit_id ? await orgUnitPath(trx, actor.tenantId, row.org_unit_id) : null);
  if (!row || !visible) throw new DomainError("member_not_found", "Member not found");
  return row;
}

// A member token names a member the caller may see. Ids of other shapes (the vouchers
// module's customers) are not members of this module and pass unchecked.
setMemberTokenGuard(async (trx, actor, memberId) => {
  if (memberId.startsWith("mbr_")) await findVisibleMember(trx, actor, memberId);
});
