import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import type { Tx } from "../../db/database.js";
import { voidExpiredHolds } from "../../ledger/index.js";
import { systemActor } from "../../platform/auth/actor.js";
import { RecordRefundBody } from "../../platform/http/record-refund.js";
import {
  errorResponses,
  IdParam,
  ListQuery,
  listOf,
  Obj,
  StringEnum,
  Timestamp,
} from "../../platform/http/schemas.js";
import { valueRoute } from "../../platform/http/value-route.js";
import { ONLINE_TOPUP_SOURCES, ONLINE_TOPUP_STATUSES } from "../../platform/online-topups.js";
import { confirmTopup } from "./confirm-topup.js";
import { createTopupIntent, prepareTopupIntent } from "./create-topup-intent.js";
import { IntentListItem } from "./online-topups.schemas.js";
import { payWithBalance } from "./pay-with-balance.js";
import { paymentOrigin } from "./payment-providers.js";
import { hearProviderNotice, SANDBOX_NOTICES } from "./provider-notice.js";
import { type ProviderResolver, providerResolver } from "./provider-registry.js";
import { type ProviderTransports, tenantAdapters } from "./providers/provider-configs.js";
import { recordTopupRefund } from "./record-topup-refund.js";
import { refundPaymentAlone } from "./refund-payment.js";
import { paymentHolds, resolvePayment } from "./resolve-payment.js";
import { listOnlineTopups } from "./topup-intent-list.js";
import { listPayments, paymentView, visibleIntent, visiblePayment } from "./wallet-views.js";
import { WalletsError } from "./wallets.errors.js";
import {
  IdParams,
  Intent,
  MemberParams,
  Payment,
  PaymentBody,
  PaymentQuery,
  Refund,
  RefundBody,
  serializeIntent,
  serializePayment,
  serializeRefund,
  TopUpIntentBody,
  WebhookParams,
  WebhookReceipt,
} from "./wallets.schemas.js";

const tags = ["wallets"];
const MEMBER = ["member_not_found", "member_closed", "member_frozen", "amount_above_cap"];
const PAYMENT = ["payment_not_found", "payment_not_held", "payment_expired", "payment_hold_posted"];

/**
 * Balance payments of orders, their refunds, and online top-ups with the provider's webhook.
 * Online top-ups go to the tenant's provider: the test one or its own Alipay / WeChat Pay /
 * Stripe (tests may give `paymentTransports`, network stand-ins, in the deps).
 */
