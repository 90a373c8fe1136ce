import { Type } from "typebox";
import { defineEvents } from "../../platform/events/outbox.js";
import { StringEnum } from "../../platform/http/schemas.js";

/** The checkout's webhook events; each is written in the order's transaction. */
const OrderRef = {
  order_id: Type.String(),
  client_order_id: Type.String(),
  member_id: Type.Union([Type.String(), Type.Null()]),
  currency: Type.String(),
  total: Type.Integer(),
};

const EVENTS = {
  "checkout_order.completed": {
    description: "An order was completed: vouchers redeemed, balance paid, points awarded, benefits used",
    schema: Type.Object({
      ...OrderRef,
      voucher_total: Type.Integer(),
      balance_amount: Type.Integer(),
      points_earned: Type.Integer(),
      benefit_ids: Type.Array(Type.String()),
    }),
  },
  "checkout_order.cancelled": {
    description:
      "An order waiting for its online payment was cancelled (the payment failed, was cancelled or timed out): vouchers and gift cards restored, the held balance released, nothing granted",
    schema: Type.Object({
      ...OrderRef,
      reason: StringEnum(["failed", "cancelled", "timeout"] as const),
    }),
  },
  "checkout_order.refunded": {
    description: "A whole order was refunded: points reversed, vouchers restored, balance returned",
    schema: Type.Object({
      ...OrderRef,
      refund_id: Type.String(),
      points_not_reversed: Type.Optional(
        Type.Object(
          { points: Type.Integer(), reason: StringEnum(["member_closed"] as const) },
          {
            description:
              "The points the order earned that were left with its member, closed since the sale (a closed account holds nothing)",
          },
        ),
      ),
    }),
  },
} as const;

export type CheckoutEventType = keyof typeof EVENTS;

export const CHECKOUT_EVENTS = defineEvents(EVENTS);

export const emitCheckoutEvent = CHECKOUT_EVENTS.emit;
