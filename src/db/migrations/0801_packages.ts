import { type Kysely, sql } from "kysely";
import { protectTenantTable } from "../migrate.js";

/**
 * Paid benefit packages (seed 001 §2.2): the tenant's validity rule, plans (sales rules and
 * perks as validated JSON), orders (what was paid, how, at which price kind) and periods
 * (the configuration snapshotted per period). Money moves in the ledger through the wallets
 * module; nothing here is a balance.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table package_settings (
      tenant_id text not null references tenants(id),
      validity_mode text not null check (validity_mode in ('immediate', 'purchase_day', 'next_day')),
      updated_by text not null,
      updated_at timestamptz not null,
      primary key (tenant_id)
    )`.execute(db);

  await sql`
    create table packages (
      tenant_id text not null references tenants(id),
      id text not null,
      name text not null,
      tags jsonb not null default '[]',
      description text,
      cover_image_id text,
      audience jsonb not null default '{}',
      availability jsonb not null default '{}',
      store_scope jsonb not null default '{}',
      channels jsonb not null,
      currency text not null,
      refund_restriction boolean not null,
      purchase_agreement_id text,
      terms_agreement_id text,
      faq_agreement_id text,
      sales_rules jsonb not null,
      perks jsonb not null default '[]',
      status text not null check (status in ('inactive', 'active', 'archived')),
      version integer not null default 1,
      copied_from text,
      created_by text not null,
      updated_by text not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, id)
    )`.execute(db);
  await sql`create index packages_status on packages (tenant_id, status, id)`.execute(db);

  await sql`
    create table package_orders (
      tenant_id text not null references tenants(id),
      id text not null,
      package_id text not null,
      member_id text not null,
      rule_key text not null,
      situation text not null check (situation in ('first_purchase', 'repeat_purchase', 'early_renewal')),
      price_kind text not null check (price_kind in ('original', 'first_purchase', 'repeat_purchase',
        'early_renewal', 'limited_time')),
      amount bigint not null check (amount >= 0),
      currency text not null,
      channel text not null check (channel in ('POS', 'ONLINE')),
      store_id text,
      payment_method text not null check (payment_method in ('balance', 'online', 'offline')),
      status text not null check (status in ('pending_payment', 'paid', 'refunded', 'cancelled')),
      wallet_payment_id text,
      provider text,
      provider_ref text,
      payment_expires_at timestamptz,
      checkout jsonb,
      agreements jsonb not null default '[]',
      snapshot jsonb not null,
      points_awarded bigint not null default 0 check (points_awarded >= 0),
      period_id text,
      refund_kind text check (refund_kind in ('order', 'offline')),
      refund_reason text,
      refunded_at timestamptz,
      created_by text not null,
      created_at timestamptz not null,
      paid_at timestamptz,
      updated_at timestamptz not null,
      primary key (tenant_id, id),
      unique (tenant_id, provider, provider_ref),
      foreign key (tenant_id, package_id) references packages(tenant_id, id),
      foreign key (tenant_id, member_id) references members(tenant_id, id),
      check ((status = 'refunded') = (refunded_at is not null))
    )`.execute(db);
  await sql`create index package_orders_package on package_orders (tenant_id, package_id, paid_at)`.execute(
    db,
  );
  await sql`create index package_orders_member on package_orders (tenant_id, member_id, package_id)`.execute(
    db,
  );
  await sql`create index package_orders_pending on package_orders (tenant_id, payment_expires_at)
    where status = 'pending_payment'`.execute(db);

  await sql`
    create table package_periods (
      tenant_id text not null references tenants(id),
      id text not null,
      package_id text not null,
      member_id text not null,
      order_id text not null,
      starts_at timestamptz not null,
      ends_at timestamptz not null,
      state text not null check (state in ('current', 'expired', 'refunded')),
      ended_at timestamptz,
      snapshot jsonb not null,
      deferred_gift_due boolean not null default false,
      created_at timestamptz not null,
      primary key (tenant_id, id),
      unique (tenant_id, order_id),
      foreign key (tenant_id, order_id) references package_orders(tenant_id, id),
      foreign key (tenant_id, member_id) references members(tenant_id, id),
      check (starts_at < ends_at)
    )`.execute(db);
  await sql`create index package_periods_member on package_periods (tenant_id, member_id, package_id, ends_at)`.execute(
    db,
  );
  await sql`create index package_periods_due on package_periods (ends_at) where state = 'current'`.execute(
    db,
  );
  await sql`create index package_periods_deferred on package_periods (starts_at) where deferred_gift_due`.execute(
    db,
  );

  for (const table of ["package_settings", "packages", "package_orders", "package_periods"]) {
    await protectTenantTable(db, table);
  }
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
