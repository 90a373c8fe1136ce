import type { Tx } from "../../db/database.js";
import { changeSummary, recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import {
  assertTemplateInput,
  TEMPLATE_FIELDS,
  type TemplateInput,
  templateInputOf,
  templateSummary,
} from "./create-template.js";
import { VouchersError } from "./vouchers.errors.js";
import { assertAssetExists, loadTemplate, type TemplateRow } from "./vouchers.repository.js";

export type TemplatePatch = Partial<Omit<TemplateInput, "ownerId" | "purpose">>;

/**
 * Edits a template that has never issued a voucher. The row lock orders this against
 * issuance, which takes the same lock before it counts an issue: once one voucher exists,
 * every edit is `template_in_use` (copy the template instead).
 */
export async function updateTemplate(
  trx: Tx,
  context: RequestContext,
  id: string,
  patch: TemplatePatch,
  now: Date,
): Promise<TemplateRow> {
  const before = await loadTemplate(trx, context.actor, id, { forUpdate: true });
  if (before.issued_count > 0) {
    throw new VouchersError(
      "template_in_use",
      "Vouchers have been issued from this template; it can no longer be edited. Copy it into a new template instead.",
    );
  }
  if (before.status === "archived") throw new VouchersError("template_archived", "The template is archived");
  const merged: TemplateInput = { ...templateInputOf(before), ...patch };
  assertTemplateInput(merged);
  if (merged.asset !== before.asset) await assertAssetExists(trx, context.actor.tenantId, merged.asset);
  const after = await trx
    .updateTable("voucher_templates")
    .set({
      name: merged.name.trim(),
      face_amount: merged.faceAmount,
      asset: merged.asset,
      validity_kind: merged.validity.kind,
      valid_from: merged.validity.validFrom,
      valid_until: merged.validity.validUntil,
      valid_days: merged.validity.validDays,
      scope_kind: merged.scope.kind,
      product_codes: JSON.stringify(merged.scope.productCodes),
      min_bill_amount: merged.minBillAmount,
      note: merged.note,
      updated_at: now,
    })
    .where("tenant_id", "=", context.actor.tenantId)
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    trx,
    context,
    {
      action: "voucher_template.updated",
      targetType: "voucher_template",
      targetId: id,
      summary: changeSummary(templateSummary(before), templateSummary(after), TEMPLATE_FIELDS),
    },
    now,
  );
  return after;
}

/** Archiving stops further issuance; it is allowed whether or not the template is in use. */
export async function archiveTemplate(trx: Tx, context: RequestContext, id: string, now: Date) {
  const before = await loadTemplate(trx, context.actor, id, { forUpdate: true });
  if (before.status === "archived") return before;
  const after = await trx
    .updateTable("voucher_templates")
    .set({ status: "archived", updated_at: now })
    .where("tenant_id", "=", context.actor.tenantId)
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    trx,
    context,
    { action: "voucher_template.archived", targetType: "voucher_template", targetId: id, summary: {} },
    now,
  );
  return after;
}
