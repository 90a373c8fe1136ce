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

/** The provider's own refund notification a record was made from. */
export interface ProviderRefundEvent {
  provider: string;
  event_id: string;
  refund_id: string;
  /** Everything the provider has refunded of the payment: what was collected. */
  amount: number;
  currency: string;
}

/**
 * What is kept on the record (and answered): the provider's refund id, the note, who and when;
 * recorded from the provider's refund notification, the event it came from.
 */
export interface RefundRecord {
  reference: string | null;
  note: string | null;
  recorded_by: { type: ActorType; id: string };
  recorded_at: string;
  provider_event?: ProviderRefundEvent;
}

export const RefundRecordSchema = Type.Object(
  {
    reference: Type.Union([Type.String(), Type.Null()], { description: "The provider's refund id" }),
    note: Type.Union([Type.String(), Type.Null()]),
    recorded_by: Type.Object({ type: Type.String(), id: Type.String() }),
    recorded_at: Timestamp,
    provider_event: Type.Optional(
      Type.Object(
        {
          provider: Type.String(),
          event_id: Type.String({ description: "The provider's notification id" }),
          refund_id: Type.String(),
          amount: Type.Integer({ description: "Refunded at the provider, in minor units: all collected" }),
          currency: Type.String(),
        },
        {
          description:
            "Present when the provider's own refund notification recorded it (recorded_by is then the provider)",
        },
      ),
    ),
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

/** A provider's refund notification, as its adapter verified and read it. */
export interface ProviderRefundNotice {
  provider: string;
  eventId: string;
  status: "succeeded" | "failed";
  currency: string;
  refundAmount?: number;
  /** The amount is everything refunded so far (Stripe, Alipay), not this refund alone (WeChat Pay). */
  refundCumulative?: boolean;
  refundId?: string;
}

/** The provider refunds heard of for one payment, by refund id (each its own share), and their sum. */
export interface ProviderRefundLog {
  refunds: Record<string, number>;
  refunded_total: number;
}

export const EMPTY_REFUND_LOG: ProviderRefundLog = { refunds: {}, refunded_total: 0 };

/**
 * What a record answers of its provider refunds, so that a part refund shows without reading
 * the audit: their sum and how many there were, each refund id once (0 and 0 when none).
 */
export const ProviderRefundFields = {
  refunded_amount: Type.Integer({
    minimum: 0,
    description:
      "Refunded at the provider so far, as its refund notifications said (minor units; each refund once; 0 when none). A refund finance records by hand adds nothing here",
  }),
  refund_count: Type.Integer({
    minimum: 0,
    description: "How many refunds the provider's notifications announced (each refund id once)",
  }),
};

export function providerRefundTotals(log: ProviderRefundLog | null | undefined): {
  refunded_amount: number;
  refund_count: number;
} {
  const shares = Object.values(log?.refunds ?? {});
  return { refunded_amount: shares.reduce((sum, share) => sum + share, 0), refund_count: shares.length };
}

/**
 * What a provider's refund notification adds to a payment of `collected` already refunded as
 * `log` says: null when it adds nothing (a failed refund, a refund id already heard of, a
 * cumulative amount no higher than what is recorded); else this refund's share, the new total
 * (never above what was collected) and whether all of it is now back (`whole`).
 */
export function nextProviderRefund(
  log: ProviderRefundLog,
  notice: ProviderRefundNotice,
  collected: number,
): { refundId: string; share: number; total: number; whole: boolean } | null {
  if (notice.status !== "succeeded") return null;
  const refundId = notice.refundId || notice.eventId;
  if (log.refunds[refundId] !== undefined) return null;
  const amount = notice.refundAmount ?? 0;
  const heard = notice.refundCumulative ? amount : log.refunded_total + amount;
  const total = Math.min(collected, heard);
  if (total <= log.refunded_total) return null;
  return { refundId, share: total - log.refunded_total, total, whole: total >= collected };
}

/**
 * The record a payment kept `refund_due` gets when the provider itself says all of it was
 * refunded: as finance would record it, by the provider (the notification's actor), with the
 * provider's refund id as reference and its event.
 */
export function providerRefundRecord(
  ctx: RequestContext,
  notice: ProviderRefundNotice,
  refund: { refundId: string; total: number },
  now: Date,
): RefundRecord {
  return {
    reference: refund.refundId,
    note: null,
    recorded_by: { type: ctx.actor.type, id: ctx.actor.id },
    recorded_at: now.toISOString(),
    provider_event: {
      provider: notice.provider,
      event_id: notice.eventId,
      refund_id: refund.refundId,
      amount: refund.total,
      currency: notice.currency,
    },
  };
}

/** What a part refund's audit says, beside the caller's own fields. */
export interface ProviderRefundPart {
  refund_id: string;
  provider_event: string;
  refund_amount: number;
  amount: number;
  still_owed: number;
  refunds: Record<string, number>;
  refunded_total: number;
}

/**
 * A provider's refund notification applied to one payment kept `refund_due` (locked by the
 * caller), the same way for every kind of payment: nothing when it adds nothing; else the new
 * refund log is kept (`keepLog`), and either all of it is back and the payment is recorded
 * refunded as finance would record it, the provider's event as its record (`settle`), or a part
 * is and that part is audited with what is still owed (`auditPart`) for finance.
 */
export async function applyProviderRefund<Row>(
  ctx: RequestContext,
  notice: ProviderRefundNotice,
  payment: { row: Row; log: ProviderRefundLog | null; collected: number },
  steps: {
    keepLog(log: ProviderRefundLog): Promise<Row>;
    settle(row: Row, record: RefundRecord): Promise<Row>;
    auditPart(part: ProviderRefundPart): Promise<void>;
  },
  now: Date,
): Promise<{ result: "refund_recorded" | "refund_ignored"; row: Row }> {
  const log = payment.log ?? EMPTY_REFUND_LOG;
  const refund = nextProviderRefund(log, notice, payment.collected);
  if (!refund) return { result: "refund_ignored", row: payment.row };
  const next = { refunds: { ...log.refunds, [refund.refundId]: refund.share }, refunded_total: refund.total };
  const kept = await steps.keepLog(next);
  if (refund.whole) {
    const record = providerRefundRecord(ctx, notice, refund, now);
    return { result: "refund_recorded", row: await steps.settle(kept, record) };
  }
  await steps.auditPart({
    refund_id: refund.refundId,
    provider_event: notice.eventId,
    refund_amount: refund.share,
    amount: payment.collected,
    still_owed: payment.collected - refund.total,
    ...next,
  });
  return { result: "refund_recorded", row: kept };
}
