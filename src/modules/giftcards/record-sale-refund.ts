import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { emitEvent } from "../../platform/events/outbox.js";
import { notRefundDue, type RecordRefundInput, refundRecordOf } from "../../platform/http/record-refund.js";
import { GiftcardsError } from "./giftcards.errors.js";
import { PAYMENT_REFUNDED, salePaymentData } from "./giftcards.events.js";
import type { UnitOfWork } from "./giftcards.ledger.js";
import { type CardRow, findCard, updateCard } from "./giftcards.repository.js";

/**
 * Finance refunded a `refund_due` card's online payment at the provider (the module's
 * providers send no refund notification): the card becomes `refunded`, keeping who recorded
 * it, when, the provider's refund id and a note (`refund_record`). The card was never loaded
 * and has no ledger account, so nothing moves and no activity is written (activities are
 * ledger movements); the audit and the `gift_card.payment_refunded` event say it. The card
 * row is locked first; any other status (a second call included) refuses with
 * `not_refund_due` and writes nothing. The caller has checked the card is visible to it.
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
  const record = refundRecordOf(ctx, input.body, now);
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
