import { type Kysely, sql } from "kysely";

/** A refund records the bill amount it refunds per line, so later refunds add up. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table voucher_bill_refunds add column lines jsonb not null default '[]'`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
