import { type Kysely, sql } from "kysely";

/**
 * After a secret rotation, deliveries are signed with the new and the previous secret until
 * the overlap ends, so a delivery claimed just before the rotation, or a receiver that has
 * not yet switched, still verifies (Standard Webhooks allows several signatures).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table webhook_endpoints
      add column previous_secret text,
      add column previous_secret_expires_at timestamptz,
      add constraint webhook_endpoints_previous_secret_window
        check ((previous_secret is null) = (previous_secret_expires_at is null))`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
