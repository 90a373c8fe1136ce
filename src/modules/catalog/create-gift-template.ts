import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { balanceAsset } from "../wallets/index.js";
import type { TemplateRow } from "./catalog.repository.js";
import { type TemplateInput, templateColumns } from "./gift-template-terms.js";

/** A member voucher template, in the tenant's balance asset. */
export async function createGiftTemplate(
  uow: UnitOfWork,
  context: RequestContext,
  input: TemplateInput,
  now: Date,
): Promise<TemplateRow> {
  const trx = uow.trx;
  const { actor } = context;
  const row = await trx
    .insertInto("gift_voucher_templates")
    .values({
      tenant_id: actor.tenantId,
      id: newId("gvt"),
      ...templateColumns(input),
      asset: await balanceAsset(trx, actor.tenantId, now),
      status: "active",
      created_by: actor.id,
      updated_by: actor.id,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    trx,
    context,
    {
      action: "gift_voucher_template.created",
      targetType: "gift_voucher_template",
      targetId: row.id,
      summary: { after: input },
    },
    now,
  );
  return row;
}
