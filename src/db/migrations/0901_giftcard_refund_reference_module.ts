import { type Kysely, sql } from "kysely";

/**
 * A redemption refund's reference is its module and id, as a redemption's is: the POS and
 * the checkout may both number their refunds "1001". Unique on the id alone, the second
 * system's refund of the same redemption failed on the index instead of being recorded.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`drop index gift_card_activities_refund_ref`.execute(db);
  await sql`create unique index gift_card_activities_refund_ref on gift_card_activities
    (tenant_id, redemption_id, reference_module, reference_id) where type = 'REFUND'`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
