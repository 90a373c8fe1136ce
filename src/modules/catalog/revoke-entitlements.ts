import type { Tx } from "../../db/database.js";

/**
 * Ends every entitlement a source gave (a refunded purchase): from `now` the checkout no
 * longer counts them. Returns how many were still in force or upcoming.
 */
export async function revokeEntitlements(
  trx: Tx,
  tenantId: string,
  source: { type: string; id: string },
  now: Date,
): Promise<number> {
  const rows = await trx
    .updateTable("entitlements")
    .set({ revoked_at: now })
    .where("tenant_id", "=", tenantId)
    .where("source_type", "=", source.type)
    .where("source_id", "=", source.id)
    .where("revoked_at", "is", null)
    .returning("id")
    .execute();
  return rows.length;
}
