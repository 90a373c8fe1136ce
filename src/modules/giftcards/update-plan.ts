import type { Tx } from "../../db/database.js";
import { changeSummary, recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { GiftcardsError } from "./giftcards.errors.js";
import { findPlan, type PlanRow } from "./giftcards.repository.js";
import {
  checkPlanReferences,
  mergePlan,
  type PlanConfig,
  type PlanInput,
  planColumns,
} from "./plan-input.js";

const FIELDS = [
  "name",
  "card_type",
  "currency",
  "store_scope",
  "design",
  "denominations",
  "custom_amount",
  "buyer_info",
  "validity",
  "channels",
  "pos_recharge",
  "terms_agreement_id",
] as const satisfies readonly (keyof PlanConfig)[];

export function configOf(row: PlanRow): PlanConfig {
  return Object.fromEntries(FIELDS.map((f) => [f, row[f]])) as unknown as PlanConfig;
}

/**
 * Edits a plan. Later sales follow the new configuration; cards already sold keep their
 * currency, redemption stores and expiry. Card type and currency are fixed once a card of
 * the plan exists (its ledger accounts are in that currency): copy the plan instead.
 */
export async function updatePlan(
  trx: Tx,
  context: RequestContext,
  id: string,
  input: PlanInput,
  now: Date,
): Promise<PlanRow> {
  const tenantId = context.actor.tenantId;
  const before = await findPlan(trx, tenantId, id, true);
  const base = configOf(before);
  const next = mergePlan(base, input, base.currency);
  if (next.card_type !== base.card_type || next.currency !== base.currency) {
    const card = await trx
      .selectFrom("gift_cards")
      .select("id")
      .where("tenant_id", "=", tenantId)
      .where("plan_id", "=", id)
      .limit(1)
      .executeTakeFirst();
    if (card) {
      throw new GiftcardsError(
        "gift_card_plan_locked",
        "Cards of this plan exist: its card type and currency can no longer change (copy the plan)",
      );
    }
  }
  await checkPlanReferences(trx, tenantId, next);
  const row = (await trx
    .updateTable("gift_card_plans")
    .set({ ...planColumns(next), updated_by: context.actor.id, updated_at: now })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow()) as PlanRow;
  await recordAudit(
    trx,
    context,
    {
      action: "gift_card_plan.updated",
      targetType: "gift_card_plan",
      targetId: id,
      summary: changeSummary(base, next, FIELDS),
    },
    now,
  );
  return row;
}
