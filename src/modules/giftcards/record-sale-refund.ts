import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { emitEvent } from "../../platform/events/outbox.js";
import {
  applyProviderRefund,
  notRefundDue,
  type ProviderRefundNotice,
  type RecordRefundInput,
  type RefundRecord,
  refundRecordOf,
} from "../../platform/http/record-refund.js";
import { GiftcardsError } from "./giftcards.errors.js";
import { PAYMENT_REFUNDED, salePaymentData } from "./giftcards.events.js";
import type { UnitOfWork } from "./giftcards.ledger.js";
import { type CardRow, findCard, type PaymentRow, updateCard } from "./giftcards.repository.js";

/**
 * Finance refunded a `refund_due` card's online payment at the provider: the card becomes
 * `refunded`, keeping who recorded
 * it, when, the provider's refund id and a note (`refund_record`). The card was never loaded
 * and has no ledger account, so nothing moves and no activity is written (activities are
 * ledger movements); the audit and the `gift_card.payment_refunded` event say it. The card
 * row is locked first; any other status (a second call included, or the provider's refund
 * notification having recorded it) refuses with `not_refund_due` and writes nothing. The
 * caller has checked the card is visible to it.
 */
export async function recordSaleRefund(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: { cardId: string; body: RecordRefundInput },
  now: Date,
): Promise<CardRow> {
  const { trx, tenantId } = uow;
  const card = await findCard(trx, tenantId, input.cardId, { lock: true });
  if (card.status !== "refund_due") throw new GiftcardsError(...notRefundDue("gift card", card.status));
  // The payment collected for the sale: the one finance refunded.
  const payment = await trx
    .selectFrom("gift_card_payments")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("card_id", "=", card.id)
    .where("status", "=", "succeeded")
    .orderBy("id", "desc")
    .executeTakeFirstOrThrow();
  return settleRefunded(uow, ctx, card, payment, refundRecordOf(ctx, input.body, now), now);
}

/**
 * The provider says it refunded the payment of a `refund_due` card (payment and card locked by
 * the caller): once all that was collected is back, the card is recorded refunded exactly as
 * finance would record it, the provider's event as its record. A part refund keeps it
 * `refund_due`, its amount kept on the payment (`provider_refunds`) and audited
 * (`gift_card.provider_refund`, with what is still owed) for finance. A refund id already heard
 * of, or no more than already recorded, changes nothing.
 */
export async function recordProviderRefundOfSale(
  uow: UnitOfWork,
  ctx: RequestContext,
  card: CardRow,
  payment: PaymentRow,
  notice: ProviderRefundNotice,
  now: Date,
): Promise<{ result: "refund_recorded" | "refund_ignored"; card: CardRow }> {
  // The log is kept on the payment; the card is what is settled and answered.
  const applied = await applyProviderRefund(
    ctx,
    notice,
    { row: card, log: payment.provider_refunds, collected: payment.amount },
    {
      keepLog: async (log) => {
        await uow.trx
          .updateTable("gift_card_payments")
          .set({ provider_refunds: JSON.stringify(log) })
          .where("tenant_id", "=", uow.tenantId)
          .where("id", "=", payment.id)
          .execute();
        return card;
      },
      settle: (row, record) => settleRefunded(uow, ctx, row, payment, record, now),
      auditPart: (part) =>
        recordAudit(
          uow,
          ctx,
          {
            action: "gift_card.provider_refund",
            targetType: "gift_card",
            targetId: card.id,
            summary: { payment_id: payment.id, ...part, currency: payment.asset },
          },
          now,
        ),
    },
    now,
  );
  return { result: applied.result, card: applied.row };
}

/** A `refund_due` card (locked) becomes `refunded` with `record`: audited, announced. */
async function settleRefunded(
  uow: UnitOfWork,
  ctx: RequestContext,
  card: CardRow,
  payment: PaymentRow,
  record: RefundRecord,
  now: Date,
): Promise<CardRow> {
  const { trx, tenantId } = uow;
  const updated = await updateCard(trx, tenantId, card.id, {
    status: "refunded",
    refund_record: JSON.stringify(record),
    updated_at: now,
  });
  await recordAudit(
    uow,
    ctx,
    {
      action: "gift_card.refund_recorded",
      targetType: "gift_card",
      targetId: card.id,
      summary: {
        reference: record.reference,
        note: record.note,
        payment_id: payment.id,
        amount: payment.amount,
        currency: payment.asset,
        provider: payment.provider,
        provider_ref: payment.provider_ref,
        previous_status: card.status,
        ...(record.provider_event ? { provider_event: record.provider_event } : {}),
      },
    },
    now,
  );
  await emitEvent(
    uow,
    {
      tenantId,
      type: PAYMENT_REFUNDED,
      data: {
        ...salePaymentData(card, payment),
        reference: record.reference,
      },
    },
    now,
  );
  return updated;
}
