import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { lockUsableMember } from "../members/index.js";
import { confirmProviderPayment, isKnownProviderPayment, type WebhookOutcome } from "../wallets/index.js";
import { activateOrder } from "./activate-order.js";
import { PackagesError } from "./packages.errors.js";
import { emitPackageEvent } from "./packages.events.js";
import { type OrderRow, purchaseHistory } from "./packages.repository.js";
import { tenantZone } from "./prepare-sale.js";
import { type Situation, situationOf } from "./pricing.js";
import { recordProviderRefundOfPaidOrder } from "./provider-refund-paid.js";
import { recordProviderRefundOfOrder } from "./record-order-refund.js";

export type PaymentResult =
  | "paid"
  | "failed"
  | "expired"
  | "refund_due"
  | "refund_recorded"
  | "refund_ignored"
  | "already_settled";

/**
 * Applies a verified provider notification to its package order, exactly once: the order
 * is locked first; one already settled refuses (`package_payment_closed`, nothing written).
 * Succeeded → paid and activated in this unit of work; failed or past its time → cancelled.
 * A failure is not final at every provider (a Stripe PaymentIntent may be retried and then
 * succeed) and a payment may succeed after the clock cancelled the order: the member paid,
 * so a success for a cancelled (or overdue) order activates it then; the member is locked
 * before that is decided, and a member who can no longer take it (closed, frozen) leaves the
 * order `refund_due`, audited and announced (`package.payment_unfulfilled`) for a refund.
 * A refund notification never pays an order: on one kept `refund_due` it records the refund as
 * finance would once all that was collected is back (`refund_recorded`; a part refund is kept
 * and audited, the order still owed); on a paid one it is recorded, and all of it back ends a
 * package none of whose benefits were used, else the order is flagged for an operator
 * (`refund_recorded`, provider-refund-paid.ts); on a `refunded` one it changes nothing
 * (`refund_ignored`), and an order not paid (pending, cancelled) refuses it
 * (`package_payment_closed`). A refund of a
 * payment that is no package order here is acknowledged (`refund_ignored`, no order), writing nothing.
 * With `acknowledgeSettled` (a provider that resends until acknowledged) a payment
 * notification for a settled order answers `already_settled` instead, writing nothing.
 */
export async function confirmPackagePayment(
  uow: UnitOfWork,
  provider: string,
  outcome: WebhookOutcome,
  now: Date,
  options: { acknowledgeSettled?: boolean } = {},
): Promise<{ result: PaymentResult; order: OrderRow | null }> {
  if (
    outcome.kind === "refund" &&
    !(await isKnownProviderPayment(uow.trx, uow.tenantId, "package_orders", provider, outcome.providerRef))
  ) {
    return { result: "refund_ignored", order: null };
  }
  const refund = outcome.kind === "refund";
  const succeeded = !refund && outcome.status === "succeeded";
  const closed = (o: OrderRow) =>
    new PackagesError("package_payment_closed", `The order is already ${o.status}; nothing was done again`);
  const confirmed = await confirmProviderPayment(
    uow,
    {
      table: "package_orders",
      provider,
      outcome,
      facts: (o) => ({
        amount: o.amount,
        currency: o.currency,
        expiresAt: o.payment_expires_at,
        // Only an order never activated may be paid late; a refunded one stays refunded.
        open:
          !refund &&
          (o.status === "pending_payment" || (succeeded && o.status === "cancelled" && o.period_id === null)),
      }),
      refuse: {
        notFound: () => new PackagesError("package_payment_not_found", "No package order for this payment"),
        mismatch: () =>
          new PackagesError(
            "amount_mismatch",
            "The confirmation's amount or currency differs from the order",
          ),
        // A refund is answered below, by the order's status.
        ...(refund || options.acknowledgeSettled ? {} : { closed }),
      },
    },
    now,
  );
  const { row: order, ctx: context } = confirmed;
  if (confirmed.result === "closed" && !refund) return { result: "already_settled", order };
  if (refund) {
    // Owed back: the provider's refund settles it as finance's record would.
    if (order.status === "refund_due") {
      return recordProviderRefundOfOrder(uow, context, order, { ...outcome, provider }, now);
    }
    if (order.status === "refunded") return { result: "refund_ignored", order };
    // Paid and activated: recorded, and all of it back ends a package not used yet.
    if (order.status === "paid") {
      return recordProviderRefundOfPaidOrder(uow, context, order, { ...outcome, provider }, now);
    }
    throw closed(order);
  }
  const late = succeeded && (order.status !== "pending_payment" || confirmed.result === "expired");
  if (late) return payLate(uow, context, order, outcome, now);
  const result: PaymentResult =
    confirmed.result === "succeeded" ? "paid" : confirmed.result === "failed" ? "failed" : "expired";
  // A member frozen or closed since paying in time still gets what they paid for, as before.
  const situation =
    result === "paid" ? (await lockBuyer(uow, context, order, now)).situation : order.situation;
  const updated = await uow.trx
    .updateTable("package_orders")
    .set(
      result === "paid"
        ? { status: "paid", situation, paid_at: now, updated_at: now }
        : { status: "cancelled", updated_at: now },
    )
    .where("tenant_id", "=", uow.tenantId)
    .where("id", "=", order.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    uow,
    context,
    {
      action: `package.payment_${result}`,
      targetType: "package_order",
      targetId: order.id,
      summary: { provider_event: outcome.eventId, outcome: outcome.status },
    },
    now,
  );
  if (result !== "paid") return { result, order: updated };
  const activated = await activateOrder(uow, context, updated, await tenantZone(uow.trx, uow.tenantId), now);
  return { result, order: activated.order };
}

