import { type Kysely, sql } from "kysely";
import { protectTenantTable } from "../migrate.js";

/**
 * The member balance: settings, the change log, balance payments and their refunds, online
 * top-up intents and points lots. No balance lives here: principal, bonus and points are
 * ledger accounts; `balance_after` in the change log is a snapshot taken when it was written.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table wallet_settings (
      tenant_id text not null references tenants(id),
      asset text not null,
      spend_order text not null default 'bonus_first' check (spend_order in ('bonus_first', 'principal_first')),
      hide_balance_in_member_center boolean not null default false,
      balance_payment_enabled boolean not null default true,
      online_topup_enabled boolean not null default true,
      max_single_amount bigint not null check (max_single_amount > 0),
      points_per_unit text not null default '100',
      points_validity_days integer check (points_validity_days is null or points_validity_days between 1 and 3660),
      payment_hold_timeout_seconds integer not null default 900 check (payment_hold_timeout_seconds between 60 and 604800),
      topup_intent_ttl_seconds integer not null default 1800 check (topup_intent_ttl_seconds between 60 and 86400),
      payment_provider text not null default 'test',
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id)
    )`.execute(db);

  await sql`
    create table wallet_changes (
      tenant_id text not null references tenants(id),
      id text not null,
      member_id text not null,
      account text not null check (account in ('balance', 'points', 'referral_points')),
      kind text not null,
      asset text not null,
      amount bigint not null,
      principal_delta bigint not null default 0,
      bonus_delta bigint not null default 0,
      balance_after bigint not null,
      reason text,
      note text,
      source text,
      source_ref text,
      order_id text,
      payment_id text,
      actor_type text not null,
      actor_id text not null,
      created_at timestamptz not null,
      primary key (tenant_id, id),
      foreign key (tenant_id, member_id) references members(tenant_id, id)
    )`.execute(db);
  await sql`create index wallet_changes_member on wallet_changes (tenant_id, member_id, id)`.execute(db);
  await sql`create index wallet_changes_kind on wallet_changes (tenant_id, kind, created_at)`.execute(db);

  await sql`
    create table wallet_payments (
      tenant_id text not null references tenants(id),
      id text not null,
      member_id text not null,
      order_id text not null,
      currency text not null,
      lines jsonb not null default '[]',
      amount_due bigint not null check (amount_due > 0),
      balance_amount bigint not null check (balance_amount > 0),
      external_amount bigint not null check (external_amount >= 0),
      external_method text not null check (external_method in ('none', 'online', 'offline')),
      status text not null check (status in ('held', 'paid', 'voided', 'expired')),
      principal_amount bigint not null,
      bonus_amount bigint not null,
      principal_transfer_id text,
      bonus_transfer_id text,
      timeout_at timestamptz,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, id),
      unique (tenant_id, order_id),
      check (principal_amount + bonus_amount = balance_amount),
      check (balance_amount + external_amount = amount_due),
      foreign key (tenant_id, member_id) references members(tenant_id, id)
    )`.execute(db);
  await sql`create index wallet_payments_member on wallet_payments (tenant_id, member_id, id)`.execute(db);
  await sql`create index wallet_payments_held on wallet_payments (tenant_id, timeout_at) where status = 'held'`.execute(
    db,
  );

  await sql`
    create table wallet_refunds (
      tenant_id text not null references tenants(id),
      id text not null,
      payment_id text not null,
      member_id text not null,
      amount bigint not null check (amount > 0),
      principal_amount bigint not null check (principal_amount >= 0),
      bonus_amount bigint not null check (bonus_amount >= 0),
      reason text,
      created_at timestamptz not null,
      primary key (tenant_id, id),
      check (principal_amount + bonus_amount = amount),
      foreign key (tenant_id, payment_id) references wallet_payments(tenant_id, id)
    )`.execute(db);
  await sql`create index wallet_refunds_payment on wallet_refunds (tenant_id, payment_id)`.execute(db);

  await sql`
    create table wallet_topup_intents (
      tenant_id text not null references tenants(id),
      id text not null,
      member_id text not null,
      asset text not null,
      amount bigint not null check (amount > 0),
      provider text not null,
      provider_ref text not null,
      status text not null check (status in ('pending', 'succeeded', 'failed', 'expired')),
      checkout jsonb not null default '{}',
      expires_at timestamptz not null,
      completed_at timestamptz,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, id),
      unique (tenant_id, provider, provider_ref),
      foreign key (tenant_id, member_id) references members(tenant_id, id)
    )`.execute(db);
  await sql`create index wallet_topup_intents_member on wallet_topup_intents (tenant_id, member_id, id)`.execute(
    db,
  );

  await sql`
    create table wallet_point_lots (
      tenant_id text not null references tenants(id),
      account_id text not null,
      member_id text not null,
      kind text not null check (kind in ('points', 'referral_points')),
      expires_at timestamptz,
      created_at timestamptz not null,
      primary key (tenant_id, account_id),
      foreign key (tenant_id, member_id) references members(tenant_id, id)
    )`.execute(db);
  await sql`create index wallet_point_lots_member on wallet_point_lots (tenant_id, member_id, kind, expires_at)`.execute(
    db,
  );
  await sql`create index wallet_point_lots_expiry on wallet_point_lots (expires_at) where expires_at is not null`.execute(
    db,
  );

  for (const table of [
    "wallet_settings",
    "wallet_changes",
    "wallet_payments",
    "wallet_refunds",
    "wallet_topup_intents",
    "wallet_point_lots",
  ]) {
    await protectTenantTable(db, table);
  }
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
