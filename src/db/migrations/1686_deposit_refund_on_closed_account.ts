import { type Kysely, sql } from "kysely";

/**
 * A settled refund that reaches a closed deposit account is credited to it and listed for
 * finance, so the merchant's money is never left there unseen.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table deposit_manual_items drop constraint deposit_manual_items_kind_check`.execute(db);
  await sql`alter table deposit_manual_items add constraint deposit_manual_items_kind_check
    check (kind in ('freeze_failed', 'withdrawal_failed', 'bank_record_unmatched',
      'settled_refund_on_closed_account'))`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
