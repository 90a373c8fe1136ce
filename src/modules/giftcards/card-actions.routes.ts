import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import { RecordRefundBody } from "../../platform/http/record-refund.js";
import { errorResponses, IdParam, Obj, StringEnum } from "../../platform/http/schemas.js";
import { valueRoute } from "../../platform/http/value-route.js";
import { adjustCard } from "./adjust-card.js";
import { assertCardManaged, assertCardVisible, resolveStore } from "./card-access.js";
import {
  Activity,
  GiftCard,
  PaymentInput,
  PositiveAmount,
  Reason,
  ReferenceInput,
  serializeActivity,
  serializeCard,
} from "./cards.schemas.js";
import { freezeCard } from "./freeze-card.js";
import { GiftcardsError } from "./giftcards.errors.js";
import { findActivity, findCard, PAYMENT_METHODS, SALE_CHANNELS } from "./giftcards.repository.js";
import type { ActivityListRow } from "./list-cards.js";
import { loadCard } from "./load-card.js";
import { recordSaleRefund } from "./record-sale-refund.js";
import { redeemCard } from "./redeem-card.js";
import { refundCard } from "./refund-card.js";
import { assertRefundableAlone, CHECKOUT_MODULE, refundRedemption } from "./refund-redemption.js";
import { activityOf, paymentOf, requireIdempotencyKey, visibleCard, withBalance } from "./route-helpers.js";

const tags = ["gift cards"];
const Params = Obj({ id: IdParam });
const example = (body: object) => ({ examples: [body] });

export const CardRefundResult = Type.Object(
  {
    object: Type.Literal("gift_card_refund"),
    card: GiftCard,
    activity: Activity,
    cash_amount: Type.Integer({ description: "Paid back to the buyer" }),
    discount_reclaimed: Type.Integer({
      description: "The purchase discount's share, back to marketing expense",
    }),
    parts: Type.Array(
      Type.Object({
        method: StringEnum(PAYMENT_METHODS),
        ref: Type.Union([Type.String(), Type.Null()]),
        amount: Type.Integer(),
      }),
      { description: "Where the cash goes back: each payment that loaded the card, newest first" },
    ),
  },
  { $id: "GiftCardRefund" },
);

