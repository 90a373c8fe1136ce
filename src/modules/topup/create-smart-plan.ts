import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { configureGiftStock } from "../catalog/index.js";
import type { CreateSmartPlanBody, SmartTerms, UpdateSmartPlanBody } from "./smart-terms.js";
import { TopupError } from "./topup.errors.js";
import { emitTopupEvent } from "./topup.events.js";
import { findSmartPlan, type SmartPlanRow } from "./topup.repository.js";
import { planCurrency, validateSmartPlan } from "./validate-plan.js";

/** The gift stock every tier's gifts of a smart plan draw on ("500 coupons"). */
export const smartGiftStockKey = (planId: string) => `smart_topup:${planId}:gift`;

/** Creates a smart top-up plan (active at once). */
export async function createSmartPlan(
  trx: Tx,
  ctx: RequestContext,
  input: CreateSmartPlanBody,
  now: Date,
): Promise<SmartPlanRow> {
  const tenantId = ctx.actor.tenantId;
  const { currency: asked, ...terms } = input;
  const currency = await planCurrency(trx, tenantId, asked, now);
  await validateSmartPlan(trx, tenantId, terms);
  const id = newId("stp");
  const row = await trx
    .insertInto("smart_topup_plans")
    .values({
      tenant_id: tenantId,
      id,
      name: terms.name,
      currency,
      status: "active",
      terms: JSON.stringify(terms),
      created_by: ctx.actor.id,
      updated_by: ctx.actor.id,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await configureGiftStock(trx, tenantId, smartGiftStockKey(id), terms.gift_stock_limit ?? null, now);
  await recordAudit(
    trx,
    ctx,
    {
      action: "smart_topup_plan.created",
      targetType: "smart_topup_plan",
      targetId: id,
      summary: { after: input },
    },
    now,
  );
  await emitTopupEvent(
    trx,
    tenantId,
    "topup.plan_changed",
    { plan_id: id, kind: "smart", status: "active", change: "created" },
    now,
  );
  return row;
}

/** Edits a smart plan: later offers follow the new terms; an archived plan is read-only. */
export async function updateSmartPlan(
  trx: Tx,
  ctx: RequestContext,
  id: string,
  patch: UpdateSmartPlanBody,
  now: Date,
): Promise<SmartPlanRow> {
  const tenantId = ctx.actor.tenantId;
  const plan = await findSmartPlan(trx, tenantId, id, { lock: true });
  if (plan.status === "archived") throw new TopupError("plan_archived", "An archived plan cannot be edited");
  const terms = { ...plan.terms, ...patch } as SmartTerms;
  await validateSmartPlan(trx, tenantId, terms);
  const row = await trx
    .updateTable("smart_topup_plans")
    .set({ name: terms.name, terms: JSON.stringify(terms), updated_by: ctx.actor.id, updated_at: now })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (patch.gift_stock_limit !== undefined)
    await configureGiftStock(trx, tenantId, smartGiftStockKey(id), terms.gift_stock_limit ?? null, now);
  await recordAudit(
    trx,
    ctx,
    {
      action: "smart_topup_plan.updated",
      targetType: "smart_topup_plan",
      targetId: id,
      summary: { after: patch },
    },
    now,
  );
  await emitTopupEvent(
    trx,
    tenantId,
    "topup.plan_changed",
    { plan_id: id, kind: "smart", status: plan.status, change: "edited" },
    now,
  );
  return row;
}
