import type { Tx } from "../../db/database.js";
import type { LedgerOps } from "../../ledger/index.js";
import type { Actor } from "../../platform/auth/actor.js";
import { storeInScope } from "../catalog/index.js";
import { cardVisible, pastExpiry } from "./card-access.js";
import { GiftcardsError } from "./giftcards.errors.js";
import { cardBalance } from "./giftcards.ledger.js";
import type { CardRow } from "./giftcards.repository.js";

/** At most this many cards pay one order. */
export const MAX_CARDS_PER_ORDER = 5;

export type CardUnusableReason =
  | "not_found"
  | "frozen"
  | "expired"
  | "not_active"
  | "currency"
  | "store_not_allowed"
  | "empty";

/** What the checkout needs to know of a card that is to pay (part of) an order. */
export interface PaymentCardFacts {
  cardId: string;
  /** What is left on the card now (0 when it cannot pay). */
  balance: number;
  /** Why it cannot pay this order; null when it can. */
  unusable: CardUnusableReason | null;
}

function reasonOf(card: CardRow, now: Date): CardUnusableReason | null {
  if (card.status === "frozen") return "frozen";
  if (card.status === "expired" || (card.status === "active" && pastExpiry(card, now))) return "expired";
  if (card.status !== "active") return "not_active";
  return null;
}

/**
 * The named cards as payment for an order at `storeId` in `currency`, in the caller's
 * transaction. With `lock` (completing an order) the card rows are locked in id order before
 * their balances are read, as every redemption locks them, so the decision and the
 * redemption see the same balance. Cards the actor may not see answer `not_found` (a member
 * token pays only with its own cards; staff with a card id from a PIN look-up).
 */
export async function paymentCards(
  trx: Tx,
  ledger: Pick<LedgerOps, "balances">,
  actor: Actor,
  ids: readonly string[],
  order: { storeId: string | null; currency: string; lock: boolean; now: Date },
): Promise<PaymentCardFacts[]> {
  if (ids.length > MAX_CARDS_PER_ORDER) {
    throw new GiftcardsError("limit_exceeded", `At most ${MAX_CARDS_PER_ORDER} gift cards pay one order`);
  }
  if (ids.length === 0) return [];
  let query = trx
    .selectFrom("gift_cards")
    .selectAll()
    .where("tenant_id", "=", actor.tenantId)
    .where("id", "in", [...ids])
    .orderBy("id");
  if (order.lock) query = query.forUpdate();
  const rows = new Map(((await query.execute()) as CardRow[]).map((c) => [c.id, c]));
  const facts: PaymentCardFacts[] = [];
  for (const cardId of ids) {
    const card = rows.get(cardId);
    if (!card || !(await cardVisible(trx, actor, card))) {
      facts.push({ cardId, balance: 0, unusable: "not_found" });
      continue;
    }
    let unusable = reasonOf(card, order.now);
    if (!unusable && card.asset !== order.currency) unusable = "currency";
    if (!unusable && !(await storeInScope(trx, actor.tenantId, card.store_scope, order.storeId))) {
      unusable = "store_not_allowed";
    }
    const balance = unusable ? 0 : await cardBalance(ledger, card.account_id!);
    facts.push({ cardId, balance, unusable: unusable ?? (balance === 0 ? "empty" : null) });
  }
  return facts;
}
