import { type Kysely, sql } from "kysely";
import { protectTenantTable } from "../migrate.js";

/**
 * Sandbox tenants with test clocks (issue 19). A sandbox is an ordinary tenant (its data is
 * isolated by the same row-level security) flagged `sandbox`; `live_tenant_id` names the live
 * tenant that created it, as a plain value: a foreign key across two tenants would tie two
 * shards together. Its clock is frozen at an instant or runs with an offset from real time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table tenants add column sandbox boolean not null default false`.execute(db);
  await sql`alter table tenants add column live_tenant_id text`.execute(db);
  await sql`create index tenants_live_tenant on tenants (live_tenant_id) where live_tenant_id is not null`.execute(
    db,
  );

  await sql`
    create table tenant_clocks (
      tenant_id text not null references tenants(id),
      frozen_at timestamptz,
      offset_ms bigint not null default 0,
      updated_at timestamptz not null,
      primary key (tenant_id)
    )`.execute(db);
  await protectTenantTable(db, "tenant_clocks");
}
