import { randomBytes } from "node:crypto";
import { hmacBase64Url, safeEqual } from "../../platform/auth/secrets.js";
import { WalletsError } from "./wallets.errors.js";

/**
 * The seam for online payments (online top-up). An adapter (Stripe, Alipay, WeChat Pay)
 * implements two things:
 * - `createPayment`: create the payment on the provider's side for our intent and return the
 *   provider's reference plus whatever the member's client needs to pay (`checkout`: a pay
 *   URL, a client secret, a QR code payload). Called before our intent row is written; it
 *   must be safe to call again for the same intent id (providers take an idempotency key).
 * - `parseWebhook`: verify the provider's signature over the exact raw body (and its
 *   timestamp tolerance) and return what the notification says, or throw
 *   `webhook_signature_invalid`. Never trust a body that fails verification.
 * The webhook endpoint is `POST /v1/payment-webhooks/{provider}/{tenant_id}`; crediting is
 * idempotent on our side (one ledger transfer per intent), so provider retries are harmless.
 */
export interface PaymentProvider {
  readonly name: string;
  /** The currencies it can charge ("any": the test provider). */
  readonly currencies: readonly string[] | "any";
  createPayment(
    input: CreatePaymentInput,
  ): Promise<{ providerRef: string; checkout: Record<string, unknown> }>;
  parseWebhook(
    rawBody: string,
    headers: Record<string, string | string[] | undefined>,
    now: Date,
  ): ProviderNotice | Promise<ProviderNotice>;
  /** The answer the provider expects for a handled notification (Alipay: the text `success`). */
  acknowledge?(): { contentType: string; body: string };
  /**
   * The provider sends a notification again until it is answered 2xx (Stripe, Alipay, WeChat
   * Pay): one heard again after its payment settled is acknowledged (`already_settled`) rather
   * than refused, so the provider stops. The test provider resends nothing and is refused (409).
   */
  readonly resendsUntilAcknowledged?: boolean;
}

export interface CreatePaymentInput {
  tenantId: string;
  intentId: string;
  amount: number;
  currency: string;
  description: string;
  expiresAt: Date;
  /**
   * The notify route of the flow that sells this (each has its own), at the address the
   * request came in by; providers that take a notify URL per payment (Alipay, WeChat Pay) send
   * the payment's notifications there (see `notifyUrlFor`).
   */
  notifyUrl?: string;
  /**
   * Where the member pays (default desktop): Alipay and WeChat Pay each have a payment made
   * for a computer's browser (page pay, a Native QR code to scan from the screen) and one for a
   * phone's browser (mobile-website pay, H5), and neither works in the other's place.
   */
  scene?: PaymentScene;
  /**
   * The member's address as the request came in (behind trusted proxies only, see
   * VOUCHSAFE_TRUSTED_PROXIES): WeChat Pay H5 requires it (scene_info.payer_client_ip).
   */
  payerIp?: string;
  /**
   * Where the provider's hosted payment page sends the member back, paid or not (`return_url`
   * of the request). Stripe: given, the payment is a Checkout Session (a page at Stripe, its
   * `url` in `checkout.pay_url`) instead of a PaymentIntent whose client secret needs Stripe.js.
   * Alipay signs it into the pay URL; WeChat Pay H5 appends it to the h5_url as `redirect_url`.
   */
  returnUrl?: string;
}

export const PAYMENT_SCENES = ["desktop", "mobile"] as const;
export type PaymentScene = (typeof PAYMENT_SCENES)[number];

/** Where a request that starts an online payment came from: what the provider is told of it. */
export interface PaymentOrigin {
  /** The address the request came in by (`<protocol>://<host>`), for the notify URL. */
  origin?: string;
  scene?: PaymentScene;
  /** The client's address (`request.ip`: the nearest address no trusted proxy vouches for). */
  payerIp?: string;
  /** Where a hosted payment page returns the member (the body's `return_url`). */
  returnUrl?: string;
}

