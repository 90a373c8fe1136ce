import { type Kysely, sql } from "kysely";

/**
 * A change the system made says why as a code and its values (`reason_code`, `reason_params`),
 * so the member center and the console can say it in the reader's language; `reason` keeps its
 * English sentence. Rows from before have no code and are shown by their sentence.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table wallet_changes add column reason_code text, add column reason_params jsonb`.execute(
    db,
  );
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
