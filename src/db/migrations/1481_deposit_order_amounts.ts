import { type Kysely, sql } from "kysely";

/**
 * An order's frozen, arrears, released, settled and refunded amounts were kept in mutable
 * columns beside its account transactions and its ledger hold. They now follow from the
 * transactions (immutable, one per ledger transfer): arrears = arrears − repaid − cancelled,
 * released = release + arrears cancelled, settled = settle, refunded = settled refund, and
 * frozen = cost − arrears − released − settled. Before the columns go, every stored order is
 * checked against that derivation; a difference stops the migration rather than lose it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const differing = await sql<{ tenant_id: string; id: string }>`
    with totals as (
      select tenant_id, order_cost_id,
        sum(case when type = 'arrears' then amount
                 when type in ('arrears_repaid', 'arrears_cancelled') then -amount else 0 end) as arrears,
        sum(case when type in ('release', 'arrears_cancelled') then amount else 0 end) as released,
        sum(case when type = 'settle' then amount else 0 end) as settled,
        sum(case when type = 'settled_refund' then amount else 0 end) as refunded
      from deposit_entries where order_cost_id is not null
      group by tenant_id, order_cost_id
    )
    select o.tenant_id, o.id from deposit_order_costs o
    left join totals t on t.tenant_id = o.tenant_id and t.order_cost_id = o.id
    where coalesce(t.arrears, 0) <> o.arrears or coalesce(t.released, 0) <> o.released
      or coalesce(t.settled, 0) <> o.settled or coalesce(t.refunded, 0) <> o.refunded
      or o.cost - coalesce(t.arrears, 0) - coalesce(t.released, 0) - coalesce(t.settled, 0) <> o.frozen
    limit 10`.execute(db);
  if (differing.rows.length > 0) {
    const ids = differing.rows.map((r) => `${r.tenant_id}/${r.id}`).join(", ");
    throw new Error(`deposit order costs disagree with their transactions: ${ids}`);
  }
  // An order's transactions (its amounts) and the orders that still owe arrears (repayment).
  await sql`create index deposit_entries_order_cost on deposit_entries (tenant_id, order_cost_id) where order_cost_id is not null`.execute(
    db,
  );
  await sql`create index deposit_entries_arrears on deposit_entries (tenant_id, account_id, order_cost_id) where type in ('arrears', 'arrears_repaid', 'arrears_cancelled')`.execute(
    db,
  );
  await sql`drop index deposit_order_costs_arrears`.execute(db);
  await sql`
    alter table deposit_order_costs
      drop column frozen, drop column arrears, drop column released, drop column settled, drop column refunded`.execute(
    db,
  );
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
