import { type Kysely, sql } from "kysely";
import { protectTenantTable } from "../migrate.js";

/**
 * The member center's cashier (issue 22): orders a merchant's backend hands over for a member
 * to pay there, and each attempt to pay one (by balance; balance held with the rest online;
 * or a smart top-up paid online that then pays the order from the balance).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table cashier_orders (
      tenant_id text not null references tenants(id),
      id text not null,
      member_id text not null,
      merchant_order_ref text not null,
      currency text not null,
      items jsonb not null,
      total bigint not null check (total > 0),
      status text not null check (status in ('open', 'pending_payment', 'paid', 'cancelled', 'expired')),
      return_url text,
      expires_at timestamptz not null,
      paid_by text check (paid_by in ('balance', 'balance_and_online', 'smart_topup')),
      paid_at timestamptz,
      cancelled_at timestamptz,
      created_by text not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, id),
      unique (tenant_id, merchant_order_ref),
      foreign key (tenant_id, member_id) references members(tenant_id, id),
      check ((status = 'paid') = (paid_at is not null))
    )`.execute(db);
  await sql`create index cashier_orders_status on cashier_orders (tenant_id, status, id)`.execute(db);
  await sql`create index cashier_orders_member on cashier_orders (tenant_id, member_id, id)`.execute(db);

  await sql`
    create table cashier_payments (
      tenant_id text not null references tenants(id),
      id text not null,
      order_id text not null,
      kind text not null check (kind in ('balance', 'balance_and_online', 'smart_topup')),
      status text not null check (status in ('pending', 'succeeded', 'failed', 'expired')),
      currency text not null,
      balance_amount bigint not null check (balance_amount >= 0),
      online_amount bigint not null check (online_amount >= 0),
      provider text,
      provider_ref text,
      checkout jsonb,
      expires_at timestamptz,
      wallet_payment_id text,
      topup_id text,
      created_by text not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      primary key (tenant_id, id),
      unique (tenant_id, provider, provider_ref),
      foreign key (tenant_id, order_id) references cashier_orders(tenant_id, id)
    )`.execute(db);
  await sql`create index cashier_payments_order on cashier_payments (tenant_id, order_id, id)`.execute(db);
  await sql`create index cashier_payments_wallet on cashier_payments (tenant_id, wallet_payment_id)`.execute(
    db,
  );
  await sql`create index cashier_payments_pending on cashier_payments (tenant_id, expires_at)
    where status = 'pending'`.execute(db);

  for (const table of ["cashier_orders", "cashier_payments"]) {
    await protectTenantTable(db, table);
  }
}
