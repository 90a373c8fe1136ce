import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { TopupError } from "./topup.errors.js";
import { emitTopupEvent } from "./topup.events.js";
import { findPlan, findSmartPlan, type PlanStatus } from "./topup.repository.js";

export type StatusAction = "activate" | "deactivate" | "archive";

/** activate: inactive → active; deactivate: active → inactive; archive: inactive → archived (final). */
const TRANSITIONS: Record<StatusAction, { from: PlanStatus; to: PlanStatus }> = {
  activate: { from: "inactive", to: "active" },
  deactivate: { from: "active", to: "inactive" },
  archive: { from: "inactive", to: "archived" },
};

/** Moves a top-up plan or smart top-up plan along its status; anything else is refused, nothing written. */
export async function changePlanStatus(
  trx: Tx,
  ctx: RequestContext,
  input: { table: "topup_plans" | "smart_topup_plans"; id: string; action: StatusAction },
  now: Date,
) {
  const tenantId = ctx.actor.tenantId;
  const plan =
    input.table === "topup_plans"
      ? await findPlan(trx, tenantId, input.id, { lock: true })
      : await findSmartPlan(trx, tenantId, input.id, { lock: true });
  const t = TRANSITIONS[input.action];
  if (plan.status !== t.from) {
    throw new TopupError(
      "plan_status_transition",
      `Cannot ${input.action} a plan that is ${plan.status}${input.action === "archive" && plan.status === "active" ? ": deactivate it first" : ""}`,
    );
  }
  await trx
    .updateTable(input.table)
    .set({ status: t.to, updated_by: ctx.actor.id, updated_at: now })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", input.id)
    .execute();
  const kind = input.table === "topup_plans" ? "topup_plan" : "smart_topup_plan";
  await recordAudit(
    trx,
    ctx,
    {
      action: `${kind}.${t.to}`,
      targetType: kind,
      targetId: input.id,
      summary: { before: plan.status, after: t.to },
    },
    now,
  );
  await emitTopupEvent(
    trx,
    tenantId,
    "topup.plan_changed",
    { plan_id: input.id, kind, status: t.to, change: input.action },
    now,
  );
  return t.to;
}
