import { Type } from "typebox";
import { IdParam, ListQuery, Nullable, Obj, StringEnum, Timestamp } from "../../platform/http/schemas.js";
import { PackageFields } from "./package-config.js";
import type { PackageSales } from "./package-sales.js";
import { PACKAGE_STATUSES, type PackageRow } from "./packages.repository.js";
import { VALIDITY_MODES } from "./validity.js";

/** Response schemas and serializers of the packages module (snake_case JSON, amounts in minor units). */

export const Int = Type.Integer();
export const Money = Type.Object(
  { amount: Int, asset: Type.String() },
  { examples: [{ amount: 15900, asset: "CNY" }] },
);

export const Package = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("package"),
    ...PackageFields,
    tags: Type.Array(Type.String()),
    description: Nullable(Type.String()),
    cover_image_id: Nullable(Type.String()),
    audience: Type.Record(Type.String(), Type.Unknown()),
    availability: Type.Record(Type.String(), Type.Unknown()),
    store_scope: Type.Record(Type.String(), Type.Unknown()),
    currency: Type.String(),
    refund_restriction: Type.Boolean(),
    purchase_agreement_id: Nullable(Type.String()),
    terms_agreement_id: Nullable(Type.String()),
    faq_agreement_id: Nullable(Type.String()),
    perks: Type.Array(Type.Record(Type.String(), Type.Unknown())),
    sales_rules: Type.Array(Type.Record(Type.String(), Type.Unknown())),
    gift_stocks: Type.Array(
      Type.Object({ perk_key: Type.String(), limit: Type.Union([Int, Type.Null()]), granted: Int }),
      { description: "Each gift perk's stock: how many it may give (null: unlimited) and has given" },
    ),
    status: StringEnum(PACKAGE_STATUSES),
    version: Int,
    copied_from: Nullable(Type.String()),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "Package" },
);

export function serializePackage(
  row: PackageRow,
  stocks: ReadonlyMap<string, { limit: number | null; granted: number }>,
) {
  return {
    id: row.id,
    object: "package" as const,
    name: row.name,
    tags: row.tags,
    description: row.description,
    cover_image_id: row.cover_image_id,
    audience: row.audience as Record<string, unknown>,
    availability: row.availability as Record<string, unknown>,
    store_scope: row.store_scope as Record<string, unknown>,
    channels: row.channels,
    currency: row.currency,
    refund_restriction: row.refund_restriction,
    purchase_agreement_id: row.purchase_agreement_id,
    terms_agreement_id: row.terms_agreement_id,
    faq_agreement_id: row.faq_agreement_id,
    sales_rules: row.sales_rules as unknown as Record<string, unknown>[],
    perks: row.perks as unknown as Record<string, unknown>[],
    gift_stocks: row.perks
      .filter((p) => "gift" in p && p.gift && p.gift.kind !== "none")
      .map((p) => {
        const level = stocks.get(`package:${row.id}:${p.key}`);
        return { perk_key: p.key, limit: level?.limit ?? null, granted: level?.granted ?? 0 };
      }),
    status: row.status,
    version: row.version,
    copied_from: row.copied_from,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

const Breakdown = Type.Array(
  Type.Object({ key: Type.Union([Type.String(), Type.Null()]), volume: Int, revenue: Int, buyers: Int }),
);

export const Sales = Type.Object(
  {
    object: Type.Literal("package_sales"),
    package_id: Type.String(),
    currency: Type.String(),
    from: Timestamp,
    to: Timestamp,
    volume: Type.Integer({ description: "Orders paid in the range and not refunded" }),
    revenue: Type.Integer({ description: "Their amounts, minor units" }),
    buyers: Type.Integer({ description: "Distinct members among them" }),
    refunds: Type.Object({ count: Int, amount: Int }),
    by_store: Breakdown,
    by_channel: Breakdown,
    by_rule: Breakdown,
    by_price_kind: Breakdown,
  },
  { $id: "PackageSales" },
);

export function serializeSales(
  packageId: string,
  currency: string,
  range: { from: Date; to: Date },
  s: PackageSales,
) {
  return {
    object: "package_sales" as const,
    package_id: packageId,
    currency,
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    ...s,
  };
}

export const Settings = Type.Object({
  object: Type.Literal("package_settings"),
  validity_mode: StringEnum(VALIDITY_MODES, {
    description:
      "immediate: a 3-day package bought 23:00 Dec 8 runs to 23:00 Dec 11; purchase_day: to the end of Dec 10; next_day: Dec 9 00:00 to the end of Dec 11",
  }),
  updated_at: Type.Union([Timestamp, Type.Null()]),
});

export function serializeSettings(s: { mode: (typeof VALIDITY_MODES)[number]; updatedAt: Date | null }) {
  return {
    object: "package_settings" as const,
    validity_mode: s.mode,
    updated_at: s.updatedAt?.toISOString() ?? null,
  };
}

// ---- request bodies ---------------------------------------------------------------------

export const SettingsBody = Obj(
  { validity_mode: StringEnum(VALIDITY_MODES) },
  { examples: [{ validity_mode: "next_day" }] },
);

export const PREMIUM_EXAMPLE = {
  name: "Premium Member Benefit Package",
  tags: ["High-End", "Quarterly"],
  audience: { min_tier: "silver" },
  channels: ["POS", "ONLINE"],
  refund_restriction: true,
  sales_rules: [
    {
      key: "quarterly",
      duration_days: 90,
      original_price: 19900,
      first_purchase_price: 15900,
      repeat_purchase_price: 17900,
      early_renewal_price: 16900,
      limited_time: { price: 13900, from_date: "2025-10-01", until_date: "2025-10-07" },
    },
  ],
  perks: [
    {
      type: "first_purchase_gift",
      key: "welcome",
      name: "First Purchase Points Bonus",
      applicable_rules: "all",
      bonus_points: 500,
      gift: { kind: "voucher", template_id: "gvt_01jd3m2x4y5z6a7b8c9d0e1f2g", quantity: 1 },
      gift_stock: 1000,
    },
    {
      type: "member_discount",
      key: "ten-off",
      applicable_rules: ["quarterly"],
      benefit_id: "bnf_01jd3m2x4y5z6a7b8c9d0e1f2g",
    },
  ],
};

export const PackageBody = Obj(PackageFields, { examples: [PREMIUM_EXAMPLE] });

export const PackagePatch = Type.Partial(Obj(PackageFields), {
  additionalProperties: false,
  minProperties: 1,
  examples: [{ refund_restriction: false, tags: ["Quarterly"] }],
});

export const CopyBody = Type.Optional(
  Obj({ name: Type.Optional(PackageFields.name) }, { examples: [{ name: "Premium Package 2026" }] }),
);

export const PackageQuery = Obj({
  ...ListQuery,
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  tag: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  status: Type.Optional(StringEnum(PACKAGE_STATUSES)),
});

export const SalesQuery = Obj({ from: Timestamp, to: Timestamp });

export const IdParams = Obj({ id: IdParam });
