import { type Kysely, sql } from "kysely";
import { protectTenantTable } from "../migrate.js";

/**
 * Completed checkout orders, which benefits each used (for usage statistics), and refunds.
 * No balance here: balance, vouchers and points move in the ledger through their modules;
 * `settlement` keeps the references of those movements so a refund reverses exactly them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table checkout_orders (
      tenant_id text not null references tenants(id),
      id text not null,
      client_order_id text not null,
      member_id text,
      channel text not null check (channel in ('POS', 'ONLINE')),
      store_id text,
      currency text not null,
      status text not null check (status in ('completed', 'refunded')),
      no_benefit_total bigint not null check (no_benefit_total >= 0),
      total bigint not null check (total >= 0 and total <= no_benefit_total),
      voucher_total bigint not null check (voucher_total >= 0),
      balance_amount bigint not null check (balance_amount >= 0 and balance_amount <= total),
      points_earned bigint not null check (points_earned >= 0),
      quote jsonb not null,
      settlement jsonb not null default '{}',
      request_hash text not null,
      created_by text not null,
      created_at timestamptz not null,
      refunded_at timestamptz,
      primary key (tenant_id, id),
      unique (tenant_id, client_order_id)
    )`.execute(db);
  await sql`create index checkout_orders_member on checkout_orders (tenant_id, member_id, id)`.execute(db);

  await sql`
    create table checkout_benefit_usages (
      tenant_id text not null references tenants(id),
      order_id text not null,
      benefit_id text not null,
      member_id text,
      discount_amount bigint not null check (discount_amount >= 0),
      reversed boolean not null default false,
      created_at timestamptz not null,
      primary key (tenant_id, order_id, benefit_id),
      foreign key (tenant_id, order_id) references checkout_orders(tenant_id, id),
      foreign key (tenant_id, benefit_id) references benefits(tenant_id, id)
    )`.execute(db);
  await sql`create index checkout_benefit_usages_benefit on checkout_benefit_usages (tenant_id, benefit_id)`.execute(
    db,
  );

  await sql`
    create table checkout_refunds (
      tenant_id text not null references tenants(id),
      id text not null,
      order_id text not null,
      reason text,
      created_by text not null,
      created_at timestamptz not null,
      primary key (tenant_id, id),
      unique (tenant_id, order_id),
      foreign key (tenant_id, order_id) references checkout_orders(tenant_id, id)
    )`.execute(db);

  for (const table of ["checkout_orders", "checkout_benefit_usages", "checkout_refunds"]) {
    await protectTenantTable(db, table);
  }
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
