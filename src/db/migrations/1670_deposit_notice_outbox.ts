import { type Kysely, sql } from "kysely";

/**
 * A deposit notice carries what it sends (recipients and wording) and when it was sent, so a
 * notice decided by work that stopped before delivering it (a statement import whose process
 * ended after its commit) is still sent, once, by the account re-check. `claimed_until` keeps a
 * notice being sent from being taken by a second sender. Notices recorded before this were
 * delivered (or not) by the process that decided them: none is sent again.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table deposit_notices add column delivery jsonb`.execute(db);
  await sql`alter table deposit_notices add column delivered_at timestamptz`.execute(db);
  await sql`alter table deposit_notices add column claimed_until timestamptz`.execute(db);
  await sql`update deposit_notices set delivered_at = created_at`.execute(db);
  await sql`create index deposit_notices_undelivered on deposit_notices (tenant_id, created_at)
    where delivered_at is null`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
