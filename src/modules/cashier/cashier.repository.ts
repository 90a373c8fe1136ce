import type { Generated, Selectable } from "kysely";
import type { Tx } from "../../db/database.js";
import type { Json, Timestamp } from "../../db/schema.js";
import {
  EMPTY_REFUND_LOG,
  nextProviderRefund,
  ONLINE_PAYMENT_STATUSES,
  type ProviderRefundLog,
  type ProviderRefundNotice,
  type RefundRecord,
} from "../../platform/http/record-refund.js";

/**
 * `partially_refunded` / `refunded`: a paid order some / all of whose money was given back (its
 * balance payment refunded at the wallets, its online part at the provider).
 */
export const ORDER_STATUSES = [
  "open",
  "pending_payment",
  "paid",
  "partially_refunded",
  "refunded",
  "cancelled",
  "expired",
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export const PAID_BY = ["balance", "balance_and_online", "smart_topup"] as const;
export type PaidBy = (typeof PAID_BY)[number];
export const PAYMENT_STATUSES = ONLINE_PAYMENT_STATUSES;
/** `refund_due`: the provider collected the online part too late to pay the order; owed back until `refunded`. */
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export interface OrderItem {
  name: string;
  quantity: number;
  unit_amount: number;
}

export interface CashierOrdersTable {
  tenant_id: string;
  id: string;
  member_id: string;
  merchant_order_ref: string;
  currency: string;
  items: Json<OrderItem[]>;
  total: number;
  /** As written; an `open` order past `expires_at` reads as `expired` (cashier-views.ts). */
  status: OrderStatus;
  return_url: string | null;
  expires_at: Date;
  paid_by: PaidBy | null;
  paid_at: Date | null;
  cancelled_at: Date | null;
  /** What of its total has been given back to the member since it was paid (minor units). */
  refunded_amount: Generated<number>;
  /** When the last of its money was given back (`refunded`). */
  refunded_at: Date | null;
  created_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** One attempt to pay an order; at most one is `pending` at a time (the order is then `pending_payment`). */
export interface CashierPaymentsTable {
  tenant_id: string;
  id: string;
  order_id: string;
  kind: PaidBy;
  status: PaymentStatus;
  currency: string;
  balance_amount: number;
  /** Collected by the provider: the rest of the order, or the smart top-up's amount. */
  online_amount: number;
  provider: string | null;
  provider_ref: string | null;
  checkout: Json<Record<string, unknown> | null>;
  /** Past this the provider's payment may no longer succeed. */
  expires_at: Date | null;
  wallet_payment_id: string | null;
  topup_id: string | null;
  /** Finance's record of the refund made at the provider, once a `refund_due` attempt is `refunded`. */
  refund_record: Json<RefundRecord> | null;
  /** The provider's refund notifications heard for a `refund_due` attempt, until it is all back. */
  provider_refunds: Json<ProviderRefundLog> | null;
  created_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

declare module "../../db/schema.js" {
  interface DB {
    cashier_orders: CashierOrdersTable;
    cashier_payments: CashierPaymentsTable;
  }
}

export type OrderRow = Selectable<CashierOrdersTable>;
export type PaymentRow = Selectable<CashierPaymentsTable>;

export async function findOrder(
  trx: Tx,
  tenantId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<OrderRow | undefined> {
  let q = trx.selectFrom("cashier_orders").selectAll().where("tenant_id", "=", tenantId).where("id", "=", id);
  if (options.lock) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function findOrderByRef(trx: Tx, tenantId: string, ref: string): Promise<OrderRow | undefined> {
  return trx
    .selectFrom("cashier_orders")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("merchant_order_ref", "=", ref)
    .executeTakeFirst();
}

export async function findPayment(trx: Tx, tenantId: string, id: string): Promise<PaymentRow | undefined> {
  return trx
    .selectFrom("cashier_payments")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
}

/** The order a provider's payment belongs to, read without a lock (to lock the order first). */
export async function orderOfProviderPayment(
  trx: Tx,
  tenantId: string,
  provider: string,
  providerRef: string,
): Promise<string | undefined> {
  const row = await trx
    .selectFrom("cashier_payments")
    .select("order_id")
    .where("tenant_id", "=", tenantId)
    .where("provider", "=", provider)
    .where("provider_ref", "=", providerRef)
    .executeTakeFirst();
  return row?.order_id;
}

/** Every attempt to pay an order, oldest first (an order has few: each failed one is followed by another). */
/** The attempts an order shows (an order that has more is one being abused; the rest stay stored). */
export const MAX_ATTEMPTS_SHOWN = 100;

export async function orderPayments(trx: Tx, tenantId: string, orderId: string): Promise<PaymentRow[]> {
  return trx
    .selectFrom("cashier_payments")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("order_id", "=", orderId)
    .orderBy("id")
    .limit(MAX_ATTEMPTS_SHOWN)
    .execute();
}

export async function updateOrder(
  trx: Tx,
  tenantId: string,
  id: string,
  set: Partial<
    Pick<OrderRow, "status" | "paid_by" | "paid_at" | "cancelled_at" | "refunded_amount" | "refunded_at">
  >,
  now: Date,
): Promise<OrderRow> {
  return trx
    .updateTable("cashier_orders")
    .set({ ...set, updated_at: now })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updatePayment(
  trx: Tx,
  tenantId: string,
  id: string,
  set: Partial<Pick<PaymentRow, "status" | "wallet_payment_id">> & {
    refund_record?: string;
    provider_refunds?: string;
  },
  now: Date,
): Promise<PaymentRow> {
  return trx
    .updateTable("cashier_payments")
    .set({ ...set, updated_at: now })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Logs a provider's refund of an attempt's online part (the attempt locked by the caller):
 * each refund id once, never more in all than the provider collected. Answers what it added,
 * or no `refund` when it added nothing, with the total refunded either way.
 */
export async function logProviderRefund(
  trx: Tx,
  tenantId: string,
  payment: PaymentRow,
  notice: ProviderRefundNotice,
  now: Date,
) {
  const log = payment.provider_refunds ?? EMPTY_REFUND_LOG;
  const refund = nextProviderRefund(log, notice, payment.online_amount);
  if (!refund) return { refund: undefined, refundedTotal: log.refunded_total };
  const next = { refunds: { ...log.refunds, [refund.refundId]: refund.share }, refunded_total: refund.total };
  await updatePayment(trx, tenantId, payment.id, { provider_refunds: JSON.stringify(next) }, now);
  return { refund, refundedTotal: refund.total };
}

/** The attempt a held balance payment belongs to, locked (only a balance-and-online one has a hold). */
export async function lockPaymentOfHold(
  trx: Tx,
  tenantId: string,
  walletPaymentId: string,
): Promise<PaymentRow | undefined> {
  return trx
    .selectFrom("cashier_payments")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("wallet_payment_id", "=", walletPaymentId)
    .where("kind", "=", "balance_and_online")
    .forUpdate()
    .executeTakeFirst();
}

/**
 * The order's attempt still waiting for the provider, if any: looked up by its status, not among
 * the attempts shown, as an order may have more tries than those.
 */
export async function findPendingPayment(
  trx: Tx,
  tenantId: string,
  orderId: string,
): Promise<PaymentRow | undefined> {
  return trx
    .selectFrom("cashier_payments")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("order_id", "=", orderId)
    .where("status", "=", "pending")
    .orderBy("id")
    .limit(1)
    .executeTakeFirst();
}