/**
 * A request's payment origin: its address, the scene and return address its body chose, its
 * client's address.
 */
export function paymentOrigin(
  request: { publicOrigin: string; ip: string },
  body: { payment_scene?: PaymentScene; return_url?: string },
): PaymentOrigin {
  return {
    origin: request.publicOrigin,
    scene: body.payment_scene,
    payerIp: request.ip,
    ...(body.return_url === undefined ? {} : { returnUrl: body.return_url }),
  };
}

/**
 * Creates the payment at the provider for a request from `from`, notified at the flow's own
 * route (`notifyRoute`, e.g. `topup-payment-webhooks`) under the request's address, and echoes
 * the scene it was made for in its `checkout` (`payment_scene`), so the member's client, and
 * anyone reading the record later, knows whether it is a desktop or a phone payment. Stripe and
 * the test provider make the same payment for both: a PaymentIntent's client secret is paid
 * with Stripe.js in any browser.
 */
export async function createProviderPayment(
  provider: PaymentProvider,
  sale: Omit<CreatePaymentInput, "notifyUrl" | "scene" | "payerIp" | "returnUrl">,
  from: PaymentOrigin,
  notifyRoute: string,
): Promise<{ providerRef: string; checkout: Record<string, unknown> }> {
  const scene = from.scene ?? "desktop";
  const created = await provider.createPayment({
    ...sale,
    notifyUrl: providerNotifyUrl(from.origin, notifyRoute, provider.name, sale.tenantId),
    scene,
    payerIp: from.payerIp,
    returnUrl: from.returnUrl,
  });
  return { ...created, checkout: { ...created.checkout, payment_scene: scene } };
}

/**
 * A flow's notify URL: `<origin>/v1/<route>/<provider>/<tenant>`; undefined without an origin
 * (the payment is then notified where the tenant's configuration says).
 */
function providerNotifyUrl(
  origin: string | undefined,
  route: string,
  provider: string,
  tenantId: string,
): string | undefined {
  if (!origin) return undefined;
  return `${origin}/v1/${route}/${encodeURIComponent(provider)}/${encodeURIComponent(tenantId)}`;
}

export interface WebhookOutcome {
  /** The provider's id of this notification (logged; we de-duplicate on the intent). */
  eventId: string;
  providerRef: string;
  status: "succeeded" | "failed";
  amount: number;
  currency: string;
  /** A payment (default) or a refund of one made at the provider. */
  kind?: "payment" | "refund";
  /**
   * Refunds: how much was refunded — this refund alone, or (`refundCumulative`) everything
   * refunded on the payment so far — and the provider's refund id (de-duplicated on it).
   */
  refundAmount?: number;
  refundCumulative?: boolean;
  refundId?: string;
}

/**
 * A signed notification of a kind no sale here acts on (Stripe sends every event of the
 * account, `customer.created` included, to every endpoint): acknowledged, never acted on.
 */
export interface UnhandledNotice {
  kind: "unhandled";
  eventId: string;
  eventType: string;
}

/** What a verified notification says. */
export type ProviderNotice = WebhookOutcome | UnhandledNotice;

/** Webhooks older or newer than this (by their signed timestamp) are refused: replay protection. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;
export const TEST_SIGNATURE_HEADER = "x-test-signature";

/**
 * The `test` provider, for development and tests: no money moves. `createPayment` returns a
 * `test://pay/…` URL; the "payment" happens when someone posts a notification signed with
 * `signTestWebhook` (the secret derives from the service's signing secret). A notification with
 * `kind: "refund"` says the payment was refunded at the provider: `refund_amount` (this refund
 * alone, or everything refunded so far with `refund_cumulative: true`) and `refund_id`.
 */
export class TestPaymentProvider implements PaymentProvider {
  readonly name = "test";
  readonly currencies = "any" as const;
  constructor(private readonly secret: string) {}

