import { Type } from "typebox";
import { IMAGE_MEDIA_TYPES } from "../../platform/files/image-check.js";
import { Obj, StringEnum, Timestamp } from "../../platform/http/schemas.js";
import { BENEFIT_KINDS, CHANNELS, Schedule } from "../benefits/index.js";
import {
  AGREEMENT_TYPES,
  type AgreementVersionRow,
  type AgreementView,
  CATALOG_STATUSES,
  type EntitlementRow,
  IMAGE_PURPOSES,
  type TemplateRow,
  type VoucherPackageRow,
} from "./catalog.repository.js";
import { TemplatePatchSchema, TemplateTerms, templateTerms } from "./gift-template-terms.js";
import type { HeldBenefit } from "./member-benefits.js";
import { PackageLines } from "./voucher-package-lines.js";

/** Response schemas and serializers of the catalog's routes (snake_case JSON). */

export const GiftVoucherTemplate = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("gift_voucher_template"),
    ...TemplateTerms,
    asset: Type.String(),
    status: StringEnum(CATALOG_STATUSES),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "GiftVoucherTemplate" },
);

export function serializeTemplate(row: TemplateRow) {
  return {
    id: row.id,
    object: "gift_voucher_template" as const,
    ...templateTerms(row),
    asset: row.asset,
    status: row.status,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export const GiftVoucherPackage = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("gift_voucher_package"),
    name: Type.String(),
    lines: PackageLines,
    status: StringEnum(CATALOG_STATUSES),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "GiftVoucherPackage" },
);

export function serializeVoucherPackage(row: VoucherPackageRow) {
  return {
    id: row.id,
    object: "gift_voucher_package" as const,
    name: row.name,
    lines: row.lines,
    status: row.status,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export const Agreement = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("agreement"),
    type: StringEnum(AGREEMENT_TYPES),
    status: StringEnum(CATALOG_STATUSES),
    version: Type.Integer({
      description: "The current version; sales record the version their buyer accepted",
    }),
    title: Type.String(),
    body: Type.String({ description: "Markdown, at most 64 KiB" }),
    locale: Type.String(),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: "Agreement" },
);

export function serializeAgreement(row: AgreementView) {
  return {
    id: row.id,
    object: "agreement" as const,
    type: row.type,
    status: row.status,
    version: row.current_version,
    title: row.title,
    body: row.body,
    locale: row.locale,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export const AgreementVersion = Type.Object(
  {
    object: Type.Literal("agreement_version"),
    agreement_id: Type.String(),
    version: Type.Integer(),
    title: Type.String(),
    body: Type.String(),
    locale: Type.String(),
    created_at: Timestamp,
  },
  { $id: "AgreementVersion" },
);

export function serializeAgreementVersion(row: AgreementVersionRow) {
  return {
    object: "agreement_version" as const,
    agreement_id: row.agreement_id,
    version: row.version,
    title: row.title,
    body: row.body,
    locale: row.locale,
    created_at: row.created_at.toISOString(),
  };
}

export const Image = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("image"),
    purpose: StringEnum(IMAGE_PURPOSES),
    media_type: StringEnum(IMAGE_MEDIA_TYPES),
    size: Type.Integer(),
    sha256: Type.String(),
    url: Type.String(),
    created_at: Timestamp,
  },
  { $id: "Image" },
);

export function serializeImage(image: {
  id: string;
  purpose: (typeof IMAGE_PURPOSES)[number];
  media_type: (typeof IMAGE_MEDIA_TYPES)[number];
  size: number;
  sha256: string;
  created_at: Date;
}) {
  return {
    ...image,
    object: "image" as const,
    url: `/v1/images/${image.id}`,
    created_at: image.created_at.toISOString(),
  };
}

export const Entitlement = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("entitlement"),
    member_id: Type.String(),
    benefit_id: Type.String(),
    source_type: Type.String({ description: "What gave it: package_period, …" }),
    source_id: Type.String(),
    source_name: Type.String(),
    valid_from: Timestamp,
    valid_until: Timestamp,
    status: StringEnum(["active", "upcoming"] as const),
  },
  { $id: "Entitlement" },
);

