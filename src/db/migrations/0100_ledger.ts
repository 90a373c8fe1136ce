import { type Kysely, sql } from "kysely";
import { protectTenantTable } from "../migrate.js";

/**
 * The double-entry ledger: assets, accounts with their four balances, and the journal of
 * immutable transfers. Balances are only ever written by the ledger engine, which holds the
 * account rows locked while it decides; `verify` recomputes them from the journal.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table ledger_assets (
      tenant_id text not null references tenants(id),
      code text not null check (code ~ '^[A-Z][A-Z0-9_]{1,15}$'),
      scale smallint not null check (scale between 0 and 8),
      symbol text,
      name text not null,
      created_at timestamptz not null default now(),
      primary key (tenant_id, code)
    )`.execute(db);

  await sql`
    create table ledger_accounts (
      tenant_id text not null,
      id text not null,
      asset text not null,
      kind text not null,
      owner_module text,
      owner_id text,
      debits_must_not_exceed_credits boolean not null default false,
      credits_must_not_exceed_debits boolean not null default false,
      overdraft_limit bigint not null default 0 check (overdraft_limit >= 0),
      frozen_debits boolean not null default false,
      frozen_credits boolean not null default false,
      closed boolean not null default false,
      expires_at timestamptz,
      metadata jsonb not null default '{}',
      debits_posted bigint not null default 0 check (debits_posted >= 0),
      credits_posted bigint not null default 0 check (credits_posted >= 0),
      debits_pending bigint not null default 0 check (debits_pending >= 0),
      credits_pending bigint not null default 0 check (credits_pending >= 0),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (tenant_id, id),
      foreign key (tenant_id, asset) references ledger_assets(tenant_id, code),
      check (not (debits_must_not_exceed_credits and credits_must_not_exceed_debits)),
      -- The balance-limit flags hold in the database too, as a last line of defence.
      check (not debits_must_not_exceed_credits
             or debits_posted + debits_pending <= credits_posted + overdraft_limit),
      check (not credits_must_not_exceed_debits
             or credits_posted + credits_pending <= debits_posted + overdraft_limit)
    )`.execute(db);
  await sql`create index ledger_accounts_owner on ledger_accounts (tenant_id, owner_module, owner_id)`.execute(
    db,
  );
  await sql`create index ledger_accounts_kind on ledger_accounts (tenant_id, kind, id)`.execute(db);

  // The journal. `seq` orders entries (statements, lists); per account it follows commit
  // order because every writer holds the account's row lock while it inserts.
  // kind: posted (single-phase), pending (a hold), post_pending / void_pending (its resolution).
  // debit_balance / credit_balance: each account's posted net (credits - debits) after this entry.
  await sql`
    create table ledger_transfers (
      tenant_id text not null,
      id text not null,
      seq bigint generated always as identity,
      kind text not null check (kind in ('posted', 'pending', 'post_pending', 'void_pending')),
      debit_account_id text not null,
      credit_account_id text not null,
      amount bigint not null check (amount >= 0),
      asset text not null,
      code text not null,
      reference_module text,
      reference_id text,
      memo text,
      metadata jsonb,
      pending_id text,
      timeout_seconds integer,
      timeout_at timestamptz,
      debit_balance bigint not null,
      credit_balance bigint not null,
      created_at timestamptz not null,
      primary key (tenant_id, id),
      check (debit_account_id <> credit_account_id),
      check ((kind in ('post_pending', 'void_pending')) = (pending_id is not null)),
      check (kind in ('post_pending', 'void_pending') or amount > 0)
    )`.execute(db);
  await sql`create index ledger_transfers_seq on ledger_transfers (tenant_id, seq)`.execute(db);
  await sql`create index ledger_transfers_debit on ledger_transfers (tenant_id, debit_account_id, seq)`.execute(
    db,
  );
  await sql`create index ledger_transfers_credit on ledger_transfers (tenant_id, credit_account_id, seq)`.execute(
    db,
  );
  await sql`create index ledger_transfers_reference on ledger_transfers (tenant_id, reference_module, reference_id) where reference_id is not null`.execute(
    db,
  );
  // A hold resolves exactly once: a second post or void of it cannot commit.
  await sql`create unique index ledger_transfers_resolution on ledger_transfers (tenant_id, pending_id) where pending_id is not null`.execute(
    db,
  );
  // Holds that may time out: the expiry job scans only these.
  await sql`create index ledger_transfers_timeout on ledger_transfers (timeout_at) where kind = 'pending' and timeout_at is not null`.execute(
    db,
  );

  for (const table of ["ledger_assets", "ledger_accounts", "ledger_transfers"]) {
    await protectTenantTable(db, table);
  }
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
