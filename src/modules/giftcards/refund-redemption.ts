import type { RequestContext } from "../../platform/auth/actor.js";
import { pastExpiry } from "./card-access.js";
import { GiftcardsError } from "./giftcards.errors.js";
import {
  accountIds,
  cardBalance,
  moveValue,
  openSystemAccount,
  type UnitOfWork,
} from "./giftcards.ledger.js";
import { type ActivityRow, type CardRow, findActivity, findCard } from "./giftcards.repository.js";
import { newActivityId, recordActivity } from "./record-activity.js";
import { payBuyerBack, paymentsStillHeld, refundCash } from "./refund-card.js";

/** The reference module the checkout redeems cards under (its order's id is the reference id). */
export const CHECKOUT_MODULE = "checkout";

/**
 * A redemption that paid part of a checkout order comes back only with that order's refund
 * (ADR 0017): given back alone, the card would hold the value again while the order stayed
 * completed with its card tender, and the order's own refund would then exceed the redemption
 * and fail, leaving its balance, points and vouchers unrefundable.
 */
export function assertRefundableAlone(
  redemption: Pick<ActivityRow, "reference_module" | "reference_id">,
): void {
  if (redemption.reference_module !== CHECKOUT_MODULE || !redemption.reference_id) return;
  const orderId = redemption.reference_id;
  const refundPath = `/v1/checkout/orders/${orderId}/refund`;
  throw new GiftcardsError(
    "redemption_refunded_by_order",
    `This redemption pays checkout order ${orderId}, which is refunded whole: POST ${refundPath}`,
    { extra: { module: CHECKOUT_MODULE, order_id: orderId, refund_path: refundPath } },
  );
}

export interface RefundRedemptionInput {
  redemptionId: string;
  amount: number;
  /** The refund giving it back (e.g. a checkout refund): one per redemption and reference. */
  reference?: { module: string; id: string } | null;
  storeId?: string | null;
}

/**
 * Gives back (part of) a redemption, in the caller's unit of work. The card row is locked
 * first, so concurrent refunds of one redemption run one after the other and all of them
 * together never exceed it. Where the value goes:
 * - a card still in force (active or frozen, before its expiry): back onto the card;
 * - an expired card: to breakage, as its remaining balance went;
 * - a refunded (closed) card: to the buyer, paid back with the card's refund.
 * The same redemption and reference again replays the first refund.
 */
