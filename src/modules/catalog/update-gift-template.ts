import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { findTemplate, type TemplateRow } from "./catalog.repository.js";
import { type TemplatePatch, templateColumns, templateTerms } from "./gift-template-terms.js";

/**
 * Edits a template: vouchers already given keep their terms; gifts from now on use the new
 * ones. An archived template is given no more by new configurations; plans that already name
 * it keep giving it.
 */
export async function updateGiftTemplate(
  trx: Tx,
  context: RequestContext,
  input: { id: string; patch: TemplatePatch },
  now: Date,
): Promise<TemplateRow> {
  const { id, patch } = input;
  const tenantId = context.actor.tenantId;
  // Locked: the patch is merged into what is read and every term written back, so two edits
  // at once would otherwise each write the other's field back as it was.
  const before = await findTemplate(trx, tenantId, id, { lock: true });
  const { status, ...terms } = patch;
  const merged = { ...templateTerms(before), ...terms };
  const row = await trx
    .updateTable("gift_voucher_templates")
    .set({
      ...templateColumns(merged),
      ...(status ? { status } : {}),
      updated_by: context.actor.id,
      updated_at: now,
    })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    trx,
    context,
    {
      action: "gift_voucher_template.updated",
      targetType: "gift_voucher_template",
      targetId: id,
      summary: { before: templateTerms(before), after: merged, status: row.status },
    },
    now,
  );
  return row;
}
