import { type Kysely, sql } from "kysely";

/**
 * Expiry of resource packages (issue 18, seed 000): the sweep stamps when a package expired
 * and how much it still held then (that quantity returns to the package's grant source).
 * The partial index is what the sweep and the sandbox clock look for: packages not yet swept.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table resource_packages add column expired_at timestamptz`.execute(db);
  await sql`alter table resource_packages add column expired_quantity bigint`.execute(db);
  await sql`create index resource_packages_unswept on resource_packages (tenant_id, expires_at) where expired_at is null`.execute(
    db,
  );
}
