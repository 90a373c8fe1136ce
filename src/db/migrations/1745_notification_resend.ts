import { type Kysely, sql } from "kysely";

/**
 * A failed email or SMS may be sent again by hand. It sends the text it failed with, so a
 * failed delivery keeps its rendered body for a while (`body_kept_until`, then cleared: the
 * text may name balances and people). A resend restarts the retry schedule: `retry_from` is the
 * attempts made before the current schedule began (0 until a resend).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table notification_deliveries
    add column retry_from integer not null default 0 check (retry_from >= 0),
    add column body_kept_until timestamptz,
    add constraint notification_deliveries_body_kept_check
      check (body_kept_until is null or (status = 'failed' and body is not null))`.execute(db);
  await sql`create index notification_deliveries_body_kept on notification_deliveries (body_kept_until)
    where body_kept_until is not null`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
