import { type Kysely, sql } from "kysely";

/**
 * Credential hashes were unique across all tenants, which a table sharded by tenant cannot
 * enforce (docs/scale-out.md). They are 256-bit random secrets, so uniqueness per tenant
 * loses nothing; sign-in still finds a credential by its hash through a plain index (on a
 * sharded cluster that lookup asks every shard, once per credential, and is cached).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`drop index api_keys_secret_hash`.execute(db);
  await sql`create unique index api_keys_secret_hash on api_keys (tenant_id, secret_hash)`.execute(db);
  await sql`create index api_keys_by_secret_hash on api_keys (secret_hash)`.execute(db);
  await sql`drop index sessions_token`.execute(db);
  await sql`create unique index sessions_token on sessions (tenant_id, token_hash)`.execute(db);
  await sql`create index sessions_by_token_hash on sessions (token_hash)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("forward-only migration");
}
