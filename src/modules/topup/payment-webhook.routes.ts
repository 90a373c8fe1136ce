import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import { errorResponses, IdParam, Obj, StringEnum } from "../../platform/http/schemas.js";
import { hearProviderNotice, SANDBOX_NOTICES } from "../wallets/index.js";
import { confirmTopupPayment } from "./confirm-topup-payment.js";
import type { ProviderResolver } from "./member-facts.js";
import { TopupError } from "./topup.errors.js";

/**
 * The provider's notification for an online top-up: its signature is checked over the exact
 * raw body with the tenant's own provider keys, then the top-up is settled exactly once.
 */
export async function topupWebhookRoutes(app: RouteApp, deps: AppDeps, providers: ProviderResolver) {
  await app.register(async (webhooks) => {
    webhooks.removeAllContentTypeParsers();
    webhooks.addContentTypeParser("*", { parseAs: "string" }, (_request, body, done) => done(null, body));
    webhooks.post(
      "/v1/topup-payment-webhooks/:provider/:tenant_id",
      {
        config: { public: true, errors: ["sandbox_archived"] },
        bodyLimit: 64 * 1024,
        schema: {
          operationId: "receiveTopupPaymentNotification",
          tags: ["topup"],
          summary: "Payment provider notification (signed) for an online top-up: credits it exactly once",
          description: `alipay: form-encoded notify with sign (RSA2); wechatpay: APIv3 JSON with Wechatpay-Signature/-Timestamp/-Nonce/-Serial and an AES-256-GCM resource; stripe: Stripe-Signature; test: x-test-signature. A tampered signature answers 401 and an amount or currency other than the top-up's 422; neither credits anything. A duplicate (or a notification after the top-up settled) answers 200 already_settled and credits nothing. A success after a failed notification or after the top-up expired is credited then (credited) if it can still be sold as it was, else the top-up is kept for a refund (refund_due). In time or late, a top-up started as the member's first after another was credited first is credited without the first-top-up bonus, or, under a first-top-up-only plan, kept for a refund (refund_due); a member closed or frozen since the top-up started is credited nothing and the top-up is kept for a refund (refund_due). A refund notification (refund_recorded) takes the refunded share back out of a credited top-up; on a refund_due top-up it records the refund as finance would (refunded, details.refund_record from the provider's event) once all that was collected is back, and keeps a part refund in details.refund and the audit, the top-up still refund_due. A refund of a payment that is no top-up here (another sale's at the same provider account) is acknowledged and changes nothing (refund_ignored, topup_id null). A success or failure of a payment that is no top-up here (another sale's at the same provider account: Stripe sends every event to every endpoint), or a signed event of a kind no sale acts on (e.g. Stripe customer.created), is acknowledged for a real provider and changes nothing (payment_ignored, topup_id null); the test provider answers it 404 topup_not_found. The signature is checked first: a tampered one answers 401. ${SANDBOX_NOTICES}`,
          params: Obj({ provider: IdParam, tenant_id: IdParam }),
          response: {
            200: Type.Object({
              object: Type.Literal("webhook_receipt"),
              topup_id: Type.Union([Type.String(), Type.Null()], {
                description:
                  "null for a notice of a payment that is no top-up here (refund_ignored, payment_ignored)",
              }),
              result: StringEnum([
                "credited",
                "failed",
                "expired",
                "refund_due",
                "already_settled",
                "refund_recorded",
                "refund_ignored",
                "payment_ignored",
              ] as const),
            }),
            ...errorResponses(401, 409, 422),
          },
        },
      },
      async (request, reply) =>
        hearProviderNotice(deps, request, reply, {
          providers,
          table: "topups",
          notFound: () => new TopupError("topup_not_found", "No top-up for this payment"),
          settle: (uow, provider, outcome, now) => confirmTopupPayment(uow, provider.name, outcome, now),
          receipt: ["topup_id", ({ topup }) => topup?.id ?? null],
        }),
    );
  });
}
