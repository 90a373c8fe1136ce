import { type Kysely, sql } from "kysely";
import { protectTenantTable } from "../migrate.js";

/**
 * Member tokens are signed, not stored; a revocation says "every token of this member issued
 * before this instant is void". Closing a member writes one, and so does an explicit revoke.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table member_token_revocations (
      tenant_id text not null references tenants(id),
      member_id text not null,
      revoked_before timestamptz not null,
      primary key (tenant_id, member_id)
    )`.execute(db);
  await protectTenantTable(db, "member_token_revocations");
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
