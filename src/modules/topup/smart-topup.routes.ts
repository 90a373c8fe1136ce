import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import { pageLimit, toPage } from "../../platform/http/pagination.js";
import {
  errorResponses,
  IdParam,
  ListQuery,
  listOf,
  Nullable,
  Obj,
  StringEnum,
  Timestamp,
} from "../../platform/http/schemas.js";
import { valueRoute } from "../../platform/http/value-route.js";
import { MAX_AMOUNT } from "../../shared/money.js";
import { readBalanceAsset } from "../wallets/index.js";
import { type AcceptRequest, acceptSmartOffer } from "./accept-smart-offer.js";
import { createSmartPlan, updateSmartPlan } from "./create-smart-plan.js";
import { overTransaction, tenantWideGuard } from "./guards.js";
import { planAdminRoutes } from "./plan-admin.routes.js";
import { CHANNELS, type TopupChannel } from "./plan-terms.js";
import {
  type OfferRequest,
  orderOfferRequest,
  type Offer as SmartOffer,
  smartOffer,
} from "./smart-offers.js";
import { CreateSmartPlanBody, UpdateSmartPlanBody } from "./smart-terms.js";
import {
  type AcceptanceRow,
  acceptancesQuery,
  findSmartPlan,
  PLAN_STATUSES,
  requireSmartPlan,
  smartPlanQuery,
  smartPlansQuery,
} from "./topup.repository.js";
import { SmartPlan, serializeSmartPlan, serializeTopup, Topup } from "./topup.schemas.js";

const tags = ["smart topup"];
const Str = Type.String();
const Int = Type.Integer();

const OfferTier = Type.Object({
  index: Int,
  type: StringEnum(["discount", "gift", "fixed"] as const),
  amount: Int,
  bonus_amount: Int,
  points: Int,
  usable_after: Int,
  gift: Nullable(Type.Record(Str, Type.Unknown())),
  first_topup_gift: Nullable(Type.Record(Str, Type.Unknown())),
  offered: Type.Boolean(),
  reason: Nullable(Str),
});
const Offer = Type.Object(
  {
    object: Type.Literal("smart_topup_offer"),
    plan_id: Nullable(Str),
    plan_name: Nullable(Str),
    plan_cover_image_id: Nullable(
      Type.String({
        description:
          "The plan's cover (GET /v1/images/{id}; a member token reads it while the plan is active)",
      }),
    ),
    reason: Nullable(Str),
    available: Type.Integer({
      description:
        "The balance the offer counts: all that is available, or with cashier_order_id what the order's balance payment (naming no item) may use",
    }),
    order_amount: Int,
    first_topup: Type.Boolean(),
    tiers: Type.Array(OfferTier),
  },
  {
    examples: [
      {
        object: "smart_topup_offer",
        plan_id: "stp_01jd3m2x4y5z6a7b8c9d0e1f2g",
        plan_name: "Holiday Smart Prepaid Plan",
        plan_cover_image_id: null,
        reason: null,
        available: 0,
        order_amount: 10000,
        first_topup: false,
        tiers: [
          {
            index: 0,
            type: "discount",
            amount: 12000,
            bonus_amount: 800,
            points: 0,
            usable_after: 12800,
            gift: null,
            first_topup_gift: null,
            offered: true,
            reason: null,
          },
        ],
      },
    ],
  },
);
const Acceptance = Type.Object({
  id: Str,
  object: Type.Literal("smart_topup_acceptance"),
  plan_id: Str,
  tier_index: Int,
  tier_type: Str,
  member_id: Str,
  order_amount: Int,
  topup_id: Str,
  amount: Int,
  bonus_amount: Int,
  points: Int,
  gift: Type.Array(Type.Record(Str, Type.Unknown())),
  store_id: Nullable(Str),
  channel: Str,
  order_id: Nullable(Str),
  payment_id: Nullable(Str),
  created_at: Timestamp,
});
const serializeAcceptance = (a: AcceptanceRow) => ({
  ...a,
  tenant_id: undefined,
  created_by: undefined,
  object: "smart_topup_acceptance" as const,
  gift: a.gift as unknown as Record<string, unknown>[],
  created_at: a.created_at.toISOString(),
});
const OfferQuery = {
  member_id: IdParam,
  store_id: Type.Optional(IdParam),
  channel: StringEnum(CHANNELS),
  order_amount: Type.Integer({
    minimum: 1,
    maximum: MAX_AMOUNT,
    description:
      "What is due (a checkout quote's remaining total; quotes are not stored, so pass its amount)",
  }),
};
const OfferForOrder = {
  cashier_order_id: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 64,
      pattern: "^[A-Za-z0-9_-]+$",
      description:
        "The member's cashier order the offer is for: order_amount its total, channel online, no store_id. Only the balance its payment may use counts (money only certain items may use does not), as accepting a tier for it decides",
    }),
  ),
};