export function serializeEntitlement(row: EntitlementRow, now: Date) {
  return {
    id: row.id,
    object: "entitlement" as const,
    member_id: row.member_id,
    benefit_id: row.benefit_id,
    source_type: row.source_type,
    source_id: row.source_id,
    source_name: row.source_name,
    valid_from: row.valid_from.toISOString(),
    valid_until: row.valid_until.toISOString(),
    status: row.valid_from.getTime() <= now.getTime() ? ("active" as const) : ("upcoming" as const),
  };
}

// ---- request bodies ---------------------------------------------------------------------

const Title = Type.String({ minLength: 1, maxLength: 200 });
const Body = Type.String({
  minLength: 1,
  maxLength: 65_536,
  description: "Markdown, at most 64 KiB of UTF-8",
});
const Locale = Type.String({ maxLength: 5, pattern: "^[a-z]{2}(-[A-Z]{2})?$", examples: ["zh-CN"] });

export const AgreementBody = Obj(
  { type: StringEnum(AGREEMENT_TYPES), title: Title, body: Body, locale: Locale },
  {
    examples: [
      {
        type: "purchase_agreement",
        title: "Package purchase agreement",
        body: "# Terms\n…",
        locale: "zh-CN",
      },
    ],
  },
);

export const AgreementPatch = Obj(
  {
    title: Type.Optional(Title),
    body: Type.Optional(Body),
    locale: Type.Optional(Locale),
    status: Type.Optional(StringEnum(CATALOG_STATUSES)),
  },
  { minProperties: 1, examples: [{ body: "# Terms (2026 edition)\n…" }] },
);

export const TemplateBody = Obj(TemplateTerms, {
  examples: [
    {
      name: "Coffee voucher",
      face_amount: 1500,
      validity: { kind: "relative", valid_days: 30 },
      scope: { kind: "allow", product_codes: ["coffee"] },
      min_spend: 0,
    },
  ],
});

export const TemplatePatch = TemplatePatchSchema;

const Name = Type.String({ minLength: 1, maxLength: 100 });

export const VoucherPackageBody = Obj(
  { name: Name, lines: PackageLines },
  {
    examples: [
      { name: "Welcome pack", lines: [{ template_id: "gvt_01jd3m2x4y5z6a7b8c9d0e1f2g", quantity: 3 }] },
    ],
  },
);

export const VoucherPackagePatch = Obj(
  {
    name: Type.Optional(Name),
    lines: Type.Optional(PackageLines),
    status: Type.Optional(StringEnum(CATALOG_STATUSES)),
  },
  {
    minProperties: 1,
    examples: [{ lines: [{ template_id: "gvt_01jd3m2x4y5z6a7b8c9d0e1f2g", quantity: 2 }] }],
  },
);

// ---- a member's benefits (the member center's "My benefits") -----------------------------

const PerkEffect = Type.Object({
  discount_percent: Type.Optional(Type.Integer({ description: "Replaces the benefit's own discount" })),
  extra_discount_percent: Type.Optional(Type.Integer({ description: "Off the already discounted price" })),
  points_multiplier: Type.Optional(Type.String()),
  extra_points_percent: Type.Optional(Type.Integer()),
  free_shipping: Type.Optional(Type.Boolean()),
});

