import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { emitEvent } from "../../platform/events/outbox.js";
import {
  nextProviderRefund,
  type ProviderRefundLog,
  type ProviderRefundNotice,
  providerRefundRecord,
} from "../../platform/http/record-refund.js";
import { mulDiv } from "../../shared/money.js";
import { PAYMENT_REFUNDED, salePaymentData } from "./giftcards.events.js";
import { accountIds, cardBalance, moveValue, type UnitOfWork } from "./giftcards.ledger.js";
import { type ActivityRow, type CardRow, type PaymentRow, updateCard } from "./giftcards.repository.js";
import { newActivityId, recordActivity } from "./record-activity.js";

/**
 * The provider refunds of an activated card's online sale, kept on its payment: by refund id
 * with their sum, the card value taken off for them, and the value the holder had already
 * spent (`shortfall`: refunded at the provider, not taken back).
 */
export interface SaleTakenBackLog extends ProviderRefundLog {
  taken: number;
  shortfall: number;
}

export function saleTakenBackLogOf(
  log: (ProviderRefundLog & Partial<SaleTakenBackLog>) | null,
): SaleTakenBackLog {
  return { refunds: {}, refunded_total: 0, taken: 0, shortfall: 0, ...(log ?? {}) };
}

/**
 * The provider refunded (part of) the online payment of a card it activated (card and payment
 * locked by the caller), once per refund id, cumulative or one by one as the provider counts.
 * The card loses the value that payment bought in the refunded proportion (its face amount ×
 * refunded / paid, rounded down until all of it is back, so a purchase discount goes with
 * it), at most what the card still holds: an ADJUST_DECREMENT activity, the paid share back to
 * issuance, the discount share to marketing. What the holder already spent is the shortfall,
 * kept on the payment (the card's `refund_shortfall`). Once all the payment is back and the
 * card holds nothing more, the card is closed `refunded` with the provider's event as its
 * record; value loaded since by other payments keeps it active. Audited
 * (`gift_card.provider_refund`); the activity's event, and `gift_card.payment_refunded`
 * once all of it is back. A frozen card loses the value too (a refund is no spending) and stays
 * frozen; one past its validity holds nothing more (its value is breakage): all of it is the
 * shortfall.
 */
export async function takeBackRefundedSale(
  uow: UnitOfWork,
  ctx: RequestContext,
  card: CardRow,
  payment: PaymentRow,
  notice: ProviderRefundNotice,
  now: Date,
): Promise<{ result: "refund_recorded" | "refund_ignored"; card: CardRow; activity: ActivityRow | null }> {
  const log = saleTakenBackLogOf(payment.provider_refunds);
  const refund = nextProviderRefund(log, notice, payment.amount);
  if (!refund) return { result: "refund_ignored", card, activity: null };
  const face = card.face_amount ?? payment.amount;
  const valueUpTo = (total: number) =>
    total >= payment.amount ? face : mulDiv(total, face, payment.amount, "down");
  const wanted = valueUpTo(refund.total) - valueUpTo(log.refunded_total);
  // Past its validity the card's value is breakage (the expiry job moves it): nothing to take.
  const valid = card.expires_at === null || card.expires_at.getTime() > now.getTime();
  const open = (card.status === "active" || card.status === "frozen") && card.account_id !== null && valid;
  const balance = open ? await cardBalance(uow, card.account_id!) : 0;
  const taken = Math.min(wanted, balance);
  const cash = Math.min(taken, refund.share);
  let activity: ActivityRow | null = null;
  // A freeze stops the holder spending, not the provider's refund: lifted for the move only.
  const frozen = card.status === "frozen" && taken > 0;
  if (frozen) await setFrozenDebits(uow, card.account_id!, false);
  if (taken > 0) {
    const id = newActivityId();
    await moveValue(uow, { id, cardId: card.id }, [
      {
        debit_account_id: card.account_id!,
        credit_account_id: accountIds.issuance(card.asset),
        amount: cash,
        code: "gift_card_provider_refund",
      },
      {
        debit_account_id: card.account_id!,
        credit_account_id: accountIds.marketing(card.asset),
        amount: taken - cash,
        code: "gift_card_provider_refund_discount",
      },
    ]);
    activity = await recordActivity(
      uow,
      ctx,
      card,
      {
        id,
        type: "ADJUST_DECREMENT",
        amount: taken,
        balanceAfter: balance - taken,
        paid_amount: cash,
        discount_amount: taken - cash,
        payment_method: "online",
        payment_ref: payment.id,
        returned_to: "provider",
        reason: `refunded by the payment provider (refund ${refund.refundId})`,
      },
      now,
    );
  }
  const closes = refund.whole && open && balance - taken === 0;
  if (frozen && !closes) await setFrozenDebits(uow, card.account_id!, true);
  const next: SaleTakenBackLog = {
    refunds: { ...log.refunds, [refund.refundId]: refund.share },
    refunded_total: refund.total,
    taken: log.taken + taken,
    shortfall: log.shortfall + wanted - taken,
  };
  await uow.trx
    .updateTable("gift_card_payments")
    .set({ provider_refunds: JSON.stringify(next) })
    .where("tenant_id", "=", uow.tenantId)
    .where("id", "=", payment.id)
    .execute();
  let updated = card;
  const record = refund.whole ? providerRefundRecord(ctx, notice, refund, now) : null;
  if (closes) {
    const closed = await uow.updateAccount(card.account_id!, { closed: true });
    if (!closed.ok) throw new Error(`ledger refused to close ${card.account_id}: ${closed.code}`);
    updated = await updateCard(uow.trx, uow.tenantId, card.id, {
      status: "refunded",
      closed_at: now,
      refund_record: JSON.stringify(record),
      updated_at: now,
    });
  }
  await recordAudit(
    uow,
    ctx,
    {
      action: "gift_card.provider_refund",
      targetType: "gift_card",
      targetId: card.id,
      summary: {
        payment_id: payment.id,
        refund_id: refund.refundId,
        provider_event: notice.eventId,
        refund_amount: refund.share,
        amount: payment.amount,
        currency: payment.asset,
        value_taken: taken,
        value_shortfall: wanted - taken,
        closed: closes,
        ...next,
      },
    },
    now,
  );
  if (record) {
    await emitEvent(
      uow,
      {
        tenantId: uow.tenantId,
        type: PAYMENT_REFUNDED,
        data: { ...salePaymentData(card, payment), reference: record.reference },
      },
      now,
    );
  }
  return { result: "refund_recorded", card: updated, activity };
}

async function setFrozenDebits(uow: UnitOfWork, accountId: string, frozen: boolean): Promise<void> {
  const account = await uow.updateAccount(accountId, { frozen_debits: frozen });
  if (!account.ok) throw new Error(`ledger refused to change ${accountId}: ${account.code}`);
}
