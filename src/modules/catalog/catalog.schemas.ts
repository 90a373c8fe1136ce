import { Type } from "typebox";
import { IMAGE_MEDIA_TYPES } from "../../platform/files/image-check.js";
import { StringEnum, Timestamp } from "../../platform/http/schemas.js";
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
import { TemplateTerms, templateTerms } from "./gift-template-terms.js";
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
