import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import { pageLimit, toPage } from "../../platform/http/pagination.js";
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
import { assertCardVisible, cardVisibleGiven, resolveStore, visibilityTurnsOnStores } from "./card-access.js";
import { pinSecretOf } from "./card-number.js";
import {
  Activity,
  AgreementVersions,
  BuyerInput,
  CardNumber,
  GiftCard,
  PaymentInput,
  Pin,
  PositiveAmount,
  RecipientInput,
  serializeActivity,
  serializeCard,
} from "./cards.schemas.js";
import { GiftcardsError } from "./giftcards.errors.js";
import {
  ACTIVITY_TYPES,
  CARD_STATUSES,
  CARD_TYPES,
  findCard,
  PAYMENT_METHODS,
  SALE_CHANNELS,
} from "./giftcards.repository.js";
import {
  activityPageQuery,
  type CardListRow,
  cardByIdQuery,
  cardPageQuery,
  listActivities,
  listCards,
  listMayFindUsableCard,
  readCard,
} from "./list-cards.js";
import {
  authenticateCard,
  LOOKUP_REFUSALS,
  LOOKUP_WINDOW_SECONDS,
  MAX_FAILURES_PER_CALLER,
  MAX_FAILURES_PER_CARD,
} from "./lookup-card.js";
import { activityOf, paymentOf, requireIdempotencyKey, withBalance } from "./route-helpers.js";
import { sellCard } from "./sell-card.js";

const tags = ["gift cards"];

export const CardSale = Type.Object(
  {
    object: Type.Literal("gift_card_sale"),
    card: GiftCard,
    activity: Type.Union([Activity, Type.Null()], {
      description: "ACTIVATE; null while an online payment is open",
    }),
    pin: Type.Union([Type.String(), Type.Null()], {
      description:
        "The card's secret PIN, shown this once (only its hash is kept); null when it was imported with the card",
    }),
  },
  { $id: "GiftCardSale" },
);

const SALE_EXAMPLE = {
  plan_id: "gcp_01jd3m2x4y5z6a7b8c9d0e1f2g",
  amount: 20000,
  channel: "POS",
  buyer: { name: "Li Lei", phone: "13800138000" },
  payment: { method: "offline", ref: "receipt-0042" },
};

export const CardFilterQuery = {
  number: Type.Optional(CardNumber),
  buyer_phone: Type.Optional(Type.String({ minLength: 5, maxLength: 20 })),
  plan_id: Type.Optional(IdParam),
  card_type: Type.Optional(StringEnum(CARD_TYPES)),
  status: Type.Optional(StringEnum(CARD_STATUSES)),
  store_id: Type.Optional(IdParam),
  channel: Type.Optional(StringEnum(SALE_CHANNELS)),
  holder_member_id: Type.Optional(IdParam),
  sold_from: Type.Optional(Timestamp),
  sold_to: Type.Optional(Timestamp),
  expires_from: Type.Optional(Timestamp),
  expires_to: Type.Optional(Timestamp),
  import_job_id: Type.Optional(IdParam),
};

export const ActivityFilterQuery = {
  card_id: Type.Optional(IdParam),
  card_number: Type.Optional(CardNumber),
  plan_id: Type.Optional(IdParam),
  type: Type.Optional(Type.Array(StringEnum(ACTIVITY_TYPES), { maxItems: ACTIVITY_TYPES.length })),
  store_id: Type.Optional(IdParam),
  channel: Type.Optional(StringEnum(SALE_CHANNELS)),
  operator_id: Type.Optional(IdParam),
  reference_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  payment_method: Type.Optional(StringEnum(PAYMENT_METHODS)),
  created_from: Type.Optional(Timestamp),
  created_to: Type.Optional(Timestamp),
};

export const CardLookup = Type.Object(
  {
    object: Type.Literal("gift_card_lookup"),
    card_id: Type.String(),
    number_last4: Type.String(),
    plan_id: Type.String(),
    card_type: StringEnum(CARD_TYPES),
    status: StringEnum(CARD_STATUSES),
    asset: Type.String(),
    balance: Type.Integer(),
    expires_at: Type.Union([Timestamp, Type.Null()]),
  },
  { $id: "GiftCardLookup" },
);

