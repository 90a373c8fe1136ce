import type { Database } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import {
  assertOnlineCurrency,
  confirmProviderPayment,
  createProviderPayment,
  isKnownProviderPayment,
  type PaymentOrigin,
  type ProviderResolver,
  type WebhookOutcome,
} from "../wallets/index.js";
import { activateLateSale } from "./activate-late-sale.js";
import { GiftcardsError } from "./giftcards.errors.js";
import type { UnitOfWork } from "./giftcards.ledger.js";
import {
  type ActivityRow,
  type CardRow,
  findCard,
  type PaymentRow,
  updateCard,
} from "./giftcards.repository.js";
import { recordProviderRefundOfSale } from "./record-sale-refund.js";
import { checkSale, type SaleRequest, tenantTimezone } from "./sale-rules.js";
import { activateCard, writeSoldCard } from "./sell-card.js";
import { takeBackRefundedSale } from "./take-back-sale.js";

/** An online payment stays open this long; unpaid, the card is cancelled (the expiry job). */
export const ONLINE_PAYMENT_TTL_SECONDS = 30 * 60;

export interface OnlineSale {
  card: CardRow;
  pin: string | null;
  payment: PaymentRow;
}

/** An online sale the provider has accepted, not yet recorded. */
export interface PreparedOnlineSale {
  req: SaleRequest;
  paid: number;
  /** The currency the provider was told to collect `paid` in. */
  currency: string;
  paymentId: string;
  provider: string;
  providerRef: string;
  checkout: Record<string, unknown>;
  expiresAt: Date;
}

/**
 * Starts an online sale: checks it (nothing is created for a refused sale) and creates the
 * payment at the tenant's provider, outside any unit of work (a network call; no lock is held
 * while the provider answers). `recordOnlineSale` then writes the card `pending`; the
 * provider's signed confirmation activates it (`confirmOnlineSale`). The provider is the
 * tenant's (the test one, or its own Alipay, WeChat Pay or Stripe), in a real currency it
 * takes; `from` is where the request came from: its address for the payment's notify URL,
 * and the payment scene.
 */
export async function prepareOnlineSale(
  db: Database,
  context: RequestContext,
  providers: ProviderResolver,
  req: SaleRequest,
  now: Date,
  from: PaymentOrigin = {},
): Promise<PreparedOnlineSale> {
  const tenantId = context.actor.tenantId;
  const { price, plan, provider } = await db.tenantTx(tenantId, async (trx) => {
    const checked = await checkSale(trx, tenantId, req, now, await tenantTimezone(trx, tenantId));
    return { ...checked, provider: await providers(trx, tenantId) };
  });
  assertOnlineCurrency(provider, plan.currency);
  const paymentId = newId("gcpay");
  const expiresAt = new Date(now.getTime() + ONLINE_PAYMENT_TTL_SECONDS * 1000);
  const created = await createProviderPayment(
    provider,
    {
      tenantId,
      intentId: paymentId,
      amount: price.paid,
      currency: plan.currency,
      description: `Gift card ${plan.name}`,
      expiresAt,
    },
    from,
    "gift-card-payment-webhooks",
  );
  return {
    req,
    paid: price.paid,
    currency: plan.currency,
    paymentId,
    provider: provider.name,
    providerRef: created.providerRef,
    checkout: created.checkout,
    expiresAt,
  };
}

/**
 * Records a prepared online sale: the checks run again in the unit that writes the card, at
 * the price the provider was told.
 */
