import { type Kysely, sql } from "kysely";

/**
 * A hold may now be resolved in steps: voids of part of it (the rest stays pending), then a
 * post or a void of what is left. Each step is its own immutable journal row that records
 * `pending_before`, what of its hold was still pending just before it. That makes the journal
 * alone enough to recompute pending balances (a void releases its amount, a post releases all
 * of `pending_before`), and it replaces "one resolution per hold" by "one step from each
 * state": two resolvers racing from the same state carry the same `pending_before`, so the
 * second cannot commit. At most one post per hold, as before.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table ledger_transfers add column pending_before bigint`.execute(db);
  // Every resolution so far resolved its whole hold in one step.
  await sql`
    update ledger_transfers r set pending_before = p.amount
    from ledger_transfers p
    where r.pending_id is not null and p.tenant_id = r.tenant_id and p.id = r.pending_id`.execute(db);
  await sql`
    alter table ledger_transfers
      add constraint ledger_transfers_pending_before check ((pending_before is null) = (pending_id is null)),
      add constraint ledger_transfers_resolution_amount check (
        pending_before is null or (pending_before > 0 and amount > 0 and amount <= pending_before))`.execute(
    db,
  );
  await sql`drop index ledger_transfers_resolution`.execute(db);
  await sql`create unique index ledger_transfers_resolution_step on ledger_transfers (tenant_id, pending_id, pending_before) where pending_id is not null`.execute(
    db,
  );
  await sql`create unique index ledger_transfers_post on ledger_transfers (tenant_id, pending_id) where kind = 'post_pending'`.execute(
    db,
  );
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
