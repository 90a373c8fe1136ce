import { type Kysely, sql } from "kysely";

/**
 * Seed 003: the merchant sets its own suspension (breaker) amount, and a notice goes out when a
 * campaign starts. `merchant_threshold` is the merchant's own amount (never below the floor:
 * the platform's threshold, or finance's `threshold_override` for this merchant);
 * `started_at` marks the first time a campaign ran, so its start is announced once.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table deposit_accounts add column merchant_threshold bigint check (merchant_threshold >= 0)`.execute(
    db,
  );
  await sql`alter table deposit_campaigns add column started_at timestamptz`.execute(db);
  // Campaigns that already ran were announced (or predate the notice): none is announced again.
  await sql`update deposit_campaigns set started_at = starts_at where status in ('running', 'ended')
    or (status = 'suspended' and starts_at <= now())`.execute(db);
  await sql`alter table deposit_notices add column campaign_id text`.execute(db);
  await sql`alter table deposit_notices drop constraint deposit_notices_kind_check`.execute(db);
  await sql`alter table deposit_notices add constraint deposit_notices_kind_check
    check (kind in ('suspended', 'resumed', 'warning', 'started'))`.execute(db);
  // Once per campaign start, whatever path announced it.
  await sql`create unique index deposit_notices_campaign_started on deposit_notices (tenant_id, campaign_id)
    where kind = 'started'`.execute(db);
}