export async function recordOnlineSale(
  uow: UnitOfWork,
  context: RequestContext,
  prepared: PreparedOnlineSale,
  pinSecret: string,
  now: Date,
): Promise<OnlineSale> {
  const tenantId = uow.tenantId;
  const input = prepared.req;
  const sale = await checkSale(uow.trx, tenantId, input, now, await tenantTimezone(uow.trx, tenantId));
  // A plan with no card yet may change its currency meanwhile: the card and its payment would
  // then be written in it while the provider collects the old one, and no confirmation (in the
  // old currency) could ever activate the card.
  if (sale.price.paid !== prepared.paid || sale.plan.currency !== prepared.currency) {
    throw new GiftcardsError(
      "gift_card_plan_changed",
      "The plan changed while the payment was created: buy again",
    );
  }
  const { card, pin } = await writeSoldCard(uow, context, input, sale, pinSecret, now);
  const payment = (await uow.trx
    .insertInto("gift_card_payments")
    .values({
      tenant_id: tenantId,
      id: prepared.paymentId,
      card_id: card.id,
      provider: prepared.provider,
      provider_ref: prepared.providerRef,
      amount: prepared.paid,
      asset: card.asset,
      status: "pending",
      checkout: JSON.stringify(prepared.checkout),
      expires_at: prepared.expiresAt,
      completed_at: null,
      created_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()) as PaymentRow;
  await recordAudit(
    uow,
    context,
    {
      action: "gift_card.online_sale_started",
      targetType: "gift_card",
      targetId: card.id,
      summary: { payment_id: payment.id, amount: payment.amount, plan_id: card.plan_id },
    },
    now,
  );
  return { card, pin, payment };
}

export type ConfirmResult =
  | "activated"
  | "failed"
  | "expired"
  | "refund_due"
  | "refund_recorded"
  | "refund_ignored"
  | "already_settled";

/**
 * Applies a verified provider notification to its payment, exactly once: the payment row is
 * locked first and a settled payment refuses a second confirmation (nothing moves again).
 * Paid in time: the card is activated (ACTIVATE, payment method online). Failed: the card is
 * cancelled and holds no value. A failure is not final at every provider (a Stripe
 * PaymentIntent may be retried and then succeed) and a payment may succeed after our window
 * or after the expiry job cancelled the sale: the buyer paid, so such a success activates the
 * card then if it still can be, else keeps the sale `refund_due` (activate-late-sale.ts).
 * A refund notification never activates a card: on a `refund_due` card it records the refund
 * as finance would once all that was collected is back (`refund_recorded`; a part refund is
 * kept and audited, the card still owed); on a card it activated it takes the refunded share of
 * the card's value off it, what was already spent kept as the shortfall (`refund_recorded`,
 * take-back-sale.ts); on a `refunded` one it changes nothing (`refund_ignored`), and a card
 * whose payment is not paid (pending, failed, expired) refuses it (`gift_card_payment_closed`). A refund of a
 * payment that is no gift card sale here is acknowledged (`refund_ignored`, no card), writing nothing.
 * With `acknowledgeSettled` (a provider that resends until acknowledged) a payment
 * notification for a settled payment answers `already_settled` instead, writing nothing.
 */
export async function confirmOnlineSale(
  uow: UnitOfWork,
  provider: string,
  outcome: WebhookOutcome,
  now: Date,
  options: { acknowledgeSettled?: boolean } = {},
): Promise<{ result: ConfirmResult; card: CardRow | null; activity: ActivityRow | null }> {
  if (
    outcome.kind === "refund" &&
    !(await isKnownProviderPayment(
      uow.trx,
      uow.tenantId,
      "gift_card_payments",
      provider,
      outcome.providerRef,
    ))
  ) {
    return { result: "refund_ignored", card: null, activity: null };
  }
  // A refund notification never settles a sale; only a success reopens a closed one.
  const refund = outcome.kind === "refund";
  const paid = !refund && outcome.status === "succeeded";
  const closed = (p: PaymentRow) =>
    new GiftcardsError("gift_card_payment_closed", `The payment was already ${p.status}; nothing changed`);
  const confirmed = await confirmProviderPayment(
    uow,
    {
      table: "gift_card_payments",
      provider,
      outcome,
      facts: (p) => ({
        amount: p.amount,
        currency: p.asset,
        expiresAt: p.expires_at,
        open:
          outcome.kind !== "refund" &&
          (p.status === "pending" || (paid && (p.status === "failed" || p.status === "expired"))),
      }),
      refuse: {
        notFound: () =>
          new GiftcardsError("gift_card_payment_not_found", "No gift card payment for this notification"),
        mismatch: () =>
          new GiftcardsError(
            "gift_card_amount_mismatch",
            "The confirmation's amount or currency differs from the payment",
          ),
        // A refund is answered below, by its card's status.
        ...(refund || options.acknowledgeSettled ? {} : { closed }),
      },
    },
    now,
  );
  const { row: payment, ctx: context } = confirmed;
  if (confirmed.result === "closed" && !refund) {
    const card = await findCard(uow.trx, uow.tenantId, payment.card_id);
    return { result: "already_settled", card, activity: null };
  }
  if (refund) {
    const card = await findCard(uow.trx, uow.tenantId, payment.card_id, { lock: true });
    // Owed back: the provider's refund of the collected payment settles it as finance's record would.
    if (card.status === "refund_due" && payment.status === "succeeded") {
      const notice = { ...outcome, provider };
      return {
        ...(await recordProviderRefundOfSale(uow, context, card, payment, notice, now)),
        activity: null,
      };
    }
    if (card.status === "refunded") return { result: "refund_ignored", card, activity: null };
    // Activated by this payment: the refunded share of its value comes off the card.
    if (payment.status === "succeeded") {
      return takeBackRefundedSale(uow, context, card, payment, { ...outcome, provider }, now);
    }
    throw closed(payment);
  }
  if (paid && (payment.status !== "pending" || confirmed.result === "expired"))
    return activateLateSale(uow, context, payment, outcome, now);
  const result: ConfirmResult =
    confirmed.result === "succeeded" ? "activated" : confirmed.result === "failed" ? "failed" : "expired";
  await uow.trx
    .updateTable("gift_card_payments")
    .set({ status: result === "activated" ? "succeeded" : result, completed_at: now })
    .where("tenant_id", "=", uow.tenantId)
    .where("id", "=", payment.id)
    .execute();
  const card = await findCard(uow.trx, uow.tenantId, payment.card_id, { lock: true });
  if (result !== "activated") {
    const cancelled = await updateCard(uow.trx, uow.tenantId, card.id, {
      status: "cancelled",
      closed_at: now,
      updated_at: now,
    });
    await recordAudit(
      uow,
      context,
      {
        action: "gift_card.online_sale_cancelled",
        targetType: "gift_card",
        targetId: card.id,
        summary: { payment_id: payment.id, outcome: result, provider_event: outcome.eventId },
      },
      now,
    );
    return { result, card: cancelled, activity: null };
  }
  const activated = await activateCard(uow, context, card, { method: "online", ref: payment.id }, now);
  return { result, ...activated };
}
