import { Type } from "typebox";
import { defineEvents } from "../../platform/events/outbox.js";

/** The vouchers module's webhook events; each is written in the change's unit of work. */
const VoucherRef = {
  voucher_id: Type.String(),
  /** The holding org unit; null for a member's voucher (then member_id names the member). */
  customer_id: Type.Union([Type.String(), Type.Null()]),
  member_id: Type.Optional(Type.String()),
  asset: Type.String(),
};

/** The holder fields of an event: customer_id, and member_id for a member's voucher. */
export function holderRef(v: { customer_id: string | null; member_id: string | null }) {
  return v.member_id ? { customer_id: null, member_id: v.member_id } : { customer_id: v.customer_id };
}

const EVENTS = {
  "voucher.issued": {
    description: "A voucher was issued to a customer (amount: its face amount, usable at once)",
    schema: Type.Object({
      ...VoucherRef,
      template_id: Type.Union([Type.String(), Type.Null()]),
      purpose: Type.String(),
      amount: Type.Integer(),
      expires_at: Type.String(),
    }),
  },
  "voucher.deducted": {
    description: "A bill was offset by a customer's vouchers (one event per bill)",
    schema: Type.Object({
      bill_id: Type.String(),
      customer_id: Type.String(),
      asset: Type.String(),
      deducted_amount: Type.Integer(),
      deductions: Type.Array(
        Type.Object({ voucher_id: Type.String(), line_index: Type.Integer(), amount: Type.Integer() }),
      ),
    }),
  },
  "voucher.refunded": {
    description:
      "A bill refund returned voucher value (to the voucher, or to its source once expired or withdrawn)",
    schema: Type.Object({
      bill_id: Type.String(),
      refund_id: Type.String(),
      returned_amount: Type.Integer(),
      returns: Type.Array(
        Type.Object({ voucher_id: Type.String(), amount: Type.Integer(), returned_to: Type.String() }),
      ),
    }),
  },
  "voucher.redeemed": {
    description: "A member's voucher paid part of an order (by voucher id, e.g. at checkout)",
    schema: Type.Object({
      ...VoucherRef,
      redemption_id: Type.String(),
      reference_module: Type.String(),
      reference_id: Type.String(),
      amount: Type.Integer(),
    }),
  },
  "voucher.returned": {
    description:
      "A refund gave back (part of) a redemption: to the voucher, or to its source once expired or withdrawn",
    schema: Type.Object({
      ...VoucherRef,
      redemption_id: Type.String(),
      reference_id: Type.String(),
      amount: Type.Integer(),
      returned_to: Type.String(),
    }),
  },
  "voucher.withdrawn": {
    description: "A voucher was withdrawn (irreversible); its remaining balance returned to its source",
    schema: Type.Object({ ...VoucherRef, returned_amount: Type.Integer() }),
  },
  "voucher.expired": {
    description: "A voucher reached its end time; its remaining balance returned to its source",
    schema: Type.Object({ ...VoucherRef, returned_amount: Type.Integer() }),
  },
} as const;

export type VoucherEventType = keyof typeof EVENTS;

export const VOUCHERS_EVENTS = defineEvents(EVENTS);

export const emitVoucherEvent = VOUCHERS_EVENTS.emit;
