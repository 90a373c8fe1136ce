import { Type } from "typebox";
import type { AppDeps, RouteApp } from "../../app-types.js";
import { systemActor } from "../../platform/auth/actor.js";
import { assertMemberAccess } from "../../platform/auth/scope.js";
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
import { findVisibleMember, visibleMemberOf, visibleMemberQueries } from "../members/index.js";
import {
  CHECKOUT_DESCRIPTION,
  hearProviderNotice,
  PaymentSceneField,
  type ProviderTransports,
  paymentOrigin,
  ReturnUrlField,
  SANDBOX_NOTICES,
  tenantProviders,
} from "../wallets/index.js";
import { pinSecretOf } from "./card-number.js";
import {
  Activity,
  AgreementVersions,
  BuyerInput,
  CardNumber,
  GiftCard,
  Pin,
  PositiveAmount,
  RecipientInput,
  serializeActivity,
  serializeCard,
} from "./cards.schemas.js";
import { claimCard } from "./claim-card.js";
import { GiftcardsError } from "./giftcards.errors.js";
import { CARD_STATUSES } from "./giftcards.repository.js";
import { type CardListRow, cardPageQuery, readCard } from "./list-cards.js";
import { authenticateCard, LOOKUP_REFUSALS } from "./lookup-card.js";
import { confirmOnlineSale, prepareOnlineSale } from "./online-sale.js";
import { type PurchaseInput, purchaseCard } from "./purchase-card.js";
import { activityOf, requireIdempotencyKey, withBalance } from "./route-helpers.js";
import type { SaleRequest } from "./sale-rules.js";

const tags = ["gift cards"];
const MemberParams = Obj({ member_id: IdParam });

/**
 * What may refuse a member's purchase: the member, the Idempotency-Key, the sale's checks
 * (sale-rules.ts), the balance payment (wallets) or the online provider, and a plan whose
 * price changed while the provider was asked.
 */
const PURCHASE_REFUSALS = [
  "member_not_found",
  "member_closed",
  "member_frozen",
  "idempotency_key_required",
  "gift_card_plan_not_found",
  "gift_card_plan_inactive",
  "gift_card_channel_not_allowed",
  "buyer_info_required",
  "buyer_info_not_collected",
  "gift_card_amount_not_allowed",
  "agreement_version_changed",
  "balance_payment_disabled",
  "currency_mismatch",
  "amount_above_cap",
  "insufficient_balance",
  "payment_provider_unknown",
  "house_currency_not_purchasable",
  "currency_not_supported_by_provider",
  "payment_provider_error",
  "gift_card_plan_changed",
];

export const Purchase = Type.Object(
  {
    object: Type.Literal("gift_card_purchase"),
    card: GiftCard,
    activity: Type.Union([Activity, Type.Null()], {
      description: "ACTIVATE; null until an online payment succeeds",
    }),
    pin: Type.Union([Type.String(), Type.Null()], { description: "The card's PIN, shown this once" }),
    gift_code: Type.Union([Type.String(), Type.Null()], {
      description:
        "For a gift: `<number>-<PIN>`, what the buyer passes on; the recipient claims the card with it (POST /v1/members/{member_id}/gift-cards/claim)",
    }),
    payment: Type.Union([
      Type.Object({
        id: Type.String(),
        status: StringEnum(["pending", "succeeded", "failed", "expired"] as const),
        amount: Type.Integer(),
        expires_at: Timestamp,
        checkout: Type.Record(Type.String(), Type.Unknown(), { description: CHECKOUT_DESCRIPTION }),
      }),
      Type.Null(),
    ]),
  },
  { $id: "GiftCardPurchase" },
);

