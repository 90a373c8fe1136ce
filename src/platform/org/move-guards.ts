import type { Tx } from "../../db/database.js";

/**
 * A module's check on a move of org units, run in the move's transaction under the tree's
 * exclusive lock, once the moved subtree's paths are rewritten (`movedPath` is where the moved
 * unit now lies). It throws a DomainError (`org_unit_in_use`) to refuse the move: its records
 * hang off a unit in a way the new place would make untrue.
 */
export type OrgUnitMoveGuard = (trx: Tx, tenantId: string, movedPath: string) => Promise<void>;

const guards = new Set<OrgUnitMoveGuard>();

/** Installed from module manifests (a reseller's voucher quota stays with its distributor). */
export function addOrgUnitMoveGuard(guard: OrgUnitMoveGuard): void {
  guards.add(guard);
}

/** Runs every module's move check; the first refusal ends the move. */
export async function checkOrgUnitMove(trx: Tx, tenantId: string, movedPath: string): Promise<void> {
  for (const guard of guards) await guard(trx, tenantId, movedPath);
}