export async function refundRedemption(
  uow: UnitOfWork,
  context: RequestContext,
  input: RefundRedemptionInput,
  now: Date,
): Promise<{ activity: ActivityRow; replayed: boolean }> {
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0) {
    throw new GiftcardsError("validation_failed", "A refund is a positive amount in minor units", {
      errors: [{ field: "/body/amount", message: "must be a positive integer" }],
    });
  }
  const found = await findActivity(uow.trx, uow.tenantId, input.redemptionId);
  const card = await findCard(uow.trx, uow.tenantId, found.card_id, { lock: true });
  if (found.type !== "REDEEM") {
    throw new GiftcardsError(
      "gift_card_not_a_redemption",
      `Activity ${found.id} is a ${found.type}, not a REDEEM`,
    );
  }
  const refunds = await uow.trx
    .selectFrom("gift_card_activities")
    .selectAll()
    .where("tenant_id", "=", uow.tenantId)
    .where("redemption_id", "=", found.id)
    .execute();
  const same = input.reference
    ? refunds.find(
        (r) => r.reference_module === input.reference!.module && r.reference_id === input.reference!.id,
      )
    : undefined;
  if (same) {
    if (same.amount !== input.amount) {
      throw new GiftcardsError(
        "gift_card_reference_reused",
        "This refund reference already returned another amount",
      );
    }
    return { activity: same as ActivityRow, replayed: true };
  }
  const refunded = refunds.reduce((s, r) => s + r.amount, 0);
  if (refunded + input.amount > found.amount) {
    throw new GiftcardsError(
      "gift_card_refund_exceeds_redemption",
      `Only ${found.amount - refunded} of this redemption is left to refund`,
      { extra: { redemption_id: found.id, refundable: found.amount - refunded } },
    );
  }
  const inForce = (card.status === "active" || card.status === "frozen") && !pastExpiry(card, now);
  const returnedTo = inForce ? "card" : card.status === "refunded" ? "buyer" : "breakage";
  const destination = {
    card: card.account_id!,
    buyer: accountIds.issuance(card.asset),
    breakage: accountIds.breakage(card.asset),
  }[returnedTo];
  if (returnedTo === "breakage") await openSystemAccount(uow, "breakage", card.asset);
  const toBuyer = returnedTo === "buyer" ? await buyerCashOf(uow, card, input.amount) : null;
  const cash = toBuyer ? toBuyer.cash : input.amount;
  // The buyer is paid back as the card's refund paid them: a balance payment to the member's
  // balance; without it the cash would sit in issuance with nobody ever paying it out.
  const parts = toBuyer ? await payBuyerBack(uow, context, card.id, toBuyer.payments, toBuyer, now) : [];
  const id = newActivityId();
  await moveValue(uow, { id, cardId: card.id }, [
    {
      debit_account_id: accountIds.settlement(card.asset),
      credit_account_id: destination,
      amount: cash,
      code: "gift_card_redemption_refund",
    },
    {
      debit_account_id: accountIds.settlement(card.asset),
      credit_account_id: accountIds.marketing(card.asset),
      amount: input.amount - cash,
      code: "gift_card_redemption_refund_discount",
    },
  ]);
  const activity = await recordActivity(
    uow,
    context,
    card,
    {
      id,
      type: "REFUND",
      amount: input.amount,
      // What the card holds whichever way the value went: a card past its expiry keeps its rest
      // until the expiry job moves it to breakage.
      balanceAfter: await cardBalance(uow, card.account_id!),
      store_id: input.storeId ?? found.store_id,
      channel: found.channel,
      reference_module: input.reference?.module ?? null,
      reference_id: input.reference?.id ?? null,
      redemption_id: found.id,
      returned_to: returnedTo,
      ...(returnedTo === "buyer"
        ? {
            paid_amount: cash,
            discount_amount: input.amount - cash,
            payment_method: parts[0]?.method ?? null,
            payment_ref: parts[0]?.ref ?? null,
          }
        : {}),
    },
    now,
  );
  return { activity, replayed: false };
}

/**
 * What of `amount`, coming back after the card was refunded, is the buyer's cash: its paid
 * share, as the card's refund split what was left (`refundCash`), and never more than the buyer
 * paid less what was already paid back (the card's refund, earlier such refunds, the
 * provider's). The card's value includes its purchase discount: paid out whole, a 200 card sold
 * for 180 would pay back 190 once 100 of it spent came back. The rest returns to marketing.
 */
async function buyerCashOf(uow: UnitOfWork, card: CardRow, amount: number) {
  const payments = await paymentsStillHeld(uow, card.id);
  const paid = payments.reduce((s, p) => s + (p.paid_amount ?? 0), 0);
  const promo = payments.reduce((s, p) => s + (p.discount_amount ?? 0), 0);
  const back = await uow.trx
    .selectFrom("gift_card_activities")
    .select(["type", "amount", "paid_amount"])
    .where("tenant_id", "=", uow.tenantId)
    .where("card_id", "=", card.id)
    .where((eb) =>
      eb.or([
        eb("type", "=", "CARD_REFUND"),
        eb.and([eb("type", "=", "REFUND"), eb("returned_to", "=", "buyer")]),
      ]),
    )
    .execute();
  // A refund to the buyer recorded without its split paid its whole amount as cash.
  const paidBack = back.reduce((s, r) => s + (r.paid_amount ?? (r.type === "REFUND" ? r.amount : 0)), 0);
  const cash = Math.max(0, Math.min(refundCash(amount, paid, promo), paid - paidBack));
  return { cash, paidBack, payments };
}
