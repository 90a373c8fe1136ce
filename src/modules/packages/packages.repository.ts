import { type QueryCreator, type Selectable, sql } from "kysely";
import type { Tx } from "../../db/database.js";
import type { DB, Json, JsonDefault, Timestamp } from "../../db/schema.js";
import type { MemberImageLookup } from "../../platform/files/member-images.js";
import type { ProviderRefundLog, RefundRecord } from "../../platform/http/record-refund.js";
import { escapeLike } from "../../platform/org/org-units.js";
import { type StoreScopeReferenceLookup, scopeNames } from "../../platform/org/store-scope-references.js";
import type { BalancePaymentOwnerLookup } from "../../platform/payment-outcomes.js";
import type { AudienceRule, Channel } from "../benefits/index.js";
import type { AcceptedAgreement, Availability, StoreScope } from "../catalog/index.js";
import type { Perk, SalesRule } from "./package-config.js";
import { PackagesError } from "./packages.errors.js";
import type { PriceKind, Situation } from "./pricing.js";
import type { PeriodSnapshot } from "./snapshot.js";
import { DEFAULT_VALIDITY_MODE, type ValidityMode } from "./validity.js";

export const PACKAGE_STATUSES = ["inactive", "active", "archived"] as const;
export type PackageStatus = (typeof PACKAGE_STATUSES)[number];
export const ORDER_STATUSES = ["pending_payment", "paid", "refund_due", "refunded", "cancelled"] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export const PAYMENT_METHODS = ["balance", "online", "offline"] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
/** order / offline: a paid order refunded (refund-package-order.ts); provider: a refund_due one. */
/** Why a paid order refunded at the provider kept its package: for an operator to decide. */
export const PROVIDER_REFUND_REVIEWS = ["part_refund", "benefits_used", "member_closed"] as const;
export type ProviderRefundReview = (typeof PROVIDER_REFUND_REVIEWS)[number];
export const REFUND_KINDS = ["order", "offline", "provider"] as const;
export type RefundKind = (typeof REFUND_KINDS)[number];
export type PeriodState = "current" | "expired" | "refunded";

export interface PackageSettingsTable {
  tenant_id: string;
  validity_mode: ValidityMode;
  updated_by: string;
  updated_at: Timestamp;
}

