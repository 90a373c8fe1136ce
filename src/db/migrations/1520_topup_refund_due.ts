import { type Kysely, sql } from "kysely";

/**
 * A provider may collect a top-up's payment after we closed it (a retry after a failed
 * attempt, or a payment later than our window). When the top-up can no longer be credited as
 * it was sold, it is kept as `refund_due`: paid, not credited, owed back to the member.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table topups drop constraint topups_status_check`.execute(db);
  await sql`alter table topups add constraint topups_status_check
    check (status in ('pending_payment', 'credited', 'failed', 'expired', 'refund_due', 'refunded'))`.execute(
    db,
  );
}
