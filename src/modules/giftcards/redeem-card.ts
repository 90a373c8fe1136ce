import type { RequestContext } from "../../platform/auth/actor.js";
import { storeInScope } from "../catalog/index.js";
import { assertSpendable } from "./card-access.js";
import { GiftcardsError } from "./giftcards.errors.js";
import { cardBalance, moveValue, openSystemAccount, type UnitOfWork } from "./giftcards.ledger.js";
import { type ActivityRow, findCard, type SaleChannel } from "./giftcards.repository.js";
import { newActivityId, recordActivity } from "./record-activity.js";

export interface RedeemInput {
  cardId: string;
  amount: number;
  storeId: string | null;
  channel: SaleChannel;
  /** What the card pays (a checkout order): one redemption per card and reference. */
  reference?: { module: string; id: string } | null;
  /** The currency the caller pays in: a card pays only in its own. */
  currency?: string;
}

export interface Redemption {
  activity: ActivityRow;
  replayed: boolean;
}

/**
 * Spends `amount` of a card, in the caller's unit of work. The card row is locked before
 * anything about it is read, so concurrent redemptions of one card run one after the
 * other and each sees what the previous left; the ledger refuses the card account going
 * below zero as well. Refused when frozen, expired (even before the expiry job ran), at a
 * store outside the card's redemption stores, or beyond the balance; a partial redemption
 * leaves the rest on the card. The same card and reference again replays the first.
 */
export async function redeemCard(
  uow: UnitOfWork,
  context: RequestContext,
  input: RedeemInput,
  now: Date,
): Promise<Redemption> {
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0) {
    throw new GiftcardsError("validation_failed", "A redemption is a positive amount in minor units", {
      errors: [{ field: "/body/amount", message: "must be a positive integer" }],
    });
  }
  const card = await findCard(uow.trx, uow.tenantId, input.cardId, { lock: true });
  if (input.reference) {
    const previous = await uow.trx
      .selectFrom("gift_card_activities")
      .selectAll()
      .where("tenant_id", "=", uow.tenantId)
      .where("card_id", "=", card.id)
      .where("type", "=", "REDEEM")
      .where("reference_module", "=", input.reference.module)
      .where("reference_id", "=", input.reference.id)
      .executeTakeFirst();
    if (previous) {
      if (previous.amount !== input.amount) {
        throw new GiftcardsError(
          "gift_card_reference_reused",
          "This card already paid this reference another amount",
        );
      }
      return { activity: previous as ActivityRow, replayed: true };
    }
  }
  assertSpendable(card, now);
  if (input.currency && input.currency !== card.asset) {
    throw new GiftcardsError(
      "gift_card_currency_mismatch",
      `The card is in ${card.asset}, not ${input.currency}`,
      {
        extra: { card_id: card.id },
      },
    );
  }
  if (!(await storeInScope(uow.trx, uow.tenantId, card.store_scope, input.storeId))) {
    throw new GiftcardsError("gift_card_store_not_allowed", "The card cannot be used at this store", {
      extra: { card_id: card.id },
    });
  }
  const balance = await cardBalance(uow, card.account_id!);
  const insufficient = () =>
    new GiftcardsError("gift_card_balance_insufficient", `The card has ${balance} left`, {
      extra: { card_id: card.id, balance },
    });
  if (input.amount > balance) throw insufficient();
  const id = newActivityId();
  const settlement = await openSystemAccount(uow, "settlement", card.asset);
  await moveValue(
    uow,
    { id, cardId: card.id },
    [
      {
        debit_account_id: card.account_id!,
        credit_account_id: settlement,
        amount: input.amount,
        code: "gift_card_redemption",
      },
    ],
    { insufficient_funds: insufficient },
  );
  const activity = await recordActivity(
    uow,
    context,
    card,
    {
      id,
      type: "REDEEM",
      amount: input.amount,
      balanceAfter: balance - input.amount,
      store_id: input.storeId,
      channel: input.channel,
      reference_module: input.reference?.module ?? null,
      reference_id: input.reference?.id ?? null,
    },
    now,
  );
  return { activity, replayed: false };
}
