import { Type } from "typebox";
import type { ActorType, RequestContext } from "../auth/actor.js";
import { Obj, Timestamp } from "./schemas.js";

/**
 * Finance's record of a refund made outside Vouchsafe (in the payment provider's dashboard)
 * for an online payment kept `refund_due`: collected by the provider, never credited. The
 * four kinds of such records (plan top-ups, package orders, gift cards sold online, wallet
 * top-up intents) take the same body and keep the same record; recording moves no value.
 */
export const RecordRefundBody = Type.Optional(
  Obj(
    {
      reference: Type.Optional(
        Type.String({ minLength: 1, maxLength: 200, description: "The provider's refund id" }),
      ),
      note: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    },
    { examples: [{ reference: "re_3PqA1b2C3d4E5f6G", note: "refunded in the Stripe dashboard" }] },
  ),
);

/**
 * The life of a payment collected by a provider for something sold online: waiting, taken
 * (`succeeded`), `failed`, `expired`, or collected but no longer deliverable (`refund_due`)
 * until finance records its refund (`refunded`).
 */
export const ONLINE_PAYMENT_STATUSES = [
  "pending",
  "succeeded",
  "failed",
  "expired",
  "refund_due",
  "refunded",
] as const;

export type RecordRefundInput = { reference?: string; note?: string } | undefined;

/** What is kept on the record (and answered): the provider's refund id, the note, who and when. */
export interface RefundRecord {
  reference: string | null;
  note: string | null;
  recorded_by: { type: ActorType; id: string };
  recorded_at: string;
}

export const RefundRecordSchema = Type.Object(
  {
    reference: Type.Union([Type.String(), Type.Null()], { description: "The provider's refund id" }),
    note: Type.Union([Type.String(), Type.Null()]),
    recorded_by: Type.Object({ type: Type.String(), id: Type.String() }),
    recorded_at: Timestamp,
  },
  { description: "Finance's record of the refund made at the provider" },
);

/** A record's `refund_record`: null until finance records a refund. */
export const RefundRecordOrNull = Type.Union([RefundRecordSchema, Type.Null()]);

export function refundRecordOf(ctx: RequestContext, body: RecordRefundInput, now: Date): RefundRecord {
  return {
    reference: body?.reference ?? null,
    note: body?.note ?? null,
    recorded_by: { type: ctx.actor.type, id: ctx.actor.id },
    recorded_at: now.toISOString(),
  };
}

/**
 * The refusal (code, detail, current status) when the record is not, or no longer,
 * `refund_due`, for the module's own error class: nothing is written.
 */
export function notRefundDue(what: string, status: string) {
  return [
    "not_refund_due",
    `The ${what} is ${status}; only a refund_due ${what} has a refund to record`,
    { extra: { current_status: status } },
  ] as const;
}
