import { type Kysely, sql } from "kysely";

/**
 * A withdrawal kept one `reason`, and finance's decision reason overwrote the one the merchant
 * gave with its request. They are different facts: `reason` stays the merchant's and
 * `decision_reason` is finance's, for the decision that led to the current status.
 *
 * A stored reason that is the one the latest decision's audit entry records was finance's:
 * it moves to `decision_reason` (what the merchant wrote before it is not recorded anywhere).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table deposit_withdrawals add column decision_reason text`.execute(db);
  await sql`
    with latest as (
      select distinct on (e.tenant_id, e.target_id) e.tenant_id, e.target_id, e.summary->>'reason' as reason
      from audit_events e
      where e.target_type = 'deposit_withdrawal' and e.action <> 'deposit_withdrawal.requested'
      order by e.tenant_id, e.target_id, e.created_at desc, e.id desc
    )
    update deposit_withdrawals w set decision_reason = w.reason, reason = null
    from latest
    where latest.tenant_id = w.tenant_id and latest.target_id = w.id
      and w.status <> 'requested' and latest.reason = w.reason`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("migrations are forward-only");
}
