import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import { confirmProviderPayment, type WebhookOutcome } from "../wallets/index.js";
import { activateOrder } from "./activate-order.js";
import { PackagesError } from "./packages.errors.js";
import type { OrderRow } from "./packages.repository.js";
import { tenantZone } from "./prepare-sale.js";

export type PaymentResult = "paid" | "failed" | "expired";

/**
 * Applies a verified provider notification to its package order, exactly once: the order
 * is locked first; one already settled refuses (`package_payment_closed`, nothing written).
 * Succeeded in time → paid and activated in this unit of work; failed or late → cancelled.
 */
export async function confirmPackagePayment(
  uow: UnitOfWork,
  provider: string,
  outcome: WebhookOutcome,
  now: Date,
): Promise<{ result: PaymentResult; order: OrderRow }> {
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
        open: o.status === "pending_payment",
      }),
      refuse: {
        notFound: () => new PackagesError("package_payment_not_found", "No package order for this payment"),
        mismatch: () =>
          new PackagesError(
            "amount_mismatch",
            "The confirmation's amount or currency differs from the order",
          ),
        closed: (o) =>
          new PackagesError(
            "package_payment_closed",
            `The order is already ${o.status}; nothing was done again`,
          ),
      },
    },
    now,
  );
  const { row: order, ctx: context } = confirmed;
  const result: PaymentResult =
    confirmed.result === "succeeded" ? "paid" : confirmed.result === "failed" ? "failed" : "expired";
  const updated = await uow.trx
    .updateTable("package_orders")
    .set(
      result === "paid"
        ? { status: "paid", paid_at: now, updated_at: now }
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