/** The lines an order paid from the balance names: each SKU with what it still costs. */
const PayOrderLines = Type.Array(
  Obj({
    sku: Type.String({ minLength: 1, maxLength: 64 }),
    amount: Type.Integer({ minimum: 0, maximum: MAX_AMOUNT }),
  }),
  { maxItems: 100 },
);

/** The offer request as the till or the member asks it. */
const offerAsked = (q: {
  member_id: string;
  store_id?: string | undefined;
  channel: TopupChannel;
  order_amount: number;
}): OfferRequest => ({
  memberId: q.member_id,
  storeId: q.store_id ?? null,
  channel: q.channel,
  orderAmount: q.order_amount,
});

function serializeOffer(offer: SmartOffer, orderAmount: number) {
  return {
    object: "smart_topup_offer" as const,
    plan_id: offer.plan?.id ?? null,
    plan_name: offer.plan?.name ?? null,
    plan_cover_image_id: offer.plan?.terms.cover_image_id ?? null,
    reason: offer.reason,
    available: offer.available,
    order_amount: orderAmount,
    first_topup: offer.first_topup,
    tiers: offer.tiers.map(({ first_bonus: _, first_points: __, ...t }) => ({
      ...t,
      gift: t.gift as Record<string, unknown> | null,
      first_topup_gift: t.first_topup_gift as Record<string, unknown> | null,
    })),
  };
}

