import { sql } from "kysely";
import type { Database, Tx } from "../../db/database.js";
import type { Actor } from "../../platform/auth/actor.js";
import { luhnValid, pinMatches } from "./card-number.js";
import { GiftcardsError } from "./giftcards.errors.js";
import { type CardRow, findCardByNumber } from "./giftcards.repository.js";

/** Failed look-ups are counted in fixed windows of this length. */
export const LOOKUP_WINDOW_SECONDS = 15 * 60;
/** Failed look-ups one caller (API key, user or member) may make in a window. */
export const MAX_FAILURES_PER_CALLER = 10;
/** Wrong PINs one card number may take in a window, whoever tries. */
export const MAX_FAILURES_PER_CARD = 5;

/** What `authenticateCard` refuses with, for the routes that take a card's number and PIN. */
export const LOOKUP_REFUSALS = [
  "invalid_card_number",
  "gift_card_not_found",
  "gift_card_lookup_limited",
] as const;

export interface CardCredentials {
  number: string;
  pin: string;
}

interface Counter {
  failures: number;
  window_start: Date;
}

/**
 * Counts one attempt for `subject` (the row lock orders concurrent attempts, across
 * processes: the count lives in the database) and returns the count including it. A window
 * that has ended starts again at this attempt.
 */
async function countAttempt(trx: Tx, tenantId: string, subject: string, now: Date): Promise<Counter> {
  const windowStartsAfter = new Date(now.getTime() - LOOKUP_WINDOW_SECONDS * 1000);
  const result = await sql<Counter>`
    insert into gift_card_lookup_limits (tenant_id, subject, window_start, failures)
    values (${tenantId}, ${subject}, ${now}, 1)
    on conflict (tenant_id, subject) do update set
      failures = case when gift_card_lookup_limits.window_start <= ${windowStartsAfter} then 1
                      else gift_card_lookup_limits.failures + 1 end,
      window_start = case when gift_card_lookup_limits.window_start <= ${windowStartsAfter} then ${now}
                          else gift_card_lookup_limits.window_start end
    returning failures, window_start`.execute(trx);
  return result.rows[0]!;
}

/** A successful look-up does not count against the caller or the card. */
async function uncount(trx: Tx, tenantId: string, subjects: string[]): Promise<void> {
  await trx
    .updateTable("gift_card_lookup_limits")
    .set((eb) => ({ failures: sql`greatest(${eb.ref("failures")} - 1, 0)` }))
    .where("tenant_id", "=", tenantId)
    .where("subject", "in", subjects)
    .execute();
}

const LOOKABLE = new Set(["active", "frozen", "expired", "refunded"]);

type Outcome = { card: CardRow } | { limitedFor: number } | { wrong: true };

/**
 * A card by its number and PIN, for a member or a till. Each attempt is counted against
 * the caller and the card number before the PIN is checked, in the database, so the limit
 * holds across processes and concurrent guesses; a success takes its count back. Past
 * either limit every attempt is refused with `gift_card_lookup_limited` (429), a right PIN
 * included, until the window ends. An unknown number and a wrong PIN answer alike
 * (`gift_card_not_found`), so guessing reveals neither cards nor balances. Unsold stock
 * answers as unknown. Runs in its own transaction, so a refusal's count is kept.
 */
export async function authenticateCard(
  db: Database,
  actor: Actor,
  credentials: CardCredentials,
  pinSecret: string,
  now: Date,
): Promise<CardRow> {
  if (!luhnValid(credentials.number)) {
    throw new GiftcardsError("invalid_card_number", "This is not a card number (its check digit is wrong)", {
      errors: [{ field: "/body/number", message: "fails the check digit" }],
    });
  }
  const tenantId = actor.tenantId;
  const subjects = [`caller:${actor.type}:${actor.id}`, `card:${credentials.number}`];
  const outcome = await db.tenantTx(tenantId, async (trx): Promise<Outcome> => {
    const caller = await countAttempt(trx, tenantId, subjects[0]!, now);
    const card = await countAttempt(trx, tenantId, subjects[1]!, now);
    const over = [
      caller.failures > MAX_FAILURES_PER_CALLER ? caller.window_start : null,
      card.failures > MAX_FAILURES_PER_CARD ? card.window_start : null,
    ].filter((d): d is Date => d !== null);
    if (over.length > 0) {
      const ends = Math.max(...over.map((d) => d.getTime() + LOOKUP_WINDOW_SECONDS * 1000));
      return { limitedFor: Math.max(1, Math.ceil((ends - now.getTime()) / 1000)) };
    }
    const found = await findCardByNumber(trx, tenantId, credentials.number);
    const right =
      found !== undefined &&
      LOOKABLE.has(found.status) &&
      // A card refunded before it was ever loaded (refund_due, refunded at the provider) holds nothing.
      found.account_id !== null &&
      pinMatches(pinSecret, tenantId, found.number, credentials.pin, found.pin_hash);
    if (!right) return { wrong: true };
    await uncount(trx, tenantId, subjects);
    return { card: found };
  });
  if ("card" in outcome) return outcome.card;
  if ("limitedFor" in outcome) {
    throw new GiftcardsError(
      "gift_card_lookup_limited",
      `Too many failed card look-ups: try again in ${outcome.limitedFor} seconds`,
      { extra: { retry_after_seconds: outcome.limitedFor } },
    );
  }
  throw new GiftcardsError("gift_card_not_found", "No card matches this number and PIN");
}
