import type { RequestContext } from "../../platform/auth/actor.js";
import { assertSpendable } from "./card-access.js";
import { GiftcardsError } from "./giftcards.errors.js";
import {
  accountIds,
  cardBalance,
  moveValue,
  openSystemAccount,
  type UnitOfWork,
} from "./giftcards.ledger.js";
import { type ActivityRow, findCard } from "./giftcards.repository.js";
import { MAX_CARD_AMOUNT } from "./plan-rules.js";
import { newActivityId, recordActivity } from "./record-activity.js";

/**
 * Finance's correction of a card's balance, up or down, with a reason; the other side is
 * the asset's adjustment account. A decrease never takes the card below zero (the ledger
 * refuses it too). Only a spendable card is adjusted: restore a frozen one first.
 */
export async function adjustCard(
  uow: UnitOfWork,
  context: RequestContext,
  input: { cardId: string; direction: "increment" | "decrement"; amount: number; reason: string },
  now: Date,
): Promise<ActivityRow> {
  if (!Number.isSafeInteger(input.amount) || input.amount < 1 || input.amount > MAX_CARD_AMOUNT) {
    throw new GiftcardsError("validation_failed", "An adjustment is a positive amount in minor units", {
      errors: [{ field: "/body/amount", message: `1-${MAX_CARD_AMOUNT}` }],
    });
  }
  const card = await findCard(uow.trx, uow.tenantId, input.cardId, { lock: true });
  assertSpendable(card, now);
  const balance = await cardBalance(uow, card.account_id!);
  const insufficient = () =>
    new GiftcardsError("gift_card_balance_insufficient", `The card has ${balance} left`, {
      extra: { card_id: card.id, balance },
    });
  const up = input.direction === "increment";
  if (!up && input.amount > balance) throw insufficient();
  const adjustment = await openSystemAccount(uow, "adjustment", card.asset);
  const id = newActivityId();
  await moveValue(
    uow,
    { id, cardId: card.id },
    [
      {
        debit_account_id: up ? adjustment : card.account_id!,
        credit_account_id: up ? card.account_id! : accountIds.adjustment(card.asset),
        amount: input.amount,
        code: up ? "gift_card_adjust_increment" : "gift_card_adjust_decrement",
      },
    ],
    { insufficient_funds: insufficient },
  );
  return recordActivity(
    uow,
    context,
    card,
    {
      id,
      type: up ? "ADJUST_INCREMENT" : "ADJUST_DECREMENT",
      amount: input.amount,
      balanceAfter: up ? balance + input.amount : balance - input.amount,
      reason: input.reason,
    },
    now,
  );
}
