import { type Generated, type QueryCreator, type Selectable, sql } from "kysely";
import type { Tx } from "../../db/database.js";
import type { DB, Json, Timestamp } from "../../db/schema.js";
import { lockForTransaction } from "../../db/transaction-lock.js";
import type { Actor } from "../../platform/auth/actor.js";
import { assertInScope, inScope } from "../../platform/auth/scope.js";
import { orgUnitPath } from "../../platform/org/org-units.js";
import type { BalancePaymentOwnerLookup } from "../../platform/payment-outcomes.js";
import type { Channel } from "../benefits/index.js";
import { CheckoutError } from "./checkout.errors.js";

export interface SettlementRecord {
  balance?: { ref: string; amount: number };
  vouchers?: { voucherId: string; ref: string; amount: number }[];
  points?: { ref: string; points: number };
  /** Each gift card that paid, with its redemption (the refund gives each back what it paid). */
  giftCards?: { cardId: string; ref: string; amount: number }[];
  /**
   * What an order waiting for its online payment grants once it succeeds: the points, the
   * benefits it used, and the zone its card-extension year is counted in.
   */
  awaiting?: { points: number; benefits: { benefitId: string; discount: number }[]; timezone: string };
}

export interface CheckoutOrdersTable {
  tenant_id: string;
  id: string;
  client_order_id: string;
  member_id: string | null;
  channel: Channel;
  store_id: string | null;
  currency: string;
  status: "pending_payment" | "completed" | "refunded" | "cancelled";
  no_benefit_total: number;
  total: number;
  voucher_total: number;
  balance_amount: number;
  points_earned: number;
  quote: Json<Record<string, unknown>>;
  settlement: Json<SettlementRecord>;
  request_hash: string;
  created_by: string;
  created_at: Timestamp;
  refunded_at: Date | null;
  cancelled_at: Generated<Date | null>;
}

export interface CheckoutBenefitUsagesTable {
  tenant_id: string;
  order_id: string;
  benefit_id: string;
  member_id: string | null;
  discount_amount: number;
  reversed: boolean;
  created_at: Timestamp;
}

export interface CheckoutRefundsTable {
  tenant_id: string;
  id: string;
  order_id: string;
  reason: string | null;
  created_by: string;
  created_at: Timestamp;
}

declare module "../../db/schema.js" {
  interface DB {
    checkout_orders: CheckoutOrdersTable;
    checkout_benefit_usages: CheckoutBenefitUsagesTable;
    checkout_refunds: CheckoutRefundsTable;
  }
}

/** An order as read (jsonb columns parsed, timestamps as dates). */
export type OrderRow = Selectable<CheckoutOrdersTable>;

/** Serialises completions of one client order id (a concurrent duplicate waits, then replays). */
export async function lockClientOrderId(trx: Tx, tenantId: string, clientOrderId: string): Promise<void> {
  await lockForTransaction(trx, "checkout", tenantId, clientOrderId);
}

export async function findOrderByClientId(
  trx: Tx,
  tenantId: string,
  clientOrderId: string,
): Promise<OrderRow | undefined> {
  return (await trx
    .selectFrom("checkout_orders")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("client_order_id", "=", clientOrderId)
    .executeTakeFirst()) as OrderRow | undefined;
}

export async function findOrder(trx: Tx, tenantId: string, id: string, lock = false): Promise<OrderRow> {
  let q = trx
    .selectFrom("checkout_orders")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id);
  if (lock) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw new CheckoutError("order_not_found", "Order not found");
  return row as OrderRow;
}

/**
 * The order a balance payment pays: the order the payment names, whose settlement holds this
 * very payment (a payment made outside the checkout that happens to name an order id is not it).
 */
export const checkoutPaymentOwner: BalancePaymentOwnerLookup = async (trx, tenantId, payment) => {
  const row = await trx
    .selectFrom("checkout_orders")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("id", "=", payment.orderId)
    .where(sql<string>`settlement->'balance'->>'ref'`, "=", payment.id)
    .executeTakeFirst();
  return row
    ? { module: "checkout", orderId: row.id, refundPath: `/v1/checkout/orders/${row.id}/refund` }
    : null;
};

export interface BenefitUsage {
  benefit_id: string;
  orders: number;
  members: number;
  discount_total: number;
}

/** Orders, distinct members and discount given per benefit; refunded orders do not count. */
/**
 * What a benefit gave on orders not refunded: over the whole tenant, or (`scopePath`, a
 * store-bound caller's subtree) over the orders of stores in it, as that caller sees orders.
 */
