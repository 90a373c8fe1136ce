import { type Kysely, sql } from "kysely";

/**
 * The hourly prune of ended console sessions finds a tenant's candidates by creation time: a
 * session ends after it starts, so every session ended before the cutoff was created before it
 * too. Without this the prune read all of a tenant's sessions for each batch it removed. Not by
 * `expires_at`: it slides forward as the session is used, and an index on it would turn those
 * updates into non-HOT ones; `created_at` is written once.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index sessions_by_creation on sessions (tenant_id, created_at)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
