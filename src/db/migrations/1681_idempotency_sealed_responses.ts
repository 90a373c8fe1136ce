import { type Kysely, sql } from "kysely";

/**
 * A stored answer is replayed for a day, and some answers show a secret once (a gift card's
 * PIN, a new API key): answers are now kept sealed (AES-256-GCM under a key derived from the
 * signing secret) in `response_sealed`. `response_body` holds only answers stored before,
 * which the prune job removes within the retention period.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table idempotency_keys
    add column response_sealed text,
    alter column response_body drop not null,
    add constraint idempotency_keys_one_response check (num_nonnulls(response_body, response_sealed) = 1)`.execute(
    db,
  );
}