export interface PackagesTable {
  tenant_id: string;
  id: string;
  name: string;
  tags: JsonDefault<string[]>;
  description: string | null;
  cover_image_id: string | null;
  audience: JsonDefault<AudienceRule>;
  availability: JsonDefault<Availability>;
  store_scope: JsonDefault<StoreScope>;
  channels: Json<Channel[]>;
  currency: string;
  refund_restriction: boolean;
  purchase_agreement_id: string | null;
  terms_agreement_id: string | null;
  faq_agreement_id: string | null;
  sales_rules: Json<SalesRule[]>;
  perks: JsonDefault<Perk[]>;
  status: PackageStatus;
  version: JsonDefault<number>;
  copied_from: string | null;
  created_by: string;
  updated_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PackageOrdersTable {
  tenant_id: string;
  id: string;
  package_id: string;
  member_id: string;
  rule_key: string;
  situation: Situation;
  price_kind: PriceKind;
  amount: number;
  currency: string;
  channel: Channel;
  store_id: string | null;
  payment_method: PaymentMethod;
  status: OrderStatus;
  wallet_payment_id: string | null;
  provider: string | null;
  provider_ref: string | null;
  payment_expires_at: Date | null;
  checkout: Json<Record<string, unknown>> | null;
  agreements: JsonDefault<AcceptedAgreement[]>;
  snapshot: Json<PeriodSnapshot>;
  points_awarded: JsonDefault<number>;
  period_id: string | null;
  refund_kind: RefundKind | null;
  refund_reason: string | null;
  refunded_at: Date | null;
  /** Finance's record of a `provider` refund (a refund_due order refunded at the provider). */
  refund_record: Json<RefundRecord> | null;
  /**
   * The provider's refund notifications heard for a `refund_due` order, until it is all back;
   * for a paid order also why its package was kept (`review`) for an operator.
   */
  provider_refunds: Json<ProviderRefundLog & { review?: ProviderRefundReview }> | null;
  created_by: string;
  created_at: Timestamp;
  paid_at: Date | null;
  updated_at: Timestamp;
}

export interface PackagePeriodsTable {
  tenant_id: string;
  id: string;
  package_id: string;
  member_id: string;
  order_id: string;
  starts_at: Timestamp;
  ends_at: Timestamp;
  state: PeriodState;
  ended_at: Date | null;
  snapshot: Json<PeriodSnapshot>;
  deferred_gift_due: JsonDefault<boolean>;
  created_at: Timestamp;
}

declare module "../../db/schema.js" {
  interface DB {
    package_settings: PackageSettingsTable;
    packages: PackagesTable;
    package_orders: PackageOrdersTable;
    package_periods: PackagePeriodsTable;
  }
}

export type PackageRow = Selectable<PackagesTable>;
export type OrderRow = Selectable<PackageOrdersTable>;
export type PeriodRow = Selectable<PackagePeriodsTable>;

/** The package order a balance payment paid (its refund returns the payment with the period). */
export const packagePaymentOwner: BalancePaymentOwnerLookup = async (trx, tenantId, payment) => {
  const row = await trx
    .selectFrom("package_orders")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("id", "=", payment.orderId)
    .where("wallet_payment_id", "=", payment.id)
    .executeTakeFirst();
  return row
    ? { module: "packages", orderId: row.id, refundPath: `/v1/package-orders/${row.id}/refund` }
    : null;
};

/** The package's row, as a query for a transaction or for `Database.tenantQueries`. */
export function packageQuery(qc: QueryCreator<DB>, tenantId: string, id: string) {
  return qc.selectFrom("packages").selectAll().where("tenant_id", "=", tenantId).where("id", "=", id);
}

export async function findPackage(
  trx: Tx,
  tenantId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<PackageRow> {
  let query = packageQuery(trx, tenantId, id);
  if (options.lock) query = query.forUpdate();
  return requirePackage(await query.executeTakeFirst());
}

export function requirePackage(row: PackageRow | undefined): PackageRow {
  if (!row) throw new PackagesError("package_not_found", "Package not found");
  return row;
}

export interface PackageFilter {
  name?: string;
  tag?: string;
  status?: PackageStatus;
  startingAfter?: string;
  limit: number;
}

/** A page of packages (one row more than the limit), as a query for `Database.tenantQueries`. */
export function packagesQuery(qc: QueryCreator<DB>, tenantId: string, f: PackageFilter) {
  let query = qc
    .selectFrom("packages")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .orderBy("id")
    .limit(f.limit + 1);
  if (f.name) query = query.where("name", "ilike", `%${escapeLike(f.name)}%`);
  if (f.tag) query = query.where("tags", "@>", JSON.stringify([f.tag]) as never);
  if (f.status) query = query.where("status", "=", f.status);
  if (f.startingAfter) query = query.where("id", ">", f.startingAfter);
  return query;
}

export async function activePackages(trx: Tx, tenantId: string, limit: number): Promise<PackageRow[]> {
  return trx
    .selectFrom("packages")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("status", "=", "active")
    .orderBy("id")
    .limit(limit)
    .execute();
}

export async function findOrder(
  trx: Tx,
  tenantId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<OrderRow> {
  let query = trx
    .selectFrom("package_orders")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id);
  if (options.lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw new PackagesError("package_order_not_found", "Package order not found");
  return row;
}

export async function findPeriod(
  trx: Tx,
  tenantId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<PeriodRow | undefined> {
  let query = trx
    .selectFrom("package_periods")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id);
  if (options.lock) query = query.forUpdate();
  return query.executeTakeFirst();
}

/**
 * What the member holds of a package at `now`: whether any order of it was paid and kept
 * (first purchase or repeat), and the end of the last period not yet over (early renewal
 * starts there).
 */
export async function purchaseHistory(
  trx: Tx,
  tenantId: string,
  memberId: string,
  packageId: string,
  now: Date,
): Promise<{ boughtBefore: boolean; heldUntil: Date | null }> {
  const bought = await trx
    .selectFrom("package_orders")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("member_id", "=", memberId)
    .where("package_id", "=", packageId)
    .where("status", "=", "paid")
    .limit(1)
    .executeTakeFirst();
  const held = await trx
    .selectFrom("package_periods")
    .select((eb) => eb.fn.max("ends_at").as("until"))
    .where("tenant_id", "=", tenantId)
    .where("member_id", "=", memberId)
    .where("package_id", "=", packageId)
    .where("state", "=", "current")
    .where("ends_at", ">", now)
    .executeTakeFirst();
  const until = held?.until ? new Date(held.until as unknown as string | Date) : null;
  return { boughtBefore: bought !== undefined, heldUntil: until };
}

export type PeriodFilter = "active" | "scheduled" | "expired";

export async function memberPeriods(
  trx: Tx,
  tenantId: string,
  memberId: string,
  now: Date,
  f: { status?: PeriodFilter; packageId?: string; startingAfter?: string; limit: number },
): Promise<PeriodRow[]> {
  let query = trx
    .selectFrom("package_periods")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("member_id", "=", memberId)
    .orderBy("id")
    .limit(f.limit + 1);
  if (f.packageId) query = query.where("package_id", "=", f.packageId);
  if (f.status === "active") {
    query = query.where("state", "=", "current").where("starts_at", "<=", now).where("ends_at", ">", now);
  } else if (f.status === "scheduled") {
    query = query.where("state", "=", "current").where("starts_at", ">", now);
  } else if (f.status === "expired") {
    query = query.where((eb) => eb.or([eb("state", "!=", "current"), eb("ends_at", "<=", now)]));
  }
  if (f.startingAfter) query = query.where("id", ">", f.startingAfter);
  return query.execute();
}

export async function listOrders(
  trx: Tx,
  tenantId: string,
  f: { packageId?: string; memberId?: string; status?: OrderStatus; startingAfter?: string; limit: number },
): Promise<OrderRow[]> {
  let query = trx
    .selectFrom("package_orders")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .orderBy("id")
    .limit(f.limit + 1);
  if (f.packageId) query = query.where("package_id", "=", f.packageId);
  if (f.memberId) query = query.where("member_id", "=", f.memberId);
  if (f.status) query = query.where("status", "=", f.status);
  if (f.startingAfter) query = query.where("id", ">", f.startingAfter);
  return query.execute();
}

/** The tenant's Global Package Settings (the default until an owner chooses). */
export function validityModeQuery(qc: QueryCreator<DB>, tenantId: string) {
  return qc
    .selectFrom("package_settings")
    .select(["validity_mode", "updated_at"])
    .where("tenant_id", "=", tenantId);
}

/** A tenant that never saved its settings has the default mode. */
export function validityModeOf(row: { validity_mode: ValidityMode; updated_at: Date } | undefined): {
  mode: ValidityMode;
  updatedAt: Date | null;
} {
  return { mode: row?.validity_mode ?? DEFAULT_VALIDITY_MODE, updatedAt: row?.updated_at ?? null };
}

export async function loadValidityMode(
  trx: Tx,
  tenantId: string,
): Promise<{ mode: ValidityMode; updatedAt: Date | null }> {
  return validityModeOf(await validityModeQuery(trx, tenantId).executeTakeFirst());
}

/** Whether an active package shows the image as its cover (what a member may read). */
export const packageCoverShown: MemberImageLookup = async (trx, tenantId, imageId) => {
  const row = await trx
    .selectFrom("packages")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("cover_image_id", "=", imageId)
    .where("status", "=", "active")
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
};

/** A package not archived whose store scope names the unit or group. */
export const packageNamingScope: StoreScopeReferenceLookup = async (trx, tenantId, target) => {
  const pkg = await trx
    .selectFrom("packages")
    .select(["id", "name"])
    .where("tenant_id", "=", tenantId)
    .where("status", "<>", "archived")
    .where(scopeNames(sql.ref("store_scope"), target))
    .limit(1)
    .executeTakeFirst();
  return pkg ? `package ${pkg.name} (${pkg.id})` : null;
};
