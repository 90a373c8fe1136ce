import { Type } from "typebox";
import { StringEnum, Timestamp } from "../../platform/http/schemas.js";
import { BENEFIT_KINDS, CHANNELS } from "../benefits/index.js";
import type { BenefitSource } from "./benefit-source.js";
import type { GiftCardTender } from "./gift-card-tender.js";
import type { Quote } from "./quote-engine.js";

const Int = Type.Integer();
const Adjustment = Type.Object({
  source: StringEnum(["benefit", "order_reduction", "voucher"] as const),
  id: Type.String(),
  amount: Int,
});

/** Why the member has a benefit: its audience, or an entitlement from something they bought. */
const Source = Type.Union(
  [
    Type.Object({ kind: Type.Literal("audience") }),
    Type.Object({
      kind: Type.Literal("entitlement"),
      source_type: Type.String({ description: "e.g. package_period" }),
      source_id: Type.String(),
      source_name: Type.String({ description: "e.g. the package's name" }),
      valid_until: Timestamp,
    }),
  ],
  {
    examples: [
      {
        kind: "entitlement",
        source_type: "package_period",
        source_id: "pkgp_01jd3m2x4y5z6a7b8c9d0e1f2g",
        source_name: "Premium Member Benefit Package",
        valid_until: "2027-02-21T16:00:00.000Z",
      },
    ],
  },
);

function serializeSource(source: BenefitSource) {
  return source.kind === "audience"
    ? { kind: "audience" as const }
    : {
        kind: "entitlement" as const,
        source_type: source.sourceType,
        source_id: source.sourceId,
        source_name: source.sourceName,
        valid_until: source.validUntil.toISOString(),
      };
}

/** The breakdown a till shows and an order keeps (minor units of `currency`). */
export const QuoteSchema = Type.Object(
  {
    object: Type.Literal("checkout_quote"),
    currency: Type.String(),
    at: Timestamp,
    channel: StringEnum(CHANNELS),
    member_id: Type.Union([Type.String(), Type.Null()]),
    lines: Type.Array(
      Type.Object({
        index: Int,
        sku: Type.String(),
        category: Type.String(),
        quantity: Int,
        unit_price: Int,
        original_amount: Int,
        member_amount: Type.Integer({
          description: "After member benefits and order reductions, before vouchers",
        }),
        final_amount: Int,
        adjustments: Type.Array(Adjustment),
      }),
    ),
    original_subtotal: Int,
    member_discount_total: Int,
    order_reduction_total: Int,
    voucher_total: Int,
    shipping: Type.Object({ original: Int, final: Int }),
    no_benefit_total: Int,
    total: Int,
    benefits_applied: Type.Array(
      Type.Object({
        benefit_id: Type.String(),
        kind: StringEnum(BENEFIT_KINDS),
        name: Type.String(),
        discount_amount: Int,
        free_shipping: Type.Boolean(),
        points_multiplier: Type.Union([Type.String(), Type.Null()]),
        extra_points_percent: Int,
        source: Source,
      }),
    ),
    benefits_not_applied: Type.Array(
      Type.Object({
        benefit_id: Type.String(),
        kind: StringEnum(BENEFIT_KINDS),
        name: Type.String(),
        reason: Type.String({
          description: "audience, channel, time_window, excluded_item, restriction_balance_below_amount, …",
        }),
        source: Type.Union([Source, Type.Null()]),
      }),
    ),
    vouchers_applied: Type.Array(Type.Object({ voucher_id: Type.String(), amount: Int })),
    vouchers_not_applied: Type.Array(Type.Object({ voucher_id: Type.String(), reason: Type.String() })),
    gift_cards_applied: Type.Optional(
      Type.Array(Type.Object({ card_id: Type.String(), amount: Int }), {
        description: "Gift cards paying after vouchers, before balance",
      }),
    ),
    gift_cards_not_applied: Type.Optional(
      Type.Array(Type.Object({ card_id: Type.String(), reason: Type.String() }), {
        description:
          "not_found, frozen, expired, not_active, currency, store_not_allowed, empty, balance_insufficient, exceeds_amount_due, nothing_due",
      }),
    ),
    points: Type.Object({ eligible_amount: Int, multiplier: Type.String(), extra_percent: Int, earned: Int }),
    balance: Type.Object({
      available: Int,
      pay_with_balance: Type.Boolean(),
      amount: Int,
      remaining_payable: Int,
    }),
    roundings: Type.Array(Type.String()),
  },
  { $id: "CheckoutQuote" },
);

export function serializeQuote(q: Quote & { giftCards?: GiftCardTender }) {
  return {
    object: "checkout_quote" as const,
    currency: q.currency,
    at: q.at.toISOString(),
    channel: q.channel,
    member_id: q.memberId,
    lines: q.lines.map((l) => ({
      index: l.index,
      sku: l.sku,
      category: l.category,
      quantity: l.quantity,
      unit_price: l.unitPrice,
      original_amount: l.originalAmount,
      member_amount: l.memberAmount,
      final_amount: l.finalAmount,
      adjustments: l.adjustments,
    })),
    original_subtotal: q.originalSubtotal,
    member_discount_total: q.memberDiscountTotal,
    order_reduction_total: q.orderReductionTotal,
    voucher_total: q.voucherTotal,
    shipping: q.shipping,
    no_benefit_total: q.noBenefitTotal,
    total: q.total,
    benefits_applied: q.benefitsApplied.map((b) => ({
      benefit_id: b.benefitId,
      kind: b.kind,
      name: b.name,
      discount_amount: b.discountAmount,
      free_shipping: b.freeShipping,
      points_multiplier: b.pointsMultiplier,
      extra_points_percent: b.extraPointsPercent,
      source: serializeSource(b.source),
    })),
    benefits_not_applied: q.benefitsNotApplied.map((b) => ({
      benefit_id: b.benefitId,
      kind: b.kind,
      name: b.name,
      reason: b.reason,
      source: b.source ? serializeSource(b.source) : null,
    })),
    vouchers_applied: q.vouchersApplied.map((v) => ({ voucher_id: v.voucherId, amount: v.amount })),
    vouchers_not_applied: q.vouchersNotApplied.map((v) => ({ voucher_id: v.voucherId, reason: v.reason })),
    gift_cards_applied: (q.giftCards?.applied ?? []).map((c) => ({ card_id: c.cardId, amount: c.amount })),
    gift_cards_not_applied: (q.giftCards?.notApplied ?? []).map((c) => ({
      card_id: c.cardId,
      reason: c.reason,
    })),
    points: {
      eligible_amount: q.points.eligibleAmount,
      multiplier: q.points.multiplier,
      extra_percent: q.points.extraPercent,
      earned: q.points.earned,
    },
    balance: {
      available: q.balance.available,
      pay_with_balance: q.balance.payWithBalance,
      amount: q.balance.amount,
      remaining_payable: q.balance.remainingPayable,
    },
    roundings: [...q.roundings],
  };
}

export type QuoteView = ReturnType<typeof serializeQuote>;
