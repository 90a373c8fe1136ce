import { type Kysely, sql } from "kysely";
import { protectTenantTable } from "../migrate.js";

/**
 * The pieces every seed-001 plan shares (src/modules/catalog): images with a purpose, a
 * versioned agreement library, member voucher templates and voucher packages given as
 * gifts, gift stock counters, one gift grant per source reference, and entitlements (a
 * member holds a benefit for a window because of something they bought).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table images (
      tenant_id text not null references tenants(id),
      id text not null,
      purpose text not null check (purpose in ('benefit_icon', 'package_cover', 'topup_cover',
        'card_design', 'detail', 'verification_page')),
      media_type text not null check (media_type in ('image/png', 'image/jpeg', 'image/webp', 'image/svg+xml')),
      bytes bytea not null check (octet_length(bytes) between 1 and 2097152),
      sha256 text not null,
      created_by text not null,
      created_at timestamptz not null,
      primary key (tenant_id, id)
    )`.execute(db);

  await sql`
    create table agreements (
      tenant_id text not null references tenants(id),
      id text not null,
      type text not null check (type in ('purchase_agreement', 'terms_of_use', 'faq', 'topup_agreement',
        'gift_card_terms')),
      status text not null check (status in ('active', 'archived')),
      current_version integer not null check (current_version >= 1),
      created_by text not null,
      updated_by text not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, id)
    )`.execute(db);
  await sql`create index agreements_type on agreements (tenant_id, type, id)`.execute(db);
  await sql`
    create table agreement_versions (
      tenant_id text not null references tenants(id),
      agreement_id text not null,
      version integer not null check (version >= 1),
      title text not null,
      body text not null check (octet_length(body) <= 65536),
      locale text not null,
      created_by text not null,
      created_at timestamptz not null,
      primary key (tenant_id, agreement_id, version),
      foreign key (tenant_id, agreement_id) references agreements(tenant_id, id)
    )`.execute(db);

  await sql`
    create table gift_voucher_templates (
      tenant_id text not null references tenants(id),
      id text not null,
      name text not null,
      face_amount bigint not null check (face_amount > 0),
      asset text not null,
      validity_kind text not null check (validity_kind in ('fixed', 'relative')),
      valid_from text,
      valid_until text,
      valid_days integer check (valid_days between 1 and 3650),
      scope_kind text not null check (scope_kind in ('all', 'allow', 'deny')),
      product_codes jsonb not null default '[]',
      min_spend bigint not null check (min_spend >= 0),
      status text not null check (status in ('active', 'archived')),
      created_by text not null,
      updated_by text not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, id),
      check ((validity_kind = 'fixed') = (valid_from is not null and valid_until is not null and valid_days is null)),
      check ((validity_kind = 'relative') = (valid_days is not null and valid_from is null and valid_until is null))
    )`.execute(db);
  await sql`
    create table gift_voucher_packages (
      tenant_id text not null references tenants(id),
      id text not null,
      name text not null,
      lines jsonb not null,
      status text not null check (status in ('active', 'archived')),
      created_by text not null,
      updated_by text not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, id)
    )`.execute(db);

  // How many gifts a configuration may still give: taken by a conditional update, so
  // concurrent grants never pass stock_limit (null: unlimited).
  await sql`
    create table gift_stocks (
      tenant_id text not null references tenants(id),
      key text not null,
      stock_limit integer check (stock_limit >= 0),
      granted integer not null default 0 check (granted >= 0),
      updated_at timestamptz not null,
      primary key (tenant_id, key)
    )`.execute(db);
  await sql`
    create table gift_grants (
      tenant_id text not null references tenants(id),
      id text not null,
      source_ref text not null,
      member_id text not null,
      spec jsonb not null,
      status text not null check (status in ('granted', 'out_of_stock', 'no_gift', 'revoked')),
      voucher_ids jsonb not null default '[]',
      stock_key text,
      created_at timestamptz not null,
      revoked_at timestamptz,
      primary key (tenant_id, id),
      unique (tenant_id, source_ref),
      foreign key (tenant_id, member_id) references members(tenant_id, id)
    )`.execute(db);

  await sql`
    create table entitlements (
      tenant_id text not null references tenants(id),
      id text not null,
      member_id text not null,
      benefit_id text not null,
      source_type text not null,
      source_id text not null,
      source_name text not null,
      valid_from timestamptz not null,
      valid_until timestamptz not null,
      revoked_at timestamptz,
      created_at timestamptz not null,
      primary key (tenant_id, id),
      unique (tenant_id, source_type, source_id, benefit_id),
      foreign key (tenant_id, member_id) references members(tenant_id, id),
      foreign key (tenant_id, benefit_id) references benefits(tenant_id, id),
      check (valid_from < valid_until)
    )`.execute(db);
  await sql`create index entitlements_member on entitlements (tenant_id, member_id, valid_until)
    where revoked_at is null`.execute(db);

  for (const table of [
    "images",
    "agreements",
    "agreement_versions",
    "gift_voucher_templates",
    "gift_voucher_packages",
    "gift_stocks",
    "gift_grants",
    "entitlements",
  ]) {
    await protectTenantTable(db, table);
  }
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
