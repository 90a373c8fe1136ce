import { type Kysely, sql } from "kysely";
import { protectTenantTable } from "../migrate.js";

/**
 * The member benefit catalog. A benefit's kind-specific fields live in `config` (validated
 * by the benefits module per kind); the catalog version per tenant lets every server
 * process see a change at once (its cache compares versions before answering).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table benefits (
      tenant_id text not null references tenants(id),
      id text not null,
      kind text not null check (kind in ('marketing', 'promotional', 'member_pricing', 'member_discount',
        'member_day', 'birthday', 'multiplier_points', 'card_extension', 'exclusive_services', 'custom')),
      name text not null,
      brief text,
      description text,
      icon text,
      audience jsonb not null default '{}',
      config jsonb not null default '{}',
      stackable boolean not null default false,
      status text not null default 'active' check (status in ('active', 'inactive')),
      version integer not null default 1,
      created_by text not null,
      updated_by text not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, id)
    )`.execute(db);
  await sql`create index benefits_status on benefits (tenant_id, status, id)`.execute(db);
  await sql`create index benefits_operator on benefits (tenant_id, updated_by, id)`.execute(db);

  await sql`
    create table benefit_catalog_versions (
      tenant_id text not null references tenants(id),
      version bigint not null,
      primary key (tenant_id)
    )`.execute(db);

  for (const table of ["benefits", "benefit_catalog_versions"]) {
    await protectTenantTable(db, table);
  }
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
