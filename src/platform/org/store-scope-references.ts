import { type RawBuilder, sql } from "kysely";
import type { Tx } from "../../db/database.js";

/** A unit or store group that a record's store scope may name. */
export type ScopeTarget = { kind: "org_unit" | "store_group"; id: string };

/**
 * A module's answer to "does any of your records' store scopes name this?": a short name of
 * the first such record ("top-up plan Gold (tpl_…)"), or null. Scopes are JSON, which no
 * foreign key guards: a unit or group deleted under one would leave its record matching
 * another set of stores than it says, and refused at its next edit for a field nobody sent.
 */
export type StoreScopeReferenceLookup = (
  trx: Tx,
  tenantId: string,
  target: ScopeTarget,
) => Promise<string | null>;

const lookups = new Set<StoreScopeReferenceLookup>();

/** Installed from module manifests (plans, packages, gift cards). */
export function addStoreScopeReferenceLookup(lookup: StoreScopeReferenceLookup): void {
  lookups.add(lookup);
}

/** The first record of any module whose store scope names the target, or null. */
export async function storeScopeReference(
  trx: Tx,
  tenantId: string,
  target: ScopeTarget,
): Promise<string | null> {
  for (const lookup of lookups) {
    const found = await lookup(trx, tenantId, target);
    if (found) return found;
  }
  return null;
}

/**
 * Whether the store scope `scope` (a jsonb expression) names the target: a unit among its
 * stores, org units or left-out stores; a group among its groups.
 */
export function scopeNames(scope: RawBuilder<unknown>, target: ScopeTarget): RawBuilder<boolean> {
  if (target.kind === "store_group")
    return sql<boolean>`coalesce(${scope}->'store_groups' ? ${target.id}, false)`;
  return sql<boolean>`coalesce(${scope}->'stores' ? ${target.id} or ${scope}->'org_units' ? ${target.id} or ${scope}->'exclude_stores' ? ${target.id}, false)`;
}
