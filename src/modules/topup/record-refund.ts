import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { notRefundDue, type RecordRefundInput, refundRecordOf } from "../../platform/http/record-refund.js";
import { type RefundLog, refundLogOf } from "./record-provider-refund.js";
import { TopupError } from "./topup.errors.js";
import type { TopupRow } from "./topup.repository.js";

/**
 * Finance refunded a `refund_due` top-up's payment at the provider: the top-up becomes
 * `refunded`, its details keeping who recorded it, when, the provider's refund id and a note
 * (`refund_record`). Nothing was credited, so nothing moves. The provider's refund log
 * (`details.refund`) is completed to the whole amount, so a refund notification arriving
 * afterwards for the same payment finds it settled and changes nothing. The top-up row is
 * locked first; any other status (a second call included) refuses with `not_refund_due` and
 * writes nothing. The caller has checked the top-up is visible to it.
 */
export async function recordTopupRefund(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: { topupId: string; body: RecordRefundInput },
  now: Date,
): Promise<TopupRow> {
  const { trx, tenantId } = uow;
  const topup = await trx
    .selectFrom("topups")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", input.topupId)
    .forUpdate()
    .executeTakeFirst();
  if (!topup) throw new TopupError("topup_not_found", "Top-up not found");
  if (topup.status !== "refund_due") throw new TopupError(...notRefundDue("top-up", topup.status));
  const record = refundRecordOf(ctx, input.body, now);
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
      },
    },
    now,
  );
  return updated;
}

/**
 * A smart top-up paid through another module (the cashier) whose payment that module has
 * recorded as refunded: the top-up, when it is `refund_due`, is recorded refunded with the same
 * record, so finance never sees the one payment owed twice. Any other status is left as it is.
 */
export async function recordRefundOfPaidTopup(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: { topupId: string; body: RecordRefundInput },
  now: Date,
): Promise<void> {
  const topup = await uow.trx
    .selectFrom("topups")
    .select("status")
    .where("tenant_id", "=", uow.tenantId)
    .where("id", "=", input.topupId)
    .forUpdate()
    .executeTakeFirst();
  if (topup?.status === "refund_due") await recordTopupRefund(uow, ctx, input, now);
}