/** Selling cards, looking one up by number and PIN, the sold-card list, one card, and the transaction record. */
export function cardRoutes(app: RouteApp, deps: AppDeps): void {
  const { db, clock } = deps;
  const pinSecret = pinSecretOf(deps.config.signingSecret);

  app.post(
    "/v1/gift-cards/lookup",
    {
      config: { permission: "giftcards.sell", member: true, errors: [...LOOKUP_REFUSALS] },
      schema: {
        tags,
        operationId: "lookupGiftCard",
        summary: "Look a card up by its number and PIN (a till, or a member): its balance and status",
        description: `Rate-limited in the database, so across processes: ${MAX_FAILURES_PER_CALLER} failed look-ups per caller and ${MAX_FAILURES_PER_CARD} wrong PINs per card number in ${LOOKUP_WINDOW_SECONDS / 60} minutes, then 429 gift_card_lookup_limited (even with the right PIN) until the window ends. An unknown number and a wrong PIN both answer 404 gift_card_not_found. The card_id it returns is what the card routes take.`,
        body: Obj(
          { number: CardNumber, pin: Pin },
          { examples: [{ number: "6035790012345678", pin: "48213907" }] },
        ),
        response: { 200: CardLookup, ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      const card = await authenticateCard(db, actor, request.body, pinSecret, clock.now());
      const row = await db.tenantTx(actor.tenantId, (trx) => readCard(trx, actor.tenantId, card.id));
      return {
        object: "gift_card_lookup" as const,
        card_id: card.id,
        number_last4: card.number.slice(-4),
        plan_id: card.plan_id,
        card_type: card.card_type,
        status: card.status,
        asset: card.asset,
        balance: row?.balance ?? 0,
        expires_at: card.expires_at?.toISOString() ?? null,
      };
    },
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/gift-cards",
    config: { permission: "giftcards.sell", idempotent: true },
    schema: {
      tags,
      operationId: "sellGiftCard",
      summary: "Sell a card: activate it with its face amount, paid offline or by a member's balance",
      description:
        "Needs an Idempotency-Key. The buyer pays face − discount; the discount is booked to marketing expense. At the POS, card_number sells an imported physical card (inactive stock). A new card's number and PIN are returned; the PIN only this once. For online payment use POST /v1/members/{member_id}/gift-card-purchases.",
      body: Obj(
        {
          plan_id: IdParam,
          amount: Type.Optional(PositiveAmount),
          channel: Type.Optional(StringEnum(SALE_CHANNELS, { description: "Default POS" })),
          store_id: Type.Optional(IdParam),
          card_number: Type.Optional(CardNumber),
          buyer: Type.Optional(BuyerInput),
          buyer_member_id: Type.Optional(IdParam),
          holder_member_id: Type.Optional(IdParam),
          recipient: Type.Optional(RecipientInput),
          payment: PaymentInput,
          agreement_versions: Type.Optional(AgreementVersions),
        },
        { examples: [SALE_EXAMPLE] },
      ),
      response: { 201: CardSale, ...errorResponses(409, 422) },
    },
    status: 201,
    guard: requireIdempotencyKey,
    input: ({ body }) => body,
    op: async (uow, ctx, body, now) =>
      sellCard(
        uow,
        ctx,
        {
          planId: body.plan_id,
          amount: body.amount,
          channel: body.channel ?? "POS",
          storeId: await resolveStore(uow.trx, ctx.actor, body.store_id),
          cardNumber: body.card_number ?? null,
          buyer: body.buyer ?? {},
          buyerMemberId: body.buyer_member_id ?? null,
          holderMemberId: body.holder_member_id ?? null,
          recipient: body.recipient ?? null,
          payment: paymentOf(body.payment),
          agreementVersions: body.agreement_versions,
        },
        pinSecret,
        now,
      ),
    respond: (sold) => ({
      object: "gift_card_sale" as const,
      card: serializeCard(withBalance(sold.card, sold.card.face_amount!)),
      activity: sold.activity ? serializeActivity(activityOf(sold.card, sold.activity)) : null,
      pin: sold.pin,
    }),
  });

  app.get(
    "/v1/gift-cards",
    {
      config: { permission: "giftcards.read" },
      schema: {
        tags,
        operationId: "listGiftCards",
        summary:
          "Sold gift cards with balances: filter by number, buyer phone, plan, type, status, store, channel, dates",
        description:
          "Locate a card to freeze by its number or the buyer's phone. Staff bound to an org unit see cards sold in their subtree.",
        querystring: Obj({ ...ListQuery, ...CardFilterQuery }),
        response: { 200: listOf(GiftCard), ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      const { limit: asked, starting_after, ...filters } = request.query;
      const limit = pageLimit(asked);
      const page = { limit: limit + 1, startingAfter: starting_after };
      // Only a scoped till's look-up by number may read on when its page is empty.
      const rows = listMayFindUsableCard(actor, filters, page)
        ? await db.tenantTx(actor.tenantId, (trx) => listCards(trx, actor, filters, page))
        : ((await db.tenantQuery(
            actor.tenantId,
            cardPageQuery(db.kysely, actor, filters, page),
          )) as CardListRow[]);
      return toPage(rows, limit, serializeCard);
    },
  );

  app.get(
    "/v1/gift-cards/:id",
    {
      config: { permission: "giftcards.read", member: true, errors: ["gift_card_not_found"] },
      schema: {
        tags,
        operationId: "getGiftCard",
        summary: "Get a card with its balance (staff, or the member who holds or bought it)",
        params: Obj({ id: IdParam }),
        response: { 200: GiftCard, ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      const id = request.params.id;
      if (visibilityTurnsOnStores(actor)) {
        // Whether scoped staff may see the card turns on reads that follow from the card.
        const row = await db.tenantTx(actor.tenantId, async (trx) => {
          await assertCardVisible(trx, actor, await findCard(trx, actor.tenantId, id));
          return readCard(trx, actor.tenantId, id);
        });
        if (!row) throw new GiftcardsError("gift_card_not_found", "Gift card not found");
        return serializeCard(row);
      }
      const [row] = await db.tenantQuery(actor.tenantId, cardByIdQuery(db.kysely, actor.tenantId, id));
      if (!row || !cardVisibleGiven(actor, row as CardListRow, null, false))
        throw new GiftcardsError("gift_card_not_found", "Gift card not found");
      return serializeCard(row as CardListRow);
    },
  );

  app.get(
    "/v1/gift-cards/:id/activities",
    {
      config: { permission: "giftcards.read", member: true, errors: ["gift_card_not_found"] },
      schema: {
        tags,
        operationId: "listGiftCardActivitiesOfCard",
        summary: "A card's activities, oldest first (staff, or the member who holds or bought it)",
        params: Obj({ id: IdParam }),
        querystring: Obj({ ...ListQuery }),
        response: { 200: listOf(Activity), ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      const limit = pageLimit(request.query.limit);
      const id = request.params.id;
      const page = { limit: limit + 1, startingAfter: request.query.starting_after };
      if (visibilityTurnsOnStores(actor)) {
        // Whether scoped staff may see the card turns on reads that follow from the card.
        const rows = await db.tenantTx(actor.tenantId, async (trx) => {
          await assertCardVisible(trx, actor, await findCard(trx, actor.tenantId, id));
          // Access was checked on the card: list its activities whatever store they happened at.
          return listActivities(trx, actor, { card_id: id }, page, false);
        });
        return toPage(rows, limit, serializeActivity);
      }
      const [cards, activities] = await db.tenantQueries(actor.tenantId, [
        cardByIdQuery(db.kysely, actor.tenantId, id),
        // Access is checked on the card: its activities whatever store they happened at.
        activityPageQuery(db.kysely, actor, { card_id: id }, page, false),
      ] as const);
      const card = cards[0] as CardListRow | undefined;
      if (!card || !cardVisibleGiven(actor, card, null, false))
        throw new GiftcardsError("gift_card_not_found", "Gift card not found");
      return toPage(activities, limit, serializeActivity);
    },
  );

  app.get(
    "/v1/gift-card-activities",
    {
      config: { permission: "giftcards.read" },
      schema: {
        tags,
        operationId: "listGiftCardActivities",
        summary: "Transaction details: every activity (activation, load, redemption, refund, …) with filters",
        description: "Staff bound to an org unit see the activities at stores of their subtree.",
        querystring: Obj({ ...ListQuery, ...ActivityFilterQuery }),
        response: { 200: listOf(Activity), ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      const { limit: asked, starting_after, ...filters } = request.query;
      const limit = pageLimit(asked);
      const rows = await db.tenantQuery(
        actor.tenantId,
        activityPageQuery(db.kysely, actor, filters, { limit: limit + 1, startingAfter: starting_after }),
      );
      return toPage(rows, limit, serializeActivity);
    },
  );
}
