import { type RequestContext, systemActor } from "../../platform/auth/actor.js";
import { assertSpendable, pastExpiry } from "./card-access.js";
import { GiftcardsError } from "./giftcards.errors.js";
import { cardBalance, moveValue, openSystemAccount, type UnitOfWork } from "./giftcards.ledger.js";
import { type ActivityRow, type CardRow, findCard, updateCard } from "./giftcards.repository.js";
import { newActivityId, recordActivity } from "./record-activity.js";

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
  if (!input.freeze && pastExpiry(updated, now)) return expireRestored(uow, context, updated, now);
  return { card: updated, activity };
}

/**
 * What the expiry job (`expireCards`) does to one card, for a card restored past its expiry:
 * the rest goes to breakage as an EXPIRE activity of the job's actor, the account closes and
 * the card is `expired`. Keep the two in step.
 */
async function expireRestored(
  uow: UnitOfWork,
  context: RequestContext,
  card: CardRow,
  now: Date,
): Promise<{ card: CardRow; activity: ActivityRow }> {
  const account = card.account_id!;
  // The ledger refuses debits after the account's expiry: lifted to move the rest out.
  const opened = await uow.updateAccount(account, { expires_at: null });
  if (!opened.ok) throw new Error(`ledger refused to reopen ${account}: ${opened.code}`);
  const balance = await cardBalance(uow, account);
  const breakage = await openSystemAccount(uow, "breakage", card.asset);
  const id = newActivityId();
  await moveValue(uow, { id, cardId: card.id }, [
    { debit_account_id: account, credit_account_id: breakage, amount: balance, code: "gift_card_breakage" },
  ]);
  const closed = await uow.updateAccount(account, { closed: true });
  if (!closed.ok) throw new Error(`ledger refused to close ${account}: ${closed.code}`);
  const expired = await updateCard(uow.trx, uow.tenantId, card.id, {
    status: "expired",
    closed_at: now,
    updated_at: now,
  });
  const job = { actor: systemActor(uow.tenantId, "giftcards.expire"), requestId: context.requestId };
  const activity = await recordActivity(
    uow,
    job,
    expired,
    { id, type: "EXPIRE", amount: balance, balanceAfter: 0 },
    now,
  );
  return { card: expired, activity };
}