/** A member's own cards, buying one online (for oneself or as a gift), claiming a gift, payment confirmations. */
export async function memberCardRoutes(
  app: RouteApp,
  deps: AppDeps & { paymentTransports?: ProviderTransports },
): Promise<void> {
  const { db, clock } = deps;
  const pinSecret = pinSecretOf(deps.config.signingSecret);
  // The test provider or the tenant's own Alipay / WeChat Pay / Stripe (tests may give
  // `paymentTransports`, network stand-ins, in the deps).
  const providers = tenantProviders(deps.config.signingSecret, deps.paymentTransports);

  app.get(
    "/v1/members/:member_id/gift-cards",
    {
      config: { permission: "giftcards.read", member: true, errors: ["member_not_found"] },
      schema: {
        tags,
        operationId: "listMemberGiftCards",
        summary: "A member's gift cards (held, or bought for someone else) with balances",
        description:
          "Staff who can see the member, or the member's own token. Activities: GET /v1/gift-cards/{id}/activities.",
        params: MemberParams,
        querystring: Obj({ ...ListQuery, status: Type.Optional(StringEnum(CARD_STATUSES)) }),
        response: { 200: listOf(GiftCard), ...errorResponses() },
      },
    },
    async (request) => {
      const { actor } = request;
      const memberId = request.params.member_id;
      assertMemberAccess(actor, memberId);
      const limit = pageLimit(request.query.limit);
      const [members, unitPaths, cards] = await db.tenantQueries(actor.tenantId, [
        ...visibleMemberQueries(db.kysely, actor.tenantId, memberId),
        // Access is checked on the member: all of its cards, wherever they were sold.
        cardPageQuery(
          db.kysely,
          systemActor(actor.tenantId, "giftcards.member_cards"),
          { member_id: memberId, status: request.query.status },
          { limit: limit + 1, startingAfter: request.query.starting_after },
        ),
      ] as const);
      visibleMemberOf(actor, memberId, members, unitPaths);
      return toPage(cards as CardListRow[], limit, serializeCard);
    },
  );

  valueRoute(app, deps, {
    method: "POST",
    url: "/v1/members/:member_id/gift-card-purchases",
    config: { permission: "giftcards.sell", member: true, idempotent: true, errors: PURCHASE_REFUSALS },
    schema: {
      tags,
      operationId: "purchaseGiftCard",
      summary: "Buy a card online, for oneself or as a gift: by balance at once, or by online payment",
      description:
        "Needs an Idempotency-Key. Channel ONLINE. By balance the card is active at once; online, the card is pending until the provider's signed confirmation activates it (unpaid after 30 minutes it is cancelled). The PIN is shown only in this response. A gift has no holder until the recipient claims it with gift_code.",
      params: MemberParams,
      body: Obj(
        {
          plan_id: IdParam,
          amount: PositiveAmount,
          payment_method: StringEnum(["balance", "online"] as const),
          gift: Type.Optional(Type.Boolean({ description: "Bought for someone else" })),
          recipient: Type.Optional(RecipientInput),
          buyer: Type.Optional(BuyerInput),
          agreement_versions: Type.Optional(AgreementVersions),
          payment_scene: Type.Optional(PaymentSceneField),
          return_url: Type.Optional(ReturnUrlField),
        },
        {
          examples: [
            {
              plan_id: "gcp_01jd3m2x4y5z6a7b8c9d0e1f2g",
              amount: 20000,
              payment_method: "online",
              gift: true,
              recipient: { name: "Mum", message: "Happy Mid-Autumn Festival" },
            },
          ],
        },
      ),
      response: { 201: Purchase, ...errorResponses(409, 422) },
    },
    status: 201,
    guard: (request, ctx) => {
      assertMemberAccess(ctx.actor, request.params.member_id);
      requireIdempotencyKey(request);
    },
    // An online sale asks the provider before the unit of work: no lock is held while it answers.
    input: async (request, ctx, now): Promise<PurchaseInput> => {
      const { params, body } = request;
      const memberId = params.member_id;
      await db.tenantTx(ctx.actor.tenantId, (trx) => findVisibleMember(trx, ctx.actor, memberId));
      const gift = body.gift ?? false;
      const sale: SaleRequest = {
        planId: body.plan_id,
        amount: body.amount,
        channel: "ONLINE",
        storeId: null,
        buyer: body.buyer ?? {},
        buyerMemberId: memberId,
        holderMemberId: gift ? null : memberId,
        recipient: gift ? (body.recipient ?? {}) : null,
        agreementVersions: body.agreement_versions,
      };
      if (body.payment_method === "online") {
        return {
          method: "online",
          prepared: await prepareOnlineSale(db, ctx, providers, sale, now, paymentOrigin(request, body)),
          pinSecret,
        };
      }
      return { method: "balance", memberId, sale, pinSecret };
    },
    op: purchaseCard,
    respond: (bought, _uow, input) => {
      const gift = (input.method === "online" ? input.prepared.req : input.sale).holderMemberId === null;
      const { card, pin, activity, payment } = bought;
      return {
        object: "gift_card_purchase" as const,
        card: serializeCard(withBalance(card, input.method === "online" ? 0 : card.face_amount!)),
        pin,
        gift_code: gift && pin ? `${card.number}-${pin}` : null,
        activity: activity ? serializeActivity(activityOf(card, activity)) : null,
        payment: payment
          ? {
              id: payment.id,
              status: payment.status,
              amount: payment.amount,
              expires_at: payment.expires_at.toISOString(),
              checkout: payment.checkout,
            }
          : null,
      };
    },
  });

  app.post(
    "/v1/members/:member_id/gift-cards/claim",
    {
      config: {
        permission: "giftcards.sell",
        member: true,
        errors: ["member_not_found", ...LOOKUP_REFUSALS, "gift_card_already_claimed", "gift_card_not_active"],
      },
      schema: {
        tags,
        operationId: "claimGiftCard",
        summary: "Claim a card received as a gift, with its number and PIN: the member becomes its holder",
        description:
          "The number and PIN are checked as by POST /v1/gift-cards/lookup, under the same rate limit. Claiming one's own card again changes nothing.",
        params: MemberParams,
        body: Obj({ number: CardNumber, pin: Pin }),
        response: { 200: GiftCard, ...errorResponses(409) },
      },
    },
    async (request) => {
      const { actor } = request;
      const memberId = request.params.member_id;
      assertMemberAccess(actor, memberId);
      const now = clock.now();
      const card = await authenticateCard(db, actor, request.body, pinSecret, now);
      const row = await db.tenantTx(actor.tenantId, async (trx) => {
        await findVisibleMember(trx, actor, memberId);
        await claimCard(trx, { actor, requestId: request.id }, { cardId: card.id, memberId }, now);
        return readCard(trx, actor.tenantId, card.id);
      });
      if (!row) throw new GiftcardsError("gift_card_not_found", "Gift card not found");
      return serializeCard(row);
    },
  );

  // The provider's confirmation of an online sale: signature checked over the exact raw body
  // (JSON, or Alipay's form), with the tenant's own keys for a real provider.
  await app.register(async (webhooks) => {
    webhooks.removeAllContentTypeParsers();
    webhooks.addContentTypeParser("*", { parseAs: "string" }, (_request, body, done) => done(null, body));
    webhooks.post(
      "/v1/gift-card-payment-webhooks/:provider/:tenant_id",
      {
        config: { public: true, errors: ["sandbox_archived"] },
        bodyLimit: 64 * 1024,
        schema: {
          tags,
          operationId: "confirmGiftCardPayment",
          summary:
            "Payment provider confirmation (signed) of an online gift card sale: activates the card once, takes back what the provider refunds",
          description: `Signed as the provider signs (the test provider: header x-test-signature). A second confirmation answers 409 gift_card_payment_closed and changes nothing (real providers — the tenant's own alipay, wechatpay or stripe, verified with its keys — resend until answered, so theirs is acknowledged instead: 200 already_settled, Alipay: the text success); a failed payment cancels the card. A success after a failure or after the 30 minutes activates the card then, or, when it can no longer be (past its expiry, plan no longer on sale, buyer's account closed), keeps it refund_due for a refund. A refund notification (test provider: kind refund, refund_amount, refund_id, refund_cumulative) never activates a card: on a refund_due card it records the refund as finance would (refund_recorded: refunded, refund_record from the provider's event, event gift_card.payment_refunded) once all that was collected is back, and keeps a part refund (refund_recorded, audited gift_card.provider_refund, the card still refund_due); on a card it activated it takes the refunded share of the card's value off the card (face amount × refunded / paid), at most what the card still holds, as an ADJUST_DECREMENT activity (event gift_card.adjusted_down), what the holder already spent kept as the card's refund_shortfall (refund_recorded, audited gift_card.provider_refund); once all of it is back and the card holds nothing more, the card is refunded and closed (event gift_card.payment_refunded); heard again (the same refund id, or a cumulative total no higher), or on a refunded card, it changes nothing (refund_ignored); on a card whose payment is not paid (pending, failed, expired) it answers 409 gift_card_payment_closed. A refund of a payment that is no gift card sale here is acknowledged and changes nothing (refund_ignored, card_id null). A success or failure of a payment that is no gift card sale here (another sale's at the same provider account: Stripe sends every event to every endpoint), or a signed event of a kind no sale acts on (e.g. Stripe customer.created), is acknowledged for a real provider and changes nothing (payment_ignored, card_id null); the test provider answers it 404 gift_card_payment_not_found. The signature is checked first: a tampered one answers 401. ${SANDBOX_NOTICES}`,
          params: Obj({ provider: IdParam, tenant_id: IdParam }),
          response: {
            200: Type.Object({
              object: Type.Literal("webhook_receipt"),
              card_id: Type.Union([Type.String(), Type.Null()], {
                description:
                  "null for a notice of a payment that is no gift card sale here (refund_ignored, payment_ignored)",
              }),
              result: StringEnum([
                "activated",
                "failed",
                "expired",
                "refund_due",
                "refund_recorded",
                "refund_ignored",
                "payment_ignored",
                "already_settled",
              ] as const),
            }),
            ...errorResponses(401, 409, 422),
          },
        },
      },
      async (request, reply) =>
        hearProviderNotice(deps, request, reply, {
          providers,
          table: "gift_card_payments",
          notFound: () =>
            new GiftcardsError("gift_card_payment_not_found", "No gift card payment for this notification"),
          settle: (uow, provider, outcome, now, again) =>
            confirmOnlineSale(uow, provider.name, outcome, now, again),
          receipt: ["card_id", ({ card }) => card?.id ?? null],
        }),
    );
  });
}
