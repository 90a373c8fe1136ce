import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import {
  nextProviderRefund,
  notRefundDue,
  type ProviderRefundNotice,
  providerRefundRecord,
  type RecordRefundInput,
  type RefundRecord,
  refundRecordOf,
} from "../../platform/http/record-refund.js";
import { topupPaymentHolder } from "../../platform/payment-outcomes.js";
import { type RefundLog, refundLogOf } from "./record-provider-refund.js";
import { TopupError } from "./topup.errors.js";
import { findTopup, type TopupRow } from "./topup.repository.js";

/**
 * Finance refunded a `refund_due` top-up's payment at the provider: the top-up becomes
 * `refunded`, its details keeping who recorded it, when, the provider's refund id and a note
 * (`refund_record`). Nothing was credited, so nothing moves. The provider's refund log
 * (`details.refund`) is completed to the whole amount, so a refund notification arriving
 * afterwards for the same payment finds it settled and changes nothing. Any other status (a
 * second call included) refuses with `not_refund_due` and writes nothing. A top-up whose money
 * another module's payment collected (a cashier's smart top-up) is recorded through that
 * module, which records its payment's refund and the top-up's together: the one payment is
 * never left owed on one row once refunded on the other. The caller has checked the top-up is
 * visible to it.
 */
export async function recordTopupRefund(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: { topupId: string; body: RecordRefundInput },
  now: Date,
): Promise<TopupRow> {
  const seen = await findTopup(uow.trx, uow.tenantId, input.topupId);
  const orderId = (seen.details as { order_id?: unknown }).order_id;
  const holder =
    seen.payment_method === "online" && typeof orderId === "string"
      ? await topupPaymentHolder(uow.trx, uow.tenantId, { id: seen.id, orderId })
      : null;
  if (!holder) {
    const record = refundRecordOf(ctx, input.body, now);
    return recordRefundOnTopup(uow, ctx, { topupId: input.topupId, record }, now);
  }
  // The holder locks its records before the top-up, as it does when it is recorded there.
  if (seen.status !== "refund_due") throw new TopupError(...notRefundDue("top-up", seen.status));
  await holder.recordRefund(uow, ctx, input.body, now);
  return findTopup(uow.trx, uow.tenantId, input.topupId);
}

/**
 * The provider says it refunded a `refund_due` top-up's payment (the top-up locked by the
 * caller): once all that was collected is back, the top-up is recorded refunded exactly as
 * finance would record it, the provider's event as its record; a part refund keeps it
 * `refund_due`, its amount in the refund log and the audit (`topup.refunded`) for finance. A
 * refund id already heard of, or no more than already recorded, changes nothing.
 */
export async function recordProviderRefundOfOwed(
  uow: UnitOfWork,
  ctx: RequestContext,
  topup: TopupRow,
  notice: ProviderRefundNotice,
  now: Date,
): Promise<"refund_recorded" | "already_settled"> {
  const log = refundLogOf(topup);
  const refund = nextProviderRefund(log, notice, topup.amount);
  if (!refund) return "already_settled";
  if (refund.whole) {
    const record = providerRefundRecord(ctx, notice, refund, now);
    await recordRefundOnTopup(uow, ctx, { topupId: topup.id, record }, now);
    return "refund_recorded";
  }
  const next: RefundLog = {
    ...log,
    refunds: { ...log.refunds, [refund.refundId]: refund.share },
    refunded_total: refund.total,
  };
  await uow.trx
    .updateTable("topups")
    .set({ details: JSON.stringify({ ...(topup.details as object), refund: next }), updated_at: now })
    .where("tenant_id", "=", uow.tenantId)
    .where("id", "=", topup.id)
    .execute();
  await recordAudit(
    uow,
    ctx,
    {
      action: "topup.refunded",
      targetType: "topup",
      targetId: topup.id,
      summary: {
        refund_id: refund.refundId,
        provider_event: notice.eventId,
        refund_amount: refund.share,
        amount: topup.amount,
        still_owed: topup.amount - refund.total,
        ...next,
      },
    },
    now,
  );
  return "refund_recorded";
}

/** The top-up's own record of the refund, its row locked first. */
async function recordRefundOnTopup(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: { topupId: string; record: RefundRecord },
  now: Date,
): Promise<TopupRow> {
  const { trx, tenantId } = uow;
  const topup = await findTopup(uow.trx, uow.tenantId, input.topupId, { lock: true });
  if (topup.status !== "refund_due") throw new TopupError(...notRefundDue("top-up", topup.status));
  const { record } = input;
  const details = topup.details as Record<string, unknown>;
  const log = refundLogOf(topup);
  const rest = topup.amount - log.refunded_total;
  const refund: RefundLog = {
    ...log,
    refunds: { ...log.refunds, [record.reference ?? "recorded"]: rest },
    refunded_total: topup.amount,
  };
  const updated = await trx
    .updateTable("topups")
    .set({
      status: "refunded",
      details: JSON.stringify({ ...details, refund, refund_record: record }),
      updated_at: now,
    })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", topup.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    uow,
    ctx,
    {
      action: "topup.refund_recorded",
      targetType: "topup",
      targetId: topup.id,
      summary: {
        reference: record.reference,
        note: record.note,
        amount: topup.amount,
        recorded_amount: rest,
        currency: topup.currency,
        provider: topup.provider,
        provider_ref: topup.provider_ref,
        previous_status: topup.status,
        ...(record.provider_event ? { provider_event: record.provider_event } : {}),
      },
    },
    now,
  );
  return updated;
}

/**
 * A smart top-up paid through another module (the cashier) whose payment that module is
 * recording as refunded — whether finance recorded it there or on the top-up, or the provider
 * said so: the top-up, when it is `refund_due`, is recorded refunded with the same record, so
 * finance never sees the one payment owed twice. Any other status is left as it is.
 */
export async function recordRefundOfPaidTopup(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: { topupId: string; record: RefundRecord },
  now: Date,
): Promise<void> {
  const topup = await findTopup(uow.trx, uow.tenantId, input.topupId, { lock: true });
  if (topup.status === "refund_due") await recordRefundOnTopup(uow, ctx, input, now);
}
