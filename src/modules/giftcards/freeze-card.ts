import type { RequestContext } from "../../platform/auth/actor.js";
import { assertSpendable, pastExpiry } from "./card-access.js";
import { expireCard } from "./expire-cards.js";
import { GiftcardsError } from "./giftcards.errors.js";
import { cardBalance, type UnitOfWork } from "./giftcards.ledger.js";
import { type ActivityRow, type CardRow, findCard, updateCard } from "./giftcards.repository.js";
import { recordActivity } from "./record-activity.js";

/**
 * Freezes a card ("lock cards with fraud risks or customer reports") or restores it. A
 * freeze stops every use of the balance: the card is `frozen` and its ledger account refuses
 * debits, so nothing can spend it even by mistake; refunds of earlier redemptions still
 * return to it. Only an active, unexpired card freezes; only a frozen card is restored.
 * A frozen card whose expiry passed meanwhile is restored as what it now is: expired, exactly
 * as the expiry job would have done (its answer is the EXPIRE activity).
 */
export async function freezeCard(
  uow: UnitOfWork,
  context: RequestContext,
  input: { cardId: string; freeze: boolean; reason: string },
  now: Date,
): Promise<{ card: CardRow; activity: ActivityRow }> {
  const card = await findCard(uow.trx, uow.tenantId, input.cardId, { lock: true });
  if (input.freeze) assertSpendable(card, now);
  else if (card.status !== "frozen") {
    throw new GiftcardsError(
      "gift_card_not_active",
      `Only a frozen card is restored; this one is ${card.status}`,
    );
  }
  const account = await uow.updateAccount(card.account_id!, { frozen_debits: input.freeze });
  if (!account.ok) throw new Error(`ledger refused to freeze ${card.account_id}: ${account.code}`);
  const updated = await updateCard(uow.trx, uow.tenantId, card.id, {
    status: input.freeze ? "frozen" : "active",
    frozen_reason: input.freeze ? input.reason : null,
    updated_at: now,
  });
  const activity = await recordActivity(
    uow,
    context,
    updated,
    {
      type: input.freeze ? "BLOCK" : "UNBLOCK",
      amount: 0,
      balanceAfter: await cardBalance(uow, card.account_id!),
      reason: input.reason,
    },
    now,
  );
  // Left `active`, a card past its expiry would read as usable in lists, the console and the
  // member's page until the next expiry run; the freeze is what kept the job off it so far.
  if (!input.freeze && pastExpiry(updated, now)) return expireCard(uow, context, updated, now);
  return { card: updated, activity };
}
