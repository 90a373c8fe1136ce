import { type Kysely, sql } from "kysely";

/**
 * A failed import or export says why in a stable code beside its message (such as
 * `export_too_large`), so a client can act on the reason without reading the words.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table file_jobs add column error_code text
    check (error_code ~ '^[a-z][a-z0-9_]*$')`.execute(db);
}
