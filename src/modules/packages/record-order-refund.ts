import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import {
  applyProviderRefund,
  notRefundDue,
  type ProviderRefundNotice,
  type RecordRefundInput,
  type RefundRecord,
  refundRecordOf,
} from "../../platform/http/record-refund.js";
import { findVisibleMember } from "../members/index.js";
import { PackagesError } from "./packages.errors.js";
import { emitPackageEvent } from "./packages.events.js";
import { findOrder, type OrderRow } from "./packages.repository.js";

/**
 * Finance refunded a `refund_due` order's online payment at the provider: the order becomes
 * `refunded` (refund kind `provider`, its reason the one it was kept for), keeping who
 * recorded it, when, the provider's refund id and a note (`refund_record`). Nothing was given
 * and online payments move no ledger value, so nothing moves. The order is locked first, then
 * checked visible as a refund is; any other status (a second call included, or the provider's
 * refund notification having recorded it) refuses with `not_refund_due` and writes nothing.
 */
export async function recordOrderRefund(
  uow: UnitOfWork,
  context: RequestContext,
  input: { orderId: string; body: RecordRefundInput },
  now: Date,
): Promise<OrderRow> {
  const { trx, tenantId } = uow;
  const order = await findOrder(trx, tenantId, input.orderId, { lock: true });
  await findVisibleMember(trx, context.actor, order.member_id).catch(() => {
    throw new PackagesError("package_order_not_found", "Package order not found");
  });
  if (order.status !== "refund_due") throw new PackagesError(...notRefundDue("order", order.status));
  return settleRefunded(uow, context, order, refundRecordOf(context, input.body, now), now);
}

/**
 * The provider says it refunded a `refund_due` order's payment (the order locked by the
 * caller): once all that was collected is back, the order is recorded refunded exactly as
 * finance would record it, the provider's event as its record. A part refund keeps it
 * `refund_due`, its amount kept (`provider_refunds`) and audited (`package.provider_refund`,
 * with what is still owed) for finance. A refund id already heard of, or no more than already
 * recorded, changes nothing.
 */
export async function recordProviderRefundOfOrder(
  uow: UnitOfWork,
  context: RequestContext,
  order: OrderRow,
  notice: ProviderRefundNotice,
  now: Date,
): Promise<{ result: "refund_recorded" | "refund_ignored"; order: OrderRow }> {
  const applied = await applyProviderRefund(
    context,
    notice,
    { row: order, log: order.provider_refunds, collected: order.amount },
    {
      keepLog: (log) =>
        uow.trx
          .updateTable("package_orders")
          .set({ provider_refunds: JSON.stringify(log), updated_at: now })
          .where("tenant_id", "=", uow.tenantId)
          .where("id", "=", order.id)
          .returningAll()
          .executeTakeFirstOrThrow(),
      settle: (row, record) => settleRefunded(uow, context, row, record, now),
      auditPart: (part) =>
        recordAudit(
          uow,
          context,
          {
            action: "package.provider_refund",
            targetType: "package_order",
            targetId: order.id,
            summary: { ...part, currency: order.currency },
          },
          now,
        ),
    },
    now,
  );
  return { result: applied.result, order: applied.row };
}

/** A `refund_due` order (locked) becomes `refunded` with `record`: audited, announced. */
async function settleRefunded(
  uow: UnitOfWork,
  context: RequestContext,
  order: OrderRow,
  record: RefundRecord,
  now: Date,
): Promise<OrderRow> {
  const { trx, tenantId } = uow;
  const updated = await trx
    .updateTable("package_orders")
    .set({
      status: "refunded",
      refund_kind: "provider",
      refunded_at: now,
      refund_record: JSON.stringify(record),
      updated_at: now,
    })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", order.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    uow,
    context,
    {
      action: "package.refund_recorded",
      targetType: "package_order",
      targetId: order.id,
      summary: {
        reference: record.reference,
        note: record.note,
        amount: order.amount,
        currency: order.currency,
        provider: order.provider,
        provider_ref: order.provider_ref,
        previous_status: order.status,
        ...(record.provider_event ? { provider_event: record.provider_event } : {}),
      },
    },
    now,
  );
  await emitPackageEvent(
    uow,
    tenantId,
    "package.payment_refunded",
    {
      order_id: order.id,
      package_id: order.package_id,
      member_id: order.member_id,
      amount: order.amount,
      currency: order.currency,
      provider: order.provider ?? "",
      provider_ref: order.provider_ref ?? "",
      reference: record.reference,
    },
    now,
  );
  return updated;
}
