import { type Kysely, sql } from "kysely";

/**
 * A provider may collect a cashier payment's online part after the attempt failed or lapsed
 * (a retry after a failure, a payment later than the attempt's time). The order can no longer
 * be paid by it, so the attempt is kept `refund_due` — collected, not applied, owed back — until
 * finance records the refund made at the provider (`refunded`, with `refund_record`).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table cashier_payments drop constraint cashier_payments_status_check`.execute(db);
  await sql`alter table cashier_payments add constraint cashier_payments_status_check
    check (status in ('pending', 'succeeded', 'failed', 'expired', 'refund_due', 'refunded'))`.execute(db);
  await sql`alter table cashier_payments add column refund_record jsonb`.execute(db);
  await sql`create index cashier_payments_refund_due on cashier_payments (tenant_id, order_id)
    where status = 'refund_due'`.execute(db);
}
