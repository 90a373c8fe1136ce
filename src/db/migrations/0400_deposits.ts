import { type Kysely, sql } from "kysely";
import { protectTenantTable } from "../migrate.js";

/**
 * Prepaid deposit accounts of merchants (seed 003). No balance lives here: the deposit
 * (available + frozen) and the arrears are ledger accounts; these tables hold the
 * applications, records and the per-order trail that point at ledger transfers.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table deposit_settings (
      tenant_id text not null references tenants(id),
      asset text not null default 'CNY',
      min_topup_amount bigint not null default 300000 check (min_topup_amount > 0),
      suspension_threshold bigint not null default 100000 check (suspension_threshold >= 0),
      invoice_min_net_amount bigint not null default 10000 check (invoice_min_net_amount > 0),
      invoice_wait_days integer not null default 15 check (invoice_wait_days between 0 and 366),
      tax_rate_bps integer not null default 600 check (tax_rate_bps between 0 and 10000),
      receiving_account jsonb not null default '{}',
      updated_at timestamptz not null,
      primary key (tenant_id)
    )`.execute(db);

  await sql`
    create table deposit_bank_bindings (
      tenant_id text not null references tenants(id),
      merchant_id text not null,
      company_name text not null,
      bank_name text not null,
      branch text not null,
      account_number text not null,
      status text not null check (status in ('effective', 'ineffective')),
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, merchant_id),
      foreign key (tenant_id, merchant_id) references org_units(tenant_id, id)
    )`.execute(db);
  await sql`create index deposit_bank_bindings_company on deposit_bank_bindings (tenant_id, company_name)`.execute(
    db,
  );

  await sql`
    create table deposit_accounts (
      tenant_id text not null references tenants(id),
      id text not null,
      merchant_id text not null,
      asset text not null,
      status text not null check (status in ('pending_configuration', 'pending_activation', 'active', 'abnormal', 'closed')),
      ledger_account_id text not null,
      arrears_account_id text not null,
      opened_by text not null,
      opener_inbox text not null,
      warning_value bigint check (warning_value >= 0),
      warning_emails jsonb not null default '[]',
      warning_phones jsonb not null default '[]',
      threshold_override bigint check (threshold_override >= 0),
      breaker_tripped boolean not null default false,
      breaker_changed_at timestamptz,
      configured_at timestamptz,
      activated_at timestamptz,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, id),
      unique (tenant_id, merchant_id),
      foreign key (tenant_id, merchant_id) references org_units(tenant_id, id)
    )`.execute(db);

  await sql`
    create table deposit_topups (
      tenant_id text not null references tenants(id),
      id text not null,
      account_id text not null,
      amount bigint not null check (amount > 0),
      reference text not null,
      status text not null check (status in ('open', 'completed', 'cancelled')),
      bank_record_id text,
      transfer_id text,
      arrears_repaid bigint not null default 0,
      created_at timestamptz not null,
      completed_at timestamptz,
      primary key (tenant_id, id),
      unique (tenant_id, reference),
      foreign key (tenant_id, account_id) references deposit_accounts(tenant_id, id)
    )`.execute(db);
  await sql`create index deposit_topups_open on deposit_topups (tenant_id, account_id, amount) where status = 'open'`.execute(
    db,
  );

  await sql`
    create table deposit_bank_records (
      tenant_id text not null references tenants(id),
      id text not null,
      bank_transaction_id text not null,
      payer_name text not null,
      payer_account text,
      amount bigint not null check (amount > 0),
      asset text not null,
      reference text,
      received_at timestamptz not null,
      source text not null check (source in ('api', 'statement')),
      status text not null check (status in ('matched', 'unmatched', 'returned')),
      reason text,
      topup_id text,
      created_at timestamptz not null,
      resolved_at timestamptz,
      primary key (tenant_id, id),
      unique (tenant_id, bank_transaction_id)
    )`.execute(db);
  await sql`create index deposit_bank_records_status on deposit_bank_records (tenant_id, status, id)`.execute(
    db,
  );

  await sql`
    create table deposit_campaigns (
      tenant_id text not null references tenants(id),
      id text not null,
      account_id text not null,
      merchant_id text not null,
      name text not null,
      starts_at timestamptz not null,
      ends_at timestamptz not null,
      status text not null check (status in ('not_started', 'running', 'suspended', 'ended')),
      suspended_by_breaker boolean not null default false,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, id),
      check (ends_at > starts_at),
      foreign key (tenant_id, account_id) references deposit_accounts(tenant_id, id)
    )`.execute(db);
  await sql`create index deposit_campaigns_account on deposit_campaigns (tenant_id, account_id, status)`.execute(
    db,
  );

  await sql`
    create table deposit_order_costs (
      tenant_id text not null references tenants(id),
      id text not null,
      account_id text not null,
      campaign_id text,
      order_id text not null,
      cost bigint not null check (cost > 0),
      hold_id text,
      frozen bigint not null default 0 check (frozen >= 0),
      arrears bigint not null default 0 check (arrears >= 0),
      released bigint not null default 0,
      settled bigint not null default 0,
      refunded bigint not null default 0,
      status text not null check (status in ('frozen', 'settled', 'released')),
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, id),
      unique (tenant_id, account_id, order_id),
      foreign key (tenant_id, account_id) references deposit_accounts(tenant_id, id)
    )`.execute(db);
  await sql`create index deposit_order_costs_arrears on deposit_order_costs (tenant_id, account_id, id) where arrears > 0`.execute(
    db,
  );

  await sql`
    create table deposit_entries (
      tenant_id text not null references tenants(id),
      id text not null,
      account_id text not null,
      type text not null check (type in ('freeze', 'release', 'settle', 'settled_refund', 'arrears', 'arrears_repaid', 'arrears_cancelled')),
      amount bigint not null check (amount > 0),
      order_id text,
      campaign_id text,
      order_cost_id text,
      transfer_id text,
      invoice_request_id text,
      created_at timestamptz not null,
      primary key (tenant_id, id)
    )`.execute(db);
  await sql`create index deposit_entries_account on deposit_entries (tenant_id, account_id, id)`.execute(db);
  await sql`create index deposit_entries_order on deposit_entries (tenant_id, account_id, order_id)`.execute(
    db,
  );

  await sql`
    create table deposit_manual_items (
      tenant_id text not null references tenants(id),
      id text not null,
      account_id text,
      kind text not null check (kind in ('freeze_failed', 'withdrawal_failed', 'bank_record_unmatched')),
      reference_id text,
      detail jsonb not null default '{}',
      status text not null default 'open' check (status in ('open', 'resolved')),
      created_at timestamptz not null,
      resolved_at timestamptz,
      primary key (tenant_id, id)
    )`.execute(db);

  await sql`
    create table deposit_withdrawals (
      tenant_id text not null references tenants(id),
      id text not null,
      account_id text not null,
      amount bigint not null check (amount > 0),
      status text not null check (status in ('requested', 'approved', 'paid', 'rejected', 'failed')),
      hold_id text not null,
      reason text,
      requested_by text not null,
      created_at timestamptz not null,
      approved_at timestamptz,
      paid_at timestamptz,
      rejected_at timestamptz,
      failed_at timestamptz,
      updated_at timestamptz not null,
      primary key (tenant_id, id),
      foreign key (tenant_id, account_id) references deposit_accounts(tenant_id, id)
    )`.execute(db);

  await sql`
    create table deposit_notices (
      tenant_id text not null references tenants(id),
      id text not null,
      account_id text not null,
      kind text not null check (kind in ('suspended', 'resumed', 'warning')),
      available bigint not null,
      recipients jsonb not null default '[]',
      created_at timestamptz not null,
      primary key (tenant_id, id)
    )`.execute(db);
  await sql`create index deposit_notices_account on deposit_notices (tenant_id, account_id, id)`.execute(db);

  await sql`
    create table deposit_invoice_profiles (
      tenant_id text not null references tenants(id),
      account_id text not null,
      company_name text not null,
      tax_rate_bps integer not null,
      company_address text,
      company_phone text,
      bank_name text,
      bank_account text,
      tax_id text,
      status text not null check (status in ('draft', 'verifying', 'verified', 'rejected')),
      reject_reason text,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, account_id),
      foreign key (tenant_id, account_id) references deposit_accounts(tenant_id, id)
    )`.execute(db);

  await sql`
    create table deposit_mail_addresses (
      tenant_id text not null references tenants(id),
      id text not null,
      account_id text not null,
      recipient text not null,
      phone text not null,
      address text not null,
      created_at timestamptz not null,
      primary key (tenant_id, id),
      foreign key (tenant_id, account_id) references deposit_accounts(tenant_id, id)
    )`.execute(db);

  await sql`
    create table deposit_invoice_requests (
      tenant_id text not null references tenants(id),
      id text not null,
      account_id text not null,
      status text not null check (status in ('requested', 'issued', 'mailed', 'rejected')),
      settled_amount bigint not null,
      refunded_amount bigint not null,
      net_amount bigint not null,
      entry_count integer not null,
      profile jsonb not null,
      address jsonb not null,
      filter jsonb not null,
      invoice_number text,
      tracking_number text,
      reject_reason text,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, id),
      foreign key (tenant_id, account_id) references deposit_accounts(tenant_id, id)
    )`.execute(db);

  for (const table of [
    "deposit_settings",
    "deposit_bank_bindings",
    "deposit_accounts",
    "deposit_topups",
    "deposit_bank_records",
    "deposit_campaigns",
    "deposit_order_costs",
    "deposit_entries",
    "deposit_manual_items",
    "deposit_withdrawals",
    "deposit_notices",
    "deposit_invoice_profiles",
    "deposit_mail_addresses",
    "deposit_invoice_requests",
  ]) {
    await protectTenantTable(db, table);
  }
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