export async function paymentRoutes(
  app: RouteApp,
  deps: AppDeps & { paymentTransports?: ProviderTransports },
): Promise<void> {
  const { db, ledger } = deps;
  const secret = deps.config.signingSecret;
  const providers: ProviderResolver = providerResolver(
    secret,
    tenantAdapters(secret, deps.paymentTransports),
  );
  const read = <T>(tenantId: string, fn: (trx: Tx) => Promise<T>) => db.tenantTx(tenantId, fn);

  // ---- balance payments ---------------------------------------------------------------
  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/wallet-payments",
    config: {
      permission: "wallets.pay",
      idempotent: true,
      errors: [
        ...MEMBER,
        "insufficient_balance",
        "balance_payment_disabled",
        "currency_mismatch",
        "house_currency_not_purchasable",
        "amount_mismatch",
        "payment_exists",
        "balance_asset_changed",
      ],
    },
    schema: {
      tags,
      summary: "Pay an order by balance, wholly or partly",
      description:
        "external_method none: balance pays all (too little → insufficient_balance with the shortfall). online: the balance part is held until /confirm (or voided by /cancel or its timeout). offline: the balance part is taken at once. Only when the order's currency is the balance asset; an online rest only when that is a real currency (a house currency answers house_currency_not_purchasable).",
      body: PaymentBody,
      response: { 201: Payment, ...errorResponses(409, 422) },
    },
    status: 201,
    input: ({ body }) => ({
      memberId: body.member_id,
      orderId: body.order_id,
      currency: body.currency,
      lines: body.lines,
      amountDue: body.amount_due,
      balanceAmount: body.balance_amount,
      externalMethod: body.external_method,
      timeoutSeconds: body.timeout_seconds,
    }),
    op: payWithBalance,
    respond: (payment) => serializePayment(payment, 0),
  });

  app.get(
    "/v1/wallet-payments",
    {
      config: { permission: "wallets.read", member: true, errors: ["member_not_found"] },
      schema: {
        tags,
        summary: "Orders paid by balance, newest first (a member token: only its own)",
        querystring: PaymentQuery,
        response: { 200: listOf(Payment), ...errorResponses() },
      },
    },
    async ({ actor, query }) =>
      read(actor.tenantId, (trx) =>
        listPayments(trx, actor, query, (v) => serializePayment(v.payment, v.refunded)),
      ),
  );

  app.get(
    "/v1/wallet-payments/:id",
    {
      config: { permission: "wallets.read", member: true, errors: ["payment_not_found"] },
      schema: {
        tags,
        summary: "A balance payment",
        params: IdParams,
        response: { 200: Payment, ...errorResponses() },
      },
    },
    async ({ actor, params }) => {
      const v = await read(actor.tenantId, async (trx) =>
        paymentView(trx, actor.tenantId, await visiblePayment(trx, actor, params.id)),
      );
      return serializePayment(v.payment, v.refunded);
    },
  );

  for (const [verb, outcome, summary] of [
    ["confirm", "succeeded", "The order's external payment succeeded: post the held balance part"],
    [
      "cancel",
      "failed",
      "The order's external payment failed or was abandoned: release the held balance part",
    ],
  ] as const) {
    valueRoute(app, deps, {
      method: "POST",
      url: `/v1/wallet-payments/:id/${verb}`,
      config: { permission: "wallets.pay", idempotent: true, errors: PAYMENT },
      schema: {
        tags,
        summary,
        params: IdParams,
        response: { 200: Payment, ...errorResponses(409, 422) },
      },
      status: 200,
      guard: async ({ actor, params }, _ctx, now) => {
        const payment = await read(actor.tenantId, (trx) => visiblePayment(trx, actor, params.id));
        if (outcome === "failed" && payment.timeout_at && payment.timeout_at <= now) {
          // Past its timeout only the ledger's expiry voids the hold: let it run first, on
          // this payment's holds alone.
          const only = await read(actor.tenantId, (trx) => paymentHolds(trx, actor.tenantId, payment));
          await voidExpiredHolds(ledger, actor.tenantId, now, { only });
        }
      },
      input: ({ params }) => ({ paymentId: params.id, outcome }),
      op: resolvePayment,
      respond: (payment) => serializePayment(payment, 0),
    });
  }

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/wallet-payments/:id/refunds",
    config: {
      permission: "wallets.pay",
      idempotent: true,
      errors: [
        "payment_not_found",
        "payment_not_refundable",
        "refund_exceeds_paid",
        "payment_refunded_by_order",
        "member_closed",
      ],
    },
    schema: {
      tags,
      summary: "Refund (part of) a balance payment back to the accounts that paid it",
      description:
        "Several refunds may follow; their total never exceeds what balance paid. Bonus gets its proportional share rounded down on the cumulative total; principal the rest. A payment of a checkout or package order is refunded only with its order (409 payment_refunded_by_order names the order's refund). A cashier order's balance payment is refunded here, and the order follows in the same step: partially_refunded with its refunded_amount, refunded once all its money is back (event cashier_order.refunded). A closed member's balance takes no refund (422 member_closed, nothing written): its money could never be spent or withdrawn.",
      params: IdParams,
      body: RefundBody,
      response: { 201: Refund, ...errorResponses(409, 422) },
    },
    status: 201,
    guard: async ({ actor, params }) => {
      await read(actor.tenantId, (trx) => visiblePayment(trx, actor, params.id));
    },
    input: ({ params, body }) => ({ paymentId: params.id, amount: body.amount, reason: body.reason }),
    op: refundPaymentAlone,
    respond: serializeRefund,
  });

  // ---- online top-up ------------------------------------------------------------------
  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/members/:id/topup-intents",
    config: {
      permission: "wallets.operate",
      member: true,
      idempotent: true,
      errors: [
        ...MEMBER,
        "online_topup_disabled",
        "balance_hidden",
        "payment_provider_unknown",
        "house_currency_not_purchasable",
        "currency_not_supported_by_provider",
        "payment_provider_error",
        "too_many_open_lots",
      ],
    },
    schema: {
      tags,
      summary: "Start an online top-up (credited only when the provider confirms payment)",
      params: MemberParams,
      body: TopUpIntentBody,
      response: { 201: Intent, ...errorResponses(422) },
    },
    status: 201,
    // The provider is asked before the unit of work: no lock is held while it answers.
    input: (request, ctx, now) =>
      prepareTopupIntent(
        db,
        ctx,
        providers,
        {
          memberId: request.params.id,
          amount: request.body.amount,
          ...paymentOrigin(request, request.body),
        },
        now,
      ),
    op: createTopupIntent,
    respond: serializeIntent,
  });

  app.get(
    "/v1/topup-intents",
    {
      config: { permission: "wallets.read" },
      schema: {
        operationId: "listTopupIntents",
        tags,
        summary:
          "Online top-up orders across members, newest first (at most 100 a page): balance top-ups and those bought through a top-up plan or a smart top-up, with plan, amount paid, bonus and points, status, provider, member, time",
        description:
          "Every top-up a member paid online: the balance's own (`source` balance, `object` topup_intent: GET /v1/topup-intents/{id}) and the plan and smart top-ups paid online (`source` plan or smart, `object` topup: GET /v1/topups/{id}; `status` pending while its payment is awaited, succeeded once credited). One cursor pages through all of them. Filters: status, provider, member_id, source, created_from (inclusive) and created_to (exclusive). Staff bound to an org unit see the top-ups of members in their subtree. Exported as the `topup_intents` export type (POST /v1/exports).",
        querystring: Obj({
          ...ListQuery,
          status: Type.Optional(StringEnum(ONLINE_TOPUP_STATUSES)),
          provider: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          member_id: Type.Optional(IdParam),
          source: Type.Optional(StringEnum(ONLINE_TOPUP_SOURCES)),
          created_from: Type.Optional(Timestamp),
          created_to: Type.Optional(Timestamp),
        }),
        response: { 200: listOf(IntentListItem), ...errorResponses() },
      },
    },
    async ({ actor, query }) => listOnlineTopups(db, actor, query),
  );

  app.get(
    "/v1/topup-intents/:id",
    {
      config: { permission: "wallets.read", member: true, errors: ["topup_intent_not_found"] },
      schema: {
        tags,
        summary: "An online top-up intent and its status",
        params: IdParams,
        response: { 200: Intent, ...errorResponses() },
      },
    },
    async ({ actor, params }) =>
      serializeIntent(await read(actor.tenantId, (trx) => visibleIntent(trx, actor, params.id))),
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/topup-intents/:id/record-refund",
    config: {
      permission: "wallets.finance",
      idempotent: true,
      errors: ["topup_intent_not_found", "not_refund_due"],
    },
    schema: {
      operationId: "recordTopupIntentRefund",
      tags,
      summary: "Record the refund, made at the provider, of a refund_due online top-up (finance)",
      description:
        "The intent's payment was collected but never credited (refund_due); finance refunds it at the provider and records it here: the intent becomes refunded with the provider's refund id (reference), a note, who and when (refund_record). Nothing moves in the ledger. The provider's refund notification of the whole payment, heard first, has recorded it already (recorded_by the provider, with provider_event). Any other status, a second call included, answers 409 not_refund_due and writes nothing.",
      params: IdParams,
      body: RecordRefundBody,
      response: { 200: Intent, ...errorResponses(409) },
    },
    status: 200,
    guard: async ({ actor, params }) => {
      await read(actor.tenantId, (trx) => visibleIntent(trx, actor, params.id));
    },
    input: ({ params, body }) => ({ intentId: params.id, body }),
    op: recordTopupRefund,
    respond: serializeIntent,
  });

  // The provider's confirmation: signature checked over the exact raw body (JSON, or
  // Alipay's form), with the tenant's own keys for a real provider.
  await app.register(async (webhooks) => {
    webhooks.removeAllContentTypeParsers();
    webhooks.addContentTypeParser("*", { parseAs: "string" }, (_request, body, done) => done(null, body));
    webhooks.post(
      "/v1/payment-webhooks/:provider/:tenant_id",
      {
        config: {
          public: true,
          errors: [
            "sandbox_archived",
            "payment_provider_unknown",
            "webhook_signature_invalid",
            "topup_intent_not_found",
            "topup_intent_closed",
            "amount_mismatch",
          ],
        },
        bodyLimit: 64 * 1024,
        schema: {
          tags,
          summary:
            "Payment provider confirmation (signed): credits an online top-up exactly once, takes back what the provider refunds",
          description: `The \`test\` provider signs with header x-test-signature: t=<unix seconds>,v1=<HMAC-SHA256 base64url of \`t.body\`>. A second confirmation of the same payment answers 409 topup_intent_closed and credits nothing. Real providers (the tenant's own alipay, wechatpay or stripe, verified with its keys: signed like /v1/topup-payment-webhooks) resend until answered, so theirs is acknowledged instead: 200 already_settled (Alipay: the text success), nothing done again. A success after a failure or after the intent's time credits the balance then. A success, in time or late, for a member closed or frozen since the intent started credits nothing and keeps the intent refund_due. A refund notification (test provider: kind refund, refund_amount, refund_id, refund_cumulative) never credits: on a refund_due intent it records the refund as finance would (refund_recorded: refunded, refund_record from the provider's event, event wallet.topup_refunded) once all that was collected is back, and keeps a part refund (refund_recorded, audited wallet.topup_intent_provider_refund, the intent still refund_due); on a credited intent (succeeded) it takes the refunded amount back out of the member's balance, at most what it still holds, what the member already spent kept as the intent's refund_shortfall (refund_recorded, audited wallet.topup_intent_provider_refund, event wallet.topup_refund_taken_back; once all of it is back the intent is refunded); heard again (the same refund id, or a cumulative total no higher), or on a refunded intent, it changes nothing (refund_ignored); on an intent not paid yet, failed or expired it answers 409 topup_intent_closed. A refund of a payment that is no top-up intent here is acknowledged and changes nothing (refund_ignored, intent_id null). A success or failure of a payment that is no top-up intent here (another sale's at the same provider account: Stripe sends every event to every endpoint), or a signed event of a kind no sale acts on (e.g. Stripe customer.created), is acknowledged for a real provider and changes nothing (payment_ignored, intent_id null); the test provider answers it 404 topup_intent_not_found. The signature is checked first: a tampered one answers 401. ${SANDBOX_NOTICES}`,
          params: WebhookParams,
          response: { 200: WebhookReceipt, ...errorResponses(401, 409, 422) },
        },
      },
      async (request, reply) =>
        hearProviderNotice(deps, request, reply, {
          providers,
          table: "wallet_topup_intents",
          notFound: () => new WalletsError("topup_intent_not_found", "No top-up intent for this payment"),
          settle: (uow, provider, outcome, now, again) => {
            const actor = systemActor(uow.tenantId, `payment_provider:${provider.name}`);
            const ctx = { actor, requestId: request.id };
            return confirmTopup(uow, ctx, { provider: provider.name, outcome, ...again }, now);
          },
          receipt: ["intent_id", ({ intent }) => intent?.id ?? null],
        }),
    );
  });
}
