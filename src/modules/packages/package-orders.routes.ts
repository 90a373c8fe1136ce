import type { AppDeps, RouteApp } from "../../app-types.js";
import { pageLimit, toPage } from "../../platform/http/pagination.js";
import { RecordRefundBody } from "../../platform/http/record-refund.js";
import { errorResponses, listOf } from "../../platform/http/schemas.js";
import { valueRoute } from "../../platform/http/value-route.js";
import { findVisibleMember } from "../members/index.js";
import {
  hearProviderNotice,
  type ProviderTransports,
  paymentOrigin,
  SANDBOX_NOTICES,
  tenantProviders,
} from "../wallets/index.js";
import { confirmPackagePayment } from "./confirm-package-payment.js";
import { listPackageOffers } from "./list-package-offers.js";
import {
  MemberParams,
  OfferQuery,
  OrderBody,
  OrderQuery,
  PackageOffer,
  PackageOrder,
  PackagePeriod,
  PeriodQuery,
  Refund,
  RefundBody,
  serializeOffer,
  serializePeriod,
  WebhookParams,
  WebhookReceipt,
} from "./package-orders.schemas.js";
import { orderListView, orderView, refundView, visibleOrder } from "./package-views.js";
import { PackagesError } from "./packages.errors.js";
import { listOrders, memberPeriods } from "./packages.repository.js";
import { IdParams } from "./packages.schemas.js";
import { type OrderInput, placePackageOrder } from "./place-package-order.js";
import type { SaleRequest } from "./prepare-sale.js";
import { recordOrderRefund } from "./record-order-refund.js";
import { refundPackageOrder } from "./refund-package-order.js";
import { prepareOnlinePurchase } from "./start-online-purchase.js";

/** Every refusal of a sale (prepare-sale.ts), the balance payment's and the online provider's. */
const SALE_REFUSALS = [
  "member_not_found",
  "member_closed",
  "member_frozen",
  "package_not_found",
  "store_not_found",
  "package_not_on_sale",
  "sales_rule_not_found",
  "channel_not_allowed",
  "currency_mismatch",
  "payment_method_not_allowed",
  "package_not_available_now",
  "store_not_in_scope",
  "audience_mismatch",
  "agreement_version_changed",
  "insufficient_balance",
  "payment_provider_unknown",
  "house_currency_not_purchasable",
  "currency_not_supported_by_provider",
  "payment_provider_error",
];

/**
 * Buying, refunds, the provider's confirmation, and what members see (offers, own periods).
 * Online sales go to the tenant's provider: the test one or its own Alipay / WeChat Pay /
 * Stripe (tests may give `paymentTransports`, network stand-ins, in the deps).
 */
