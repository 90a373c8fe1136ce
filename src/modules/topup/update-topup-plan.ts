import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { configureGiftStock } from "../catalog/index.js";
import { planStockKey } from "./create-topup-plan.js";
import { type PlanTerms, restrictionsOf, type UpdatePlanBody } from "./plan-terms.js";
import { TopupError } from "./topup.errors.js";
import { emitTopupEvent } from "./topup.events.js";
import { findPlan, type PlanRow } from "./topup.repository.js";
import { validatePlan } from "./validate-plan.js";

/**
 * Edits a plan: the given fields replace the old ones (null clears). Later top-ups follow the
 * new terms; top-ups already made keep what they were given. An archived plan is read-only.
 */
export async function updateTopupPlan(
  trx: Tx,
  ctx: RequestContext,
  id: string,
  patch: UpdatePlanBody,
  now: Date,
): Promise<PlanRow> {
  const tenantId = ctx.actor.tenantId;
  const plan = await findPlan(trx, tenantId, id, { lock: true });
  if (plan.status === "archived") throw new TopupError("plan_archived", "An archived plan cannot be edited");
  const terms = { ...plan.terms, ...patch } as PlanTerms;
  await validatePlan(trx, tenantId, plan.kind, terms, plan.currency);
  const row = await trx
    .updateTable("topup_plans")
    .set({
      name: terms.name,
      visibility: restrictionsOf(terms).visibility,
      terms: JSON.stringify(terms),
      version: plan.version + 1,
      updated_by: ctx.actor.id,
      updated_at: now,
    })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (patch.restrictions !== undefined)
    await configureGiftStock(trx, tenantId, planStockKey(id), restrictionsOf(terms).stock_limit, now);
  await recordAudit(
    trx,
    ctx,
    {
      action: "topup_plan.updated",
      targetType: "topup_plan",
      targetId: id,
      summary: { before: plan.terms, after: patch },
    },
    now,
  );
  await emitTopupEvent(
    trx,
    tenantId,
    "topup.plan_changed",
    { plan_id: id, kind: plan.kind, status: plan.status, change: "edited" },
    now,
  );
  return row;
}
