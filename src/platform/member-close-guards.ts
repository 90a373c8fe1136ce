import type { Tx } from "../db/database.js";

/**
 * A module's check before a member is closed (closing is final), run in the closing
 * transaction with the member's row locked — every value-moving operation on a member locks
 * that row and refuses a closed member, so what the check reads cannot change before the close
 * commits. It throws a DomainError to refuse the close: the member still owns something the
 * module holds that a closed account could never give back.
 */
export type MemberCloseGuard = (trx: Tx, tenantId: string, memberId: string) => Promise<void>;

const guards = new Set<MemberCloseGuard>();

/** Installed from module manifests (the wallets: a balance still owed to the member). */
export function addMemberCloseGuard(guard: MemberCloseGuard): void {
  guards.add(guard);
}

/** Runs every module's check; the first refusal keeps the member open. */
export async function checkMemberClose(trx: Tx, tenantId: string, memberId: string): Promise<void> {
  for (const guard of guards) await guard(trx, tenantId, memberId);
}
