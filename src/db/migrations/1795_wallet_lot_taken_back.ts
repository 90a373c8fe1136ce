import { type Kysely, sql } from "kysely";

/**
 * What a provider's refund of a tagged top-up took back out of each of its lots. A lot's
 * same-day limit counts what it has given on its top-up day as its amount less what its
 * account holds; money taken back is not given, and without this it counted as if it were.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table wallet_lots add column taken_back bigint not null default 0 check (taken_back >= 0)`.execute(
    db,
  );
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
