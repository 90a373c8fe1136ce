import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { returnGiftStock } from "../catalog/index.js";
import { confirmProviderPayment, type WebhookOutcome } from "../wallets/index.js";
import { creditLatePayment, keepForRefund } from "./credit-late-payment.js";
import { creditTopup } from "./credit-topup.js";
import { isFirstDepositor, lockUsableMember } from "./member-facts.js";
import { restrictionsOf } from "./plan-terms.js";
import { recordProviderRefund } from "./record-provider-refund.js";
import { planPerks, termsSoldWith } from "./top-up-with-plan.js";
import { TopupError } from "./topup.errors.js";
import { emitTopupEvent } from "./topup.events.js";
import { findPlan, type TopupRow } from "./topup.repository.js";

export type ConfirmResult =
  | "credited"
  | "failed"
  | "expired"
  | "refund_due"
  | "already_settled"
  | "refund_recorded";

/**
 * Applies a verified provider notification to its top-up, exactly once. The top-up row is
 * locked first. A notification for a top-up already settled (a duplicate, or one arriving
 * after a later state) changes nothing and answers `already_settled`, so the provider stops
 * retrying. A different amount or currency is refused (`amount_mismatch`) and writes nothing.
 * Succeeded in time → credited in this unit of work; failed or late → no credit, stock back.
 * A failure is not final at every provider (a Stripe PaymentIntent may be retried and then
 * succeed), and a payment may succeed after our window closed: such a success means the
 * member paid, so it is credited then if it still can be, else kept `refund_due`
 * (credit-late-payment.ts).
 */
export async function confirmTopupPayment(
  uow: UnitOfWork,
  provider: string,
  outcome: WebhookOutcome,
  now: Date,
): Promise<{ result: ConfirmResult; topup: TopupRow }> {
  const paidLate = outcome.kind !== "refund" && outcome.status === "succeeded";
  const confirmed = await confirmProviderPayment(
    uow,
    {
      table: "topups",
      provider,
      outcome,
      facts: (t) => ({
        amount: t.amount,
        currency: t.currency,
        expiresAt: t.payment_expires_at,
        open:
          t.status === "pending_payment" || (paidLate && (t.status === "failed" || t.status === "expired")),
      }),
      refuse: {
        notFound: () => new TopupError("topup_not_found", "No top-up for this payment"),
        mismatch: () =>
          new TopupError("amount_mismatch", "The notification's amount or currency differs from the top-up"),
      },
    },
    now,
  );
  const { row: topup, ctx } = confirmed;
  // A refund arrives for a settled top-up; a duplicate or late payment notification changes nothing.
  if (outcome.kind === "refund")
    return { result: await recordProviderRefund(uow, ctx, topup, outcome, now), topup };
  if (confirmed.result === "closed") return { result: "already_settled", topup };
  if (paidLate && (topup.status !== "pending_payment" || confirmed.result === "expired"))
    return creditLatePayment(uow, ctx, topup, outcome, now);
  if (confirmed.result === "succeeded") return creditInTime(uow, ctx, topup, outcome, now);
  const result = confirmed.result === "failed" ? "failed" : "expired";
  await recordAudit(
    uow,
    ctx,
    {
      action: `topup.payment_${result}`,
      targetType: "topup",
      targetId: topup.id,
      summary: { provider_event: outcome.eventId, outcome: outcome.status },
    },
    now,
  );
  const row = await uow.trx
    .updateTable("topups")
    .set({ status: result, updated_at: now })
    .where("tenant_id", "=", uow.tenantId)
    .where("id", "=", topup.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (topup.stock_key) await returnGiftStock(uow.trx, uow.tenantId, topup.stock_key, now);
  await emitTopupEvent(
    uow,
    uow.tenantId,
    "topup.payment_failed",
    { topup_id: topup.id, plan_id: topup.plan_id, member_id: topup.member_id, result },
    now,
  );
  return { result, topup: row };
}

/**
 * A success in time, with the top-up row locked. An online top-up is decided when it starts,
 * without the member's lock, so two of one member's may both start as the first top-up; only
 * the one credited first is, decided here again with the member locked. A later one is
 * credited at the plan's own figures (the member paid the plan's amount, not for its
 * first-top-up extras), or, sold under a first-top-up-only plan, kept `refund_due` as a late
 * payment would be.
 */
async function creditInTime(
  uow: UnitOfWork,
  ctx: RequestContext,
  topup: TopupRow,
  outcome: WebhookOutcome,
  now: Date,
): Promise<{ result: ConfirmResult; topup: TopupRow }> {
  const { trx, tenantId } = uow;
  const terms = await termsSoldWith(topup, () => findPlan(trx, tenantId, topup.plan_id));
  await lockUsableMember(trx, ctx.actor, topup.member_id);
  const summary = {
    provider_event: outcome.eventId,
    outcome: outcome.status,
    previous_status: topup.status,
  };
  let row = topup;
  if (topup.first_topup && !(await isFirstDepositor(trx, tenantId, topup.member_id))) {
    if (restrictionsOf(terms).first_topup_only) {
      if (topup.stock_key) await returnGiftStock(trx, tenantId, topup.stock_key, now);
      return keepForRefund(uow, ctx, topup, "not_first_topup", summary, now);
    }
    row = await withoutFirstTopupExtras(uow, topup, now);
  }
  await recordAudit(
    uow,
    ctx,
    {
      action: "topup.payment_credited",
      targetType: "topup",
      targetId: topup.id,
      summary: {
        provider_event: outcome.eventId,
        outcome: outcome.status,
        ...(row === topup ? {} : { credited_as: "not_first_topup" }),
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
 * A top-up sold as the first whose member has been credited another first: its figures
 * become the plan's own. What was withheld stays in its details beside what it was sold with.
 */
async function withoutFirstTopupExtras(uow: UnitOfWork, topup: TopupRow, now: Date): Promise<TopupRow> {
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
