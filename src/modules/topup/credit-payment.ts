import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { returnGiftStock, takeGiftStock } from "../catalog/index.js";
import { lockedBalanceAsset, taggedTopupLotsFull, type WebhookOutcome } from "../wallets/index.js";
import { creditTopup } from "./credit-topup.js";
import { isFirstDepositor, lockUsableMember } from "./member-facts.js";
import { restrictionsOf } from "./plan-terms.js";
import { capPassedBy } from "./single-cap.js";
import { planPerks, termsSoldWith } from "./top-up-with-plan.js";
import { emitTopupEvent } from "./topup.events.js";
import { findPlan, memberPlanTopups, type TopupRow } from "./topup.repository.js";

/** Why a late payment could not be credited; kept in `details.unfulfilled.reason`. */
export type UnfulfilledReason =
  | "member_closed"
  | "member_frozen"
  | "not_first_topup"
  | "purchase_limit_reached"
  | "plan_out_of_stock"
  | "asset_changed"
  | "amount_above_cap"
  /** A smart top-up bought to pay an order from the balance, collected after balance payment was turned off. */
  | "balance_payment_disabled"
  /** The member's lots with money left leave no room for the top-up's (spent or withdrawn since it started, it could be sold again). */
  | "too_many_open_lots"
  /** A smart top-up bought to pay an order whose balance, with the top-up, no longer covers it (spent or withdrawn since it started). */
  | "insufficient_balance";

/**
 * A success for a top-up, with its row locked: the member paid, so it is credited on the
 * terms it was sold with, as long as it can still be sold so. Every paid top-up is decided
 * with its member locked, as every other top-up of theirs is:
 * - a member closed or frozen since it started takes no money: `refund_due`;
 * - nor does a top-up whose currency is no longer the tenant's balance asset (it may change
 *   while no member holds a balance): `refund_due`, reason `asset_changed`;
 * - nor one whose amount or bonus is above the tenant's single-operation cap (lowered since it
 *   started): `refund_due`, reason `amount_above_cap` — refused, the notification would be
 *   answered 422 and the collected payment left pending for ever;
 * - nor one whose member's lots with money left leave no room for its lots (the member topped
 *   up many times since it started): `refund_due`, reason `too_many_open_lots`, for the same reason;
 * - a top-up sold as the member's first, when another has been credited since, is credited
 *   at the plan's own figures (the member paid the plan's amount, not for its first-top-up
 *   extras), or kept `refund_due` under a first-top-up-only plan;
 * - `late` (a top-up we had closed, failed or expired, or whose window had passed) it must
 *   also still fit the member's purchase limit and take a unit of the plan's stock again (a
 *   closed top-up gave its unit back).
 * What is kept `refund_due` is audited and announced (`topup.payment_unfulfilled`) for
 * finance to refund the payment, and holds no unit of stock.
 */
export async function creditPayment(
  uow: UnitOfWork,
  ctx: RequestContext,
  topup: TopupRow,
  outcome: WebhookOutcome,
  now: Date,
  timing: { late: boolean },
): Promise<{ result: "credited" | "refund_due"; topup: TopupRow }> {
  const { trx, tenantId } = uow;
  const { late } = timing;
  // A late top-up still waiting holds its unit of stock; give it back so one rule decides every late payment.
  if (late && topup.status === "pending_payment" && topup.stock_key)
    await returnGiftStock(trx, tenantId, topup.stock_key, now);
  const terms = await termsSoldWith(topup, () => findPlan(trx, tenantId, topup.plan_id));
  const decision = await decide(uow, ctx, topup, terms, now, late);
  const seen = { provider_event: outcome.eventId, outcome: outcome.status };
  if ("refused" in decision) {
    // In time, the top-up still holds its unit of stock: it goes back with the payment.
    if (!late && topup.stock_key) await returnGiftStock(trx, tenantId, topup.stock_key, now);
    const summary = { ...seen, ...(late ? { late: true } : {}), previous_status: topup.status };
    return keepForRefund(uow, ctx, topup, decision.refused, summary, now);
  }
  const row = decision.notFirst ? await withoutFirstTopupExtras(uow, topup, now) : topup;
  await recordAudit(
    uow,
    ctx,
    {
      action: "topup.payment_credited",
      targetType: "topup",
      targetId: topup.id,
      summary: {
        ...seen,
        ...(late ? { late: true, previous_status: topup.status } : {}),
        ...(decision.notFirst ? { credited_as: "not_first_topup" } : {}),
      },
    },
    now,
  );
  return {
    result: "credited",
    topup: await creditTopup(uow, ctx, row, planPerks(terms, row.first_topup), now),
  };
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
  /** Who collected it, when another module holds the payment (a cashier's smart top-up). */
  collectedBy: { provider: string; providerRef: string } | null = null,
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
      provider: collectedBy?.provider ?? topup.provider ?? "",
      provider_ref: collectedBy?.providerRef ?? topup.provider_ref ?? "",
      reason,
    },
    now,
  );
  return { result: "refund_due", topup: row };
}

