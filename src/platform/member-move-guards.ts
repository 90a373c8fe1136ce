import type { Tx } from "../db/database.js";

/**
 * A module's check before a member changes org unit, run in the updating transaction with the
 * member's row locked (every value-moving operation on a member takes that lock first, so what
 * the check reads cannot change before the move commits). `toPath` is the new org unit's path,
 * null for no org unit (only tenant-wide staff see the member then). It throws a DomainError to
 * refuse the move: the module holds something of the member's that only staff of the units it
 * now lies under may handle.
 */
export type MemberMoveGuard = (
  trx: Tx,
  tenantId: string,
  memberId: string,
  toPath: string | null,
) => Promise<void>;

const guards = new Set<MemberMoveGuard>();

/** Installed from module manifests (the vouchers: a live voucher an org unit issued). */
export function addMemberMoveGuard(guard: MemberMoveGuard): void {
  guards.add(guard);
}

/** Runs every module's check; the first refusal keeps the member where it is. */
export async function checkMemberMove(
  trx: Tx,
  tenantId: string,
  memberId: string,
  toPath: string | null,
): Promise<void> {
  for (const guard of guards) await guard(trx, tenantId, memberId, toPath);
}
