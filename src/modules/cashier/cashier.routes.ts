import type { AppDeps, RouteApp } from "../../app-types.js";
import type { Tx } from "../../db/database.js";
import { RecordRefundBody } from "../../platform/http/record-refund.js";
import { errorResponses, listOf } from "../../platform/http/schemas.js";
import { valueRoute } from "../../platform/http/value-route.js";
import { realNow } from "../../shared/clock.js";
import {
  hearProviderNotice,
  type ProviderResolver,
  type ProviderTransports,
  paymentOrigin,
  providerResolver,
  SANDBOX_NOTICES,
  tenantAdapters,
} from "../wallets/index.js";
import { cancelCashierOrder } from "./cancel-cashier-order.js";
import { CashierError } from "./cashier.errors.js";
import {
  CashierOrder,
  CreateOrderBody,
  IdParams,
  OrderQuery,
  PayBody,
  PaymentParams,
  SmartTopupBody,
  serializeOrder,
  WebhookParams,
  WebhookReceipt,
} from "./cashier.schemas.js";
import { listOrders, orderAnswer, orderView } from "./cashier-views.js";
import { confirmCashierPayment } from "./confirm-cashier-payment.js";
import { createCashierOrder } from "./create-cashier-order.js";
import { visibleOrder } from "./order-access.js";
import { payCashierOrder, preparePayment } from "./pay-cashier-order.js";
import { recordPaymentRefund } from "./record-payment-refund.js";
import { prepareTopupAndPay, topUpAndPay } from "./top-up-and-pay.js";

const tags = ["cashier"];
const PAYABLE = ["cashier_order_not_found", "cashier_order_not_open", "cashier_order_expired"];
const PROVIDER = [
  "payment_provider_unknown",
  "house_currency_not_purchasable",
  "currency_not_supported_by_provider",
  "payment_provider_error",
];

