import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import type { Tx } from "../../db/database.js";
import type { Actor } from "../../platform/auth/actor.js";
import {
  AssetCode,
  errorResponses,
  IdParam,
  Obj,
  StringEnum,
  Timestamp,
} from "../../platform/http/schemas.js";
import { valueRoute } from "../../platform/http/value-route.js";
import { requestFingerprint } from "../../platform/idempotency/idempotency.js";
import { MAX_AMOUNT } from "../../shared/money.js";
import { benefitQuery, CHANNELS, requireBenefit } from "../benefits/index.js";
import { MAX_CARDS_PER_ORDER } from "../giftcards/index.js";
import {
  assertCurrencyExists,
  assertOrderInScope,
  benefitUsageOf,
  benefitUsageQuery,
  findOrder,
  type OrderRow,
  resolveStore,
  tenantPricing,
} from "./checkout.repository.js";
import { completeOrder } from "./complete-order.js";
import type { GiftCardRequest } from "./gift-card-tender.js";
import { MAX_LINES, MAX_VOUCHERS, type OrderRequest, priceOrder } from "./price-order.js";
import { snapshotQuote } from "./quote-snapshot.js";
import { QuoteSchema, type QuoteView, serializeQuote } from "./quote-view.js";
import { refundOrder } from "./refund-order.js";
import { type CheckoutSettlement, connectedSettlement, type SettleContext } from "./settlement.js";

declare module "../../app-types.js" {
  interface AppDeps {
    /** How the checkout reaches members, wallets and vouchers (connectedSettlement by default). */
    checkoutSettlement?: CheckoutSettlement;
  }
}

const Line = Obj({
  sku: Type.String({ minLength: 1, maxLength: 64 }),
  category: Type.String({ minLength: 1, maxLength: 64 }),
  quantity: Type.Integer({ minimum: 1, maximum: 10_000 }),
  unit_price: Type.Integer({ minimum: 0, maximum: 100_000_000_000, description: "Minor units" }),
});

const cart = {
  member_id: Type.Optional(Type.Union([IdParam, Type.Null()])),
  channel: StringEnum(CHANNELS),
  store_id: Type.Optional(Type.Union([IdParam, Type.Null()])),
  currency: Type.Optional(AssetCode),
  lines: Type.Array(Line, { minItems: 1, maxItems: MAX_LINES }),
  voucher_ids: Type.Optional(Type.Array(IdParam, { maxItems: MAX_VOUCHERS, uniqueItems: true })),
  gift_cards: Type.Optional(
    Type.Array(
      Obj({
        card_id: IdParam,
        amount: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
      }),
      {
        maxItems: MAX_CARDS_PER_ORDER,
        description:
          "Gift cards paying after vouchers, before balance: each all it holds up to what is due, or `amount`. A till gets card_id from POST /v1/gift-cards/lookup (number and PIN); a member token names its own cards.",
      },
    ),
  ),
  pay_with_balance: Type.Optional(Type.Boolean()),
  shipping_amount: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000 })),
};

const Order = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("checkout_order"),
    client_order_id: Type.String(),
    member_id: Type.Union([Type.String(), Type.Null()]),
    channel: StringEnum(CHANNELS),
    store_id: Type.Union([Type.String(), Type.Null()]),
    currency: Type.String(),
    status: StringEnum(["pending_payment", "completed", "refunded", "cancelled"] as const, {
      description:
        "pending_payment: the balance part is held until the online payment of the rest succeeds (then completed, with its points) or fails (then cancelled, everything returned)",
    }),
    payment_id: Type.Union([Type.String(), Type.Null()], {
      description:
        "The balance payment (GET /v1/wallet-payments/{id}); confirm or cancel it when the rest is paid online",
    }),
    no_benefit_total: Type.Integer(),
    total: Type.Integer(),
    voucher_total: Type.Integer(),
    balance_amount: Type.Integer(),
    gift_card_total: Type.Integer({ description: "What gift cards paid" }),
    gift_cards: Type.Array(Type.Object({ card_id: Type.String(), amount: Type.Integer() })),
    remaining_payable: Type.Integer({ description: "What the customer pays by other means" }),
    points_earned: Type.Integer(),
    quote: QuoteSchema,
    created_at: Timestamp,
    refunded_at: Type.Union([Timestamp, Type.Null()]),
    cancelled_at: Type.Union([Timestamp, Type.Null()]),
  },
  { $id: "CheckoutOrder" },
);