/** Smart top-up: plans, offers at payment, accepting one (the payment–deposit flow). */
export function smartTopupRoutes(app: RouteApp, deps: AppDeps): void {
  const { db, clock, ledger } = deps;
  const Params = Obj({ id: IdParam });

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/smart-topup-plans",
    config: {
      permission: "topup.manage",
      idempotent: true,
      errors: ["catalog_scoped_actor", "invalid_topup_plan"],
    },
    schema: {
      operationId: "createSmartTopupPlan",
      tags,
      summary:
        "Create a smart top-up plan: 1 to 9 tiers (discount, gift, fixed), rounding precision, gift stock",
      body: CreateSmartPlanBody,
      response: { 201: SmartPlan, ...errorResponses(422) },
    },
    status: 201,
    guard: tenantWideGuard,
    input: ({ body }) => body,
    op: overTransaction(createSmartPlan),
    respond: serializeSmartPlan,
  });

  app.get(
    "/v1/smart-topup-plans",
    {
      config: { permission: "topup.read" },
      schema: {
        operationId: "listSmartTopupPlans",
        tags,
        summary: "List smart top-up plans",
        querystring: Obj({ ...ListQuery, status: Type.Optional(StringEnum(PLAN_STATUSES)) }),
        response: { 200: listOf(SmartPlan), ...errorResponses() },
      },
    },
    async (request) => {
      const limit = pageLimit(request.query.limit);
      const rows = await db.tenantQuery(
        request.actor.tenantId,
        smartPlansQuery(db.kysely, request.actor.tenantId, {
          status: request.query.status,
          startingAfter: request.query.starting_after,
          limit,
        }),
      );
      return toPage(rows, limit, serializeSmartPlan);
    },
  );

  app.get(
    "/v1/smart-topup-plans/:id",
    {
      config: { permission: "topup.read" },
      schema: {
        operationId: "getSmartTopupPlan",
        tags,
        summary: "Get a smart top-up plan",
        params: Params,
        response: { 200: SmartPlan, ...errorResponses() },
      },
    },
    async (request) => {
      const [plan] = await db.tenantQuery(
        request.actor.tenantId,
        smartPlanQuery(db.kysely, request.actor.tenantId, request.params.id),
      );
      return serializeSmartPlan(requireSmartPlan(plan));
    },
  );

  planAdminRoutes(app, deps, {
    base: "/v1/smart-topup-plans",
    table: "smart_topup_plans",
    noun: "smart top-up plan",
    operation: "SmartTopupPlan",
    tags,
    schema: SmartPlan,
    read: findSmartPlan,
    serialize: serializeSmartPlan,
    update: { body: UpdateSmartPlanBody, summary: "Edit a smart top-up plan", run: updateSmartPlan },
  });

  app.get(
    "/v1/smart-topup/offers",
    {
      config: {
        permission: "topup.read",
        member: true,
        errors: [
          "member_not_found",
          "store_not_found",
          "cashier_order_not_found",
          "cashier_order_not_open",
          "cashier_order_expired",
          "amount_mismatch",
        ],
      },
      schema: {
        operationId: "smartTopupOffers",
        tags,
        summary:
          "Smart top-up tiers for an order the balance cannot cover, with computed amounts — or none and why",
        description:
          "reason when there is no plan: balance_covers_order, no_active_plan, or the last plan's refusal (channel_not_allowed, plan_not_available_now, store_not_in_scope, audience_mismatch, first_topup_only). Each tier: offered, or reason below_minimum / does_not_cover_order / above_maximum (its top-up would pass the largest amount, 10^15 minor units). Without cashier_order_id the offer counts all the available balance (`available`), money only certain items may use included: a payment at the till may name those items. With cashier_order_id (the member's cashier order, as POST /v1/member-center/cashier-orders/{id}/smart-topup accepts a tier for it) it counts only what the order's balance payment may use, so every tier offered can be accepted for it; an order the caller does not see, or another member's, is 404 cashier_order_not_found, one paid, cancelled or refunded 409 cashier_order_not_open, one past its time 410 cashier_order_expired, an order_amount other than its total 422 amount_mismatch, another channel than online or a store_id 400 validation_failed. A read: nothing is written or locked.",
        querystring: Obj({ ...OfferQuery, ...OfferForOrder }),
        response: { 200: Offer, ...errorResponses() },
      },
    },
    async (request) => {
      const q = request.query;
      const { actor } = request;
      const now = clock.now();
      const offer = await db.tenantTx(actor.tenantId, async (trx) => {
        const asked = offerAsked(q);
        const req = q.cashier_order_id
          ? await orderOfferRequest(
              trx,
              actor,
              ledger.within(trx, actor.tenantId),
              asked,
              q.cashier_order_id,
              now,
            )
          : asked;
        return smartOffer(trx, actor, req, now);
      });
      return serializeOffer(offer, q.order_amount);
    },
  );

  app.post(
    "/v1/smart-topup/offers",
    {
      config: {
        permission: "topup.read",
        errors: ["member_not_found", "store_not_found"],
      },
      schema: {
        operationId: "smartTopupOffersForPayment",
        tags,
        summary:
          "Smart top-up tiers for an order the till will pay from the balance, counting what that payment may use",
        description:
          "As GET /v1/smart-topup/offers, for the order POST /v1/smart-topup/accept will pay with the same pay_order: only the balance that payment may use counts (`available`). Naming lines (each SKU with what it still costs), money kept for certain items counts as far as those lines let it; naming none, it does not count. Every tier offered for a pay_order is accepted for it. Without pay_order, all the available balance counts, as with GET. A read: nothing is written or locked.",
        body: Obj({
          ...OfferQuery,
          pay_order: Type.Optional(
            Obj(
              { lines: Type.Optional(PayOrderLines) },
              { description: "The order is paid from the balance" },
            ),
          ),
        }),
        response: { 200: Offer, ...errorResponses() },
      },
    },
    async (request) => {
      const b = request.body;
      const { actor } = request;
      const now = clock.now();
      const offer = await db.tenantTx(actor.tenantId, async (trx) => {
        const asked = offerAsked(b);
        if (!b.pay_order) return smartOffer(trx, actor, asked, now);
        const balancePayment = {
          currency: await readBalanceAsset(trx, actor.tenantId, now),
          ledger: ledger.within(trx, actor.tenantId),
          lines: b.pay_order.lines ?? [],
        };
        return smartOffer(trx, actor, { ...asked, balancePayment }, now);
      });
      return serializeOffer(offer, b.order_amount);
    },
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/smart-topup/accept",
    config: {
      permission: "topup.operate",
      idempotent: true,
      errors: [
        "no_smart_offer",
        "tier_not_offered",
        "smart_topup_plan_not_found",
        "store_not_found",
        "insufficient_balance",
        "amount_above_cap",
        "too_many_open_lots",
        "currency_mismatch",
      ],
    },
    schema: {
      operationId: "acceptSmartTopupOffer",
      tags,
      summary:
        "Accept a smart top-up tier: the top-up is credited and, optionally, the order paid by balance, in one step",
      description:
        "Idempotent with Idempotency-Key. Refusals: no_smart_offer (with reason), tier_not_offered, amount_above_cap (the tier's top-up or bonus is above the tenant's single-operation cap), insufficient_balance (the order could not be paid even after the top-up); nothing is written on a refusal.",
      body: Obj(
        {
          member_id: IdParam,
          plan_id: IdParam,
          tier_index: Type.Integer({ minimum: 0, maximum: 8 }),
          order_amount: OfferQuery.order_amount,
          store_id: Type.Optional(IdParam),
          channel: StringEnum(CHANNELS),
          payment_method: StringEnum(["offline"] as const, {
            description: "The till took the top-up's money",
          }),
          pay_order: Type.Optional(
            Obj({
              order_id: Type.String({ minLength: 1, maxLength: 128 }),
              lines: Type.Optional(PayOrderLines),
            }),
          ),
        },
        {
          examples: [
            {
              member_id: "mbr_01jd3m2x4y5z6a7b8c9d0e1f2g",
              plan_id: "stp_01jd3m2x4y5z6a7b8c9d0e1f2g",
              tier_index: 0,
              order_amount: 10000,
              channel: "pos",
              payment_method: "offline",
              pay_order: { order_id: "SO-1001" },
            },
          ],
        },
      ),
      response: { 201: Type.Object({ acceptance: Acceptance, topup: Topup }), ...errorResponses(409, 422) },
    },
    status: 201,
    input: ({ body: b }): AcceptRequest => ({
      memberId: b.member_id,
      planId: b.plan_id,
      tierIndex: b.tier_index,
      orderAmount: b.order_amount,
      storeId: b.store_id ?? null,
      channel: b.channel,
      paymentMethod: b.payment_method,
      payOrder: b.pay_order
        ? { orderId: b.pay_order.order_id, ...(b.pay_order.lines ? { lines: b.pay_order.lines } : {}) }
        : null,
    }),
    op: acceptSmartOffer,
    respond: (r) => ({ acceptance: serializeAcceptance(r.acceptance), topup: serializeTopup(r.topup) }),
  });

  app.get(
    "/v1/smart-topup-plans/:id/acceptances",
    {
      config: { permission: "topup.read" },
      schema: {
        operationId: "listSmartTopupAcceptances",
        tags,
        summary:
          "Every accepted offer of a plan (tier, order amount, top-up, bonus, points, gift, store, channel), newest first",
        params: Params,
        querystring: Obj(ListQuery),
        response: { 200: listOf(Acceptance), ...errorResponses() },
      },
    },
    async (request) => {
      const limit = pageLimit(request.query.limit);
      const tenantId = request.actor.tenantId;
      const [[plan], rows] = await db.tenantQueries(tenantId, [
        smartPlanQuery(db.kysely, tenantId, request.params.id),
        acceptancesQuery(
          db.kysely,
          request.actor,
          request.params.id,
          request.query.starting_after,
          limit + 1,
        ),
      ] as const);
      requireSmartPlan(plan);
      return toPage(rows, limit, serializeAcceptance);
    },
  );
}
