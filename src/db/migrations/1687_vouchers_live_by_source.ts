import { type Kysely, sql } from "kysely";

/**
 * Moving a reseller under another distributor first asks whether its quota still has live
 * vouchers issued from it: found by the quota's account among the tenant's live vouchers,
 * instead of reading every voucher the tenant ever issued.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index vouchers_live_by_source on vouchers (tenant_id, source_account_id)
    where state = 'active'`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
