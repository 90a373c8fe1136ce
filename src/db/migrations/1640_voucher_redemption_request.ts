import { type Kysely, sql } from "kysely";

/**
 * What a redemption was asked with (member, asset, amount, bill lines), hashed: the same
 * voucher and reference again is a replay only if it asks the same. Redemptions made before
 * this have none and replay on their amount, as they did.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table voucher_redemptions add column request_hash text`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