/** The member center's cashier: orders handed over by a merchant's backend, paid by their member. */
export async function cashierRoutes(
  app: RouteApp,
  deps: AppDeps & { paymentTransports?: ProviderTransports },
): Promise<void> {
  const { db, clock, ledger } = deps;
  const secret = deps.config.signingSecret;
  const providers: ProviderResolver = providerResolver(
    secret,
    tenantAdapters(secret, deps.paymentTransports),
  );
  const read = <T>(tenantId: string, fn: (trx: Tx) => Promise<T>) => db.tenantTx(tenantId, fn);

  // ---- the merchant's backend --------------------------------------------------------
  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/cashier-orders",
    config: {
      permission: "cashier.create",
      idempotent: true,
      errors: [
        "member_not_found",
        "member_closed",
        "amount_mismatch",
        "currency_mismatch",
        "cashier_order_exists",
      ],
    },
    schema: {
      operationId: "createCashierOrder",
      tags,
      summary:
        "Hand an order over to the member center's cashier; answers it with the member's one-time link",
      description:
        "The total must be what the items add up to, in the balance asset. Redirect the member to `link.url`: its code works once and for 5 minutes (a replay with the same Idempotency-Key answers the same link). The order can be paid until `expires_at` (default 30 minutes); `cashier_order.paid` tells the merchant when it is. A paid order is refunded through its balance payment (POST /v1/wallet-payments/{payments[].wallet_payment_id}/refunds, all or in parts) and, for a split payment, at the provider: it is then partially_refunded with its refunded_amount, and refunded once all of it is back (`cashier_order.refunded` each time).",
      body: CreateOrderBody,
      response: { 201: CashierOrder, ...errorResponses(409, 422) },
    },
    status: 201,
    input: ({ body, publicOrigin }) => ({
      origin: publicOrigin,
      memberId: body.member_id,
      items: body.items,
      total: body.total,
      merchantOrderRef: body.merchant_order_ref,
      ...(body.currency ? { currency: body.currency } : {}),
      ...(body.return_url ? { returnUrl: body.return_url } : {}),
      ...(body.expires_in_minutes ? { expiresInMinutes: body.expires_in_minutes } : {}),
    }),
    op: (uow, ctx, input, now) => createCashierOrder(uow, ctx, input, now, realNow(clock)),
    respond: ({ order, link }, _uow, input, now) =>
      serializeOrder(order, [], now, {
        url: `${input.origin}${link.path}`,
        path: link.path,
        expiresAt: link.expiresAt,
      }),
  });

  app.get(
    "/v1/cashier-orders",
    {
      config: { permission: "cashier.read", tenantWide: true },
      schema: {
        operationId: "listCashierOrders",
        tags,
        summary:
          "Cashier orders, newest first, by status (an open order past its time is expired) and member",
        querystring: OrderQuery,
        response: { 200: listOf(CashierOrder), ...errorResponses() },
      },
    },
    async ({ actor, query }) =>
      read(actor.tenantId, (trx) => listOrders(trx, actor.tenantId, query, clock.now())),
  );

  // The merchant reads any order of its members; a member token only its own (another's: 404).
  for (const [url, access, operationId, summary] of [
    [
      "/v1/cashier-orders/:id",
      { permission: "cashier.read" },
      "getCashierOrder",
      "A cashier order: status, how it was paid, and every payment attempt",
    ],
    [
      "/v1/member-center/cashier-orders/:id",
      { member: true },
      "getMemberCashierOrder",
      "The signed-in member's cashier order (another member's answers 404; member tokens only)",
    ],
  ] as const) {
    app.get(
      url,
      {
        config: { ...access, errors: ["cashier_order_not_found"] },
        schema: {
          operationId,
          tags,
          summary,
          params: IdParams,
          response: { 200: CashierOrder, ...errorResponses() },
        },
      },
      async ({ actor, params }) =>
        read(actor.tenantId, (trx) => orderView(trx, actor, params.id, clock.now())),
    );
  }

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/cashier-orders/:id/cancel",
    config: {
      permission: "cashier.create",
      idempotent: true,
      errors: ["cashier_order_not_found", "cashier_order_not_open"],
    },
    schema: {
      operationId: "cancelCashierOrder",
      tags,
      summary: "Withdraw an open or expired cashier order (not one being paid or paid)",
      params: IdParams,
      response: { 200: CashierOrder, ...errorResponses(409) },
    },
    status: 200,
    batched: false,
    input: ({ params }) => ({ orderId: params.id }),
    op: cancelCashierOrder,
    respond: (order, uow, _input, now) => orderAnswer(uow.trx, order, now),
  });

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/cashier-orders/:id/payments/:payment_id/record-refund",
    config: {
      permission: "cashier.finance",
      idempotent: true,
      errors: ["cashier_order_not_found", "cashier_payment_not_found", "not_refund_due"],
    },
    schema: {
      operationId: "recordCashierPaymentRefund",
      tags,
      summary: "Record the refund, made at the provider, of a refund_due cashier payment (finance)",
      description:
        "The provider collected the attempt's online part too late to pay the order (refund_due; find them with GET /v1/cashier-orders?payment_status=refund_due). Finance refunds it at the provider and records it here: the attempt becomes refunded with the provider's refund id (reference), a note, who and when (refund_record). Nothing moves in the ledger. A smart top-up's attempt records its top-up's refund too, as recording the top-up's (POST /v1/topups/{id}/record-refund) records the attempt's. Any other status, a second call included (on either), answers 409 not_refund_due and writes nothing.",
      params: PaymentParams,
      body: RecordRefundBody,
      response: { 200: CashierOrder, ...errorResponses(409) },
    },
    status: 200,
    guard: async ({ actor, params }) => {
      await read(actor.tenantId, (trx) => visibleOrder(trx, actor, params.id));
    },
    input: ({ params, body }) => ({ orderId: params.id, paymentId: params.payment_id, body }),
    op: recordPaymentRefund,
    respond: (order, uow, _input, now) => orderAnswer(uow.trx, order, now),
  });

  // ---- the member, in the member center ----------------------------------------------
  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/member-center/cashier-orders/:id/pay",
    config: {
      member: true,
      idempotent: true,
      errors: [
        ...PAYABLE,
        ...PROVIDER,
        "amount_mismatch",
        "insufficient_balance",
        "balance_payment_disabled",
        "member_frozen",
        "member_closed",
        "amount_above_cap",
      ],
    },
    schema: {
      operationId: "payMemberCashierOrder",
      tags,
      summary: "Pay the order with the member balance: wholly, or partly with the rest online",
      description:
        "Without balance_amount (or with the total) the balance pays it all and the order is paid at once; a short balance answers 422 insufficient_balance (会员余额不足，无法完成支付) with the shortfall. With less, that part is held and the rest is paid through the tenant's provider (open `payments[].checkout`); the provider's confirmation captures the hold, its failure or lapse releases it and the order is open again. A second payment of the same order answers 409 cashier_order_not_open.",
      params: IdParams,
      body: PayBody,
      response: { 200: CashierOrder, ...errorResponses(409, 410, 422) },
    },
    status: 200,
    input: (request, ctx, now) =>
      preparePayment(
        db,
        ctx,
        providers,
        {
          orderId: request.params.id,
          balanceAmount: request.body.balance_amount,
          ...paymentOrigin(request, request.body),
        },
        now,
      ),
    op: payCashierOrder,
    respond: (order, uow, _input, now) => orderAnswer(uow.trx, order, now),
  });

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/member-center/cashier-orders/:id/smart-topup",
    config: {
      member: true,
      idempotent: true,
      errors: [
        ...PAYABLE,
        ...PROVIDER,
        "no_smart_offer",
        "tier_not_offered",
        "amount_above_cap",
        "balance_payment_disabled",
        "member_frozen",
        "member_closed",
        "too_many_open_lots",
        "currency_mismatch",
      ],
    },
    schema: {
      operationId: "smartTopupMemberCashierOrder",
      tags,
      summary:
        "Accept a smart top-up tier for the order: pay the top-up online, then the order is paid from the balance",
      description:
        "The tier's top-up is paid through the tenant's provider (open `payments[].checkout`). Its confirmation credits the top-up (bonus, points, gifts) and pays the order from the balance in one step; a repeated confirmation credits and pays nothing more. A tier whose top-up or bonus is above the tenant's single-operation cap is refused (422 amount_above_cap) before any payment is asked for; so is one while the tenant's balance payment is off (422 balance_payment_disabled), or one the member's lots with money left leave no room for (422 too_many_open_lots). One collected when it can no longer be credited or pay the order (the cap lowered, the member frozen or closed, balance payment turned off, the member's lots full since, insufficient_balance when the member spent the balance the tier counted on, not_first_topup when the plan gives first top-ups only and another was credited first) pays nothing: the top-up is kept refund_due with that reason and the attempt refund_due. One started as the member's first but credited after another top-up is credited at the tier's own figures, without the first-top-up extras (details.credited_as). A tier the top-up with the balance the order's payment may use (money only certain items may use does not count) does not pay the order for is refused (422 tier_not_offered, reason does_not_cover_order) before any payment is asked for. Tiers: GET /v1/smart-topup/offers with channel=online, the order's total and cashier_order_id (it then counts the balance as this route does, so every tier it offers can be accepted here).",
      params: IdParams,
      body: SmartTopupBody,
      response: { 200: CashierOrder, ...errorResponses(409, 410, 422) },
    },
    status: 200,
    input: (request, ctx, now) =>
      prepareTopupAndPay(
        db,
        ledger,
        ctx,
        providers,
        {
          orderId: request.params.id,
          planId: request.body.plan_id,
          tierIndex: request.body.tier_index,
          ...paymentOrigin(request, request.body),
        },
        now,
      ),
    op: topUpAndPay,
    respond: (order, uow, _input, now) => orderAnswer(uow.trx, order, now),
  });

  // ---- the provider's confirmation (signature checked over the exact raw body) ---------
  await app.register(async (webhooks) => {
    webhooks.removeAllContentTypeParsers();
    webhooks.addContentTypeParser("*", { parseAs: "string" }, (_request, body, done) => done(null, body));
    webhooks.post(
      "/v1/cashier-payment-webhooks/:provider/:tenant_id",
      {
        config: {
          public: true,
          errors: [
            "sandbox_archived",
            "payment_provider_unknown",
            "webhook_signature_invalid",
            "cashier_payment_not_found",
            "amount_mismatch",
          ],
        },
        bodyLimit: 64 * 1024,
        schema: {
          operationId: "confirmCashierPayment",
          tags,
          summary:
            "Payment provider notification (signed) for a cashier payment: pays the order exactly once",
          description: `Signed like /v1/topup-payment-webhooks (test provider: x-test-signature). A repeated notification, or one after the payment settled, answers 200 already_settled and moves nothing. A success after the attempt's time or after its failure pays nothing: the attempt becomes refund_due (result refund_due, event cashier_payment.unfulfilled) for finance to refund at the provider. A refund notification (e.g. Stripe charge.refunded) never pays the order (audited cashier_payment.provider_refund). On a refund_due attempt it keeps a part refund (refund_recorded: still refund_due, refunded_amount and refund_count grow, refund_outstanding shrinks) and, once its whole online part is refunded, records the refund as finance would (refund_recorded: refunded, refund_record from the provider's event, event cashier_payment.refunded, the smart top-up's too), once. On a balance-and-online attempt that paid its order, each refund of its online part (never more than collected) is the order's money given back: counted once toward the order's refunded_amount (refund_recorded; partially_refunded, then refunded; event cashier_order.refunded). On a smart top-up that was credited and paid its order, each refund (never more than collected) comes back out of the top-up, as a top-up paid at /v1/topup-payment-webhooks would: principal as refunded, bonus in proportion rounded down, what the member already spent recorded as the top-up's refund_shortfall; the order stays paid (the balance paid it) and the attempt shows refunded_amount (refund_recorded). Anything else — a repeated notification, any other status, a payment that is no cashier attempt here (payment_id null) — changes no attempt and answers refund_ignored. A success or failure of a payment that is no cashier attempt here (another sale's at the same provider account: Stripe sends every event to every endpoint), or a signed event of a kind no sale acts on (e.g. Stripe customer.created), is acknowledged for a real provider and changes nothing (payment_ignored, payment_id null); the test provider answers it 404 cashier_payment_not_found. The signature is checked first: a tampered one answers 401. ${SANDBOX_NOTICES}`,
          params: WebhookParams,
          response: { 200: WebhookReceipt, ...errorResponses(401, 422) },
        },
      },
      async (request, reply) =>
        hearProviderNotice(deps, request, reply, {
          providers,
          table: "cashier_payments",
          notFound: () =>
            new CashierError("cashier_payment_not_found", "No cashier payment for this notification"),
          settle: (uow, provider, outcome, now) => confirmCashierPayment(uow, provider.name, outcome, now),
          receipt: ["payment_id", ({ paymentId }) => paymentId],
        }),
    );
  });
}
