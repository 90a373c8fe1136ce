import { Type } from "typebox";
import type { EventType } from "../../platform/events/outbox.js";
import type { ActivityType, CardRow, PaymentRow } from "./giftcards.repository.js";

/**
 * One webhook event per activity type, each carrying the activity (never a PIN). Written in
 * the activity's unit of work, so a change that rolls back emits nothing.
 */
export const EVENT_OF: Record<ActivityType, { type: string; description: string }> = {
  ACTIVATE: { type: "gift_card.activated", description: "A card was sold and loaded with its face amount" },
  LOAD: { type: "gift_card.loaded", description: "A card was recharged (POS load)" },
  REDEEM: { type: "gift_card.redeemed", description: "A card paid (part of) an order" },
  REFUND: {
    type: "gift_card.redemption_refunded",
    description: "A redemption was refunded: to the card, or to breakage once the card expired",
  },
  ADJUST_INCREMENT: { type: "gift_card.adjusted_up", description: "Finance raised a card's balance" },
  ADJUST_DECREMENT: {
    type: "gift_card.adjusted_down",
    description:
      "Finance lowered a card's balance, or the payment provider refunded (part of) the card's online sale and its value came off the card",
  },
  BLOCK: { type: "gift_card.frozen", description: "A card was frozen: its balance cannot be used" },
  UNBLOCK: { type: "gift_card.restored", description: "A frozen card was restored" },
  EXPIRE: {
    type: "gift_card.expired",
    description: "A card expired: its remaining balance went to breakage",
  },
  CARD_REFUND: {
    type: "gift_card.refunded",
    description:
      "A card was refunded and closed: its remaining value paid back (and discount share reclaimed)",
  },
};

export const ActivityEvent = Type.Object({
  activity_id: Type.String(),
  card_id: Type.String(),
  card_number_last4: Type.String(),
  plan_id: Type.String(),
  type: Type.String(),
  amount: Type.Integer(),
  balance_after: Type.Integer(),
  asset: Type.String(),
  store_id: Type.Union([Type.String(), Type.Null()]),
  channel: Type.Union([Type.String(), Type.Null()]),
  reference_module: Type.Union([Type.String(), Type.Null()]),
  reference_id: Type.Union([Type.String(), Type.Null()]),
  redemption_id: Type.Union([Type.String(), Type.Null()]),
  holder_member_id: Type.Union([Type.String(), Type.Null()]),
});

/** The card and the online payment an unfulfilled sale's events name. */
const SalePayment = {
  card_id: Type.String(),
  card_number_last4: Type.String(),
  plan_id: Type.String(),
  payment_id: Type.String(),
  buyer_member_id: Type.Union([Type.String(), Type.Null()]),
  amount: Type.Integer(),
  currency: Type.String(),
  provider: Type.String(),
  provider_ref: Type.String(),
};

/** What `SalePayment` holds, from the card and its payment's row. */
export function salePaymentData(
  card: Pick<CardRow, "id" | "number" | "plan_id" | "buyer_member_id">,
  payment: Pick<PaymentRow, "id" | "amount" | "asset" | "provider" | "provider_ref">,
) {
  return {
    card_id: card.id,
    card_number_last4: card.number.slice(-4),
    plan_id: card.plan_id,
    payment_id: payment.id,
    buyer_member_id: card.buyer_member_id,
    amount: payment.amount,
    currency: payment.asset,
    provider: payment.provider,
    provider_ref: payment.provider_ref,
  };
}

/** An online payment collected for a card that can no longer be activated: finance refunds it. */
export const PAYMENT_UNFULFILLED = "gift_card.payment_unfulfilled";
export const PaymentUnfulfilledEvent = Type.Object({ ...SalePayment, reason: Type.String() });

/** Finance recorded the refund of a refund_due card's payment, made at the provider. */
export const PAYMENT_REFUNDED = "gift_card.payment_refunded";
export const PaymentRefundedEvent = Type.Object({
  ...SalePayment,
  reference: Type.Union([Type.String(), Type.Null()]),
});

/** The module's webhook event types, for its manifest. */
export const GIFTCARDS_EVENT_TYPES: readonly EventType[] = [
  ...Object.values(EVENT_OF).map(({ type, description }) => ({
    type,
    version: 1,
    description,
    schema: ActivityEvent,
  })),
  {
    type: PAYMENT_UNFULFILLED,
    version: 1,
    description:
      "An online payment for a gift card succeeded after its sale was cancelled and the card could not be activated: the payment is owed back (the card is refund_due)",
    schema: PaymentUnfulfilledEvent,
  },
  {
    type: PAYMENT_REFUNDED,
    version: 1,
    description:
      "The refund, made at the provider, of a gift card's online payment is complete: recorded by finance or the provider for a refund_due card (the card is refunded; it was never loaded, nothing moves), or announced by the provider for a card it activated (its value was taken off the card, which is refunded and closed once it holds nothing more)",
    schema: PaymentRefundedEvent,
  },
];
