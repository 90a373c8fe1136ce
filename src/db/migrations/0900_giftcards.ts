import { type Kysely, sql } from "kysely";
import { protectTenantTable } from "../migrate.js";

/**
 * Gift cards (src/modules/giftcards): plans, cards, the activity record of every change,
 * online sale payments and the lookup rate limit. No balance column: each sold card is a
 * ledger account that may not go below zero; `gift_card_activities` records what moved.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table gift_card_plans (
      tenant_id text not null references tenants(id),
      id text not null,
      name text not null,
      card_type text not null check (card_type in ('electronic', 'physical')),
      currency text not null,
      store_scope jsonb not null default '{}',
      design jsonb not null,
      denominations jsonb not null default '[]',
      custom_amount jsonb,
      buyer_info jsonb not null,
      validity jsonb not null,
      channels jsonb not null,
      pos_recharge boolean not null,
      terms_agreement_id text,
      status text not null check (status in ('inactive', 'active')),
      copied_from text,
      created_by text not null,
      updated_by text not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, id),
      check (jsonb_array_length(denominations) <= 6),
      check (jsonb_array_length(denominations) > 0 or custom_amount is not null)
    )`.execute(db);
  await sql`create index gift_card_plans_status on gift_card_plans (tenant_id, status, id)`.execute(db);

  await sql`
    create table gift_cards (
      tenant_id text not null references tenants(id),
      id text not null,
      plan_id text not null,
      number text not null,
      card_type text not null check (card_type in ('electronic', 'physical')),
      asset text not null,
      status text not null check (status in ('inactive', 'pending', 'active', 'frozen', 'expired',
        'refunded', 'cancelled')),
      pin_hash text,
      account_id text,
      face_amount bigint check (face_amount > 0),
      paid_amount bigint not null default 0 check (paid_amount >= 0),
      discount_amount bigint not null default 0 check (discount_amount >= 0),
      store_scope jsonb not null default '{}',
      expires_at timestamptz,
      buyer_name text,
      buyer_phone text,
      buyer_email text,
      buyer_member_id text,
      holder_member_id text,
      recipient_name text,
      recipient_phone text,
      gift_message text,
      sale_id text,
      sale_channel text check (sale_channel in ('POS', 'ONLINE')),
      sale_store_id text,
      sale_payment jsonb,
      agreements jsonb not null default '[]',
      import_job_id text,
      sold_at timestamptz,
      frozen_reason text,
      closed_at timestamptz,
      created_by text not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, id),
      unique (tenant_id, number),
      unique (tenant_id, sale_id),
      foreign key (tenant_id, plan_id) references gift_card_plans(tenant_id, id),
      check (status in ('inactive', 'pending', 'cancelled') or account_id is not null)
    )`.execute(db);
  await sql`create index gift_cards_phone on gift_cards (tenant_id, buyer_phone) where buyer_phone is not null`.execute(
    db,
  );
  await sql`create index gift_cards_holder on gift_cards (tenant_id, holder_member_id, id)
    where holder_member_id is not null`.execute(db);
  await sql`create index gift_cards_buyer on gift_cards (tenant_id, buyer_member_id, id)
    where buyer_member_id is not null`.execute(db);
  await sql`create index gift_cards_plan on gift_cards (tenant_id, plan_id, id)`.execute(db);
  await sql`create index gift_cards_due on gift_cards (tenant_id, expires_at)
    where status in ('active', 'frozen')`.execute(db);

  await sql`
    create table gift_card_activities (
      tenant_id text not null references tenants(id),
      id text not null,
      card_id text not null,
      type text not null check (type in ('ACTIVATE', 'LOAD', 'REDEEM', 'REFUND', 'ADJUST_INCREMENT',
        'ADJUST_DECREMENT', 'BLOCK', 'UNBLOCK', 'EXPIRE', 'CARD_REFUND')),
      amount bigint not null check (amount >= 0),
      balance_after bigint not null check (balance_after >= 0),
      asset text not null,
      store_id text,
      channel text check (channel in ('POS', 'ONLINE')),
      operator_type text not null,
      operator_id text not null,
      reference_module text,
      reference_id text,
      redemption_id text,
      paid_amount bigint check (paid_amount >= 0),
      discount_amount bigint check (discount_amount >= 0),
      payment_method text check (payment_method in ('offline', 'balance', 'online')),
      payment_ref text,
      returned_to text,
      reason text,
      created_at timestamptz not null,
      primary key (tenant_id, id),
      foreign key (tenant_id, card_id) references gift_cards(tenant_id, id),
      foreign key (tenant_id, redemption_id) references gift_card_activities(tenant_id, id),
      check ((type = 'REFUND') = (redemption_id is not null))
    )`.execute(db);
  await sql`create index gift_card_activities_card on gift_card_activities (tenant_id, card_id, id)`.execute(
    db,
  );
  await sql`create index gift_card_activities_time on gift_card_activities (tenant_id, created_at, id)`.execute(
    db,
  );
  // One redemption per card and paying reference (an order): a retry replays it.
  await sql`create unique index gift_card_activities_redeem_ref on gift_card_activities
    (tenant_id, card_id, reference_module, reference_id) where type = 'REDEEM'`.execute(db);
  // One refund per redemption and refund reference.
  await sql`create unique index gift_card_activities_refund_ref on gift_card_activities
    (tenant_id, redemption_id, reference_id) where type = 'REFUND'`.execute(db);

  await sql`
    create table gift_card_payments (
      tenant_id text not null references tenants(id),
      id text not null,
      card_id text not null,
      provider text not null,
      provider_ref text not null,
      amount bigint not null check (amount > 0),
      asset text not null,
      status text not null check (status in ('pending', 'succeeded', 'failed', 'expired')),
      checkout jsonb not null default '{}',
      expires_at timestamptz not null,
      completed_at timestamptz,
      created_at timestamptz not null,
      primary key (tenant_id, id),
      unique (tenant_id, provider, provider_ref),
      unique (tenant_id, card_id),
      foreign key (tenant_id, card_id) references gift_cards(tenant_id, id)
    )`.execute(db);
  await sql`create index gift_card_payments_due on gift_card_payments (tenant_id, expires_at)
    where status = 'pending'`.execute(db);

  // Failed look-ups per subject (a caller, a card number) in a fixed window: counted here,
  // not in memory, so the limit holds across processes.
  await sql`
    create table gift_card_lookup_limits (
      tenant_id text not null references tenants(id),
      subject text not null,
      window_start timestamptz not null,
      failures integer not null check (failures >= 0),
      primary key (tenant_id, subject)
    )`.execute(db);

  for (const table of [
    "gift_card_plans",
    "gift_cards",
    "gift_card_activities",
    "gift_card_payments",
    "gift_card_lookup_limits",
  ]) {
    await protectTenantTable(db, table);
  }
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