function serializeOrder(row: OrderRow) {
  const giftCards = (row.settlement.giftCards ?? []).map((c) => ({ card_id: c.cardId, amount: c.amount }));
  const giftCardTotal = giftCards.reduce((s, c) => s + c.amount, 0);
  return {
    id: row.id,
    object: "checkout_order" as const,
    client_order_id: row.client_order_id,
    member_id: row.member_id,
    channel: row.channel,
    store_id: row.store_id,
    currency: row.currency,
    status: row.status,
    payment_id: row.settlement.balance?.ref ?? null,
    no_benefit_total: row.no_benefit_total,
    total: row.total,
    voucher_total: row.voucher_total,
    balance_amount: row.balance_amount,
    gift_card_total: giftCardTotal,
    gift_cards: giftCards,
    remaining_payable: row.total - row.balance_amount - giftCardTotal,
    points_earned: row.points_earned,
    quote: row.quote as unknown as QuoteView,
    created_at: row.created_at.toISOString(),
    refunded_at: row.refunded_at ? row.refunded_at.toISOString() : null,
    cancelled_at: row.cancelled_at ? row.cancelled_at.toISOString() : null,
  };
}

interface CartBody {
  member_id?: string | null;
  channel: (typeof CHANNELS)[number];
  store_id?: string | null;
  currency?: string;
  lines: { sku: string; category: string; quantity: number; unit_price: number }[];
  voucher_ids?: string[];
  gift_cards?: { card_id: string; amount?: number }[];
  pay_with_balance?: boolean;
  shipping_amount?: number;
}

/** The gift cards the body names to pay, in the order named. */
function giftCardsOf(body: CartBody): GiftCardRequest[] {
  return (body.gift_cards ?? []).map((c) => ({ cardId: c.card_id, amount: c.amount ?? null }));
}

/** What the body says of the cart itself, the same for an order and either kind of quote. */
function cartOf(body: CartBody, at: Date) {
  return {
    memberId: body.member_id ?? null,
    channel: body.channel,
    at,
    lines: body.lines.map((l) => ({
      sku: l.sku,
      category: l.category,
      quantity: l.quantity,
      unitPrice: l.unit_price,
    })),
    voucherIds: body.voucher_ids ?? [],
    payWithBalance: body.pay_with_balance ?? false,
    shippingAmount: body.shipping_amount ?? 0,
  };
}

