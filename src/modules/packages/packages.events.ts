import { Type } from "typebox";
import { defineEvents } from "../../platform/events/outbox.js";
import { StringEnum } from "../../platform/http/schemas.js";

/** The packages module's webhook events; each is written in the unit of work of its change. */
const PeriodRef = {
  order_id: Type.String(),
  period_id: Type.String(),
  package_id: Type.String(),
  member_id: Type.String(),
  starts_at: Type.String({ format: "date-time" }),
  ends_at: Type.String({ format: "date-time" }),
};
const Paid = {
  ...PeriodRef,
  rule_key: Type.String(),
  price_kind: Type.String(),
  amount: Type.Integer(),
  currency: Type.String(),
  payment_method: Type.String(),
};

const EVENTS = {
  "package.purchased": {
    description:
      "A member bought a package (first or repeat purchase): paid, period placed, perks and gifts given",
    schema: Type.Object(Paid),
  },
  "package.renewed": {
    description: "A member renewed a package early: the new period starts when the current one ends",
    schema: Type.Object(Paid),
  },
  "package.refunded": {
    description:
      "A package order was refunded: period ended, entitlements removed, unused gifts withdrawn, money returned",
    schema: Type.Object({
      ...PeriodRef,
      refund_kind: Type.String(),
      amount: Type.Integer({
        description: "What this refund returned: less what the payment provider had already refunded",
      }),
      currency: Type.String(),
      withdrawn_voucher_ids: Type.Array(Type.String()),
      points_not_reversed: Type.Optional(
        Type.Object(
          { points: Type.Integer(), reason: StringEnum(["member_closed"] as const) },
          {
            description:
              "The bonus points left with the member, closed since the sale (a closed account holds nothing)",
          },
        ),
      ),
    }),
  },
  "package.payment_unfulfilled": {
    description:
      "An online payment for a package succeeded after its order was cancelled and the order could not be activated: the payment is owed back (the order is refund_due)",
    schema: Type.Object({
      order_id: Type.String(),
      package_id: Type.String(),
      member_id: Type.String(),
      amount: Type.Integer(),
      currency: Type.String(),
      provider: Type.String(),
      provider_ref: Type.String(),
      reason: Type.String(),
    }),
  },
  "package.payment_refunded": {
    description:
      "Finance recorded the refund, made at the provider, of a refund_due order's online payment: the order is refunded (nothing was given, nothing moves)",
    schema: Type.Object({
      order_id: Type.String(),
      package_id: Type.String(),
      member_id: Type.String(),
      amount: Type.Integer(),
      currency: Type.String(),
      provider: Type.String(),
      provider_ref: Type.String(),
      reference: Type.Union([Type.String(), Type.Null()]),
    }),
  },
  "package.expired": {
    description: "A package period reached its end",
    schema: Type.Object(PeriodRef),
  },
} as const;

export type PackageEventType = keyof typeof EVENTS;

export const PACKAGES_EVENTS = defineEvents(EVENTS);

export const emitPackageEvent = PACKAGES_EVENTS.emit;
