import { type Kysely, sql } from "kysely";

/**
 * Benefit icons move into `images` (purpose `benefit_icon`, which that table already allowed),
 * the one table every other upload lives in. Each icon keeps its id, bytes, digest, uploader
 * and time, so a benefit's `icon` and an icon's URL stay as they were. Ids cannot collide:
 * icons were made as `ico_…`, other images under their own prefix.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    insert into images (tenant_id, id, purpose, media_type, bytes, sha256, created_by, created_at)
    select tenant_id, id, 'benefit_icon', media_type, bytes, sha256, created_by, created_at
    from benefit_icons`.execute(db);
  await sql`drop table benefit_icons`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
