import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import { returnGiftStock } from "../catalog/index.js";
import { confirmProviderPayment, isKnownProviderPayment, type WebhookOutcome } from "../wallets/index.js";
import { creditPayment } from "./credit-payment.js";
import { recordProviderRefund } from "./record-provider-refund.js";
import { recordProviderRefundOfOwed } from "./record-refund.js";
import { TopupError } from "./topup.errors.js";
import { emitTopupEvent } from "./topup.events.js";
import type { TopupRow } from "./topup.repository.js";

export type ConfirmResult =
  | "credited"
  | "failed"
  | "expired"
  | "refund_due"
  | "already_settled"
  | "refund_recorded"
  | "refund_ignored";

/**
 * Applies a verified provider notification to its top-up, exactly once. The top-up row is
 * locked first. A notification for a top-up already settled (a duplicate, or one arriving
 * after a later state) changes nothing and answers `already_settled`, so the provider stops
 * retrying. A different amount or currency is refused (`amount_mismatch`) and writes nothing.
 * Succeeded in time → credited in this unit of work; failed or late → no credit, stock back.
 * A failure is not final at every provider (a Stripe PaymentIntent may be retried and then
 * succeed), and a payment may succeed after our window closed: such a success means the
 * member paid, so it is credited then if it still can be, else kept `refund_due`
 * (credit-payment.ts). A refund of a payment that is no top-up here changes nothing and is
 * acknowledged (`refund_ignored`, no top-up).
 */
export async function confirmTopupPayment(
  uow: UnitOfWork,
  provider: string,
  outcome: WebhookOutcome,
  now: Date,
): Promise<{ result: ConfirmResult; topup: TopupRow | null }> {
  if (
    outcome.kind === "refund" &&
    !(await isKnownProviderPayment(uow.trx, uow.tenantId, "topups", provider, outcome.providerRef))
  ) {
    return { result: "refund_ignored", topup: null };
  }
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
  // One kept for a refund is settled by it as finance's record would settle it.
  if (outcome.kind === "refund" && topup.status === "refund_due") {
    const notice = { ...outcome, provider };
    return { result: await recordProviderRefundOfOwed(uow, ctx, topup, notice, now), topup };
  }
  if (outcome.kind === "refund")
    return { result: await recordProviderRefund(uow, ctx, topup, outcome, now), topup };
  if (confirmed.result === "closed") return { result: "already_settled", topup };
  if (paidLate && (topup.status !== "pending_payment" || confirmed.result === "expired"))
    return creditPayment(uow, ctx, topup, outcome, now, { late: true });
  if (confirmed.result === "succeeded") return creditPayment(uow, ctx, topup, outcome, now, { late: false });
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
