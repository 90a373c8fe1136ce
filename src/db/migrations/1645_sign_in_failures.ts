import { type Kysely, sql } from "kysely";
import { protectTenantTable } from "../migrate.js";

/**
 * Failed sign-ins to an email that names no active user (unknown or disabled). They count and
 * lock exactly as a user's own do (users.failed_logins, users.locked_until), so whether an
 * email has an account cannot be read from when the lock-out begins. The email is kept only
 * as a hash: people type passwords into the email box.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table sign_in_failures (
      tenant_id text not null references tenants(id),
      email_hash text not null,
      failed_logins integer not null default 0 check (failed_logins >= 0),
      locked_until timestamptz,
      primary key (tenant_id, email_hash)
    )`.execute(db);
  await protectTenantTable(db, "sign_in_failures");
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
