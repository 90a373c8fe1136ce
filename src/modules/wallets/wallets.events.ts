import { Type } from "typebox";
import { defineEvents } from "../../platform/events/outbox.js";

/** The wallets module's webhook events; each is written in the change's unit of work. */
const Member = { member_id: Type.String(), asset: Type.String() };
const Split = { principal_amount: Type.Integer(), bonus_amount: Type.Integer() };

const EVENTS = {
  "wallet.topped_up": {
    description:
      "A member's balance was topped up (offline by an operator, or online on a confirmed payment)",
    schema: Type.Object({
      ...Member,
      channel: Type.Union([Type.Literal("offline"), Type.Literal("online")]),
      ...Split,
      balance_after: Type.Integer(),
      intent_id: Type.Union([Type.String(), Type.Null()]),
    }),
  },
  "wallet.topup_unfulfilled": {
    description:
      "An online top-up's payment succeeded after the intent failed or expired and the member could no longer be credited: the payment is owed back (the intent is refund_due)",
    schema: Type.Object({
      intent_id: Type.String(),
      member_id: Type.String(),
      amount: Type.Integer(),
      currency: Type.String(),
      provider: Type.String(),
      provider_ref: Type.String(),
      reason: Type.String(),
    }),
  },
  "wallet.topup_refunded": {
    description:
      "Finance recorded the refund, made at the provider, of a refund_due online top-up's payment: the intent is refunded (nothing was credited, nothing moves)",
    schema: Type.Object({
      intent_id: Type.String(),
      member_id: Type.String(),
      amount: Type.Integer(),
      currency: Type.String(),
      provider: Type.String(),
      provider_ref: Type.String(),
      reference: Type.Union([Type.String(), Type.Null()]),
    }),
  },
  "wallet.topup_refund_taken_back": {
    description:
      "The provider refunded (part of) a credited online top-up's payment: the refunded amount was taken back out of the member's balance, at most what it still held; what the member had already spent is the shortfall (kept on the intent for an operator). Once per provider refund; fully_refunded once all the payment is back (the intent is then refunded)",
    schema: Type.Object({
      intent_id: Type.String(),
      member_id: Type.String(),
      amount: Type.Integer({ description: "What the intent credited" }),
      currency: Type.String(),
      provider: Type.String(),
      provider_ref: Type.String(),
      refund_id: Type.String(),
      refund_amount: Type.Integer({ description: "This refund's share" }),
      refunded_total: Type.Integer(),
      taken_back: Type.Integer({ description: "Taken out of the balance for this refund" }),
      shortfall: Type.Integer({ description: "Of this refund, already spent by the member" }),
      fully_refunded: Type.Boolean(),
    }),
  },
  "wallet.withdrawn": {
    description: "An operator recorded an offline withdrawal (a manual reduction of the balance)",
    schema: Type.Object({ ...Member, ...Split, balance_after: Type.Integer() }),
  },
  "wallet.rewarded": {
    description: "A member received a reward in balance (to bonus) or points, from a named source",
    schema: Type.Object({
      member_id: Type.String(),
      account: Type.String(),
      asset: Type.String(),
      amount: Type.Integer(),
      source: Type.String(),
      source_ref: Type.Union([Type.String(), Type.Null()]),
    }),
  },
  "wallet.points_exchanged": {
    description: "Points (or referral points) were exchanged into balance (bonus)",
    schema: Type.Object({ ...Member, from: Type.String(), points: Type.Integer(), credited: Type.Integer() }),
  },
  "wallet.payment_held": {
    description: "A balance payment's share is held until the order's external payment succeeds",
    schema: Type.Object({
      payment_id: Type.String(),
      order_id: Type.String(),
      ...Member,
      ...Split,
      timeout_at: Type.String(),
    }),
  },
  "wallet.payment_succeeded": {
    description: "An order was paid (wholly or partly) by balance",
    schema: Type.Object({ payment_id: Type.String(), order_id: Type.String(), ...Member, ...Split }),
  },
  "wallet.payment_voided": {
    description: "A held balance payment was released: the external payment failed or timed out",
    schema: Type.Object({
      payment_id: Type.String(),
      order_id: Type.String(),
      ...Member,
      reason: Type.Union([Type.Literal("failed"), Type.Literal("timeout"), Type.Literal("cancelled")]),
    }),
  },
  "wallet.refunded": {
    description: "A balance payment was refunded (in full or in part) to the accounts that paid it",
    schema: Type.Object({
      refund_id: Type.String(),
      payment_id: Type.String(),
      order_id: Type.String(),
      ...Member,
      amount: Type.Integer(),
      ...Split,
    }),
  },
} as const;

export type WalletEventType = keyof typeof EVENTS;

export const WALLETS_EVENTS = defineEvents(EVENTS);

export const emitWalletEvent = WALLETS_EVENTS.emit;
