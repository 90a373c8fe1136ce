import { type Kysely, sql } from "kysely";

/**
 * A failed delivery says why in a stable code beside the provider's own words, so the console
 * can name the failure in the operator's language (the words stay, as the provider wrote them).
 * Earlier failures are classified from their channel and text.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table notification_deliveries add column error_code text
    check (error_code in ('email_not_configured', 'email_failed', 'sms_failed'))`.execute(db);
  await sql`update notification_deliveries set error_code = case
      when channel = 'email' and error like 'email is not configured%' then 'email_not_configured'
      when channel = 'email' then 'email_failed'
      else 'sms_failed' end
    where status = 'failed' and channel in ('email', 'sms')`.execute(db);
}
