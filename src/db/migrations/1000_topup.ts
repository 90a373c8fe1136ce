import { type Kysely, sql } from "kysely";
import { protectTenantTable } from "../migrate.js";

/**
 * Top-up plans, smart top-up, recharge codes and per-tenant payment providers
 * (src/modules/topup), and the wallets' tagged lots: a plan's top-up goes to a principal lot
 * and a bonus lot (each its own ledger account) that remember which top-up they came from
 * and how they may be spent. Payment and refund legs record which account paid what.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table wallet_lots (
      tenant_id text not null references tenants(id),
      id text not null,
      member_id text not null,
      kind text not null check (kind in ('principal', 'bonus')),
      asset text not null,
      amount bigint not null check (amount > 0),
      source_type text not null,
      source_id text not null,
      source_name text not null,
      eligible_skus jsonb,
      same_day_limit_bps integer check (same_day_limit_bps between 0 and 10000),
      no_use_on_topup_day boolean not null default false,
      topup_day text not null,
      created_at timestamptz not null,
      primary key (tenant_id, id),
      unique (tenant_id, source_type, source_id, kind),
      foreign key (tenant_id, member_id) references members(tenant_id, id)
    )`.execute(db);
  await sql`create index wallet_lots_member on wallet_lots (tenant_id, member_id, id)`.execute(db);

  await sql`
    create table wallet_payment_legs (
      tenant_id text not null references tenants(id),
      payment_id text not null,
      account_id text not null,
      lot_id text,
      kind text not null check (kind in ('principal', 'bonus')),
      amount bigint not null check (amount > 0),
      transfer_id text not null,
      seq integer not null,
      primary key (tenant_id, payment_id, account_id),
      foreign key (tenant_id, payment_id) references wallet_payments(tenant_id, id)
    )`.execute(db);
  await sql`
    create table wallet_refund_legs (
      tenant_id text not null references tenants(id),
      refund_id text not null,
      payment_id text not null,
      account_id text not null,
      kind text not null check (kind in ('principal', 'bonus')),
      amount bigint not null check (amount > 0),
      primary key (tenant_id, refund_id, account_id),
      foreign key (tenant_id, refund_id) references wallet_refunds(tenant_id, id)
    )`.execute(db);
  await sql`create index wallet_refund_legs_payment on wallet_refund_legs (tenant_id, payment_id)`.execute(
    db,
  );
  // Which lots a change-log row moved: [{lot_id, kind, amount}] (null: the untagged accounts only).
  await sql`alter table wallet_changes add column lots jsonb`.execute(db);

  await sql`
    create table topup_plans (
      tenant_id text not null references tenants(id),
      id text not null,
      kind text not null check (kind in ('package', 'custom')),
      name text not null,
      currency text not null,
      status text not null check (status in ('active', 'inactive', 'archived')),
      visibility text not null check (visibility in ('shown', 'hidden')),
      terms jsonb not null,
      version integer not null default 1,
      created_by text not null,
      updated_by text not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, id)
    )`.execute(db);
  await sql`create index topup_plans_status on topup_plans (tenant_id, status, id)`.execute(db);

  await sql`
    create table smart_topup_plans (
      tenant_id text not null references tenants(id),
      id text not null,
      name text not null,
      currency text not null,
      status text not null check (status in ('active', 'inactive', 'archived')),
      terms jsonb not null,
      created_by text not null,
      updated_by text not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, id)
    )`.execute(db);
  await sql`create index smart_topup_plans_status on smart_topup_plans (tenant_id, status, id)`.execute(db);

  await sql`
    create table recharge_codes (
      tenant_id text not null references tenants(id),
      id text not null,
      code text not null,
      plan_id text not null,
      scenario text not null,
      store_id text,
      channel text not null check (channel in ('pos', 'online')),
      status text not null check (status in ('active', 'disabled')),
      created_by text not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, id),
      unique (tenant_id, code),
      foreign key (tenant_id, plan_id) references topup_plans(tenant_id, id)
    )`.execute(db);
  await sql`create index recharge_codes_plan on recharge_codes (tenant_id, plan_id, id)`.execute(db);

  await sql`
    create table topups (
      tenant_id text not null references tenants(id),
      id text not null,
      source text not null check (source in ('plan', 'smart')),
      plan_id text not null,
      plan_name text not null,
      member_id text not null,
      card_number text,
      currency text not null,
      amount bigint not null check (amount > 0),
      bonus_amount bigint not null check (bonus_amount >= 0),
      points bigint not null check (points >= 0),
      first_topup boolean not null,
      gift jsonb not null default '[]',
      channel text not null check (channel in ('pos', 'online')),
      store_id text,
      payment_method text not null check (payment_method in ('offline', 'online')),
      provider text,
      provider_ref text,
      checkout jsonb,
      payment_expires_at timestamptz,
      status text not null check (status in ('pending_payment', 'credited', 'failed', 'expired', 'refunded')),
      recharge_code_id text,
      stock_key text,
      details jsonb not null default '{}',
      created_by text not null,
      created_at timestamptz not null,
      credited_at timestamptz,
      updated_at timestamptz not null,
      primary key (tenant_id, id),
      unique (tenant_id, provider, provider_ref),
      foreign key (tenant_id, member_id) references members(tenant_id, id)
    )`.execute(db);
  await sql`create index topups_plan on topups (tenant_id, plan_id, id)`.execute(db);
  await sql`create index topups_member on topups (tenant_id, member_id, plan_id, status)`.execute(db);
  await sql`create index topups_code on topups (tenant_id, recharge_code_id) where recharge_code_id is not null`.execute(
    db,
  );

  await sql`
    create table smart_topup_acceptances (
      tenant_id text not null references tenants(id),
      id text not null,
      plan_id text not null,
      tier_index integer not null check (tier_index between 0 and 8),
      tier_type text not null,
      member_id text not null,
      order_amount bigint not null check (order_amount > 0),
      topup_id text not null,
      amount bigint not null,
      bonus_amount bigint not null,
      points bigint not null,
      gift jsonb not null default '[]',
      store_id text,
      channel text not null,
      order_id text,
      payment_id text,
      created_by text not null,
      created_at timestamptz not null,
      primary key (tenant_id, id),
      unique (tenant_id, topup_id),
      foreign key (tenant_id, plan_id) references smart_topup_plans(tenant_id, id),
      foreign key (tenant_id, topup_id) references topups(tenant_id, id)
    )`.execute(db);
  await sql`create index smart_topup_acceptances_plan on smart_topup_acceptances (tenant_id, plan_id, id)`.execute(
    db,
  );

  // A tenant's own credentials for a real provider. Secrets are sealed (AES-256-GCM under a
  // key derived from the service's signing secret) and never returned by the API.
  await sql`
    create table payment_provider_configs (
      tenant_id text not null references tenants(id),
      provider text not null check (provider in ('alipay', 'wechatpay', 'stripe')),
      settings jsonb not null,
      sealed_secrets text not null,
      enabled boolean not null default true,
      updated_by text not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, provider)
    )`.execute(db);

  for (const table of [
    "wallet_lots",
    "wallet_payment_legs",
    "wallet_refund_legs",
    "topup_plans",
    "smart_topup_plans",
    "recharge_codes",
    "topups",
    "smart_topup_acceptances",
    "payment_provider_configs",
  ]) {
    await protectTenantTable(db, table);
  }
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
