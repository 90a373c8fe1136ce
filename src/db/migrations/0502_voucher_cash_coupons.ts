import { type Kysely, sql } from "kysely";

/** Enterprise cash coupons are vouchers too (held by an enterprise master or a member account). */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table vouchers drop constraint vouchers_purpose_check`.execute(db);
  await sql`alter table vouchers add constraint vouchers_purpose_check
    check (purpose in ('customer_discount', 'product_trial', 'cash_coupon'))`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
