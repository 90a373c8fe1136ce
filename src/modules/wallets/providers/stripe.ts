import Stripe from "stripe";
import type { CreatePaymentInput, PaymentProvider, ProviderNotice } from "../payment-providers.js";
import { WEBHOOK_TOLERANCE_SECONDS } from "../payment-providers.js";
import { header, invalidSignature } from "./money-text.js";

export interface StripeConfig {
  secretKey: string;
  webhookSecret: string;
  /** Tests: a fetch standing in for the network. */
  fetch?: typeof fetch;
}

/** Currencies the adapter charges in (Stripe's minor units equal ours for these). */
export const STRIPE_CURRENCIES = ["CNY", "USD", "EUR", "GBP", "HKD", "SGD", "AUD", "CAD", "JPY"] as const;

/**
 * Marks, in a Checkout payment's metadata, that the sale is found by our id (`intent_id`), not
 * by the PaymentIntent's: Stripe makes a Checkout Session's PaymentIntent only when the member
 * pays, so the sale cannot record its id when it is created.
 */
const PAID_BY = "paid_by";
const CHECKOUT_SESSION = "checkout_session";

/** Stripe keeps a Checkout Session open 30 minutes at least and 24 hours at most. */
const SESSION_MIN_SECONDS = 30 * 60;
const SESSION_MAX_SECONDS = 24 * 60 * 60;
/** Room for the time the request takes to reach Stripe, whose clock judges the bounds. */
const SESSION_MARGIN_SECONDS = 60;

/**
 * Stripe (the `stripe` SDK). Without a return URL, a PaymentIntent (idempotency key = our
 * intent id; its client secret goes to the member's client, paid with Stripe.js); with one
 * (the member center sends its page), a Checkout Session in payment mode: Stripe's hosted page
 * (`checkout.pay_url`), one line of the sale's amount, back to the return URL paid or
 * cancelled, closing with the sale's payment window (kept within the 30 minutes to 24 hours
 * Stripe allows). Webhook events are verified with the endpoint's signing secret
 * (Stripe-Signature, 5 minutes' tolerance, at our clock's time).
 * - A PaymentIntent's sale is found by the PaymentIntent's id: payment_intent.succeeded /
 *   payment_intent.payment_failed, and charge.refunded of its charge.
 * - A Checkout sale by our id, which its session and its PaymentIntent's metadata carry (and
 *   the charge, which Stripe gives the PaymentIntent's metadata): checkout.session.completed
 *   when paid and checkout.session.async_payment_succeeded complete it, as does
 *   payment_intent.succeeded of its PaymentIntent (whichever comes first; the other is then
 *   acknowledged as settled); checkout.session.async_payment_failed and
 *   checkout.session.expired (nobody can pay it any more) close it unpaid; charge.refunded
 *   records refunds. A declined card (payment_intent.payment_failed) decides nothing: the
 *   member may try another card on the same page.
 * The payment scene changes nothing: Stripe.js's forms and Stripe's hosted page fit a phone's
 * browser as well as a computer's.
 */
export class StripeProvider implements PaymentProvider {
  readonly name = "stripe";
  readonly currencies = STRIPE_CURRENCIES;
  readonly resendsUntilAcknowledged = true;
  private readonly stripe: Stripe;

  constructor(private readonly config: StripeConfig) {
    this.stripe = new Stripe(config.secretKey, {
      maxNetworkRetries: 1,
      ...(config.fetch ? { httpClient: Stripe.createFetchHttpClient(config.fetch) } : {}),
    });
  }

  async createPayment(input: CreatePaymentInput) {
    if (input.returnUrl) return this.createCheckoutSession(input, input.returnUrl);
    const intent = await this.stripe.paymentIntents.create(
      {
        amount: input.amount,
        currency: input.currency.toLowerCase(),
        description: input.description,
        metadata: { intent_id: input.intentId, tenant_id: input.tenantId },
      },
      { idempotencyKey: input.intentId },
    );
    return { providerRef: intent.id, checkout: { client_secret: intent.client_secret } };
  }

