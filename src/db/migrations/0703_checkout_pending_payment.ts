import { type Kysely, sql } from "kysely";

/**
 * An order whose rest is paid online waits for that payment (`pending_payment`): its points,
 * card extensions and benefit usage come when the payment succeeds, and a failed, cancelled
 * or timed-out payment cancels it (`cancelled`) with every part returned.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table checkout_orders drop constraint checkout_orders_status_check`.execute(db);
  await sql`
    alter table checkout_orders add constraint checkout_orders_status_check
      check (status in ('pending_payment', 'completed', 'refunded', 'cancelled'))`.execute(db);
  await sql`alter table checkout_orders add column cancelled_at timestamptz`.execute(db);
}
