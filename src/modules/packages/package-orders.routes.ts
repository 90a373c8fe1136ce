import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import type { Tx } from "../../db/database.js";
import type { Actor } from "../../platform/auth/actor.js";
import { pageLimit, toPage } from "../../platform/http/pagination.js";
import { errorResponses, IdParam, ListQuery, listOf, Obj, StringEnum } from "../../platform/http/schemas.js";
import { runIdempotent } from "../../platform/idempotency/idempotency.js";
import { CHANNELS } from "../benefits/index.js";
import { giftGrants } from "../catalog/index.js";
import { findVisibleMember } from "../members/index.js";
import { paymentProviders } from "../wallets/index.js";
import { confirmPackagePayment } from "./confirm-package-payment.js";
import { listPackageOffers } from "./list-package-offers.js";
import { giftSourceRef } from "./package-config.js";
import { PackagesError } from "./packages.errors.js";
import {
  findOrder,
  findPeriod,
  listOrders,
  memberPeriods,
  ORDER_STATUSES,
  type OrderRow,
  PAYMENT_METHODS,
} from "./packages.repository.js";
import {
  PackageOffer,
  PackageOrder,
  PackagePeriod,
  serializeOffer,
  serializeOrder,
  serializePeriod,
} from "./packages.schemas.js";
import type { SaleRequest } from "./prepare-sale.js";
import { purchasePackage } from "./purchase-package.js";
import { refundPackageOrder } from "./refund-package-order.js";
import { startOnlinePurchase } from "./start-online-purchase.js";

const AgreementVersions = Type.Record(
  Type.String({ pattern: "^agr_[0-9a-z]{26}$" }),
  Type.Integer({ minimum: 1 }),
  {
    maxProperties: 3,
    description: "Agreement id → the version shown to the member; a newer current version refuses the sale",
  },
);

