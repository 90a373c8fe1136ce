import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { configureGiftStock } from "../catalog/index.js";
import { type CreatePlanBody, type PlanTerms, restrictionsOf } from "./plan-terms.js";
import { emitTopupEvent } from "./topup.events.js";
import type { PlanRow } from "./topup.repository.js";
import { planCurrency, validatePlan } from "./validate-plan.js";

/** The stock counter of a plan (catalog gift stock: one conditional update per top-up). */
export const planStockKey = (planId: string) => `topup_plan:${planId}:stock`;

/** Creates a top-up plan (active at once; deactivate it to prepare it unseen). */
export async function createTopupPlan(
  trx: Tx,
  ctx: RequestContext,
  input: CreatePlanBody,
  now: Date,
): Promise<PlanRow> {
  const tenantId = ctx.actor.tenantId;
  const { kind, currency: asked, ...terms } = input;
  const currency = await planCurrency(trx, tenantId, asked, now);
  await validatePlan(trx, tenantId, kind, terms as PlanTerms, currency);
  const id = newId("tpp");
  const row = await trx
    .insertInto("topup_plans")
    .values({
      tenant_id: tenantId,
      id,
      kind,
      name: terms.name,
      currency,
      status: "active",
      visibility: restrictionsOf(terms).visibility,
      terms: JSON.stringify(terms),
      created_by: ctx.actor.id,
      updated_by: ctx.actor.id,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await configureGiftStock(trx, tenantId, planStockKey(id), restrictionsOf(terms).stock_limit, now);
  await recordAudit(
    trx,
    ctx,
    { action: "topup_plan.created", targetType: "topup_plan", targetId: id, summary: { after: input } },
    now,
  );
  await emitTopupEvent(
    trx,
    tenantId,
    "topup.plan_changed",
    { plan_id: id, kind, status: "active", change: "created" },
    now,
  );
  return row;
}
