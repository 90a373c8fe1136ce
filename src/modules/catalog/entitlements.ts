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

/**
 * The member's entitlements in force at `at` (not revoked, inside their window), oldest source
 * first. With `share` (an order that will apply them) each row is locked FOR SHARE: a refund
 * ending their source (`lockSourceEntitlements`, then `revokeEntitlements`) waits for the order
 * to commit, and an order that waited for a refund reads the row again under the lock — a row
 * revoked meanwhile no longer matches and is left out, so the order prices without it.
 */
export async function activeEntitlements(
  trx: Tx,
  tenantId: string,
  memberId: string,
  at: Date,
  options: { share?: boolean } = {},
): Promise<EntitlementFacts[]> {
  let query = trx
    .selectFrom("entitlements")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("member_id", "=", memberId)
    .where("revoked_at", "is", null)
    .where("valid_until", ">", at)
    .where("valid_from", "<=", at)
    .orderBy("valid_from")
    .orderBy("id")
    .limit(MAX_ACTIVE_ENTITLEMENTS);
  // FOR SHARE, not FOR KEY SHARE: the revocation is a non-key update, which only FOR SHARE stops.
  if (options.share) query = query.forShare();
  return (await query.execute()).map(toFacts);
}

/**
 * Locks every entitlement a source gave (FOR UPDATE, in id order), before a refund decides
 * whether to end it: an order applying one of them at that moment (`activeEntitlements` with
 * `share`) has either committed, and is seen by what the refund reads next, or waits for the
 * refund and finds them revoked. A source gives one per benefit its plan names (a package's
 * ≤ 20 perks), so the lock is bounded.
 */
export async function lockSourceEntitlements(
  trx: Tx,
  tenantId: string,
  source: { type: string; id: string },
): Promise<number> {
  const rows = await trx
    .selectFrom("entitlements")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("source_type", "=", source.type)
    .where("source_id", "=", source.id)
    .orderBy("id")
    .forUpdate()
    .execute();
  return rows.length;
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
