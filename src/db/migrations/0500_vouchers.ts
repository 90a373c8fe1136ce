import { type Kysely, sql } from "kysely";
import { protectTenantTable } from "../migrate.js";

/**
 * Vouchers: reseller quotas, templates, vouchers, bills and their usage lines. No balance
 * lives here: quotas and vouchers are ledger accounts (the `*_account_id` columns).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table voucher_quotas (
      tenant_id text not null references tenants(id),
      id text not null,
      distributor_id text not null,
      reseller_id text not null,
      asset text not null,
      account_id text,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, id),
      unique (tenant_id, reseller_id, asset),
      foreign key (tenant_id, distributor_id) references org_units(tenant_id, id),
      foreign key (tenant_id, reseller_id) references org_units(tenant_id, id)
    )`.execute(db);

  await sql`
    create table voucher_quota_changes (
      tenant_id text not null references tenants(id),
      id text not null,
      quota_id text not null,
      delta bigint not null check (delta <> 0),
      reason text not null,
      actor_type text not null,
      actor_id text not null,
      transfer_id text,
      created_at timestamptz not null,
      primary key (tenant_id, id),
      foreign key (tenant_id, quota_id) references voucher_quotas(tenant_id, id)
    )`.execute(db);
  await sql`create index voucher_quota_changes_quota on voucher_quota_changes (tenant_id, quota_id, id)`.execute(
    db,
  );

  await sql`
    create table voucher_templates (
      tenant_id text not null references tenants(id),
      id text not null,
      owner_id text not null,
      name text not null,
      purpose text not null check (purpose in ('customer_discount', 'product_trial')),
      face_amount bigint not null check (face_amount > 0),
      asset text not null,
      validity_kind text not null check (validity_kind in ('fixed', 'relative')),
      valid_from text check (valid_from ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
      valid_until text check (valid_until ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
      valid_days integer,
      scope_kind text not null check (scope_kind in ('all', 'allow', 'deny')),
      product_codes jsonb not null default '[]',
      min_bill_amount bigint not null default 0 check (min_bill_amount >= 0),
      note text,
      status text not null default 'active' check (status in ('active', 'archived')),
      issued_count integer not null default 0,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, id),
      foreign key (tenant_id, owner_id) references org_units(tenant_id, id),
      check ((validity_kind = 'fixed' and valid_from is not null and valid_until is not null and valid_until >= valid_from)
          or (validity_kind = 'relative' and valid_days > 0))
    )`.execute(db);
  await sql`create index voucher_templates_owner on voucher_templates (tenant_id, owner_id, id)`.execute(db);

  await sql`
    create table vouchers (
      tenant_id text not null references tenants(id),
      id text not null,
      template_id text,
      purpose text not null check (purpose in ('customer_discount', 'product_trial')),
      issuer_id text not null,
      customer_id text not null,
      face_amount bigint not null check (face_amount > 0),
      asset text not null,
      scope_kind text not null check (scope_kind in ('all', 'allow', 'deny')),
      product_codes jsonb not null default '[]',
      min_bill_amount bigint not null default 0,
      starts_at timestamptz not null,
      expires_at timestamptz not null,
      state text not null default 'active' check (state in ('active', 'withdrawn', 'expired')),
      account_id text,
      source_account_id text,
      issued_by text not null,
      issue_batch_id text,
      withdrawn_at timestamptz,
      withdrawn_by text,
      expired_at timestamptz,
      created_at timestamptz not null,
      primary key (tenant_id, id),
      foreign key (tenant_id, template_id) references voucher_templates(tenant_id, id),
      foreign key (tenant_id, issuer_id) references org_units(tenant_id, id),
      foreign key (tenant_id, customer_id) references org_units(tenant_id, id)
    )`.execute(db);
  await sql`create index vouchers_customer on vouchers (tenant_id, customer_id, state, expires_at)`.execute(
    db,
  );
  await sql`create index vouchers_template on vouchers (tenant_id, template_id)`.execute(db);
  await sql`create index vouchers_due on vouchers (expires_at) where state = 'active'`.execute(db);

  await sql`
    create table voucher_bills (
      tenant_id text not null references tenants(id),
      id text not null,
      bill_id text not null,
      customer_id text not null,
      asset text not null,
      total_amount bigint not null,
      deducted_amount bigint not null,
      lines jsonb not null,
      request_hash text not null,
      created_at timestamptz not null,
      primary key (tenant_id, id),
      unique (tenant_id, bill_id),
      foreign key (tenant_id, customer_id) references org_units(tenant_id, id)
    )`.execute(db);

  await sql`
    create table voucher_bill_refunds (
      tenant_id text not null references tenants(id),
      id text not null,
      bill_ref text not null,
      refund_id text not null,
      request_hash text not null,
      returned_amount bigint not null,
      created_at timestamptz not null,
      primary key (tenant_id, id),
      unique (tenant_id, bill_ref, refund_id),
      foreign key (tenant_id, bill_ref) references voucher_bills(tenant_id, id)
    )`.execute(db);

  // One row per voucher movement against a bill line: deductions positive, refunds negative.
  await sql`
    create table voucher_usages (
      tenant_id text not null references tenants(id),
      id text not null,
      voucher_id text not null,
      bill_ref text not null,
      bill_id text not null,
      refund_ref text,
      line_index integer not null,
      product_code text not null,
      kind text not null check (kind in ('deduction', 'refund')),
      amount bigint not null check (amount > 0),
      returned_to text check (returned_to in ('voucher', 'source')),
      transfer_id text,
      created_at timestamptz not null,
      primary key (tenant_id, id),
      foreign key (tenant_id, voucher_id) references vouchers(tenant_id, id),
      foreign key (tenant_id, bill_ref) references voucher_bills(tenant_id, id)
    )`.execute(db);
  await sql`create index voucher_usages_voucher on voucher_usages (tenant_id, voucher_id, id)`.execute(db);
  await sql`create index voucher_usages_bill on voucher_usages (tenant_id, bill_ref, id)`.execute(db);

  for (const table of [
    "voucher_quotas",
    "voucher_quota_changes",
    "voucher_templates",
    "vouchers",
    "voucher_bills",
    "voucher_bill_refunds",
    "voucher_usages",
  ]) {
    await protectTenantTable(db, table);
  }
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
