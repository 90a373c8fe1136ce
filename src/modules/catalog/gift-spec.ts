import { type Static, Type } from "typebox";
import type { Tx } from "../../db/database.js";
import { Obj } from "../../platform/http/schemas.js";
import { CatalogError } from "./catalog.errors.js";
import { findTemplate, findVoucherPackage } from "./catalog.repository.js";

/** A voucher package holds 1–20 lines of template × 1–100, and gives at most 100 vouchers at once. */
export const MAX_PACKAGE_LINES = 20;
export const MAX_LINE_QUANTITY = 100;
export const MAX_VOUCHERS_PER_GRANT = 100;

const CatalogId = (prefix: string) =>
  Type.String({
    maxLength: prefix.length + 27,
    pattern: `^${prefix}_[0-9a-z]{26}$`,
    examples: [`${prefix}_01jd3m2x4y5z6a7b8c9d0e1f2g`],
  });

/**
 * "Gift: No Gift / Voucher / Voucher Package" (also "Coupon / Coupon Package"): what a plan
 * gives a member. Vouchers are issued from member voucher templates through the vouchers
 * module's member-voucher issuance.
 */
export const GiftSpec = Type.Union(
  [
    Obj({ kind: Type.Literal("none") }),
    Obj({
      kind: Type.Literal("voucher"),
      template_id: CatalogId("gvt"),
      quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LINE_QUANTITY, default: 1 })),
    }),
    Obj({ kind: Type.Literal("voucher_package"), package_id: CatalogId("gvp") }),
  ],
  {
    description: "none; voucher (a template × quantity); voucher_package (its lines)",
    examples: [{ kind: "voucher", template_id: "gvt_01jd3m2x4y5z6a7b8c9d0e1f2g", quantity: 1 }],
  },
);
export type GiftSpec = Static<typeof GiftSpec>;

/** The template × quantity lines a spec gives (empty for none). */
export async function giftLines(
  trx: Tx,
  tenantId: string,
  spec: GiftSpec,
): Promise<{ template_id: string; quantity: number }[]> {
  if (spec.kind === "none") return [];
  if (spec.kind === "voucher") return [{ template_id: spec.template_id, quantity: spec.quantity ?? 1 }];
  return (await findVoucherPackage(trx, tenantId, spec.package_id)).lines;
}

/** A plan may name only active templates and packages that exist (checked when it is saved). */
export async function validateGiftSpec(
  trx: Tx,
  tenantId: string,
  spec: GiftSpec,
  field: string,
): Promise<void> {
  const refuse = (why: string) =>
    new CatalogError("invalid_gift", why, { errors: [{ field, message: why }] });
  if (spec.kind === "voucher_package") {
    const pkg = await findVoucherPackage(trx, tenantId, spec.package_id).catch(() => {
      throw refuse(`voucher package ${spec.package_id} does not exist`);
    });
    if (pkg.status !== "active") throw refuse(`voucher package ${pkg.id} is archived`);
    return;
  }
  if (spec.kind === "voucher") {
    const template = await findTemplate(trx, tenantId, spec.template_id).catch(() => {
      throw refuse(`voucher template ${spec.template_id} does not exist`);
    });
    if (template.status !== "active") throw refuse(`voucher template ${template.id} is archived`);
  }
}
