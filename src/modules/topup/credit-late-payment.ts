import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { returnGiftStock, takeGiftStock } from "../catalog/index.js";
import type { WebhookOutcome } from "../wallets/index.js";
import { creditTopup } from "./credit-topup.js";
import { isFirstDepositor, lockUsableMember } from "./member-facts.js";
import { restrictionsOf } from "./plan-terms.js";
import { planPerks, termsSoldWith } from "./top-up-with-plan.js";
import { emitTopupEvent } from "./topup.events.js";
import { findPlan, memberPlanTopups, type TopupRow } from "./topup.repository.js";

/** Why a late payment could not be credited; kept in `details.unfulfilled.reason`. */
export type UnfulfilledReason =
  | "member_closed"
  | "member_frozen"
  | "not_first_topup"
  | "purchase_limit_reached"
  | "plan_out_of_stock";

/**
 * A success for a top-up we had closed (failed, expired) or whose window had passed, with
 * the top-up row already locked: the member paid, so it is credited now on the terms it was
 * sold with, as long as it could still be sold so — the member can be credited, a top-up sold
 * as the first is still the first, the member's purchase limit has room and a unit of the
 * plan's stock can be taken again (a closed top-up gave its unit back). Otherwise nothing is
 * credited and the top-up becomes `refund_due`, audited and announced
 * (`topup.payment_unfulfilled`) for finance to refund the payment. The member is locked
 * before anything is decided, as every other top-up of theirs is.
 */
export async function creditLatePayment(
  uow: UnitOfWork,
  ctx: RequestContext,
  topup: TopupRow,
  outcome: WebhookOutcome,
  now: Date,
): Promise<{ result: "credited" | "refund_due"; topup: TopupRow }> {
  const { trx, tenantId } = uow;
  // A top-up still waiting holds its unit of stock; give it back so one rule decides every late payment.
  if (topup.status === "pending_payment" && topup.stock_key)
    await returnGiftStock(trx, tenantId, topup.stock_key, now);
  const terms = await termsSoldWith(topup, () => findPlan(trx, tenantId, topup.plan_id));
  const reason = await whyNotCreditable(uow, ctx, topup, terms, now);
  const summary = {
    provider_event: outcome.eventId,
    outcome: outcome.status,
    late: true,
    previous_status: topup.status,
  };
  if (reason === null) {
    await recordAudit(
      uow,
      ctx,
      { action: "topup.payment_credited", targetType: "topup", targetId: topup.id, summary },
      now,
    );
    return {
      result: "credited",
      topup: await creditTopup(uow, ctx, topup, planPerks(terms, topup.first_topup), now),
    };
  }
  return keepForRefund(uow, ctx, topup, reason, summary, now);
}

/**
 * A paid top-up that cannot be credited as it was sold: nothing is credited and it becomes
 * `refund_due`, audited and announced (`topup.payment_unfulfilled`) for finance to refund the
 * payment. The caller has given back any unit of stock it held.
 */
export async function keepForRefund(
  uow: UnitOfWork,
  ctx: RequestContext,
  topup: TopupRow,
  reason: UnfulfilledReason,
  summary: { provider_event: string; outcome: string; previous_status: string; late?: boolean },
  now: Date,
): Promise<{ result: "refund_due"; topup: TopupRow }> {
  const { trx, tenantId } = uow;
  const details = {
    ...(topup.details as Record<string, unknown>),
    unfulfilled: {
      reason,
      provider_event: summary.provider_event,
      previous_status: topup.status,
      at: now.toISOString(),
    },
  };
  const row = await trx
    .updateTable("topups")
    .set({ status: "refund_due", details: JSON.stringify(details), updated_at: now })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", topup.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    uow,
    ctx,
    {
      action: "topup.payment_unfulfilled",
      targetType: "topup",
      targetId: topup.id,
      summary: { ...summary, reason, amount: topup.amount, currency: topup.currency },
    },
    now,
  );
  await emitTopupEvent(
    uow,
    tenantId,
    "topup.payment_unfulfilled",
    {
      topup_id: topup.id,
      plan_id: topup.plan_id,
      member_id: topup.member_id,
      amount: topup.amount,
      currency: topup.currency,
      provider: topup.provider ?? "",
      provider_ref: topup.provider_ref ?? "",
      reason,
    },
    now,
  );
  return { result: "refund_due", topup: row };
}

async function whyNotCreditable(
  uow: UnitOfWork,
  ctx: RequestContext,
  topup: TopupRow,
  terms: Awaited<ReturnType<typeof termsSoldWith>>,
  now: Date,
): Promise<UnfulfilledReason | null> {
  const { trx, tenantId } = uow;
  try {
    await lockUsableMember(trx, ctx.actor, topup.member_id);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "member_closed" || code === "member_frozen") return code;
    throw error;
  }
  // Its first-top-up extras were promised to the member's first top-up; another has been credited since.
  if (topup.first_topup && !(await isFirstDepositor(trx, tenantId, topup.member_id)))
    return "not_first_topup";
  const limit = restrictionsOf(terms).purchase_limit_per_member;
  if (limit !== null && (await memberPlanTopups(trx, tenantId, topup.plan_id, topup.member_id, now)) >= limit)
    return "purchase_limit_reached";
  // Last, so a refusal above takes nothing.
  if (topup.stock_key && !(await takeGiftStock(trx, tenantId, topup.stock_key, now)))
    return "plan_out_of_stock";
  return null;
}