/** Buying, refunds, the provider's confirmation, and what members see (offers, own periods). */
export async function packageOrderRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock, ledger } = deps;
  const tags = ["packages"];
  const providers = paymentProviders(deps.config.signingSecret);

  async function view(trx: Tx, order: OrderRow) {
    const period = order.period_id ? await findPeriod(trx, order.tenant_id, order.period_id) : undefined;
    const refs = order.snapshot.perks.filter((p) => "gift" in p).map((p) => giftSourceRef(order.id, p.key));
    return serializeOrder(order, period, await giftGrants(trx, order.tenant_id, refs), clock.now());
  }

  /** Staff who see the member, or that member's own token; others answer as missing. */
  async function visibleOrder(trx: Tx, actor: Actor, id: string) {
    const order = await findOrder(trx, actor.tenantId, id);
    await findVisibleMember(trx, actor, order.member_id).catch(() => {
      throw new PackagesError("package_order_not_found", "Package order not found");
    });
    return order;
  }

  app.post(
    "/v1/package-orders",
    {
      config: { permission: "packages.sell", member: true, idempotent: true },
      schema: {
        operationId: "purchasePackage",
        tags,
        summary:
          "Buy a package for a member: by balance, online (a payment to complete) or offline (staff only)",
        description:
          "Balance and offline: paid, period placed and perks given in one atomic step (201, status paid). Online: 201 with status pending_payment and payment.checkout; the provider's signed confirmation pays and activates it. Refusals: package_not_on_sale, package_not_available_now, channel_not_allowed, audience_mismatch, currency_mismatch, store_not_in_scope, sales_rule_not_found, payment_method_not_allowed, insufficient_balance, agreement_version_changed. A member token buys only for itself.",
        body: Obj(
          {
            package_id: IdParam,
            member_id: IdParam,
            rule_key: Type.String({ minLength: 1, maxLength: 32 }),
            channel: StringEnum(CHANNELS),
            store_id: Type.Optional(Type.Union([IdParam, Type.Null()])),
            currency: Type.Optional(Type.String({ pattern: "^[A-Z][A-Z0-9_]{1,15}$" })),
            payment_method: StringEnum(PAYMENT_METHODS),
            agreement_versions: Type.Optional(AgreementVersions),
          },
          {
            examples: [
              {
                package_id: "pkg_01jd3m2x4y5z6a7b8c9d0e1f2g",
                member_id: "mbr_01jd3m2x4y5z6a7b8c9d0e1f2g",
                rule_key: "quarterly",
                channel: "POS",
                payment_method: "balance",
                agreement_versions: { agr_01jd3m2x4y5z6a7b8c9d0e1f2g: 2 },
              },
            ],
          },
        ),
        response: { 201: PackageOrder, ...errorResponses(409, 422, 503) },
      },
    },
    async (request, reply) => {
      const actor = request.actor;
      const b = request.body;
      const context = { actor, requestId: request.id };
      const base: Omit<SaleRequest, "method"> = {
        packageId: b.package_id,
        memberId: b.member_id,
        ruleKey: b.rule_key,
        channel: b.channel,
        storeId: b.store_id ?? (actor.type === "member" ? null : actor.orgUnitId),
        currency: b.currency ?? null,
        agreementVersions: b.agreement_versions ?? {},
      };
      return runIdempotent(request, reply, deps, async (record) => {
        const now = clock.now();
        if (b.payment_method === "online") {
          return startOnlinePurchase(
            db,
            context,
            providers,
            { ...base, method: "online" },
            now,
            async (trx, order) => record(trx, 201, await view(trx, order)),
          );
        }
        const method = b.payment_method;
        return ledger.run(actor.tenantId, async (uow) => {
          const { order } = await purchasePackage(uow, context, { ...base, method }, now);
          return record(uow, 201, await view(uow.trx, order));
        });
      });
    },
  );

  app.get(
    "/v1/package-orders",
    {
      config: { permission: "packages.read", tenantWide: true },
      schema: {
        operationId: "listPackageOrders",
        tags,
        summary: "List package orders by package, member and status",
        querystring: Obj({
          ...ListQuery,
          package_id: Type.Optional(IdParam),
          member_id: Type.Optional(IdParam),
          status: Type.Optional(StringEnum(ORDER_STATUSES)),
        }),
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
        const data = [];
        for (const row of rows.slice(0, limit)) data.push(await view(trx, row));
        return { object: "list" as const, data, has_more: rows.length > limit };
      });
    },
  );

  app.get(
    "/v1/package-orders/:id",
    {
      config: { permission: "packages.read", member: true },
      schema: {
        operationId: "getPackageOrder",
        tags,
        summary: "Get a package order with its period, gifts and accepted agreement versions",
        params: Obj({ id: IdParam }),
        response: { 200: PackageOrder, ...errorResponses() },
      },
    },
    async (request) =>
      db.tenantTx(request.actor.tenantId, async (trx) =>
        view(trx, await visibleOrder(trx, request.actor, request.params.id)),
      ),
  );

  app.post(
    "/v1/package-orders/:id/refund",
    {
      config: { permission: "packages.refund", idempotent: true },
      schema: {
        operationId: "refundPackageOrder",
        tags,
        summary:
          "Refund a package order: period ended, entitlements removed, unused gifts withdrawn, money returned",
        description:
          "kind order (default): refused with refund_restricted when the package restricts refunds and a gifted voucher has been used. kind offline: no restriction. Balance payments go back to the principal and bonus accounts that paid; online and offline payments are returned outside and recorded.",
        params: Obj({ id: IdParam }),
        body: Type.Optional(
          Obj(
            {
              kind: Type.Optional(StringEnum(["order", "offline"] as const)),
              reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
            },
            { examples: [{ kind: "order", reason: "Customer changed their mind" }] },
          ),
        ),
        response: {
          200: Type.Object({
            object: Type.Literal("package_refund"),
            order: PackageOrder,
            withdrawn_voucher_ids: Type.Array(Type.String()),
            kept_voucher_ids: Type.Array(Type.String(), {
              description: "Gifted vouchers already used: they stay",
            }),
            money_returned_to: StringEnum(["balance", "external", "none"] as const),
          }),
          ...errorResponses(409, 422),
        },
      },
    },
    async (request, reply) => {
      const actor = request.actor;
      return runIdempotent(request, reply, deps, async (record) =>
        ledger.run(actor.tenantId, async (uow) => {
          const result = await refundPackageOrder(
            uow,
            { actor, requestId: request.id },
            {
              orderId: request.params.id,
              kind: request.body?.kind ?? "order",
              reason: request.body?.reason ?? null,
            },
            clock.now(),
          );
          return record(uow, 200, {
            object: "package_refund" as const,
            order: await view(uow.trx, result.order),
            withdrawn_voucher_ids: result.withdrawnVoucherIds,
            kept_voucher_ids: result.keptVoucherIds,
            money_returned_to: result.moneyReturnedTo,
          });
        }),
      );
    },
  );

  app.get(
    "/v1/members/:member_id/package-offers",
    {
      config: { permission: "packages.read", member: true },
      schema: {
        operationId: "listPackageOffers",
        tags,
        summary: "Packages the member can buy now, with the price each rule would charge them and why",
        params: Obj({ member_id: IdParam }),
        querystring: Obj({
          ...ListQuery,
          channel: Type.Optional(StringEnum(CHANNELS)),
          store_id: Type.Optional(IdParam),
        }),
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
      config: { permission: "packages.read", member: true },
      schema: {
        operationId: "listMemberPackagePeriods",
        tags,
        summary: "A member's package periods: active, scheduled (renewed, not started) or expired",
        params: Obj({ member_id: IdParam }),
        querystring: Obj({
          ...ListQuery,
          status: Type.Optional(StringEnum(["active", "scheduled", "expired"] as const)),
          package_id: Type.Optional(IdParam),
        }),
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

  // The provider's confirmation: its signature is checked over the exact raw body.
  await app.register(async (webhooks) => {
    webhooks.removeContentTypeParser("application/json");
    webhooks.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) =>
      done(null, body),
    );
    webhooks.post(
      "/v1/package-payment-webhooks/:provider/:tenant_id",
      {
        config: { public: true },
        bodyLimit: 64 * 1024,
        schema: {
          operationId: "confirmPackagePayment",
          tags,
          summary:
            "Payment provider confirmation (signed) of a package's online payment: pays and activates it once",
          description:
            "Signed like /v1/payment-webhooks (test provider: x-test-signature). A second confirmation of the same payment answers 409 package_payment_closed and does nothing.",
          params: Obj({ provider: IdParam, tenant_id: IdParam }),
          response: {
            200: Type.Object({
              object: Type.Literal("webhook_receipt"),
              order_id: Type.String(),
              result: StringEnum(["paid", "failed", "expired"] as const),
            }),
            ...errorResponses(401, 409, 422),
          },
        },
      },
      async (request) => {
        const params = request.params as { provider: string; tenant_id: string };
        const provider = providers.get(params.provider);
        if (!provider) throw new PackagesError("payment_provider_unknown", "Unknown payment provider");
        const now = clock.now();
        const outcome = provider.parseWebhook(
          typeof request.body === "string" ? request.body : "",
          request.headers,
          now,
        );
        const exists = await db.systemTx((trx) =>
          trx.selectFrom("tenants").select("id").where("id", "=", params.tenant_id).executeTakeFirst(),
        );
        if (!exists)
          throw new PackagesError("package_payment_not_found", "No package order for this payment");
        const { result, order } = await ledger.run(params.tenant_id, (uow) =>
          confirmPackagePayment(uow, provider.name, outcome, now),
        );
        return { object: "webhook_receipt" as const, order_id: order.id, result };
      },
    );
  });
}
