import { type Kysely, sql } from "kysely";

/**
 * A paid cashier order whose money is given back (its balance payment refunded at the wallets,
 * its online part refunded at the provider) says so: how much is back (`refunded_amount`),
 * `partially_refunded` while some of it is, `refunded` with `refunded_at` once all of it is.
 * It stays an order that was paid (`paid_at` kept).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table cashier_orders drop constraint cashier_orders_status_check`.execute(db);
  await sql`alter table cashier_orders add constraint cashier_orders_status_check
    check (status in ('open', 'pending_payment', 'paid', 'partially_refunded', 'refunded', 'cancelled', 'expired'))`.execute(
    db,
  );
  await sql`alter table cashier_orders drop constraint cashier_orders_check`.execute(db);
  await sql`alter table cashier_orders add column refunded_amount bigint not null default 0`.execute(db);
  await sql`alter table cashier_orders add column refunded_at timestamptz`.execute(db);
  await countEarlierBalanceRefunds(db);
  await sql`alter table cashier_orders add constraint cashier_orders_paid_check
    check ((status in ('paid', 'partially_refunded', 'refunded')) = (paid_at is not null))`.execute(db);
  await sql`alter table cashier_orders add constraint cashier_orders_refunded_check check (
    refunded_amount >= 0 and refunded_amount <= total
    and (status = 'partially_refunded') = (refunded_amount > 0 and refunded_amount < total)
    and (status = 'refunded') = (refunded_amount = total)
    and (status = 'refunded') = (refunded_at is not null))`.execute(db);
}

/**
 * Balance payments refunded before orders counted them are counted now, so those orders tell
 * the truth too. (A provider's refund of an online part was only audited then: nothing to
 * count.) Only orders still `paid` are touched, so it may run again harmlessly.
 */
export async function countEarlierBalanceRefunds(db: Kysely<any>): Promise<void> {
  await sql`
    update cashier_orders o
    set refunded_amount = r.amount,
        status = case when r.amount >= o.total then 'refunded' else 'partially_refunded' end,
        refunded_at = case when r.amount >= o.total then r.last_at end
    from (
      select p.tenant_id, p.order_id, sum(w.amount) as amount, max(w.created_at) as last_at
      from cashier_payments p
      join wallet_refunds w on w.tenant_id = p.tenant_id and w.payment_id = p.wallet_payment_id
      where p.status = 'succeeded'
      group by p.tenant_id, p.order_id
    ) r
    where o.tenant_id = r.tenant_id and o.id = r.order_id and o.status = 'paid'`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