export async function checkoutRoutes(app: RouteApp, deps: AppDeps): Promise<void> {
  const { db, clock } = deps;
  const settlement = deps.checkoutSettlement ?? connectedSettlement;
  // Orders and refunds run as ledger units of work (the wallets and vouchers modules' operations
  // take one); quotes only read: one read-only snapshot with the service's settlement, else a
  // plain tenant transaction with the ledger inside it.
  const ledger = deps.ledger;
  const tags = ["checkout"];

  async function toRequest(trx: Tx, actor: Actor, body: CartBody, at: Date): Promise<OrderRequest> {
    const tenant = await tenantPricing(trx, actor.tenantId);
    if (body.currency !== undefined && body.currency !== tenant.default_currency) {
      await assertCurrencyExists(trx, actor.tenantId, body.currency);
    }
    return {
      ...cartOf(body, at),
      storeId: await resolveStore(trx, actor, body.store_id),
      timezone: tenant.timezone,
      currency: body.currency ?? tenant.default_currency,
      giftCards: giftCardsOf(body),
    };
  }

  const context = (trx: Tx, actor: Actor, requestId: string): SettleContext => ({
    tenantId: actor.tenantId,
    actor,
    trx,
    ledger: ledger.within(trx, actor.tenantId),
    uow: null,
    requestId,
    now: clock.now(),
  });

  app.post(
    "/v1/checkout/quotes",
    {
      config: { permission: "checkout.quote" },
      schema: {
        tags,
        summary:
          "Price a cart: each line's benefits, the total, points, vouchers, balance; every benefit not applied with its reason",
        description:
          "Deterministic: the same input (including `at`) always gives the same breakdown. Stacking policy: docs/checkout-stacking.md.",
        body: Obj({ ...cart, at: Type.Optional(Timestamp) }),
        response: { 200: QuoteSchema, ...errorResponses(422, 503) },
      },
    },
    async (request) => {
      const actor = request.actor;
      const body = request.body;
      const now = clock.now();
      const at = body.at ? new Date(body.at) : now;
      // The service's settlement: one read-only snapshot, one round trip, gift cards included.
      if (settlement === connectedSettlement) {
        const q = await snapshotQuote(
          db,
          actor,
          {
            ...cartOf(body, at),
            storeId: body.store_id ?? null,
            currency: body.currency ?? null,
            giftCards: giftCardsOf(body),
          },
          now,
        );
        return serializeQuote(q);
      }
      const q = await db.tenantTx(actor.tenantId, async (trx) =>
        priceOrder(context(trx, actor, request.id), settlement, await toRequest(trx, actor, body, at)),
      );
      return serializeQuote(q);
    },
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/checkout/orders",
    config: { permission: "checkout.order", idempotent: true },
    schema: {
      tags,
      summary:
        "Complete an order: re-price, redeem vouchers and gift cards, pay by balance, award points — one atomic step",
      description:
        "Idempotent by client_order_id (and Idempotency-Key). With expected_total, a total that changed since the quote (a benefit was deactivated, a package that gave one was refunded, the balance moved) is refused with quote_changed and the new quote.",
      body: Obj({
        ...cart,
        client_order_id: Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_.:-]+$" }),
        expected_total: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_AMOUNT })),
        rest_paid: Type.Optional(
          StringEnum(["offline", "online"] as const, {
            description:
              "How what balance does not cover is paid: offline (balance taken now, default) or online (balance held until the online payment succeeds)",
          }),
        ),
      }),
      response: { 201: Order, ...errorResponses(409, 422, 503) },
    },
    status: 201,
    input: ({ body }) => body,
    op: async (uow, ctx, body, now) => {
      const { expected_total, client_order_id, rest_paid, ...rest } = body;
      const req = await toRequest(uow.trx, ctx.actor, body, now);
      return completeOrder(
        uow,
        ctx,
        {
          ...req,
          settlement,
          clientOrderId: client_order_id,
          expectedTotal: expected_total ?? null,
          restPaid: rest_paid ?? "offline",
          requestHash: requestFingerprint("POST", "/v1/checkout/orders", {
            ...rest,
            rest_paid: rest_paid ?? "offline",
          }),
        },
        now,
      );
    },
    respond: ({ order }) => serializeOrder(order),
  });

  app.get(
    "/v1/checkout/orders/:id",
    {
      config: { permission: "checkout.quote" },
      schema: {
        tags,
        summary: "Get an order with its breakdown",
        params: Obj({ id: IdParam }),
        response: { 200: Order, ...errorResponses() },
      },
    },
    async (request) => {
      const actor = request.actor;
      const row = await db.tenantTx(actor.tenantId, async (trx) => {
        const order = await findOrder(trx, actor.tenantId, request.params.id);
        await assertOrderInScope(trx, actor, order);
        return order;
      });
      return serializeOrder(row);
    },
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/checkout/orders/:id/refund",
    config: { permission: "checkout.refund", idempotent: true },
    schema: {
      tags,
      summary:
        "Refund a whole order: points back, vouchers and gift cards restored, balance returned to the accounts that paid",
      description:
        "A member closed since the sale is refunded too: its account holds nothing, so the order's points are not taken back (audit and `checkout_order.refunded` event: `points_not_reversed`). A balance part cannot go back into a closed account (422 `member_closed`).",
      params: Obj({ id: IdParam }),
      body: Type.Optional(Obj({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) })),
      response: { 200: Order, ...errorResponses(409, 422, 503) },
    },
    status: 200,
    input: ({ params, body }) => ({ settlement, orderId: params.id, reason: body?.reason ?? null }),
    op: refundOrder,
    respond: serializeOrder,
  });

  app.get(
    "/v1/benefits/:id/usage",
    {
      config: { permission: "benefits.read", errors: ["benefit_not_found"] },
      schema: {
        tags: ["benefits"],
        summary: "Usage of a benefit: orders, distinct members and discount given (refunded orders excluded)",
        description:
          "Over the whole tenant; for staff bound to an org unit, over the orders of the stores in its subtree, the orders they may see.",
        params: Obj({ id: IdParam }),
        response: {
          200: Type.Object({
            object: Type.Literal("benefit_usage"),
            benefit_id: Type.String(),
            orders: Type.Integer(),
            members: Type.Integer(),
            discount_total: Type.Integer(),
          }),
          ...errorResponses(),
        },
      },
    },
    async (request) => {
      const actor = request.actor;
      const [[benefit], [usage]] = await db.tenantQueries(actor.tenantId, [
        benefitQuery(db.kysely, actor.tenantId, request.params.id),
        benefitUsageQuery(db.kysely, actor.tenantId, request.params.id, actor.orgUnitPath),
      ] as const);
      requireBenefit(benefit);
      return { object: "benefit_usage" as const, ...benefitUsageOf(request.params.id, usage!) };
    },
  );
}