/** Every change of a card after its sale: load, redeem, refund a redemption, freeze, restore, refund, adjust. */
export function cardActionRoutes(app: RouteApp, deps: AppDeps): void {
  /** What the card actions that answer with their activity share. */
  const activityAction = {
    method: "POST" as const,
    status: 201 as const,
    guard: requireIdempotencyKey,
    respond: (activity: ActivityListRow) => serializeActivity(activity),
  };

  valueRoute(app, deps, {
    ...activityAction,
    url: "/v1/gift-cards/:id/load",
    config: { permission: "giftcards.sell", idempotent: true },
    schema: {
      tags,
      operationId: "loadGiftCard",
      summary: "Load (recharge) a card at the POS, when its plan allows POS recharge",
      params: Params,
      body: Obj(
        { amount: PositiveAmount, store_id: Type.Optional(IdParam), payment: PaymentInput },
        example({ amount: 10000, payment: { method: "offline", ref: "receipt-0043" } }),
      ),
      response: { 201: Activity, ...errorResponses(409, 422) },
    },
    input: ({ params, body }) => ({ id: params.id, body }),
    op: async (uow, ctx, { id, body }, now) => {
      const card = await visibleCard(uow, ctx.actor, id);
      const storeId = await resolveStore(uow.trx, ctx.actor, body.store_id);
      const payment = paymentOf(body.payment);
      return activityOf(
        card,
        await loadCard(uow, ctx, { cardId: card.id, amount: body.amount, storeId, payment }, now),
      );
    },
  });

  valueRoute(app, deps, {
    ...activityAction,
    url: "/v1/gift-cards/:id/redeem",
    config: { permission: "giftcards.sell", idempotent: true },
    schema: {
      tags,
      operationId: "redeemGiftCard",
      summary: "Redeem (spend) part or all of a card at a store in its redemption scope",
      description:
        "Refused when the card is frozen (gift_card_frozen), expired (gift_card_expired), outside its redemption stores (gift_card_store_not_allowed) or the amount exceeds the balance (gift_card_balance_insufficient). Concurrent redemptions of one card never spend more than it holds. With reference, one redemption per card and reference (a retry replays it).",
      params: Params,
      body: Obj(
        {
          amount: PositiveAmount,
          store_id: Type.Optional(IdParam),
          channel: Type.Optional(StringEnum(SALE_CHANNELS, { description: "Default POS" })),
          reference: Type.Optional(ReferenceInput),
        },
        example({ amount: 5000, reference: { module: "pos", id: "till-7-0042" } }),
      ),
      response: { 201: Activity, ...errorResponses(409, 422) },
    },
    input: ({ params, body }) => ({ id: params.id, body }),
    op: async (uow, ctx, { id, body }, now) => {
      const card = await visibleCard(uow, ctx.actor, id);
      // The checkout's own redemptions are refunded only with their order; a till's may not pose as one.
      if (body.reference?.module === CHECKOUT_MODULE) {
        throw new GiftcardsError("validation_failed", "The reference module checkout is the checkout's own", {
          errors: [{ field: "/body/reference/module", message: "checkout is reserved for checkout orders" }],
        });
      }
      const { activity } = await redeemCard(
        uow,
        ctx,
        {
          cardId: card.id,
          amount: body.amount,
          storeId: await resolveStore(uow.trx, ctx.actor, body.store_id),
          channel: body.channel ?? "POS",
          reference: body.reference ?? null,
        },
        now,
      );
      return activityOf(card, activity);
    },
  });

  valueRoute(app, deps, {
    ...activityAction,
    url: "/v1/gift-card-activities/:id/refund",
    config: { permission: "giftcards.sell", idempotent: true, errors: ["redemption_refunded_by_order"] },
    schema: {
      tags,
      operationId: "refundGiftCardRedemption",
      summary: "Refund (part of) a redemption: the value goes back to the card",
      description:
        "All refunds of a redemption together never exceed it (gift_card_refund_exceeds_redemption). A card expired since gets nothing back (the value goes to breakage); a refunded card's share is paid to the buyer. A redemption that paid a checkout order is refunded only with the order (409 redemption_refunded_by_order names the order's refund).",
      params: Params,
      body: Obj(
        { amount: PositiveAmount, reference: Type.Optional(ReferenceInput) },
        example({ amount: 2000, reference: { module: "pos", id: "return-0007" } }),
      ),
      response: { 201: Activity, ...errorResponses(409, 422) },
    },
    input: ({ params, body }) => ({ id: params.id, body }),
    op: async (uow, ctx, { id, body }, now) => {
      const redemption = await findActivity(uow.trx, uow.tenantId, id);
      const card = await findCard(uow.trx, uow.tenantId, redemption.card_id);
      await assertCardVisible(uow.trx, ctx.actor, card);
      await assertCardManaged(uow.trx, ctx.actor, card, "refund this redemption", redemption.store_id);
      assertRefundableAlone(redemption);
      const { activity } = await refundRedemption(
        uow,
        ctx,
        { redemptionId: redemption.id, amount: body.amount, reference: body.reference ?? null },
        now,
      );
      return activityOf(card, activity);
    },
  });

  const locate = "Locate the card by number or buyer phone with GET /v1/gift-cards.";
  for (const [verb, freeze, operationId, summary, description] of [
    [
      "freeze",
      true,
      "freezeGiftCard",
      "Freeze a card (fraud risk, customer report): its balance cannot be used",
      locate,
    ],
    [
      "restore",
      false,
      "restoreGiftCard",
      "Restore a frozen card",
      `${locate} A card whose expiry passed while it was frozen comes back expired: its rest goes to breakage and the answer is that EXPIRE activity.`,
    ],
  ] as const) {
    valueRoute(app, deps, {
      ...activityAction,
      url: `/v1/gift-cards/:id/${verb}`,
      config: { permission: "giftcards.freeze", idempotent: true },
      schema: {
        tags,
        operationId,
        summary,
        description,
        params: Params,
        body: Obj({ reason: Reason }, example({ reason: "customer reported the card stolen" })),
        response: { 201: Activity, ...errorResponses(409, 422) },
      },
      input: ({ params, body }) => ({ id: params.id, body }),
      op: async (uow, ctx, { id, body }, now) => {
        const card = await visibleCard(uow, ctx.actor, id);
        // Any till that sees a card may stop it (a reported theft); lifting that is the seller's.
        if (!freeze) await assertCardManaged(uow.trx, ctx.actor, card, "restore it");
        const { card: after, activity } = await freezeCard(
          uow,
          ctx,
          { cardId: card.id, freeze, reason: body.reason },
          now,
        );
        return activityOf(after, activity);
      },
    });
  }

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/gift-cards/:id/refund",
    config: { permission: "giftcards.refund", idempotent: true },
    schema: {
      tags,
      operationId: "refundGiftCard",
      summary: "Refund a card (unused or partly used) and close it; never a fully redeemed card",
      description:
        "The remaining balance splits in the proportion the card was loaded with paid value and purchase discount: the buyer gets back the paid share (rounded down), the discount share returns to marketing expense. E.g. a 200 card sold for 180 with 150 left refunds 135.",
      params: Params,
      body: Type.Optional(
        Obj(
          { reason: Type.Optional(Reason), store_id: Type.Optional(IdParam) },
          example({ reason: "customer returned the card unused" }),
        ),
      ),
      response: { 200: CardRefundResult, ...errorResponses(409, 422) },
    },
    status: 200,
    guard: requireIdempotencyKey,
    input: ({ params, body }) => ({ id: params.id, body }),
    op: async (uow, ctx, { id, body }, now) => {
      const card = await visibleCard(uow, ctx.actor, id);
      await assertCardManaged(uow.trx, ctx.actor, card, "refund it");
      const storeId = await resolveStore(uow.trx, ctx.actor, body?.store_id);
      return refundCard(uow, ctx, { cardId: card.id, reason: body?.reason ?? null, storeId }, now);
    },
    respond: (result) => ({
      object: "gift_card_refund" as const,
      card: serializeCard(withBalance(result.card, 0)),
      activity: serializeActivity(activityOf(result.card, result.activity)),
      cash_amount: result.cash,
      discount_reclaimed: result.discountReclaimed,
      parts: result.parts,
    }),
  });

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/gift-cards/:id/record-refund",
    config: { permission: "giftcards.finance", idempotent: true, errors: ["not_refund_due"] },
    schema: {
      tags,
      operationId: "recordGiftCardRefund",
      summary: "Record the refund, made at the provider, of a refund_due card's online payment (finance)",
      description:
        "The card's online payment was collected but the card could not be activated (refund_due); finance refunds it at the provider and records it here: the card becomes refunded with the provider's refund id (reference), a note, who and when (refund_record). The card was never loaded: nothing moves in the ledger and no activity is written. The provider's refund notification of the whole payment, heard first, has recorded it already (recorded_by the provider, with provider_event). Any other status, a second call included, answers 409 not_refund_due and writes nothing.",
      params: Params,
      body: RecordRefundBody,
      response: { 200: GiftCard, ...errorResponses(409) },
    },
    status: 200,
    guard: requireIdempotencyKey,
    input: ({ params, body }) => ({ id: params.id, body }),
    op: async (uow, ctx, { id, body }, now) => {
      const card = await visibleCard(uow, ctx.actor, id);
      await assertCardManaged(uow.trx, ctx.actor, card, "record its refund");
      return recordSaleRefund(uow, ctx, { cardId: card.id, body }, now);
    },
    // Never loaded (balance 0); the provider's part refunds heard before finance recorded it still show.
    respond: async (card, uow) =>
      serializeCard({
        ...withBalance(card, 0),
        provider_refunds: (
          await uow.trx
            .selectFrom("gift_card_payments")
            .select("provider_refunds")
            .where("tenant_id", "=", uow.tenantId)
            .where("card_id", "=", card.id)
            .executeTakeFirst()
        )?.provider_refunds,
      }),
  });

  valueRoute(app, deps, {
    ...activityAction,
    url: "/v1/gift-cards/:id/adjust",
    config: { permission: "giftcards.adjust", idempotent: true },
    schema: {
      tags,
      operationId: "adjustGiftCard",
      summary: "Adjust a card's balance up or down with a reason (finance only)",
      params: Params,
      body: Obj(
        {
          direction: StringEnum(["increment", "decrement"] as const),
          amount: PositiveAmount,
          reason: Reason,
        },
        example({ direction: "increment", amount: 500, reason: "till error on 23 Nov corrected" }),
      ),
      response: { 201: Activity, ...errorResponses(409, 422) },
    },
    input: ({ params, body }) => ({ id: params.id, body }),
    op: async (uow, ctx, { id, body }, now) => {
      const card = await visibleCard(uow, ctx.actor, id);
      await assertCardManaged(uow.trx, ctx.actor, card, "adjust it");
      return activityOf(card, await adjustCard(uow, ctx, { cardId: card.id, ...body }, now));
    },
  });
}
