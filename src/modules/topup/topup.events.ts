import { Type } from "typebox";
import { defineEvents } from "../../platform/events/outbox.js";

const Str = Type.String();
const NullStr = Type.Union([Type.String(), Type.Null()]);
const Int = Type.Integer();

const EVENTS = {
  "topup.credited": {
    description:
      "A plan or smart top-up was credited: principal and bonus to tagged lots, points, gifts, benefits, tier upgrade",
    schema: Type.Object({
      topup_id: Str,
      source: Str,
      plan_id: Str,
      member_id: Str,
      currency: Str,
      amount: Int,
      bonus_amount: Int,
      points: Int,
      first_topup: Type.Boolean(),
      channel: Str,
      store_id: NullStr,
      recharge_code_id: NullStr,
      tier_changed_to: NullStr,
    }),
  },
  "topup.payment_started": {
    description: "An online top-up is waiting for the payment provider's confirmation",
    schema: Type.Object({ topup_id: Str, plan_id: Str, member_id: Str, amount: Int, provider: Str }),
  },
  "topup.payment_failed": {
    description: "An online top-up's payment failed or arrived after it expired: nothing was credited",
    schema: Type.Object({ topup_id: Str, plan_id: Str, member_id: Str, result: Str }),
  },
  "topup.payment_unfulfilled": {
    description:
      "An online top-up's payment succeeded after it had failed or expired and it could no longer be credited as sold: the payment is owed back to the member (the top-up is refund_due)",
    schema: Type.Object({
      topup_id: Str,
      plan_id: Str,
      member_id: Str,
      amount: Int,
      currency: Str,
      provider: Str,
      provider_ref: Str,
      reason: Str,
    }),
  },
  "topup.plan_changed": {
    description: "A top-up or smart top-up plan was created, edited, activated, deactivated or archived",
    schema: Type.Object({ plan_id: Str, kind: Str, status: Str, change: Str }),
  },
  "smart_topup.accepted": {
    description:
      "A member accepted a smart top-up offer at payment: the top-up was credited (and the order paid)",
    schema: Type.Object({
      acceptance_id: Str,
      plan_id: Str,
      tier_index: Int,
      member_id: Str,
      order_amount: Int,
      topup_id: Str,
      amount: Int,
      bonus_amount: Int,
      points: Int,
      payment_id: NullStr,
    }),
  },
} as const;

export type TopupEventType = keyof typeof EVENTS;

export const TOPUP_EVENTS = defineEvents(EVENTS);

export const emitTopupEvent = TOPUP_EVENTS.emit;
