import { Type } from "typebox";
import { IMAGE_MEDIA_TYPES } from "../../platform/files/image-check.js";
import { Obj, StringEnum, Timestamp } from "../../platform/http/schemas.js";
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
const Locale = Type.String({ pattern: "^[a-z]{2}(-[A-Z]{2})?$", examples: ["zh-CN"] });

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
