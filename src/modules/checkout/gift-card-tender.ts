import type { Quote } from "./quote-engine.js";

/** A gift card named to pay an order: all it can (up to what is due), or `amount`. */
export interface GiftCardRequest {
  cardId: string;
  amount: number | null;
}

/** What the settlement says of a named card: its balance, or why it cannot pay. */
export interface GiftCardFacts {
  cardId: string;
  balance: number;
  unusable: string | null;
}

export interface GiftCardTender {
  applied: { cardId: string; amount: number }[];
  notApplied: { cardId: string; reason: string }[];
}

/** A quote with the gift cards that pay it (what the checkout prices and an order keeps). */
export type PricedQuote = Quote & { giftCards: GiftCardTender };

/**
 * Gift cards pay after vouchers and before balance, in the order named: each pays the
 * amount asked, or without one all it holds, never more than is still due. A card asked
 * for more than it holds (`balance_insufficient`) or than is due (`exceeds_amount_due`), or
 * one the settlement refused (`frozen`, `expired`, `store_not_allowed`, …), or a card named
 * twice (`duplicate`), is listed as not applied; completing the order refuses it. Balance then pays what the cards left, never more than
 * its lots' rules allow of the cart.
 */
export function applyGiftCards(
  q: Quote,
  requests: readonly GiftCardRequest[],
  facts: GiftCardFacts[],
): PricedQuote {
  const byId = new Map(facts.map((f) => [f.cardId, f]));
  const tender: GiftCardTender = { applied: [], notApplied: [] };
  const seen = new Set<string>();
  let due = q.total;
  for (const r of requests) {
    const f = byId.get(r.cardId);
    let reason = seen.has(r.cardId) ? "duplicate" : f ? f.unusable : "not_found";
    seen.add(r.cardId);
    const balance = f?.balance ?? 0;
    if (!reason && r.amount !== null && r.amount > balance) reason = "balance_insufficient";
    if (!reason && r.amount !== null && r.amount > due) reason = "exceeds_amount_due";
    const amount = r.amount ?? Math.min(balance, due);
    if (!reason && amount === 0) reason = "nothing_due";
    if (reason) {
      tender.notApplied.push({ cardId: r.cardId, reason });
      continue;
    }
    tender.applied.push({ cardId: r.cardId, amount });
    due -= amount;
  }
  // The quote's balance amount is already what the member's lots may pay of this cart (0 when
  // not paying by balance); the cards can only lower it.
  const balanceAmount = Math.min(q.balance.amount, due);
  return {
    ...q,
    balance: { ...q.balance, amount: balanceAmount, remainingPayable: due - balanceAmount },
    giftCards: tender,
  };
}
