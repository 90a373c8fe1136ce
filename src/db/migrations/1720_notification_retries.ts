import { type Kysely, sql } from "kysely";

/**
 * An email or SMS that failed for a passing reason (a refused connection, an SMTP 4xx, an SMS
 * gateway's error) is retried on a schedule instead of being lost: it waits in `retrying` with
 * its attempt count and next attempt time, keeps its rendered body until it is settled (a retry
 * sends what the first try sent, and never takes the notice's cap again), and a worker claims
 * it for a while (`claimed_until`) so that two workers never send it together. Earlier
 * deliveries made their one attempt (capped ones none).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table notification_deliveries
    drop constraint notification_deliveries_status_check,
    add constraint notification_deliveries_status_check
      check (status in ('sent', 'failed', 'capped', 'retrying')),
    add column attempts integer not null default 1 check (attempts >= 0),
    add column next_attempt_at timestamptz,
    add column claimed_until timestamptz,
    add column body text,
    add constraint notification_deliveries_retry_check
      check ((status = 'retrying') = (next_attempt_at is not null)
        and (status <> 'retrying' or body is not null))`.execute(db);
  await sql`update notification_deliveries set attempts = 0 where status = 'capped'`.execute(db);
  await sql`create index notification_deliveries_due on notification_deliveries (next_attempt_at)
    where status = 'retrying'`.execute(db);
}
