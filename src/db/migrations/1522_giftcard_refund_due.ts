import { type Kysely, sql } from "kysely";

/**
 * An online gift card payment may succeed after its sale was cancelled (a retry after a
 * failed attempt, or a payment later than our window). When the card can no longer be
 * activated the sale is kept as `refund_due`: paid, never loaded, owed back to the buyer. Such
 * a card has no ledger account, as a pending or cancelled one.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table gift_cards drop constraint gift_cards_status_check`.execute(db);
  await sql`alter table gift_cards drop constraint gift_cards_check`.execute(db);
  await sql`alter table gift_cards add constraint gift_cards_status_check
    check (status in ('inactive', 'pending', 'active', 'frozen', 'expired', 'refunded', 'cancelled',
      'refund_due'))`.execute(db);
  await sql`alter table gift_cards add constraint gift_cards_check
    check (status in ('inactive', 'pending', 'cancelled', 'refund_due') or account_id is not null)`.execute(
    db,
  );
}
