import type { Tx } from "../../db/database.js";
import type { UnitOfWork } from "../../ledger/index.js";
import type { Actor, RequestContext } from "../../platform/auth/actor.js";
import type { BalanceOrderLookup } from "../../platform/balance-orders.js";
import { findVisibleMember } from "../members/index.js";
import { CashierError } from "./cashier.errors.js";
import { findOrder, findPendingPayment, type OrderRow } from "./cashier.repository.js";
import { effectiveStatus } from "./cashier.schemas.js";
import { releaseLapsed } from "./settle-attempt.js";

/** How long the member has to finish an online payment (never past the order's own time). */
export const ONLINE_PAYMENT_TTL_SECONDS = 15 * 60;

/**
 * The order, if the caller may see it: a member token only its own member's (another's
 * answers 404 like a missing one), staff their members in scope.
 */
export async function visibleOrder(
  trx: Tx,
  actor: Actor,
  orderId: string,
  options: { lock?: boolean } = {},
): Promise<OrderRow> {
  const order = await visibleOrderOrNull(trx, actor, orderId, options);
  if (!order) throw new CashierError("cashier_order_not_found", "Cashier order not found");
  return order;
}

async function visibleOrderOrNull(
  trx: Tx,
  actor: Actor,
  orderId: string,
  options: { lock?: boolean } = {},
): Promise<OrderRow | null> {
  const order = await findOrder(trx, actor.tenantId, orderId, options);
  if (!order) return null;
  if (actor.type === "member") return actor.memberId === order.member_id ? order : null;
  const inScope = await findVisibleMember(trx, actor, order.member_id).then(
    () => true,
    () => false,
  );
  return inScope ? order : null;
}

/**
 * The order a smart top-up offer is asked for (the topup module's offers, through the
 * manifest): as the caller may see it and payable as accepting a tier for it requires
 * (`prepareTopupAndPay`), read without a lock; null when the caller sees no such order.
 */
export const cashierBalanceOrder: BalanceOrderLookup = async (trx, actor, orderId, now) => {
  const order = await visibleOrderOrNull(trx, actor, orderId);
  if (!order) return null;
  assertPayable(order, now, { waitingOk: true });
  return { memberId: order.member_id, amount: order.total, currency: order.currency };
};

/**
 * Refuses an order that cannot take a new payment now: paid, cancelled, waiting for one, or
 * past its time. `waitingOk`: a payment under way is left for the locked check to judge (it
 * may have lapsed, and is then released).
 */
export function assertPayable(order: OrderRow, now: Date, options: { waitingOk?: boolean } = {}): void {
  const status = effectiveStatus(order, now);
  if (status === "expired") throw new CashierError("cashier_order_expired", "The order has expired");
  if (status === "pending_payment" && options.waitingOk) return;
  if (status !== "open") {
    throw new CashierError("cashier_order_not_open", `The order is ${status}`, {
      extra: { order_status: status },
    });
  }
}

/** When the provider's payment for an attempt started now lapses. */
export function onlineDeadline(order: OrderRow, now: Date): Date {
  return new Date(Math.min(now.getTime() + ONLINE_PAYMENT_TTL_SECONDS * 1000, order.expires_at.getTime()));
}

/**
 * The member's order locked for a new payment: an earlier attempt the provider never answered
 * in time is released first; then the order must be open and in time. Two payments of one
 * order queue on this lock, and the second finds it no longer open (409).
 */
export async function lockPayableOrder(
  uow: UnitOfWork,
  ctx: RequestContext,
  orderId: string,
  now: Date,
): Promise<OrderRow> {
  let order = await visibleOrder(uow.trx, ctx.actor, orderId, { lock: true });
  if (order.status === "pending_payment") {
    const pending = await findPendingPayment(uow.trx, uow.tenantId, order.id);
    if (pending?.expires_at && pending.expires_at.getTime() <= now.getTime()) {
      await releaseLapsed(uow, ctx, order, pending, now);
      order = (await findOrder(uow.trx, uow.tenantId, orderId))!;
    }
  }
  assertPayable(order, now);
  return order;
}
