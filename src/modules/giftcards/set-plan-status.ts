import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { findPlan, type PlanRow, type PlanStatus } from "./giftcards.repository.js";

/**
 * Activates a plan (on sale at once, on the channels it names) or deactivates it (sales
 * stop; cards already sold stay usable). Setting the status it already has is a no-op.
 */
export async function setPlanStatus(
  trx: Tx,
  context: RequestContext,
  id: string,
  status: PlanStatus,
  now: Date,
): Promise<PlanRow> {
  const tenantId = context.actor.tenantId;
  const before = await findPlan(trx, tenantId, id, true);
  if (before.status === status) return before;
  const row = (await trx
    .updateTable("gift_card_plans")
    .set({ status, updated_by: context.actor.id, updated_at: now })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow()) as PlanRow;
  await recordAudit(
    trx,
    context,
    {
      action: status === "active" ? "gift_card_plan.activated" : "gift_card_plan.deactivated",
      targetType: "gift_card_plan",
      targetId: id,
      summary: { before: { status: before.status }, after: { status } },
    },
    now,
  );
  return row;
}