export const MemberBenefit = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal("member_benefit"),
    kind: StringEnum(BENEFIT_KINDS),
    name: Type.String(),
    brief: Type.Union([Type.String(), Type.Null()]),
    description: Type.Union([Type.String(), Type.Null()]),
    icon_url: Type.Union([Type.String(), Type.Null()], {
      description: "The benefit's icon, readable with the member's own token",
    }),
    held_through: Type.Union(
      [
        Type.Object({ type: Type.Literal("membership") }),
        Type.Object({
          type: Type.Literal("purchase"),
          source_type: Type.String({ description: "package_period, topup, …" }),
          source_id: Type.String(),
          source_name: Type.String(),
          valid_until: Timestamp,
        }),
      ],
      { description: "membership: the benefit's card plans / tiers / groups / tags take the member" },
    ),
    in_effect: Type.Boolean({
      description:
        "Its calendar is open now (member day, birthday period, a multiplier's window); others: true",
    }),
    terms: Type.Object(
      {
        discount_percent: Type.Optional(Type.Integer()),
        multiplier: Type.Optional(Type.String()),
        extension_days: Type.Optional(Type.Integer()),
        member_price_count: Type.Optional(Type.Integer({ description: "Products with a member price" })),
        order_reduction: Type.Optional(Type.Object({ min_amount: Type.Integer(), amount: Type.Integer() })),
        channels: Type.Optional(Type.Array(StringEnum(CHANNELS))),
        schedule: Type.Optional(Schedule),
        birthday_period: Type.Optional(StringEnum(["day", "week", "month"] as const)),
        valid_from: Type.Optional(Timestamp),
        valid_until: Type.Optional(Timestamp),
        perks: Type.Optional(Type.Array(PerkEffect, { description: "Tier perks that reach this member" })),
        detail_images: Type.Optional(
          Type.Array(Type.String(), {
            description:
              "An exclusive service's detail images: each an image id the member reads with GET /v1/images/{id}, or an https URL",
          }),
        ),
      },
      { description: "What it gives, in the kind's own figures (percent, multiplier, days, minor units)" },
    ),
  },
  { $id: "MemberBenefit" },
);

export function serializeMemberBenefit(held: HeldBenefit) {
  const b = held.benefit;
  const e = held.entitlement;
  return {
    id: b.id,
    object: "member_benefit" as const,
    kind: b.kind,
    name: b.name,
    brief: b.brief,
    description: b.description,
    icon_url: b.icon ? `/v1/benefit-icons/${b.icon}` : null,
    held_through: e
      ? {
          type: "purchase" as const,
          source_type: e.sourceType,
          source_id: e.sourceId,
          source_name: e.sourceName,
          valid_until: e.validUntil.toISOString(),
        }
      : { type: "membership" as const },
    in_effect: held.inEffect,
    terms: termsOf(held),
  };
}

function termsOf(held: HeldBenefit): Record<string, unknown> {
  const b = held.benefit;
  const channels = (c: { channels?: readonly string[] }) => (c.channels ? { channels: [...c.channels] } : {});
  const perks =
    held.perks.length > 0 ? { perks: held.perks.map(({ audience: _audience, ...effect }) => effect) } : {};
  switch (b.kind) {
    case "member_discount":
      return { discount_percent: b.config.discount_percent, ...channels(b.config) };
    case "member_pricing":
      return { member_price_count: b.config.prices.length, ...channels(b.config) };
    case "promotional":
      return {
        ...(b.config.order_reduction ? { order_reduction: b.config.order_reduction } : {}),
        ...channels(b.config),
      };
    case "member_day":
      return {
        schedule: b.config.schedule,
        ...(b.config.discount_percent ? { discount_percent: b.config.discount_percent } : {}),
        ...(b.config.points_multiplier ? { multiplier: b.config.points_multiplier } : {}),
        ...perks,
      };
    case "birthday":
      return {
        birthday_period: b.config.period,
        ...(b.config.discount_percent ? { discount_percent: b.config.discount_percent } : {}),
        ...(b.config.points_multiplier ? { multiplier: b.config.points_multiplier } : {}),
        ...perks,
      };
    case "multiplier_points":
      return {
        multiplier: b.config.multiplier,
        ...(b.config.schedule ? { schedule: b.config.schedule } : {}),
        ...(b.config.valid_from ? { valid_from: new Date(b.config.valid_from).toISOString() } : {}),
        ...(b.config.valid_until ? { valid_until: new Date(b.config.valid_until).toISOString() } : {}),
        ...channels(b.config),
      };
    case "card_extension":
      return { extension_days: b.config.extension_days };
    case "exclusive_services":
      return b.config.detail_images ? { detail_images: [...b.config.detail_images] } : {};
    default:
      return {};
  }
}
