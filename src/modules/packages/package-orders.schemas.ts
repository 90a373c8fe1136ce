import { Type } from "typebox";
import {
  ProviderRefundFields,
  providerRefundTotals,
  RefundRecordOrNull,
} from "../../platform/http/record-refund.js";
import {
  IdParam,
  KeyedRecord,
  ListQuery,
  Nullable,
  Obj,
  StringEnum,
  Timestamp,
} from "../../platform/http/schemas.js";
import { CHANNELS } from "../benefits/index.js";
import { AGREEMENT_TYPES, type GiftGrantRow } from "../catalog/index.js";
import { CHECKOUT_DESCRIPTION, PaymentSceneField, ReturnUrlField } from "../wallets/index.js";
import type { Offer } from "./list-package-offers.js";
import { PERK_TYPES } from "./package-config.js";
import {
  ORDER_STATUSES,
  type OrderRow,
  PAYMENT_METHODS,
  type PeriodRow,
  PROVIDER_REFUND_REVIEWS,
  REFUND_KINDS,
} from "./packages.repository.js";
import { Int, Money } from "./packages.schemas.js";
import { PRICE_KINDS, SITUATIONS } from "./pricing.js";

/** Orders, periods and offers: response schemas, serializers and request bodies (snake_case JSON). */

const PeriodStatus = StringEnum(["active", "scheduled", "expired", "refunded"] as const);

export function periodStatus(p: Pick<PeriodRow, "state" | "starts_at" | "ends_at">, now: Date) {
  if (p.state === "refunded") return "refunded" as const;
  if (p.state === "expired" || p.ends_at.getTime() <= now.getTime()) return "expired" as const;
  return p.starts_at.getTime() > now.getTime() ? ("scheduled" as const) : ("active" as const);
}

export const PackagePeriod = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("package_period"),
    package_id: Type.String(),
    package_name: Type.String(),
    order_id: Type.String(),
    member_id: Type.String(),
    status: PeriodStatus,
    starts_at: Timestamp,
    ends_at: Timestamp,
    ended_at: Type.Union([Timestamp, Type.Null()]),
    rule_key: Type.String(),
    duration_days: Int,
    perks: Type.Array(
      Type.Object({
        type: StringEnum(PERK_TYPES),
        key: Type.String(),
        name: Type.Union([Type.String(), Type.Null()]),
        benefit_id: Type.Union([Type.String(), Type.Null()]),
        benefit_name: Type.Union([Type.String(), Type.Null()]),
      }),
      {
        description:
          "What this period came with, as it was sold (later edits of the package do not change it)",
      },
    ),
  },
  { $id: "PackagePeriod" },
);

export function serializePeriod(p: PeriodRow, now: Date) {
  return {
    id: p.id,
    object: "package_period" as const,
    package_id: p.package_id,
    package_name: p.snapshot.package.name,
    order_id: p.order_id,
    member_id: p.member_id,
    status: periodStatus(p, now),
    starts_at: p.starts_at.toISOString(),
    ends_at: p.ends_at.toISOString(),
    ended_at: p.ended_at ? p.ended_at.toISOString() : null,
    rule_key: p.snapshot.rule.key,
    duration_days: p.snapshot.rule.duration_days,
    perks: p.snapshot.perks.map((perk) => ({
      type: perk.type,
      key: perk.key,
      name: perk.name ?? null,
      benefit_id: "benefit_id" in perk ? perk.benefit_id : null,
      benefit_name: perk.benefit_name ?? null,
    })),
  };
}

/** What a balance purchase answers (also the OpenAPI example). */
const ORDER_EXAMPLE = {
  id: "pko_01jd3m2x4y5z6a7b8c9d0e1f2g",
  object: "package_order",
  package_id: "pkg_01jd3m2x4y5z6a7b8c9d0e1f2g",
  member_id: "mbr_01jd3m2x4y5z6a7b8c9d0e1f2g",
  rule_key: "quarterly",
  duration_days: 90,
  situation: "first_purchase",
  price: { amount: 15900, asset: "CNY" },
  price_kind: "first_purchase",
  channel: "POS",
  store_id: null,
  status: "paid",
  payment: {
    method: "balance",
    wallet_payment_id: "wpay_01jd3m2x4y5z6a7b8c9d0e1f2g",
    provider: null,
    checkout: null,
    expires_at: null,
  },
  agreements: [{ agreement_id: "agr_01jd3m2x4y5z6a7b8c9d0e1f2g", type: "purchase_agreement", version: 2 }],
  period: {
    id: "pkgp_01jd3m2x4y5z6a7b8c9d0e1f2g",
    starts_at: "2026-11-23T08:00:00.000Z",
    ends_at: "2027-02-21T08:00:00.000Z",
    status: "active",
  },
  gifts: [{ perk_key: "welcome", status: "granted", voucher_ids: ["vch_01jd3m2x4y5z6a7b8c9d0e1f2g"] }],
  points_awarded: 500,
  refund: null,
  refund_record: null,
  refunded_amount: 0,
  refund_count: 0,
  provider_refund_review: null,
  created_at: "2026-11-23T08:00:00.000Z",
  paid_at: "2026-11-23T08:00:00.000Z",
};