/**
 * Why a paid top-up cannot be credited whatever its terms, decided with its member locked: the
 * member was frozen or closed since it started, or the tenant's balance asset is no longer its
 * currency (balances are never converted). Null when it can.
 */
export async function memberOrAssetGone(
  uow: UnitOfWork,
  ctx: RequestContext,
  topup: Pick<TopupRow, "member_id" | "currency">,
  now: Date,
): Promise<"member_closed" | "member_frozen" | "asset_changed" | null> {
  try {
    await lockUsableMember(uow.trx, ctx.actor, topup.member_id);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "member_closed" || code === "member_frozen") return code;
    throw error;
  }
  if ((await lockedBalanceAsset(uow, now)) !== topup.currency) return "asset_changed";
  return null;
}

async function decide(
  uow: UnitOfWork,
  ctx: RequestContext,
  topup: TopupRow,
  terms: Awaited<ReturnType<typeof termsSoldWith>>,
  now: Date,
  late: boolean,
): Promise<{ refused: UnfulfilledReason } | { notFirst: boolean }> {
  const { trx, tenantId } = uow;
  const gone = await memberOrAssetGone(uow, ctx, topup, now);
  if (gone) return { refused: gone };
  // Its first-top-up extras were promised to the member's first top-up; another has been credited since.
  const notFirst = topup.first_topup && !(await isFirstDepositor(trx, tenantId, topup.member_id));
  if (notFirst && restrictionsOf(terms).first_topup_only) return { refused: "not_first_topup" };
  // The cap may have been lowered since it started: crediting would be refused, the payment stuck.
  const bonus =
    topup.bonus_amount - (notFirst ? ((topup.details as { first_bonus?: number }).first_bonus ?? 0) : 0);
  if ((await capPassedBy(trx, tenantId, topup.amount, bonus, now)) !== null)
    return { refused: "amount_above_cap" };
  if (await taggedTopupLotsFull(trx, tenantId, topup.member_id)) return { refused: "too_many_open_lots" };
  if (late) {
    const limit = restrictionsOf(terms).purchase_limit_per_member;
    if (
      limit !== null &&
      (await memberPlanTopups(trx, tenantId, topup.plan_id, topup.member_id, now)) >= limit
    )
      return { refused: "purchase_limit_reached" };
    // Last, so a refusal above takes nothing.
    if (topup.stock_key && !(await takeGiftStock(trx, tenantId, topup.stock_key, now)))
      return { refused: "plan_out_of_stock" };
  }
  return { notFirst };
}

/**
 * A top-up sold as the first whose member has been credited another first: its figures
 * become the plan's own. What was withheld stays in its details beside what it was sold with.
 */
export async function withoutFirstTopupExtras(
  uow: UnitOfWork,
  topup: TopupRow,
  now: Date,
): Promise<TopupRow> {
  const details = topup.details as { first_bonus?: number; first_points?: number };
  const withheldBonus = details.first_bonus ?? 0;
  const withheldPoints = details.first_points ?? 0;
  return uow.trx
    .updateTable("topups")
    .set({
      first_topup: false,
      bonus_amount: topup.bonus_amount - withheldBonus,
      points: topup.points - withheldPoints,
      details: JSON.stringify({
        ...topup.details,
        first_bonus: 0,
        first_points: 0,
        credited_as: {
          first_topup: false,
          reason: "not_first_topup",
          withheld_bonus: withheldBonus,
          withheld_points: withheldPoints,
        },
      }),
      updated_at: now,
    })
    .where("tenant_id", "=", uow.tenantId)
    .where("id", "=", topup.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}