  private async createCheckoutSession(input: CreatePaymentInput, returnUrl: string) {
    const metadata = { intent_id: input.intentId, tenant_id: input.tenantId, [PAID_BY]: CHECKOUT_SESSION };
    // Stripe's clock is the real one (a sandbox's may run ahead): the window is kept within
    // Stripe's bounds as counted from now.
    const nowSeconds = Math.floor(Date.now() / 1000);
    const expiresAt = Math.min(
      Math.max(
        Math.floor(input.expiresAt.getTime() / 1000),
        nowSeconds + SESSION_MIN_SECONDS + SESSION_MARGIN_SECONDS,
      ),
      nowSeconds + SESSION_MAX_SECONDS - SESSION_MARGIN_SECONDS,
    );
    const session = await this.stripe.checkout.sessions.create(
      {
        mode: "payment",
        line_items: [
          {
            quantity: 1,
            price_data: {
              // The same minor units as a PaymentIntent's amount (JPY has none in both).
              currency: input.currency.toLowerCase(),
              unit_amount: input.amount,
              product_data: { name: input.description },
            },
          },
        ],
        client_reference_id: input.intentId,
        metadata,
        payment_intent_data: { description: input.description, metadata },
        success_url: returnUrl,
        cancel_url: returnUrl,
        expires_at: expiresAt,
      },
      { idempotencyKey: input.intentId },
    );
    return {
      providerRef: input.intentId,
      checkout: { pay_url: session.url, checkout_session_id: session.id },
    };
  }

  parseWebhook(
    rawBody: string,
    headers: Record<string, string | string[] | undefined>,
    now: Date,
  ): ProviderNotice {
    const signature = header(headers, "stripe-signature");
    if (!signature) throw invalidSignature("missing Stripe-Signature");
    let event: Stripe.Event;
    try {
      event = this.stripe.webhooks.constructEvent(
        rawBody,
        signature,
        this.config.webhookSecret,
        WEBHOOK_TOLERANCE_SECONDS,
        undefined,
        Math.floor(now.getTime() / 1000),
      );
    } catch (error) {
      throw invalidSignature((error as Error).message);
    }
    if (event.type.startsWith("checkout.session.")) return checkoutNotice(event);
    if (event.type === "payment_intent.succeeded" || event.type === "payment_intent.payment_failed") {
      const pi = event.data.object;
      const sale = checkoutSale(pi.metadata);
      if (sale && event.type === "payment_intent.payment_failed")
        return { kind: "unhandled", eventId: event.id, eventType: `${event.type} (checkout session)` };
      return {
        eventId: event.id,
        kind: "payment",
        providerRef: sale ?? pi.id,
        status: event.type === "payment_intent.succeeded" ? "succeeded" : "failed",
        amount: event.type === "payment_intent.succeeded" ? pi.amount_received : pi.amount,
        currency: pi.currency.toUpperCase(),
      };
    }
    if (event.type === "charge.refunded") {
      const charge = event.data.object;
      return {
        eventId: event.id,
        kind: "refund",
        providerRef:
          checkoutSale(charge.metadata) ??
          (typeof charge.payment_intent === "string"
            ? charge.payment_intent
            : (charge.payment_intent?.id ?? "")),
        status: "succeeded",
        amount: charge.amount,
        currency: charge.currency.toUpperCase(),
        refundAmount: charge.amount_refunded,
        refundCumulative: true,
        refundId: event.id,
      };
    }
    // Signed, so Stripe's own: refusing it would only make Stripe resend it for days.
    return { kind: "unhandled", eventId: event.id, eventType: event.type };
  }
}

/** Our sale's id, when the metadata is a Checkout payment's (see `PAID_BY`). */
function checkoutSale(metadata: Stripe.Metadata | null | undefined): string | undefined {
  if (metadata?.[PAID_BY] !== CHECKOUT_SESSION) return undefined;
  return metadata.intent_id || undefined;
}

/**
 * A Checkout Session's event: paid (completed with payment_status paid, or a delayed payment
 * that succeeded later) or closed unpaid (a delayed payment that failed, or expired). Anything
 * else of a session, and any session not made for a sale here, decides nothing.
 */
function checkoutNotice(event: Stripe.Event): ProviderNotice {
  const unhandled = { kind: "unhandled" as const, eventId: event.id, eventType: event.type };
  const session = event.data.object as Stripe.Checkout.Session;
  const sale = checkoutSale(session.metadata);
  if (!sale || session.amount_total === null || !session.currency) return unhandled;
  let status: "succeeded" | "failed";
  if (
    event.type === "checkout.session.completed" ||
    event.type === "checkout.session.async_payment_succeeded"
  ) {
    // Completed with a delayed method (a bank debit): not paid yet, its outcome follows.
    if (session.payment_status !== "paid") return unhandled;
    status = "succeeded";
  } else if (
    event.type === "checkout.session.async_payment_failed" ||
    event.type === "checkout.session.expired"
  ) {
    status = "failed";
  } else {
    return unhandled;
  }
  return {
    eventId: event.id,
    kind: "payment",
    providerRef: sale,
    status,
    amount: session.amount_total,
    currency: session.currency.toUpperCase(),
  };
}