  async createPayment(input: CreatePaymentInput) {
    const providerRef = `testpay_${input.intentId}_${randomBytes(4).toString("hex")}`;
    return {
      providerRef,
      checkout: { pay_url: `test://pay/${providerRef}`, amount: input.amount, currency: input.currency },
    };
  }

  parseWebhook(
    rawBody: string,
    headers: Record<string, string | string[] | undefined>,
    now: Date,
  ): WebhookOutcome {
    const header = headers[TEST_SIGNATURE_HEADER];
    const value = Array.isArray(header) ? header[0] : header;
    const invalid = (why: string) => new WalletsError("webhook_signature_invalid", `Webhook refused: ${why}`);
    const match = value ? /^t=(\d{1,12}),v1=([A-Za-z0-9_-]+)$/.exec(value) : null;
    if (!match) throw invalid(`missing or malformed ${TEST_SIGNATURE_HEADER} header`);
    const timestamp = Number(match[1]);
    if (Math.abs(now.getTime() / 1000 - timestamp) > WEBHOOK_TOLERANCE_SECONDS)
      throw invalid("timestamp outside tolerance");
    if (!safeEqual(hmacBase64Url(this.secret, `${timestamp}.${rawBody}`), match[2]!))
      throw invalid("bad signature");
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(rawBody) as Record<string, unknown>;
    } catch {
      throw new WalletsError("malformed_json", "The webhook body is not JSON");
    }
    const { id, provider_ref, status, amount, currency } = body;
    if (
      typeof id !== "string" ||
      typeof provider_ref !== "string" ||
      (status !== "succeeded" && status !== "failed") ||
      !Number.isSafeInteger(amount) ||
      typeof currency !== "string"
    ) {
      throw new WalletsError(
        "validation_failed",
        "The webhook needs id, provider_ref, status, amount and currency",
      );
    }
    const outcome: WebhookOutcome = {
      eventId: id,
      providerRef: provider_ref,
      status,
      amount: amount as number,
      currency,
    };
    if (body.kind === undefined || body.kind === "payment") return outcome;
    // A refund made at the provider: what it refunded (this refund alone unless cumulative).
    const { refund_amount, refund_id, refund_cumulative } = body;
    if (
      body.kind !== "refund" ||
      !Number.isSafeInteger(refund_amount) ||
      (refund_amount as number) <= 0 ||
      (refund_id !== undefined && (typeof refund_id !== "string" || refund_id === "")) ||
      (refund_cumulative !== undefined && typeof refund_cumulative !== "boolean")
    ) {
      throw new WalletsError(
        "validation_failed",
        "A refund notification needs kind refund, a positive refund_amount, and optionally refund_id and refund_cumulative",
      );
    }
    return {
      ...outcome,
      kind: "refund" as const,
      refundAmount: refund_amount as number,
      ...(refund_id === undefined ? {} : { refundId: refund_id as string }),
      ...(refund_cumulative === undefined ? {} : { refundCumulative: refund_cumulative as boolean }),
    };
  }
}

/** What `test` signs with: derived, so the service's signing secret itself never leaves. */
export function testProviderSecret(signingSecret: string): string {
  return hmacBase64Url(signingSecret, "payment-provider:test");
}

/** A signed test notification (headers and body) as the test provider would send it. */
export function signTestWebhook(secret: string, body: Record<string, unknown>, now: Date) {
  const raw = JSON.stringify(body);
  const t = Math.floor(now.getTime() / 1000);
  return {
    body: raw,
    headers: { [TEST_SIGNATURE_HEADER]: `t=${t},v1=${hmacBase64Url(secret, `${t}.${raw}`)}` },
  };
}

/** The providers this process knows, by name. Adapters are added here. */
export function paymentProviders(signingSecret: string): Map<string, PaymentProvider> {
  return new Map<string, PaymentProvider>([
    ["test", new TestPaymentProvider(testProviderSecret(signingSecret))],
  ]);
}
