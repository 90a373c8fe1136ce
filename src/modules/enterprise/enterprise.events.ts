import { Type } from "typebox";
import { defineEvents } from "../../platform/events/outbox.js";

const EVENTS = {
  "enterprise.sharing_changed": {
    description: "Benefits sharing changed: the master's global switch (member_id null) or members' switches",
    schema: Type.Object({
      enterprise_id: Type.String(),
      member_ids: Type.Array(Type.String()),
      enabled: Type.Boolean(),
      via: Type.String(),
    }),
  },
  "enterprise.coupon_allocated": {
    description: "Part of a master's cash coupon was allocated to member accounts",
    schema: Type.Object({
      enterprise_id: Type.String(),
      coupon_id: Type.String(),
      allocations: Type.Array(
        Type.Object({ member_id: Type.String(), voucher_id: Type.String(), amount: Type.Integer() }),
      ),
    }),
  },
  "enterprise.coupon_revoked": {
    description:
      "Allocated coupons were revoked from a member; their remaining balance returned to the master's coupon",
    schema: Type.Object({
      enterprise_id: Type.String(),
      coupon_id: Type.String(),
      member_id: Type.String(),
      revocations: Type.Array(Type.Object({ voucher_id: Type.String(), amount: Type.Integer() })),
    }),
  },
  "enterprise.bill_paid": {
    description: "A member account's bill was paid from its coupons and the master's shared coupons",
    schema: Type.Object({
      enterprise_id: Type.String(),
      member_id: Type.String(),
      bill_id: Type.String(),
      total_amount: Type.Integer(),
      deducted_amount: Type.Integer(),
      payable_amount: Type.Integer(),
    }),
  },
  "enterprise.usage_recorded": {
    description: "A usage record was covered by resource packages; billable_quantity is what remains",
    schema: Type.Object({
      usage_id: Type.String(),
      account_id: Type.String(),
      product_code: Type.String(),
      quantity: Type.Integer(),
      covered_quantity: Type.Integer(),
      billable_quantity: Type.Integer(),
    }),
  },
  "enterprise.coupon_swept": {
    description:
      "Value that came back to an expired or withdrawn master coupon (a sub-coupon's expiry, a refund) went on to the coupon's source",
    schema: Type.Object({
      enterprise_id: Type.String(),
      coupon_id: Type.String(),
      asset: Type.String(),
      amount: Type.Integer(),
    }),
  },
  "enterprise.package_expired": {
    description: "A resource package expired; the quantity it still held returned to its grant source",
    schema: Type.Object({
      package_id: Type.String(),
      owner_id: Type.String(),
      product_code: Type.String(),
      unit: Type.String(),
      total_quantity: Type.Integer(),
      expired_quantity: Type.Integer(),
    }),
  },
} as const;

export type EnterpriseEventType = keyof typeof EVENTS;

export const ENTERPRISE_EVENTS = defineEvents(EVENTS);

export const emitEnterpriseEvent = ENTERPRISE_EVENTS.emit;
