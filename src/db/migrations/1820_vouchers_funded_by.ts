import { type Kysely, sql } from "kysely";

/**
 * A voucher issued from a reseller's quota names the distributor that funded it (the quota's
 * distributor when it was issued): once the reseller has moved to another distributor and that
 * one has taken the quota over, whatever the voucher gives back (its rest on withdrawal or
 * expiry, a refund's share once it is dead) returns to the distributor that funded it instead
 * of the quota. Vouchers already issued are credited to their quota's distributor now, which
 * is the funder unless the quota has already been taken over.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table vouchers add column funded_by text`.execute(db);
  await sql`
    update vouchers v set funded_by = q.distributor_id
    from voucher_quotas q
    where q.tenant_id = v.tenant_id and q.account_id = v.source_account_id`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
