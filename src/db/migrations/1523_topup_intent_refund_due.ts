import { type Kysely, sql } from "kysely";

/**
 * A provider may collect a wallet top-up's payment after the intent failed or expired (a
 * retry after a failed attempt, or a payment later than the intent's time). When the member
 * can no longer be credited it is kept as `refund_due`: paid, not credited, owed back.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table wallet_topup_intents drop constraint wallet_topup_intents_status_check`.execute(db);
  await sql`alter table wallet_topup_intents add constraint wallet_topup_intents_status_check
    check (status in ('pending', 'succeeded', 'failed', 'expired', 'refund_due'))`.execute(db);
}