export function benefitUsageQuery(
  qc: QueryCreator<DB>,
  tenantId: string,
  benefitId: string,
  scopePath: string | null = null,
) {
  let query = qc
    .selectFrom("checkout_benefit_usages as u")
    .select((eb) => [
      eb.fn.countAll<string>().as("orders"),
      sql<string>`count(distinct u.member_id)`.as("members"),
      sql<string>`coalesce(sum(u.discount_amount), 0)`.as("discount_total"),
    ])
    .where("u.tenant_id", "=", tenantId)
    .where("u.benefit_id", "=", benefitId)
    .where("u.reversed", "=", false);
  if (scopePath !== null) {
    query = query
      .innerJoin("checkout_orders as o", (join) =>
        join.onRef("o.tenant_id", "=", "u.tenant_id").onRef("o.id", "=", "u.order_id"),
      )
      .innerJoin("org_units as s", (join) =>
        join.onRef("s.tenant_id", "=", "o.tenant_id").onRef("s.id", "=", "o.store_id"),
      )
      .where(sql<boolean>`starts_with(s.path, ${scopePath})`);
  }
  return query;
}

/** `benefitUsageQuery`'s one row (an aggregate without grouping always has one). */
export function benefitUsageOf(
  benefitId: string,
  row: { orders: string; members: string; discount_total: string },
): BenefitUsage {
  return {
    benefit_id: benefitId,
    orders: Number(row.orders),
    members: Number(row.members),
    discount_total: Number(row.discount_total),
  };
}

/**
 * Whether a member's orders (refunded and cancelled ones do not count) applied a benefit that
 * a purchase gave them as an entitlement (e.g. a package's period): the quote each order keeps
 * names every applied benefit's source, whether it took money off, shipping or added points.
 * An order waiting for its online payment counts: its success completes it with that benefit.
 */
export async function entitlementSourceUsed(
  trx: Tx,
  tenantId: string,
  memberId: string,
  source: { type: string; id: string },
): Promise<boolean> {
  const applied = { benefits_applied: [{ source: { source_type: source.type, source_id: source.id } }] };
  const row = await trx
    .selectFrom("checkout_orders")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("member_id", "=", memberId)
    .where("status", "in", ["completed", "pending_payment"])
    .where(sql<boolean>`quote @> ${JSON.stringify(applied)}::jsonb`)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** A store-bound actor sells only in its own subtree; tenant-wide staff name any store. */
export async function resolveStore(
  trx: Tx,
  actor: Actor,
  storeId: string | null | undefined,
): Promise<string | null> {
  const id = storeId ?? actor.orgUnitId;
  if (!id) return null;
  const path = await orgUnitPath(trx, actor.tenantId, id);
  if (path === undefined) throw new CheckoutError("store_not_found", "Store not found");
  assertInScope(actor, path, "store");
  return id;
}

/** A store-bound actor sees only its subtree's orders; others answer as missing. */
export async function assertOrderInScope(trx: Tx, actor: Actor, order: OrderRow): Promise<void> {
  if (!actor.orgUnitPath) return;
  const path = order.store_id ? await orgUnitPath(trx, actor.tenantId, order.store_id) : undefined;
  if (!inScope(actor, path)) throw new CheckoutError("order_not_found", "Order not found");
}

/**
 * Refuses a currency the tenant's ledger does not have: nothing could ever be paid in it by
 * balance, voucher or gift card, and points would be earned on amounts of no value.
 */
export async function assertCurrencyExists(trx: Tx, tenantId: string, currency: string): Promise<void> {
  const asset = await trx
    .selectFrom("ledger_assets")
    .select("code")
    .where("tenant_id", "=", tenantId)
    .where("code", "=", currency)
    .executeTakeFirst();
  if (!asset) throw currencyNotFound(currency);
}

export const currencyNotFound = (currency: string) =>
  new CheckoutError("asset_not_found", `Currency ${currency} is not set up in the ledger`, {
    errors: [{ field: "/body/currency", message: "must be an asset of the ledger (POST /v1/ledger/assets)" }],
  });

/** What an order is priced in: the tenant's default currency and its zone. */
export async function tenantPricing(trx: Tx, tenantId: string) {
  return trx
    .selectFrom("tenants")
    .select(["default_currency", "timezone"])
    .where("id", "=", tenantId)
    .executeTakeFirstOrThrow();
}
