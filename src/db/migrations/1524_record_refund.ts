import { type Kysely, sql } from "kysely";

/**
 * Finance closes a `refund_due` record once it has refunded the payment at the provider: the
 * record becomes `refunded` and keeps who recorded the refund, when, the provider's refund id
 * and a note (`refund_record`; a top-up keeps it in its details). A wallet top-up intent gains
 * the `refunded` status; a package order's refund is of kind `provider`; a gift card refunded
 * this way was never loaded, so it has no ledger account, as a `refund_due` one.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table wallet_topup_intents drop constraint wallet_topup_intents_status_check`.execute(db);
  await sql`alter table wallet_topup_intents add constraint wallet_topup_intents_status_check
    check (status in ('pending', 'succeeded', 'failed', 'expired', 'refund_due', 'refunded'))`.execute(db);
  await sql`alter table wallet_topup_intents add column refund_record jsonb`.execute(db);

  await sql`alter table package_orders drop constraint package_orders_refund_kind_check`.execute(db);
  await sql`alter table package_orders add constraint package_orders_refund_kind_check
    check (refund_kind in ('order', 'offline', 'provider'))`.execute(db);
  await sql`alter table package_orders add column refund_record jsonb`.execute(db);

  await sql`alter table gift_cards add column refund_record jsonb`.execute(db);
  await sql`alter table gift_cards drop constraint gift_cards_check`.execute(db);
  await sql`alter table gift_cards add constraint gift_cards_check
    check (status in ('inactive', 'pending', 'cancelled', 'refund_due') or account_id is not null
      or (status = 'refunded' and refund_record is not null))`.execute(db);
}
