import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { type Design, findPlan, type PlanRow, type Validity } from "./giftcards.repository.js";
import { checkPlanReferences, insertPlan, mergePlan } from "./plan-input.js";
import { configOf } from "./update-plan.js";

/**
 * Copies a plan with everything it configures; the copy takes a new name and optionally a
 * new validity and design ("only update the name, validity period, and design"), and
 * starts inactive.
 */
export async function copyPlan(
  trx: Tx,
  context: RequestContext,
  id: string,
  input: { name: string; validity?: Validity; design?: Design },
  now: Date,
): Promise<PlanRow> {
  const tenantId = context.actor.tenantId;
  const source = await findPlan(trx, tenantId, id);
  const base = configOf(source);
  const plan = mergePlan(base, input, base.currency);
  await checkPlanReferences(trx, tenantId, plan);
  const row = await insertPlan(trx, context, plan, source.id, now);
  await recordAudit(
    trx,
    context,
    {
      action: "gift_card_plan.copied",
      targetType: "gift_card_plan",
      targetId: row.id,
      summary: { copied_from: source.id, name: plan.name },
    },
    now,
  );
  return row;
}