export async function packageOrderRoutes(
  app: RouteApp,
  deps: AppDeps & { paymentTransports?: ProviderTransports },
): Promise<void> {
  const { db, clock } = deps;
  const tags = ["packages"];
  const providers = tenantProviders(deps.config.signingSecret, deps.paymentTransports);

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/package-orders",
    config: { permission: "packages.sell", member: true, idempotent: true, errors: SALE_REFUSALS },
    schema: {
      operationId: "purchasePackage",
      tags,
      summary:
        "Buy a package for a member: by balance, online (a payment to complete) or offline (staff only)",
      description:
        "Balance and offline: paid, period placed and perks given in one atomic step (201, status paid). Online: 201 with status pending_payment and payment.checkout; the provider's signed confirmation pays and activates it. Refusals: package_not_on_sale, package_not_available_now, channel_not_allowed, audience_mismatch, currency_mismatch, store_not_in_scope, sales_rule_not_found, payment_method_not_allowed, insufficient_balance, agreement_version_changed. A member token buys only for itself.",
      body: OrderBody,
      response: { 201: PackageOrder, ...errorResponses(409, 422, 503) },
    },
    status: 201,
    // An online sale asks the provider before the unit of work: no lock is held while it answers.
    input: async (request, ctx, now): Promise<OrderInput> => {
      const { actor } = ctx;
      const b = request.body;
      const base: Omit<SaleRequest, "method"> = {
        packageId: b.package_id,
        memberId: b.member_id,
        ruleKey: b.rule_key,
        channel: b.channel,
        storeId: b.store_id ?? (actor.type === "member" ? null : actor.orgUnitId),
        currency: b.currency ?? null,
        agreementVersions: b.agreement_versions ?? {},
      };
      if (b.payment_method === "online") {
        const from = paymentOrigin(request, b);
        return prepareOnlinePurchase(db, ctx, providers, { ...base, method: "online" }, now, from);
      }
      return { ...base, method: b.payment_method };
    },
    op: placePackageOrder,
    respond: (order, uow, _input, now) => orderView(uow.trx, order, now),
  });

  app.get(
    "/v1/package-orders",
    {
      config: { permission: "packages.read", tenantWide: true },
      schema: {
        operationId: "listPackageOrders",
        tags,
        summary: "List package orders by package, member and status",
        querystring: OrderQuery,
        response: { 200: listOf(PackageOrder), ...errorResponses() },
      },
    },
    async (request) => {
      const q = request.query;
      const limit = pageLimit(q.limit);
      return db.tenantTx(request.actor.tenantId, async (trx) => {
        const rows = await listOrders(trx, request.actor.tenantId, {
          packageId: q.package_id,
          memberId: q.member_id,
          status: q.status,
          startingAfter: q.starting_after,
          limit,
        });
        const data = await orderListView(trx, request.actor.tenantId, rows.slice(0, limit), clock.now());
        return { object: "list" as const, data, has_more: rows.length > limit };
      });
    },
  );

  app.get(
    "/v1/package-orders/:id",
    {
      config: { permission: "packages.read", member: true, errors: ["package_order_not_found"] },
      schema: {
        operationId: "getPackageOrder",
        tags,
        summary: "Get a package order with its period, gifts and accepted agreement versions",
        params: IdParams,
        response: { 200: PackageOrder, ...errorResponses() },
      },
    },
    async (request) =>
      db.tenantTx(request.actor.tenantId, async (trx) =>
        orderView(trx, await visibleOrder(trx, request.actor, request.params.id), clock.now()),
      ),
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/package-orders/:id/refund",
    config: {
      permission: "packages.refund",
      idempotent: true,
      errors: [
        "package_order_not_found",
        "package_order_not_refundable",
        "refund_restricted",
        "member_closed",
        "insufficient_points",
      ],
    },
    schema: {
      operationId: "refundPackageOrder",
      tags,
      summary:
        "Refund a package order: period ended, entitlements removed, unused gifts withdrawn, money returned",
      description:
        "kind order (default): refused with refund_restricted when the package restricts refunds and a gifted voucher has been used. kind offline: no restriction. Either takes the order's bonus points back, first from the lots they went into; if the member has spent them and holds too few points in all, the refund is refused whole with insufficient_points and its shortfall (adjust the member's points first, or settle otherwise); a member closed since the sale keeps them (a closed account holds nothing: audit and event record points_not_reversed). Balance payments go back to the principal and bonus accounts that paid; online and offline payments are returned outside and recorded.",
      params: IdParams,
      body: RefundBody,
      response: { 200: Refund, ...errorResponses(409, 422) },
    },
    status: 200,
    input: ({ params, body }) => ({
      orderId: params.id,
      kind: body?.kind ?? "order",
      reason: body?.reason ?? null,
    }),
    op: refundPackageOrder,
    respond: (result, uow, _input, now) => refundView(uow.trx, result, now),
  });

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/package-orders/:id/record-refund",
    config: {
      permission: "packages.finance",
      idempotent: true,
      errors: ["package_order_not_found", "not_refund_due"],
    },
    schema: {
      operationId: "recordPackageOrderRefund",
      tags,
      summary: "Record the refund, made at the provider, of a refund_due order's online payment (finance)",
      description:
        "The order's online payment was collected but the order could not be activated (refund_due); finance refunds it at the provider and records it here: the order becomes refunded (refund kind provider) with the provider's refund id (reference), a note, who and when (refund_record). Nothing moves in the ledger. The provider's refund notification of the whole payment, heard first, has recorded it already (recorded_by the provider, with provider_event). Any other status, a second call included, answers 409 not_refund_due and writes nothing.",
      params: IdParams,
      body: RecordRefundBody,
      response: { 200: PackageOrder, ...errorResponses(409) },
    },
    status: 200,
    input: ({ params, body }) => ({ orderId: params.id, body }),
    op: recordOrderRefund,
    respond: (order, uow, _input, now) => orderView(uow.trx, order, now),
  });

  app.get(
    "/v1/members/:member_id/package-offers",
    {
      config: { permission: "packages.read", member: true, errors: ["member_not_found"] },
      schema: {
        operationId: "listPackageOffers",
        tags,
        summary: "Packages the member can buy now, with the price each rule would charge them and why",
        params: MemberParams,
        querystring: OfferQuery,
        response: { 200: listOf(PackageOffer), ...errorResponses() },
      },
    },
    async (request) => {
      const q = request.query;
      const limit = pageLimit(q.limit);
      const offers = await db.tenantTx(request.actor.tenantId, (trx) =>
        listPackageOffers(
          trx,
          request.actor,
          request.params.member_id,
          { channel: q.channel, ...(q.store_id ? { storeId: q.store_id } : {}) },
          clock.now(),
        ),
      );
      const after = q.starting_after;
      return toPage(
        offers.filter((o) => !after || o.pkg.id > after),
        limit,
        serializeOffer,
      );
    },
  );

  app.get(
    "/v1/members/:member_id/package-periods",
    {
      config: { permission: "packages.read", member: true, errors: ["member_not_found"] },
      schema: {
        operationId: "listMemberPackagePeriods",
        tags,
        summary: "A member's package periods: active, scheduled (renewed, not started) or expired",
        params: MemberParams,
        querystring: PeriodQuery,
        response: { 200: listOf(PackagePeriod), ...errorResponses() },
      },
    },
    async (request) => {
      const q = request.query;
      const limit = pageLimit(q.limit);
      const now = clock.now();
      const rows = await db.tenantTx(request.actor.tenantId, async (trx) => {
        await findVisibleMember(trx, request.actor, request.params.member_id);
        return memberPeriods(trx, request.actor.tenantId, request.params.member_id, now, {
          status: q.status,
          packageId: q.package_id,
          startingAfter: q.starting_after,
          limit,
        });
      });
      return toPage(rows, limit, (row) => serializePeriod(row, now));
    },
  );

  // The provider's confirmation: its signature is checked over the exact raw body (JSON, or
  // Alipay's form), with the tenant's own keys for a real provider.
  await app.register(async (webhooks) => {
    webhooks.removeAllContentTypeParsers();
    webhooks.addContentTypeParser("*", { parseAs: "string" }, (_request, body, done) => done(null, body));
    webhooks.post(
      "/v1/package-payment-webhooks/:provider/:tenant_id",
      {
        config: {
          public: true,
          errors: [
            "sandbox_archived",
            "payment_provider_unknown",
            "package_payment_not_found",
            "package_payment_closed",
            "amount_mismatch",
          ],
        },
        bodyLimit: 64 * 1024,
        schema: {
          operationId: "confirmPackagePayment",
          tags,
          summary:
            "Payment provider confirmation (signed) of a package's online payment: pays and activates it once",
          description: `Signed like /v1/payment-webhooks (test provider: x-test-signature). A second confirmation of the same payment answers 409 package_payment_closed and does nothing. Real providers (the tenant's own alipay, wechatpay or stripe, verified with its keys: signed like /v1/topup-payment-webhooks) resend until answered, so theirs is acknowledged instead: 200 already_settled (Alipay: the text success), nothing done again. A refund notification (test provider: kind refund, refund_amount, refund_id, refund_cumulative) never pays an order: on a refund_due order it records the refund as finance would (refund_recorded: refunded, refund_record from the provider's event, event package.payment_refunded) once all that was collected is back, and keeps a part refund (refund_recorded, audited package.provider_refund, the order still refund_due); on a paid order it is recorded (refund_recorded, audited package.provider_refund, refunded_amount, refund_count): once all of it is back and none of the package's benefits were used (no gifted voucher has paid for anything, the bonus points are all still there) the package ends as a refund ends it (refunded, refund kind provider, refund_record from the provider's event, event package.refunded); otherwise the package stays and the order says why for an operator (provider_refund_review: part_refund, benefits_used, member_closed); heard again (the same refund id, or a cumulative total no higher), or on a refunded order, it changes nothing (refund_ignored); on an order not paid (pending, cancelled) it answers 409 package_payment_closed. A refund of a payment that is no package order here is acknowledged and changes nothing (refund_ignored, order_id null). A success or failure of a payment that is no package order here (another sale's at the same provider account: Stripe sends every event to every endpoint), or a signed event of a kind no sale acts on (e.g. Stripe customer.created), is acknowledged for a real provider and changes nothing (payment_ignored, order_id null); the test provider answers it 404 package_payment_not_found. The signature is checked first: a tampered one answers 401. ${SANDBOX_NOTICES}`,
          params: WebhookParams,
          response: { 200: WebhookReceipt, ...errorResponses(401, 409, 422) },
        },
      },
      async (request, reply) =>
        hearProviderNotice(deps, request, reply, {
          providers,
          table: "package_orders",
          notFound: () => new PackagesError("package_payment_not_found", "No package order for this payment"),
          settle: (uow, provider, outcome, now, again) =>
            confirmPackagePayment(uow, provider.name, outcome, now, again),
          receipt: ["order_id", ({ order }) => order?.id ?? null],
        }),
    );
  });
}