export const PackageOrder = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("package_order"),
    package_id: Type.String(),
    member_id: Type.String(),
    member_name: Type.Optional(Type.String({ description: "The member's name (in lists)" })),
    rule_key: Type.String(),
    duration_days: Int,
    situation: StringEnum(SITUATIONS),
    price: Money,
    price_kind: StringEnum(PRICE_KINDS, { description: "Which price was charged: the lowest that applied" }),
    channel: Type.String(),
    store_id: Nullable(Type.String()),
    status: StringEnum(ORDER_STATUSES),
    payment: Type.Object({
      method: StringEnum(PAYMENT_METHODS),
      wallet_payment_id: Nullable(Type.String()),
      provider: Nullable(Type.String()),
      checkout: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], {
        description: `Online: ${CHECKOUT_DESCRIPTION}`,
      }),
      expires_at: Type.Union([Timestamp, Type.Null()]),
    }),
    agreements: Type.Array(
      Type.Object({ agreement_id: Type.String(), type: StringEnum(AGREEMENT_TYPES), version: Int }),
      { description: "The agreement versions the member accepted" },
    ),
    period: Type.Union([
      Type.Object({ id: Type.String(), starts_at: Timestamp, ends_at: Timestamp, status: PeriodStatus }),
      Type.Null(),
    ]),
    gifts: Type.Array(
      Type.Object({
        perk_key: Type.String(),
        status: StringEnum(["granted", "out_of_stock", "no_gift", "revoked"] as const),
        voucher_ids: Type.Array(Type.String()),
      }),
    ),
    points_awarded: Int,
    refund: Type.Union([
      Type.Object({
        kind: StringEnum(REFUND_KINDS, {
          description:
            "order / offline: a paid order refunded; provider: refunded at the provider, a refund_due order's payment or all of a paid order's whose package was not used yet (see refund_record)",
        }),
        reason: Nullable(Type.String()),
        refunded_at: Timestamp,
      }),
      Type.Null(),
    ]),
    refund_record: RefundRecordOrNull,
    ...ProviderRefundFields,
    provider_refund_review: Type.Union([
      StringEnum(PROVIDER_REFUND_REVIEWS, {
        description:
          "A paid order the provider refunded (in part, or in full) whose package the member keeps, for an operator to decide (an offline refund ends it): part_refund (only part of the payment came back), benefits_used (a gifted voucher has paid for something, a checkout applied one of the package's benefits, or the bonus points were spent), member_closed (the points can no longer be taken back). null otherwise: no such refund, or the full refund ended the package (refunded)",
      }),
      Type.Null(),
    ]),
    created_at: Timestamp,
    paid_at: Type.Union([Timestamp, Type.Null()]),
  },
  { $id: "PackageOrder", examples: [ORDER_EXAMPLE] },
);

export function serializeOrder(
  o: OrderRow,
  period: PeriodRow | undefined,
  grants: GiftGrantRow[],
  now: Date,
) {
  return {
    id: o.id,
    object: "package_order" as const,
    package_id: o.package_id,
    member_id: o.member_id,
    rule_key: o.rule_key,
    duration_days: o.snapshot.rule.duration_days,
    situation: o.situation,
    price: { amount: o.amount, asset: o.currency },
    price_kind: o.price_kind,
    channel: o.channel,
    store_id: o.store_id,
    status: o.status,
    payment: {
      method: o.payment_method,
      wallet_payment_id: o.wallet_payment_id,
      provider: o.provider,
      checkout: o.checkout,
      expires_at: o.payment_expires_at ? o.payment_expires_at.toISOString() : null,
    },
    agreements: o.agreements,
    period: period
      ? {
          id: period.id,
          starts_at: period.starts_at.toISOString(),
          ends_at: period.ends_at.toISOString(),
          status: periodStatus(period, now),
        }
      : null,
    gifts: grants.map((g) => ({
      perk_key: g.source_ref.slice(g.source_ref.lastIndexOf(":") + 1),
      status: g.status,
      voucher_ids: g.voucher_ids,
    })),
    points_awarded: o.points_awarded,
    refund:
      o.refunded_at && o.refund_kind
        ? { kind: o.refund_kind, reason: o.refund_reason, refunded_at: o.refunded_at.toISOString() }
        : null,
    refund_record: o.refund_record,
    ...providerRefundTotals(o.provider_refunds),
    provider_refund_review: o.status === "paid" ? (o.provider_refunds?.review ?? null) : null,
    created_at: o.created_at.toISOString(),
    paid_at: o.paid_at ? o.paid_at.toISOString() : null,
  };
}

