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
} as const;

export type CashierEventType = keyof typeof EVENTS;

/** The cashier's webhook events; each is written in the unit of work of its change. */
export const CASHIER_EVENTS = defineEvents(EVENTS);
export const emitCashierEvent = CASHIER_EVENTS.emit;
