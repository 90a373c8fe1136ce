import { type Kysely, sql } from "kysely";

/**
 * Online top-ups still waiting for their payment, by when their window closes: the expiry job
 * and a sandbox's clock find those past it without reading every top-up.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index topups_unpaid_due on topups (tenant_id, payment_expires_at)
    where status = 'pending_payment' and payment_expires_at is not null`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
