import { type Kysely, sql } from "kysely";

/**
 * The refunds a provider announced for the payment of a gift card kept `refund_due`, by refund
 * id with their sum: a notification heard twice counts once, and refunds announced one by one
 * add up until all that was collected is back and the card is recorded refunded.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table gift_card_payments add column provider_refunds jsonb`.execute(db);
}
