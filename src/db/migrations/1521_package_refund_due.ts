import { type Kysely, sql } from "kysely";

/**
 * A package's online payment may succeed after its order was cancelled (a retry after a
 * failed attempt, or a payment later than our window). When the order can no longer be
 * activated it is kept as `refund_due`: paid, nothing given, owed back to the member.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table package_orders drop constraint package_orders_status_check`.execute(db);
  await sql`alter table package_orders add constraint package_orders_status_check
    check (status in ('pending_payment', 'paid', 'refund_due', 'refunded', 'cancelled'))`.execute(db);
}
