import type { Tx } from "../../db/database.js";
import type { Actor } from "../../platform/auth/actor.js";
import type { MemberTokenGuard } from "../../platform/auth/member-tokens.js";
import { inScope } from "../../platform/auth/scope.js";
import { MembersError } from "./members.errors.js";
import { existingOrgUnitPath, findMember, type MemberRow } from "./members.repository.js";

/**
 * The member, locked for the rest of the transaction, for operations that move its value:
 * unknown (or outside a scoped actor's subtree, or another member's token) → member_not_found;
 * closed → member_closed unless `allowClosed` (finishing what the member paid for before the
 * account closed: the caller decides what a closed account may still be given); frozen →
 * member_frozen unless `allowFrozen` (reads, refunds, orders paid before the freeze).
 */
export async function lockUsableMember(
  trx: Tx,
  actor: Actor,
  memberId: string,
  options: { allowFrozen?: boolean; allowClosed?: boolean; lock?: boolean } = {},
): Promise<MemberRow> {
  const row = await findMember(trx, actor.tenantId, memberId, { lock: options.lock ?? true });
  const visible =
    row !== undefined &&
    (actor.type !== "member" || actor.memberId === memberId) &&
    inScope(actor, row.org_unit_id ? await existingOrgUnitPath(trx, actor.tenantId, row.org_unit_id) : null);
  if (!row || !visible) throw new MembersError("member_not_found", "Member not found");
  if (row.status === "closed" && !options.allowClosed) {
    throw new MembersError("member_closed", "The member's account is closed");
  }
  if (row.status === "frozen" && !options.allowFrozen) {
    throw new MembersError("member_frozen", "The member's account is frozen");
  }
  return row;
}

/** Like lockUsableMember without the lock or the status check: for reads. */
export async function findVisibleMember(trx: Tx, actor: Actor, memberId: string): Promise<MemberRow> {
  const row = await findMember(trx, actor.tenantId, memberId);
  const visible =
    row !== undefined &&
    (actor.type !== "member" || actor.memberId === memberId) &&
    inScope(actor, row.org_unit_id ? await existingOrgUnitPath(trx, actor.tenantId, row.org_unit_id) : null);
  if (!row || !visible) throw new MembersError("member_not_found", "Member not found");
  return row;
}

/**
 * A member token names a member the caller may see. Ids of other shapes (the vouchers
 * module's customers) are not members of this module and pass unchecked.
 */
export const memberTokenGuard: MemberTokenGuard = async (trx, actor, memberId) => {
  if (memberId.startsWith("mbr_")) await findVisibleMember(trx, actor, memberId);
};
