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
 * Stripe (the `stripe` SDK): a PaymentIntent (idempotency key = our intent id; its client
 * secret goes to the member's client) and webhook events verified with the endpoint's
 * signing secret (Stripe-Signature, 5 minutes' tolerance, at our clock's time):
 * payment_intent.succeeded / payment_intent.payment_failed, and charge.refunded.
 * The payment scene changes nothing: a client secret is paid with Stripe.js, whose payment
 * forms fit a phone's browser as well as a computer's.
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
    if (event.type === "payment_intent.succeeded" || event.type === "payment_intent.payment_failed") {
      const pi = event.data.object;
      return {
        eventId: event.id,
        kind: "payment",
        providerRef: pi.id,
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
          typeof charge.payment_intent === "string"
            ? charge.payment_intent
            : (charge.payment_intent?.id ?? ""),
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
