import type { ReadStatement, Tx } from "../../db/database.js";
import type { EntitlementRow } from "./catalog.repository.js";

/** At most this many entitlements count for one member at one moment (DESIGN principle 6). */
export const MAX_ACTIVE_ENTITLEMENTS = 200;

/**
 * A member holds a benefit because they bought something (a package period, a top-up's
 * bonus benefits), for a window: the checkout counts it as an audience match while
 * `validFrom ≤ at < validUntil`, and says where it came from.
 */
export interface EntitlementFacts {
  benefitId: string;
  sourceType: string;
  sourceId: string;
  sourceName: string;
  validFrom: Date;
  validUntil: Date;
}

export function toFacts(row: EntitlementRow): EntitlementFacts {
  return {
    benefitId: row.benefit_id,
    sourceType: row.source_type,
    sourceId: row.source_id,
    sourceName: row.source_name,
    validFrom: row.valid_from,
    validUntil: row.valid_until,
  };
}

/** The member's entitlements in force at `at` (not revoked, inside their window), oldest source first. */
export async function activeEntitlements(
  trx: Tx,
  tenantId: string,
  memberId: string,
  at: Date,
): Promise<EntitlementFacts[]> {
  const rows = await trx
    .selectFrom("entitlements")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("member_id", "=", memberId)
    .where("revoked_at", "is", null)
    .where("valid_until", ">", at)
    .where("valid_from", "<=", at)
    .orderBy("valid_from")
    .orderBy("id")
    .limit(MAX_ACTIVE_ENTITLEMENTS)
    .execute();
  return rows.map(toFacts);
}

/** `activeEntitlements` as a statement for a read-only snapshot (`Database.tenantRead`). */
export function activeEntitlementsRead(tenantId: string, memberId: string, at: Date): ReadStatement {
  return {
    text: `select * from entitlements
      where tenant_id = $1::text and member_id = $2::text
        and revoked_at is null and valid_until > $3::timestamptz and valid_from <= $3::timestamptz
      order by valid_from, id limit ${MAX_ACTIVE_ENTITLEMENTS}`,
    values: [tenantId, memberId, at],
  };
}

/** The facts of the rows `activeEntitlementsRead` returned. */
export function entitlementsFromRows(rows: readonly Record<string, unknown>[]): EntitlementFacts[] {
  return (rows as unknown as EntitlementRow[]).map(toFacts);
}

/** Current and upcoming entitlements of a member (not revoked, not yet ended), by id. */
export async function memberEntitlements(
  trx: Tx,
  tenantId: string,
  memberId: string,
  now: Date,
  page: { startingAfter?: string; limit: number },
): Promise<EntitlementRow[]> {
  let query = trx
    .selectFrom("entitlements")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("member_id", "=", memberId)
    .where("revoked_at", "is", null)
    .where("valid_until", ">", now)
    .orderBy("id")
    .limit(page.limit + 1);
  if (page.startingAfter) query = query.where("id", ">", page.startingAfter);
  return query.execute();
}
