import type { Tx } from "../../db/database.js";
import { newId } from "../../shared/ids.js";

export interface EntitlementSource {
  /** What kind of purchase: `package_period`, `topup`, … */
  type: string;
  id: string;
  /** Shown in quotes ("Premium Member Benefit Package"). */
  name: string;
}

/**
 * Gives a member benefits for a window because of `source`, in the caller's transaction.
 * Idempotent per source and benefit: granting the same again changes nothing.
 */
export async function grantEntitlements(
  trx: Tx,
  tenantId: string,
  input: {
    memberId: string;
    benefitIds: readonly string[];
    source: EntitlementSource;
    validFrom: Date;
    validUntil: Date;
  },
  now: Date,
): Promise<number> {
  const ids = [...new Set(input.benefitIds)];
  if (ids.length === 0) return 0;
  const rows = await trx
    .insertInto("entitlements")
    .values(
      ids.map((benefitId) => ({
        tenant_id: tenantId,
        id: newId("ent"),
        member_id: input.memberId,
        benefit_id: benefitId,
        source_type: input.source.type,
        source_id: input.source.id,
        source_name: input.source.name,
        valid_from: input.validFrom,
        valid_until: input.validUntil,
        revoked_at: null,
        created_at: now,
      })),
    )
    .onConflict((oc) => oc.columns(["tenant_id", "source_type", "source_id", "benefit_id"]).doNothing())
    .returning("id")
    .execute();
  return rows.length;
}
