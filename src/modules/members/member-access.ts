import type { QueryCreator } from "kysely";
import type { Tx } from "../../db/database.js";
import type { DB } from "../../db/schema.js";
import type { Actor } from "../../platform/auth/actor.js";
import type { MemberTokenGuard } from "../../platform/auth/member-tokens.js";
import { inScope } from "../../platform/auth/scope.js";
import { MembersError } from "./members.errors.js";
import {
  existingOrgUnitPath,
  findMember,
  type MemberRow,
  memberQuery,
  memberUnitPathQuery,
} from "./members.repository.js";

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

/**
 * Whether the member, locked for the rest of the transaction (frozen or closed alike), is
 * closed: for finishing or undoing what it paid for, where a closed account is given and
 * charged no points.
 */
export async function lockMemberIsClosed(trx: Tx, actor: Actor, memberId: string): Promise<boolean> {
  const row = await lockUsableMember(trx, actor, memberId, { allowFrozen: true, allowClosed: true });
  return row.status === "closed";
}

/**
 * A refund is about to credit what the member paid back to its balance. A closed account's
 * balance can be neither spent nor withdrawn, so money refunded into it would be owed to nobody
 * who could ever use it: refused (member_closed) before anything is written. Frozen balances
 * take it, as they are usable again once unfrozen. Not scope-checked: whoever may refund the
 * payment may refund it to any member. The row stays locked, so the account cannot close
 * between this check and the credit.
 */
export async function lockMemberTakingRefund(trx: Tx, tenantId: string, memberId: string): Promise<void> {
  const row = await findMember(trx, tenantId, memberId, { lock: true });
  if (row?.status === "closed") {
    throw new MembersError(
      "member_closed",
      "The member's account is closed: its balance can take no refund; refund the member by other means",
    );
  }
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
 * What `findVisibleMember` reads, as queries none of which needs another's answer, for
 * `Database.tenantQueries`; `visibleMemberOf` checks their rows.
 */
export function visibleMemberQueries(qc: QueryCreator<DB>, tenantId: string, memberId: string) {
  return [memberQuery(qc, tenantId, memberId), memberUnitPathQuery(qc, tenantId, memberId)] as const;
}

/** `findVisibleMember` over the rows of `visibleMemberQueries`: the same answers and refusals. */
export function visibleMemberOf(
  actor: Actor,
  memberId: string,
  members: readonly MemberRow[],
  unitPaths: readonly { path: string }[],
): MemberRow {
  const row = members[0];
  const unitPath = () => {
    const path = unitPaths[0]?.path;
    if (path === undefined) throw new MembersError("org_unit_not_found", "Org unit not found");
    return path;
  };
  const visible =
    row !== undefined &&
    (actor.type !== "member" || actor.memberId === memberId) &&
    inScope(actor, row.org_unit_id ? unitPath() : null);
  if (!row || !visible) throw new MembersError("member_not_found", "Member not found");
  return row;
}

/** The org unit kinds that hold vouchers of their own and reach them with a member token. */
const TOKEN_HOLDING_UNIT_KINDS: ReadonlySet<string> = new Set(["customer", "member_account"]);

/**
 * A member token names a member the caller may see, or a customer of the vouchers module (an
 * org unit of a voucher-holding kind) in the caller's subtree. Anything else answers as a
 * missing member: a token is a credential, and a scoped key must not mint one for a holder it
 * cannot see itself, nor learn that such a holder exists.
 */
export const memberTokenGuard: MemberTokenGuard = async (trx, actor, memberId, purpose) => {
  if (memberId.startsWith("mbr_")) {
    const member = await findVisibleMember(trx, actor, memberId);
    // Closing revoked the member's tokens; a new one would hand the closed account back.
    if (purpose === "issue" && member.status === "closed") {
      throw new MembersError("member_closed", "The member's account is closed");
    }
    return;
  }
  const unit = await trx
    .selectFrom("org_units")
    .select(["kind", "path"])
    .where("tenant_id", "=", actor.tenantId)
    .where("id", "=", memberId)
    .executeTakeFirst();
  if (!unit || !TOKEN_HOLDING_UNIT_KINDS.has(unit.kind) || !inScope(actor, unit.path)) {
    throw new MembersError("member_not_found", "Member not found");
  }
};
