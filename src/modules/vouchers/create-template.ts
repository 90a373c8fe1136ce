import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { assertScope, assertValidity, type ProductScope, type Validity } from "./voucher-rules.js";
import { VouchersError } from "./vouchers.errors.js";
import {
  assertAssetExists,
  type Purpose,
  type TemplateRow,
  type UnitRef,
  unitInScope,
} from "./vouchers.repository.js";

export interface TemplateInput {
  ownerId: string | null;
  name: string;
  purpose: Purpose;
  faceAmount: number;
  asset: string;
  validity: Validity;
  scope: ProductScope;
  minBillAmount: number;
  note: string | null;
}

/**
 * A reseller's templates issue `customer_discount` vouchers from its quota; a distributor's
 * issue `product_trial` vouchers it funds itself. No other pairing exists.
 */
export function assertPurposeForOwner(owner: UnitRef, purpose: Purpose): void {
  if (owner.kind === "reseller" && purpose !== "customer_discount") {
    throw new VouchersError(
      "purpose_not_allowed",
      "A reseller's templates can only have purpose customer_discount",
    );
  }
  if (owner.kind === "distributor" && purpose !== "product_trial") {
    throw new VouchersError(
      "purpose_not_allowed",
      "A distributor's templates are for product_trial; customer_discount templates belong to resellers",
    );
  }
  if (owner.kind !== "reseller" && owner.kind !== "distributor") {
    throw new VouchersError("not_a_reseller", "Voucher templates belong to a reseller or a distributor");
  }
}

export function assertTemplateInput(input: Omit<TemplateInput, "ownerId">): void {
  assertValidity(input.validity);
  assertScope(input.scope);
  if (!input.name.trim()) throw new VouchersError("validation_failed", "A template needs a name");
}

export async function resolveOwner(
  trx: Tx,
  context: RequestContext,
  ownerId: string | null,
): Promise<UnitRef> {
  const id = ownerId ?? context.actor.orgUnitId;
  if (!id) {
    throw new VouchersError(
      "validation_failed",
      "owner_id is required for callers not bound to an org unit",
      {
        errors: [{ field: "/body/owner_id", message: "is required" }],
      },
    );
  }
  return unitInScope(trx, context.actor, id, "org_unit");
}

export async function createTemplate(
  trx: Tx,
  context: RequestContext,
  input: TemplateInput,
  now: Date,
  copiedFrom: string | null = null,
): Promise<TemplateRow> {
  assertTemplateInput(input);
  const owner = await resolveOwner(trx, context, input.ownerId);
  assertPurposeForOwner(owner, input.purpose);
  await assertAssetExists(trx, context.actor.tenantId, input.asset);
  const row = await trx
    .insertInto("voucher_templates")
    .values({
      tenant_id: context.actor.tenantId,
      id: newId("vtp"),
      owner_id: owner.id,
      name: input.name.trim(),
      purpose: input.purpose,
      face_amount: input.faceAmount,
      asset: input.asset,
      validity_kind: input.validity.kind,
      valid_from: input.validity.validFrom,
      valid_until: input.validity.validUntil,
      valid_days: input.validity.validDays,
      scope_kind: input.scope.kind,
      product_codes: JSON.stringify(input.scope.productCodes),
      min_bill_amount: input.minBillAmount,
      note: input.note,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    trx,
    context,
    {
      action: copiedFrom ? "voucher_template.copied" : "voucher_template.created",
      targetType: "voucher_template",
      targetId: row.id,
      summary: { after: templateSummary(row), ...(copiedFrom ? { copied_from: copiedFrom } : {}) },
    },
    now,
  );
  return row;
}

export function templateInputOf(row: TemplateRow): TemplateInput {
  return {
    ownerId: row.owner_id,
    name: row.name,
    purpose: row.purpose,
    faceAmount: row.face_amount,
    asset: row.asset,
    validity: {
      kind: row.validity_kind,
      validFrom: row.valid_from,
      validUntil: row.valid_until,
      validDays: row.valid_days,
    },
    scope: { kind: row.scope_kind, productCodes: row.product_codes },
    minBillAmount: row.min_bill_amount,
    note: row.note,
  };
}

export const TEMPLATE_FIELDS = [
  "name",
  "purpose",
  "face_amount",
  "asset",
  "validity_kind",
  "valid_from",
  "valid_until",
  "valid_days",
  "scope_kind",
  "product_codes",
  "min_bill_amount",
  "note",
] as const;

export function templateSummary(row: TemplateRow): Record<(typeof TEMPLATE_FIELDS)[number], unknown> {
  return {
    name: row.name,
    purpose: row.purpose,
    face_amount: row.face_amount,
    asset: row.asset,
    validity_kind: row.validity_kind,
    valid_from: row.valid_from,
    valid_until: row.valid_until,
    valid_days: row.valid_days,
    scope_kind: row.scope_kind,
    product_codes: row.product_codes,
    min_bill_amount: row.min_bill_amount,
    note: row.note,
  };
}
