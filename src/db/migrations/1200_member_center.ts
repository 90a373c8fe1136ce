import { type Kysely, sql } from "kysely";
import { protectTenantTable } from "../migrate.js";

/**
 * The member center (issue 22): the tenant's look (logo, colour) and the one-time codes a
 * merchant's backend hands a member in a link. A code is kept only as its SHA-256, used at
 * most once and for minutes; the page trades it for a short-lived member token.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table member_center_settings (
      tenant_id text not null references tenants(id),
      brand_color text,
      logo_url text,
      updated_by text not null,
      updated_at timestamptz not null,
      primary key (tenant_id)
    )`.execute(db);

  await sql`
    create table member_center_codes (
      tenant_id text not null references tenants(id),
      id text not null,
      code_hash text not null,
      member_id text not null,
      page text not null,
      expires_at timestamptz not null,
      used_at timestamptz,
      created_by text not null,
      created_at timestamptz not null,
      primary key (tenant_id, id),
      unique (tenant_id, code_hash),
      foreign key (tenant_id, member_id) references members(tenant_id, id)
    )`.execute(db);
  await sql`create index member_center_codes_expiry on member_center_codes (tenant_id, expires_at)`.execute(
    db,
  );

  for (const table of ["member_center_settings", "member_center_codes"]) {
    await protectTenantTable(db, table);
  }
}
