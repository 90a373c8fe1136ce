import type { Tx } from "../../db/database.js";
import type { Actor } from "../../platform/auth/actor.js";
import { pageQuery } from "../../platform/http/pagination.js";
import { type OrderRow, type OrderStatus, orderPayments } from "./cashier.repository.js";
import { serializeOrder } from "./cashier.schemas.js";
import { visibleOrder } from "./order-access.js";

/** One order with its payment attempts, as the caller may see it. */
export async function orderView(trx: Tx, actor: Actor, orderId: string, now: Date) {
  const order = await visibleOrder(trx, actor, orderId);
  return serializeOrder(order, await orderPayments(trx, actor.tenantId, order.id), now);
}

/** The order as an operation left it, with its attempts (a route's answer, in the same unit). */
export async function orderAnswer(trx: Tx, order: OrderRow, now: Date) {
  return serializeOrder(order, await orderPayments(trx, order.tenant_id, order.id), now);
}

/**
 * The tenant's cashier orders, newest first, by status as of now (an open order past its time
 * is listed as expired) and member.
 */
export async function listOrders(
  trx: Tx,
  tenantId: string,
  query: { status?: OrderStatus; member_id?: string; limit?: number; starting_after?: string },
  now: Date,
) {
  let q = trx.selectFrom("cashier_orders").selectAll().where("tenant_id", "=", tenantId);
  if (query.member_id) q = q.where("member_id", "=", query.member_id);
  if (query.status === "open") q = q.where("status", "=", "open").where("expires_at", ">", now);
  else if (query.status === "expired") {
    q = q.where((eb) =>
      eb.or([eb("status", "=", "expired"), eb.and([eb("status", "=", "open"), eb("expires_at", "<=", now)])]),
    );
  } else if (query.status) q = q.where("status", "=", query.status);
  return pageQuery(
    q,
    query,
    async (row) => serializeOrder(row, await orderPayments(trx, tenantId, row.id), now),
    { desc: true },
  );
}
