import { type Kysely, sql } from "kysely";

/**
 * A sandbox can be archived: its credentials stop working and its jobs stop running, but its
 * rows stay (ledger rows are never deleted). Live tenants count their active sandboxes against
 * a cap, hence the index on the active ones.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table tenants add column archived_at timestamptz`.execute(db);
  await sql`create index tenants_live_tenant_active on tenants (live_tenant_id) where live_tenant_id is not null and archived_at is null`.execute(
    db,
  );
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