/** A success for an order cancelled (or past its time) with nothing given: activate it now, or owe it back. */
async function payLate(
  uow: UnitOfWork,
  context: RequestContext,
  order: OrderRow,
  outcome: WebhookOutcome,
  now: Date,
): Promise<{ result: PaymentResult; order: OrderRow }> {
  const summary = {
    provider_event: outcome.eventId,
    outcome: outcome.status,
    late: true,
    previous_status: order.status,
  };
  const { unusable: reason, situation } = await lockBuyer(uow, context, order, now);
  const updated = await uow.trx
    .updateTable("package_orders")
    .set(
      reason === null
        ? { status: "paid", situation, paid_at: now, updated_at: now }
        : { status: "refund_due", refund_reason: reason, updated_at: now },
    )
    .where("tenant_id", "=", uow.tenantId)
    .where("id", "=", order.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (reason === null) {
    await recordAudit(
      uow,
      context,
      { action: "package.payment_paid", targetType: "package_order", targetId: order.id, summary },
      now,
    );
    const activated = await activateOrder(
      uow,
      context,
      updated,
      await tenantZone(uow.trx, uow.tenantId),
      now,
    );
    return { result: "paid", order: activated.order };
  }
  await recordAudit(
    uow,
    context,
    {
      action: "package.payment_unfulfilled",
      targetType: "package_order",
      targetId: order.id,
      summary: { ...summary, reason, amount: order.amount, currency: order.currency },
    },
    now,
  );
  await emitPackageEvent(
    uow,
    uow.tenantId,
    "package.payment_unfulfilled",
    {
      order_id: order.id,
      package_id: order.package_id,
      member_id: order.member_id,
      amount: order.amount,
      currency: order.currency,
      provider: order.provider ?? "",
      provider_ref: order.provider_ref ?? "",
      reason,
    },
    now,
  );
  return { result: "refund_due", order: updated };
}

/**
 * Locks the buyer and decides the order's situation again: an online order is priced when it
 * starts, without the lock, so two of one member's orders may both start as a first purchase.
 * Only the one recorded first is; a later one is what the member's purchases make it now
 * (its gifts follow), at the price it was sold for. Also says whether the member can still
 * take a package (not closed, not frozen); the row is locked either way.
 */
async function lockBuyer(
  uow: UnitOfWork,
  context: RequestContext,
  order: OrderRow,
  now: Date,
): Promise<{ unusable: "member_closed" | "member_frozen" | null; situation: Situation }> {
  let unusable: "member_closed" | "member_frozen" | null = null;
  try {
    await lockUsableMember(uow.trx, context.actor, order.member_id);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== "member_closed" && code !== "member_frozen") throw error;
    unusable = code;
  }
  const history = await purchaseHistory(uow.trx, uow.tenantId, order.member_id, order.package_id, now);
  return { unusable, situation: situationOf(history) };
}
