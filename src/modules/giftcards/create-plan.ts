import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import type { PlanRow } from "./giftcards.repository.js";
import { checkPlanReferences, insertPlan, mergePlan, type PlanInput } from "./plan-input.js";

/** Creates a plan, inactive: nothing is on sale until it is activated. */
export async function createPlan(
  trx: Tx,
  context: RequestContext,
  input: PlanInput,
  now: Date,
): Promise<PlanRow> {
  const tenantId = context.actor.tenantId;
  const tenant = await trx
    .selectFrom("tenants")
    .select("default_currency")
    .where("id", "=", tenantId)
    .executeTakeFirstOrThrow();
  const plan = mergePlan(null, input, tenant.default_currency);
  await checkPlanReferences(trx, tenantId, plan);
  const row = await insertPlan(trx, context, plan, null, now);
  await recordAudit(
    trx,
    context,
    {
      action: "gift_card_plan.created",
      targetType: "gift_card_plan",
      targetId: row.id,
      summary: { after: plan },
    },
    now,
  );
  return row;
}
