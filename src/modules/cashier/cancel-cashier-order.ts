import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { CashierError } from "./cashier.errors.js";
import { type OrderRow, updateOrder } from "./cashier.repository.js";
import { effectiveStatus } from "./cashier.schemas.js";
import { visibleOrder } from "./order-access.js";

/**
 * The merchant withdraws an order nobody is paying: an open one, or one that expired unpaid
 * (nothing was taken for either). A payment under way must end first; a paid order is refunded
 * through the wallets.
 */
export async function cancelCashierOrder(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: { orderId: string },
  now: Date,
): Promise<OrderRow> {
  const order = await visibleOrder(uow.trx, ctx.actor, input.orderId, { lock: true });
  const status = effectiveStatus(order, now);
  if (status !== "open" && status !== "expired") {
    throw new CashierError("cashier_order_not_open", `The order is ${status}`, {
      extra: { order_status: status },
    });
  }
  const cancelled = await updateOrder(
    uow.trx,
    uow.tenantId,
    order.id,
    { status: "cancelled", cancelled_at: now },
    now,
  );
  await recordAudit(
    uow,
    ctx,
    {
      action: "cashier_order.cancelled",
      targetType: "cashier_order",
      targetId: order.id,
      summary: { merchant_order_ref: order.merchant_order_ref, total: order.total },
    },
    now,
  );
  return cancelled;
}
