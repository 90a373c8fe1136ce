import { type Static, Type } from "typebox";
import { Obj, StringEnum } from "../../platform/http/schemas.js";
import { assertScope, assertValidity } from "../vouchers/index.js";
import { CATALOG_STATUSES, type CatalogStatus, type TemplateRow } from "./catalog.repository.js";

const ProductCode = Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_.:-]+$" });

/** A member voucher template's terms as the API takes them. */
export const TemplateTerms = {
  name: Type.String({ minLength: 1, maxLength: 100, examples: ["Coffee voucher"] }),
  face_amount: Type.Integer({
    minimum: 1,
    maximum: 100_000_000_000,
    description: "Minor units",
    examples: [1500],
  }),
  validity: Type.Union(
    [
      Obj({
        kind: Type.Literal("fixed"),
        valid_from: Type.String({ maxLength: 10, format: "date" }),
        valid_until: Type.String({ maxLength: 10, format: "date" }),
      }),
      Obj({ kind: Type.Literal("relative"), valid_days: Type.Integer({ minimum: 1, maximum: 3650 }) }),
    ],
    { description: "fixed: inclusive local dates; relative: N days, the issue day counting as day 1" },
  ),
  scope: Obj({
    kind: StringEnum(["all", "allow", "deny"] as const),
    product_codes: Type.Optional(Type.Array(ProductCode, { maxItems: 200, uniqueItems: true })),
  }),
  min_spend: Type.Integer({ minimum: 0, maximum: 100_000_000_000, description: "Minimum bill, minor units" }),
};
const Terms = Obj(TemplateTerms);
export type TemplateInput = Static<typeof Terms>;
export type TemplatePatch = Partial<TemplateInput> & { status?: CatalogStatus };
export const TemplatePatchSchema = Obj(
  {
    name: Type.Optional(TemplateTerms.name),
    face_amount: Type.Optional(TemplateTerms.face_amount),
    validity: Type.Optional(TemplateTerms.validity),
    scope: Type.Optional(TemplateTerms.scope),
    min_spend: Type.Optional(TemplateTerms.min_spend),
    status: Type.Optional(StringEnum(CATALOG_STATUSES)),
  },
  { minProperties: 1, examples: [{ face_amount: 2000 }, { status: "archived" }] },
);

/** The row's columns for valid terms (invalid_validity / invalid_scope otherwise). */
export function templateColumns(input: TemplateInput) {
  const validity =
    input.validity.kind === "fixed"
      ? {
          kind: "fixed" as const,
          validFrom: input.validity.valid_from,
          validUntil: input.validity.valid_until,
          validDays: null,
        }
      : {
          kind: "relative" as const,
          validFrom: null,
          validUntil: null,
          validDays: input.validity.valid_days,
        };
  assertValidity(validity);
  const scope = { kind: input.scope.kind, productCodes: input.scope.product_codes ?? [] };
  assertScope(scope);
  return {
    name: input.name,
    face_amount: input.face_amount,
    validity_kind: validity.kind,
    valid_from: validity.validFrom,
    valid_until: validity.validUntil,
    valid_days: validity.validDays,
    scope_kind: scope.kind,
    product_codes: JSON.stringify(scope.productCodes),
    min_spend: input.min_spend,
  };
}

/** The template's terms in the API's shape (so a PATCH can merge into them). */
export function templateTerms(row: TemplateRow): TemplateInput {
  return {
    name: row.name,
    face_amount: row.face_amount,
    validity:
      row.validity_kind === "fixed"
        ? { kind: "fixed", valid_from: row.valid_from!, valid_until: row.valid_until! }
        : { kind: "relative", valid_days: row.valid_days! },
    scope: { kind: row.scope_kind, product_codes: row.product_codes },
    min_spend: row.min_spend,
  };
}