export const PackageOffer = Type.Object(
  {
    object: Type.Literal("package_offer"),
    package_id: Type.String(),
    name: Type.String(),
    tags: Type.Array(Type.String()),
    description: Nullable(Type.String()),
    cover_image_id: Nullable(Type.String()),
    channels: Type.Array(Type.String()),
    agreement_ids: Type.Array(Type.String(), {
      description: "What the member accepts by buying (read them first)",
    }),
    situation: StringEnum(SITUATIONS),
    held_until: Type.Union([Timestamp, Type.Null()], {
      description: "The end of the last period the member holds: an early renewal starts there",
    }),
    rules: Type.Array(
      Type.Object({
        key: Type.String(),
        duration_days: Int,
        price: Money,
        price_kind: StringEnum(PRICE_KINDS),
        prices: Type.Array(
          Type.Object({
            kind: StringEnum(PRICE_KINDS),
            amount: Int,
            applies: Type.Boolean(),
            reason: Nullable(Type.String()),
          }),
          { description: "Every price the rule has, whether it applies to this member now, and why not" },
        ),
      }),
    ),
    perks: Type.Array(
      Type.Object({
        type: StringEnum(PERK_TYPES),
        key: Type.String(),
        name: Nullable(Type.String()),
        description: Nullable(Type.String()),
        applicable_rules: Type.Union([Type.Literal("all"), Type.Array(Type.String())]),
      }),
    ),
  },
  { $id: "PackageOffer" },
);

export function serializeOffer(offer: Offer) {
  const { pkg } = offer;
  return {
    object: "package_offer" as const,
    package_id: pkg.id,
    name: pkg.name,
    tags: pkg.tags,
    description: pkg.description,
    cover_image_id: pkg.cover_image_id,
    channels: pkg.channels,
    agreement_ids: [pkg.purchase_agreement_id, pkg.terms_agreement_id, pkg.faq_agreement_id].filter(
      (id): id is string => id !== null,
    ),
    situation: offer.situation,
    held_until: offer.heldUntil ? offer.heldUntil.toISOString() : null,
    rules: offer.rules.map((r) => ({
      key: r.key,
      duration_days: r.durationDays,
      price: { amount: r.price.amount, asset: pkg.currency },
      price_kind: r.price.kind,
      prices: r.price.candidates,
    })),
    perks: pkg.perks.map((p) => ({
      type: p.type,
      key: p.key,
      name: p.name ?? null,
      description: p.description ?? null,
      applicable_rules: p.applicable_rules,
    })),
  };
}

export const Refund = Type.Object({
  object: Type.Literal("package_refund"),
  order: PackageOrder,
  withdrawn_voucher_ids: Type.Array(Type.String()),
  kept_voucher_ids: Type.Array(Type.String(), {
    description: "Gifted vouchers already used: they stay",
  }),
  money_returned_to: StringEnum(["balance", "external", "none"] as const),
  amount_returned: Type.Integer({
    description:
      "What this refund returned: the order's amount less what the payment provider had already refunded of it",
  }),
});

export const WebhookReceipt = Type.Object({
  object: Type.Literal("webhook_receipt"),
  order_id: Type.Union([Type.String(), Type.Null()], {
    description:
      "null for a notice of a payment that is no package order here (refund_ignored, payment_ignored)",
  }),
  result: StringEnum([
    "paid",
    "failed",
    "expired",
    "refund_due",
    "refund_recorded",
    "refund_ignored",
    "payment_ignored",
    "already_settled",
  ] as const),
});

// ---- request bodies and queries ---------------------------------------------------------

const AgreementVersions = KeyedRecord(
  { maxLength: 30, pattern: "^agr_[0-9a-z]{26}$" },
  // Versions are PostgreSQL integers (agreement_versions.version).
  Type.Integer({ minimum: 1, maximum: 2_147_483_647 }),
  {
    maxProperties: 3,
    description: "Agreement id → the version shown to the member; a newer current version refuses the sale",
  },
);

export const OrderBody = Obj(
  {
    package_id: IdParam,
    member_id: IdParam,
    rule_key: Type.String({ minLength: 1, maxLength: 32 }),
    channel: StringEnum(CHANNELS),
    store_id: Type.Optional(Type.Union([IdParam, Type.Null()])),
    currency: Type.Optional(Type.String({ maxLength: 16, pattern: "^[A-Z][A-Z0-9_]{1,15}$" })),
    payment_method: StringEnum(PAYMENT_METHODS),
    agreement_versions: Type.Optional(AgreementVersions),
    payment_scene: Type.Optional(PaymentSceneField),
    return_url: Type.Optional(ReturnUrlField),
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
);

export const RefundBody = Type.Optional(
  Obj(
    {
      kind: Type.Optional(StringEnum(["order", "offline"] as const)),
      reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    },
    { examples: [{ kind: "order", reason: "Customer changed their mind" }] },
  ),
);

export const OrderQuery = Obj({
  ...ListQuery,
  package_id: Type.Optional(IdParam),
  member_id: Type.Optional(IdParam),
  status: Type.Optional(StringEnum(ORDER_STATUSES)),
});

export const MemberParams = Obj({ member_id: IdParam });

export const OfferQuery = Obj({
  ...ListQuery,
  channel: Type.Optional(StringEnum(CHANNELS)),
  store_id: Type.Optional(IdParam),
});

export const PeriodQuery = Obj({
  ...ListQuery,
  status: Type.Optional(StringEnum(["active", "scheduled", "expired"] as const)),
  package_id: Type.Optional(IdParam),
});

export const WebhookParams = Obj({ provider: IdParam, tenant_id: IdParam });
