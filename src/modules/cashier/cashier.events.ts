import { Type } from "typebox";
import { defineEvents } from "../../platform/events/outbox.js";

const Str = Type.String();
const Int = Type.Integer();

const EVENTS = {
  "cashier_order.paid": {
    description:
      "A member paid a cashier order in the member center: by balance, by balance with the rest online, or after a smart top-up",
    schema: Type.Object({
      order_id: Str,
      merchant_order_ref: Str,
      member_id: Str,
      currency: Str,
      total: Int,
      paid_by: Str,
      balance_amount: Int,
      online_amount: Int,
      payment_id: Str,
      wallet_payment_id: Type.Union([Str, Type.Null()]),
      topup_id: Type.Union([Str, Type.Null()]),
    }),
  },
  "cashier_order.refunded": {
    description:
      "Money paid to a cashier order was given back to its member: its balance payment refunded (all or part) at the wallets, or its online part refunded at the provider. refunded_amount is all given back so far; status is partially_refunded until it equals the total, then refunded",
    schema: Type.Object({
      order_id: Str,
      merchant_order_ref: Str,
      member_id: Str,
      currency: Str,
      total: Int,
      source: Str,
      amount: Int,
      refunded_amount: Int,
      status: Str,
      payment_id: Str,
      refund_id: Str,
    }),
  },
  "cashier_payment.unfulfilled": {
    description:
      "The provider collected a cashier payment's online part too late to pay the order (after the attempt's time, or after it had failed): the order was not paid by it and the amount is owed back to the member (the attempt is refund_due)",
    schema: Type.Object({
      order_id: Str,
      merchant_order_ref: Str,
      member_id: Str,
      payment_id: Str,
      kind: Str,
      amount: Int,
      currency: Str,
      provider: Type.Union([Str, Type.Null()]),
      provider_ref: Type.Union([Str, Type.Null()]),
    }),
  },
  "cashier_payment.refunded": {
    description:
      "Finance recorded the refund, made at the provider, of a refund_due cashier payment (nothing moves in the ledger)",
    schema: Type.Object({
      order_id: Str,
      merchant_order_ref: Str,
      member_id: Str,
      payment_id: Str,
      amount: Int,
      currency: Str,
      provider: Type.Union([Str, Type.Null()]),
      provider_ref: Type.Union([Str, Type.Null()]),
      reference: Type.Union([Str, Type.Null()]),
    }),
  },
} as const;

export type CashierEventType = keyof typeof EVENTS;

/** The cashier's webhook events; each is written in the unit of work of its change. */
export const CASHIER_EVENTS = defineEvents(EVENTS);
export const emitCashierEvent = CASHIER_EVENTS.emit;
