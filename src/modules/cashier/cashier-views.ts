import { sql } from "kysely";
import type { Tx } from "../../db/database.js";
import type { Actor } from "../../platform/auth/actor.js";
import { pageLimit, pageOfRows, pageRowsQuery } from "../../platform/http/pagination.js";
import { memberNames } from "../members/index.js";
import {
  MAX_ATTEMPTS_SHOWN,
  type OrderRow,
  type OrderStatus,
  orderPayments,
  type PaymentRow,
  type PaymentStatus,
} from "./cashier.repository.js";
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
 * is listed as expired), member, and the status of any of their attempts.
 */
export async function listOrders(
  trx: Tx,
  tenantId: string,
  query: {
    status?: OrderStatus;
    member_id?: string;
    payment_status?: PaymentStatus;
    limit?: number;
    starting_after?: string;
  },
  now: Date,
) {
  let q = trx.selectFrom("cashier_orders").selectAll().where("tenant_id", "=", tenantId);
  const paymentStatus = query.payment_status;
  if (paymentStatus) {
    q = q.where(({ exists, selectFrom }) =>
      exists(
        selectFrom("cashier_payments as p")
          .select("p.id")
          .where("p.tenant_id", "=", tenantId)
          .whereRef("p.order_id", "=", "cashier_orders.id")
          .where("p.status", "=", paymentStatus),
      ),
    );
  }
  if (query.member_id) q = q.where("member_id", "=", query.member_id);
  if (query.status === "open") q = q.where("status", "=", "open").where("expires_at", ">", now);
  else if (query.status === "expired") {
    q = q.where((eb) =>
      eb.or([eb("status", "=", "expired"), eb.and([eb("status", "=", "open"), eb("expires_at", "<=", now)])]),
    );
  } else if (query.status) q = q.where("status", "=", query.status);
  const rows = await pageRowsQuery(q, query, { desc: true }).execute();
  const shown = rows.slice(0, pageLimit(query.limit));
  const ids = shown.map((o) => o.id);
  // The page's attempts and members' names in one read each, not a read per order; each order keeps
  // at most its first MAX_ATTEMPTS_SHOWN attempts, as it does read alone.
  const payments =
    ids.length === 0
      ? []
      : await trx
          .selectFrom((eb) =>
            eb
              .selectFrom("cashier_payments")
              .selectAll()
              .select(sql<number>`row_number() over (partition by order_id order by id)`.as("attempt_rank"))
              .where("tenant_id", "=", tenantId)
              .where("order_id", "in", ids)
              .as("p"),
          )
          .selectAll()
          .where("attempt_rank", "<=", MAX_ATTEMPTS_SHOWN)
          .orderBy("id")
          .execute();
  const nameOf = await memberNames(
    trx,
    tenantId,
    shown.map((o) => o.member_id),
  );
  const paymentsOf = new Map<string, PaymentRow[]>();
  for (const { attempt_rank: _, ...p } of payments) {
    paymentsOf.set(p.order_id, [...(paymentsOf.get(p.order_id) ?? []), p]);
  }
  return pageOfRows(rows, query, (row) => {
    const name = nameOf.get(row.member_id);
    return {
      ...serializeOrder(row, paymentsOf.get(row.id) ?? [], now),
      ...(name === undefined ? {} : { member_name: name }),
    };
  });
}
