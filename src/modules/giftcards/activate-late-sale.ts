import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { emitEvent } from "../../platform/events/outbox.js";
import { lockUsableMember } from "../members/index.js";
import type { WebhookOutcome } from "../wallets/index.js";
import { PAYMENT_UNFULFILLED, salePaymentData } from "./giftcards.events.js";
import type { UnitOfWork } from "./giftcards.ledger.js";
import {
  type ActivityRow,
  type CardRow,
  findCard,
  findPlan,
  type PaymentRow,
  updateCard,
} from "./giftcards.repository.js";
import { activateCard } from "./sell-card.js";

/** Why a late payment could not activate its card; kept in the audit and the event. */
export type UnfulfilledReason = "card_expired" | "plan_not_on_sale" | "member_closed";

/**
 * A success for an online sale we had closed (failed, expired by the job) or whose window
 * had passed, with the payment row already locked: the buyer paid, so the card is activated
 * now, at the price and validity it was sold with, as long as it could still be sold so —
 * the card is not past its own expiry, its plan is still on sale on the sale's channel, and
 * the buying member's account is not closed. Otherwise nothing is loaded and the card becomes
 * `refund_due`, audited and announced (`gift_card.payment_unfulfilled`) for finance to refund
 * the payment at the provider. Either way the payment is `succeeded`: the money was collected.
 */
export async function activateLateSale(
  uow: UnitOfWork,
  ctx: RequestContext,
  payment: PaymentRow,
  outcome: WebhookOutcome,
  now: Date,
): Promise<{ result: "activated" | "refund_due"; card: CardRow; activity: ActivityRow | null }> {
  const { trx, tenantId } = uow;
  const card = await findCard(trx, tenantId, payment.card_id, { lock: true });
  const reason = await whyNotActivatable(uow, ctx, card, now);
  await trx
    .updateTable("gift_card_payments")
    .set({ status: "succeeded", completed_at: now })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", payment.id)
    .execute();
  const summary = {
    payment_id: payment.id,
    provider_event: outcome.eventId,
    outcome: outcome.status,
    late: true,
    previous_status: payment.status,
  };
  if (reason === null) {
    await recordAudit(
      uow,
      ctx,
      { action: "gift_card.online_sale_paid", targetType: "gift_card", targetId: card.id, summary },
      now,
    );
    // A cancelled card was closed; activated, it is open again.
    const reopened = await updateCard(trx, tenantId, card.id, { closed_at: null, updated_at: now });
    const activated = await activateCard(uow, ctx, reopened, { method: "online", ref: payment.id }, now);
    return { result: "activated", ...activated };
  }
  const kept = await updateCard(trx, tenantId, card.id, {
    status: "refund_due",
    closed_at: now,
    updated_at: now,
  });
  await recordAudit(
    uow,
    ctx,
    {
      action: "gift_card.payment_unfulfilled",
      targetType: "gift_card",
      targetId: card.id,
      summary: { ...summary, reason, amount: payment.amount, currency: payment.asset },
    },
    now,
  );
  await emitEvent(
    uow,
    {
      tenantId,
      type: PAYMENT_UNFULFILLED,
      data: {
        ...salePaymentData(card, payment),
        reason,
      },
    },
    now,
  );
  return { result: "refund_due", card: kept, activity: null };
}

async function whyNotActivatable(
  uow: UnitOfWork,
  ctx: RequestContext,
  card: CardRow,
  now: Date,
): Promise<UnfulfilledReason | null> {
  // Loaded now, it would be born expired: the ledger account refuses it, and so should we.
  if (card.expires_at !== null && card.expires_at.getTime() <= now.getTime()) return "card_expired";
  // The sale was made while the plan sold on this channel; deactivating a plan stops its sales.
  const plan = await findPlan(uow.trx, uow.tenantId, card.plan_id);
  if (plan.status !== "active" || !plan.channels.includes(card.sale_channel ?? "ONLINE"))
    return "plan_not_on_sale";
  // A frozen member may buy a card (the sale does not refuse one); a closed account takes no new value.
  if (card.buyer_member_id) {
    try {
      await lockUsableMember(uow.trx, ctx.actor, card.buyer_member_id, { allowFrozen: true });
    } catch (error) {
      if ((error as { code?: string }).code === "member_closed") return "member_closed";
      throw error;
    }
  }
  return null;
}
