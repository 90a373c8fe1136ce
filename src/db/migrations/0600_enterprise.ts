import { type Kysely, sql } from "kysely";
import { protectTenantTable } from "../migrate.js";

/**
 * Enterprise accounting: member associations and their sharing switches, resource packages
 * (ledger accounts in a unit asset) and usage records, cash coupons (vouchers) and their
 * allocation records. No balance lives here.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table enterprise_settings (
      tenant_id text not null references tenants(id),
      enterprise_id text not null,
      sharing_default boolean not null default false,
      updated_at timestamptz not null,
      primary key (tenant_id, enterprise_id),
      foreign key (tenant_id, enterprise_id) references org_units(tenant_id, id)
    )`.execute(db);

  await sql`
    create table enterprise_members (
      tenant_id text not null references tenants(id),
      member_id text not null,
      enterprise_id text not null,
      sharing_enabled boolean not null,
      associated_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, member_id),
      foreign key (tenant_id, member_id) references org_units(tenant_id, id),
      foreign key (tenant_id, enterprise_id) references org_units(tenant_id, id)
    )`.execute(db);
  await sql`create index enterprise_members_enterprise on enterprise_members (tenant_id, enterprise_id, member_id)`.execute(
    db,
  );

  await sql`
    create table enterprise_sharing_changes (
      tenant_id text not null references tenants(id),
      id text not null,
      enterprise_id text not null,
      member_id text,
      enabled boolean not null,
      via text not null check (via in ('global', 'association', 'member', 'batch')),
      actor_type text not null,
      actor_id text not null,
      created_at timestamptz not null,
      primary key (tenant_id, id)
    )`.execute(db);
  await sql`create index enterprise_sharing_changes_member on enterprise_sharing_changes (tenant_id, member_id, id)`.execute(
    db,
  );

  await sql`
    create table enterprise_coupons (
      tenant_id text not null references tenants(id),
      id text not null,
      enterprise_id text not null,
      allocation_mode text not null check (allocation_mode in ('once', 'multiple')),
      allocation_count integer not null default 0,
      created_at timestamptz not null,
      primary key (tenant_id, id),
      foreign key (tenant_id, enterprise_id) references org_units(tenant_id, id)
    )`.execute(db);

  await sql`
    create table enterprise_coupon_records (
      tenant_id text not null references tenants(id),
      id text not null,
      coupon_id text not null,
      enterprise_id text not null,
      member_id text not null,
      voucher_id text not null,
      kind text not null check (kind in ('allocation', 'revocation')),
      amount bigint not null check (amount >= 0),
      actor_type text not null,
      actor_id text not null,
      created_at timestamptz not null,
      primary key (tenant_id, id),
      foreign key (tenant_id, coupon_id) references enterprise_coupons(tenant_id, id)
    )`.execute(db);
  await sql`create index enterprise_coupon_records_coupon on enterprise_coupon_records (tenant_id, coupon_id, id)`.execute(
    db,
  );
  await sql`create index enterprise_coupon_records_enterprise on enterprise_coupon_records (tenant_id, enterprise_id, id)`.execute(
    db,
  );

  await sql`
    create table resource_packages (
      tenant_id text not null references tenants(id),
      id text not null,
      owner_id text not null,
      product_code text not null,
      unit text not null,
      total_quantity bigint not null check (total_quantity > 0),
      starts_at timestamptz not null,
      expires_at timestamptz not null,
      account_id text not null,
      created_at timestamptz not null,
      primary key (tenant_id, id),
      foreign key (tenant_id, owner_id) references org_units(tenant_id, id),
      check (expires_at > starts_at)
    )`.execute(db);
  await sql`create index resource_packages_owner on resource_packages (tenant_id, owner_id, product_code, expires_at)`.execute(
    db,
  );

  await sql`
    create table resource_usages (
      tenant_id text not null references tenants(id),
      id text not null,
      usage_id text not null,
      account_owner_id text not null,
      product_code text not null,
      unit text not null,
      quantity bigint not null check (quantity > 0),
      covered_quantity bigint not null,
      billable_quantity bigint not null,
      draws jsonb not null default '[]',
      request_hash text not null,
      used_at timestamptz not null,
      created_at timestamptz not null,
      primary key (tenant_id, id),
      unique (tenant_id, usage_id),
      foreign key (tenant_id, account_owner_id) references org_units(tenant_id, id)
    )`.execute(db);

  for (const table of [
    "enterprise_settings",
    "enterprise_members",
    "enterprise_sharing_changes",
    "enterprise_coupons",
    "enterprise_coupon_records",
    "resource_packages",
    "resource_usages",
  ]) {
    await protectTenantTable(db, table);
  }
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
