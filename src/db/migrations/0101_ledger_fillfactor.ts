import { type Kysely, sql } from "kysely";

/**
 * Every batch rewrites each touched account row once. Free space on the page lets PostgreSQL
 * make those heap-only updates (no new index entries), which keeps hot accounts cheap.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table ledger_accounts set (fillfactor = 75)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
