import { type ColumnType, type QueryCreator, type Selectable, sql, type Updateable } from "kysely";
import type { Tx } from "../../db/database.js";
import type { DB, Json, JsonDefault, Timestamp } from "../../db/schema.js";
import type { Actor } from "../../platform/auth/actor.js";
import type { MemberImageLookup } from "../../platform/files/member-images.js";
import type { ProviderRefundLog, RefundRecord } from "../../platform/http/record-refund.js";
import { type StoreScopeReferenceLookup, scopeNames } from "../../platform/org/store-scope-references.js";
import type { BalancePaymentOwnerLookup } from "../../platform/payment-outcomes.js";
import type { AcceptedAgreement, StoreScope } from "../catalog/index.js";
import { GiftcardsError } from "./giftcards.errors.js";

/**
 * The card a balance payment bought or loaded: the card's refund returns its buyer's cash
 * through that payment, so the payment is not refunded apart from the card.
 */
export const giftCardPaymentOwner: BalancePaymentOwnerLookup = async (trx, tenantId, payment) => {
  // A sale's payment names the sale (unique per card); a load's names its activity.
  const sold = trx
    .selectFrom("gift_cards as c")
    .innerJoin("gift_card_activities as a", (j) =>
      j.onRef("a.tenant_id", "=", "c.tenant_id").onRef("a.card_id", "=", "c.id"),
    )
    .select("c.id as card_id")
    .where("c.tenant_id", "=", tenantId)
    .where("c.sale_id", "=", payment.orderId)
    .where("a.payment_method", "=", "balance")
    .where("a.payment_ref", "=", payment.id);
  const loaded = trx
    .selectFrom("gift_card_activities")
    .select("card_id")
    .where("tenant_id", "=", tenantId)
    .where("id", "=", payment.orderId)
    .where("payment_method", "=", "balance")
    .where("payment_ref", "=", payment.id);
  const row = await sold.unionAll(loaded).executeTakeFirst();
  return row
    ? { module: "giftcards", orderId: payment.orderId, refundPath: `/v1/gift-cards/${row.card_id}/refund` }
    : null;
};

export const CARD_TYPES = ["electronic", "physical"] as const;
export type CardType = (typeof CARD_TYPES)[number];
export const SALE_CHANNELS = ["POS", "ONLINE"] as const;
export type SaleChannel = (typeof SALE_CHANNELS)[number];
export const PLAN_STATUSES = ["inactive", "active"] as const;
export type PlanStatus = (typeof PLAN_STATUSES)[number];
export const CARD_STATUSES = [
  "inactive",
  "pending",
  "active",
  "frozen",
  "expired",
  "refunded",
  "cancelled",
  "refund_due",
] as const;
export type CardStatus = (typeof CARD_STATUSES)[number];
/** Square's activity types, plus EXPIRE (breakage) and CARD_REFUND (the card paid back and closed). */
export const ACTIVITY_TYPES = [
  "ACTIVATE",
  "LOAD",
  "REDEEM",
  "REFUND",
  "ADJUST_INCREMENT",
  "ADJUST_DECREMENT",
  "BLOCK",
  "UNBLOCK",
  "EXPIRE",
  "CARD_REFUND",
] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];
export const PAYMENT_METHODS = ["offline", "balance", "online"] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
export const FIELD_RULES = ["required", "optional", "off"] as const;
export type FieldRule = (typeof FIELD_RULES)[number];

export interface Denomination {
  amount: number;
  /** What the buyer is given off this denomination ("20 off a 200 card"). */
  discount: number;
}
export interface CustomAmount {
  min: number;
  max: number;
  /** Discount on a custom amount in basis points, rounded down. */
  discount_bps: number;
}
export interface BuyerInfo {
  name: FieldRule;
  phone: FieldRule;
  email: FieldRule;
  /** POS only: the cashier names the physical card (from imported stock) being sold. */
  card_number: FieldRule;
}
export type Validity =
  | { kind: "after_purchase"; years?: number; months?: number; days?: number }
  | { kind: "fixed"; until: string }
  | { kind: "none" };
export type Design = { kind: "image"; image_id: string } | { kind: "template"; template: string };
export interface SalePayment {
  method: PaymentMethod;
  /** balance: the wallets payment id; online: our payment id; offline: the till's receipt reference. */
  ref: string | null;
  member_id?: string | null;
}

export interface GiftCardPlansTable {
  tenant_id: string;
  id: string;
  name: string;
  card_type: CardType;
  currency: string;
  store_scope: JsonDefault<StoreScope>;
  design: Json<Design>;
  denominations: JsonDefault<Denomination[]>;
  custom_amount: Json<CustomAmount> | null;
  buyer_info: Json<BuyerInfo>;
  validity: Json<Validity>;
  channels: Json<SaleChannel[]>;
  pos_recharge: boolean;
  terms_agreement_id: string | null;
  status: PlanStatus;
  copied_from: string | null;
  created_by: string;
  updated_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface GiftCardsTable {
  tenant_id: string;
  id: string;
  plan_id: string;
  number: string;
  card_type: CardType;
  asset: string;
  status: CardStatus;
  pin_hash: string | null;
  account_id: string | null;
  face_amount: number | null;
  paid_amount: number;
  discount_amount: number;
  store_scope: JsonDefault<StoreScope>;
  expires_at: Date | null;
  buyer_name: string | null;
  buyer_phone: string | null;
  buyer_email: string | null;
  buyer_member_id: string | null;
  holder_member_id: string | null;
  recipient_name: string | null;
  recipient_phone: string | null;
  gift_message: string | null;
  sale_id: string | null;
  sale_channel: SaleChannel | null;
  sale_store_id: string | null;
  sale_payment: Json<SalePayment> | null;
  agreements: JsonDefault<AcceptedAgreement[]>;
  import_job_id: string | null;
  sold_at: Date | null;
  frozen_reason: string | null;
  closed_at: Date | null;
  /** Finance's record of the refund of a refund_due card's payment, made at the provider. */
  refund_record: ColumnType<RefundRecord | null, string | null | undefined, string | null>;
  created_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface GiftCardActivitiesTable {
  tenant_id: string;
  id: string;
  card_id: string;
  type: ActivityType;
  amount: number;
  balance_after: number;
  asset: string;
  store_id: string | null;
  channel: SaleChannel | null;
  operator_type: string;
  operator_id: string;
  reference_module: string | null;
  reference_id: string | null;
  redemption_id: string | null;
  paid_amount: number | null;
  discount_amount: number | null;
  payment_method: PaymentMethod | null;
  payment_ref: string | null;
  returned_to: string | null;
  reason: string | null;
  created_at: Timestamp;
}

export interface GiftCardPaymentsTable {
  tenant_id: string;
  id: string;
  card_id: string;
  provider: string;
  provider_ref: string;
  amount: number;
  asset: string;
  status: "pending" | "succeeded" | "failed" | "expired";
  checkout: JsonDefault<Record<string, unknown>>;
  expires_at: Date;
  completed_at: Date | null;
  /**
   * The provider's refund notifications heard while its card is `refund_due`, until it is all
   * back; for a card it activated also the value taken off the card and the shortfall.
   */
  provider_refunds: Json<ProviderRefundLog & { taken?: number; shortfall?: number }> | null;
  created_at: Timestamp;
}

export interface GiftCardLookupLimitsTable {
  tenant_id: string;
  subject: string;
  window_start: Date;
  failures: number;
}

declare module "../../db/schema.js" {
  interface DB {
    gift_card_plans: GiftCardPlansTable;
    gift_cards: GiftCardsTable;
    gift_card_activities: GiftCardActivitiesTable;
    gift_card_payments: GiftCardPaymentsTable;
    gift_card_lookup_limits: GiftCardLookupLimitsTable;
  }
}

export type PlanRow = Selectable<GiftCardPlansTable>;
export type CardRow = Selectable<GiftCardsTable>;
export type ActivityRow = Selectable<GiftCardActivitiesTable>;
export type PaymentRow = Selectable<GiftCardPaymentsTable>;

/**
 * The plan; `lock` true locks it for a change, "share" for a sale: sales of one plan go on
 * side by side, but never while a change is between checking that no card exists yet and
 * changing the currency or card type every card must share.
 */
export async function findPlan(
  trx: Tx,
  tenantId: string,
  id: string,
  lock: boolean | "share" = false,
): Promise<PlanRow> {
  let query = trx
    .selectFrom("gift_card_plans")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id);
  if (lock === "share") query = query.forShare();
  else if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw new GiftcardsError("gift_card_plan_not_found", "Gift card plan not found");
  return row as PlanRow;
}

const cardNotFound = () => new GiftcardsError("gift_card_not_found", "Gift card not found");

/**
 * A card by id, locked when `lock` is set (every value change locks the card row before it
 * reads anything it decides on, so changes of one card run one after the other).
 */
export async function findCard(
  trx: Tx,
  tenantId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<CardRow> {
  let query = trx.selectFrom("gift_cards").selectAll().where("tenant_id", "=", tenantId).where("id", "=", id);
  if (options.lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw cardNotFound();
  return row as CardRow;
}

export async function findCardByNumber(trx: Tx, tenantId: string, number: string, lock = false) {
  let query = trx
    .selectFrom("gift_cards")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("number", "=", number);
  if (lock) query = query.forUpdate();
  return (await query.executeTakeFirst()) as CardRow | undefined;
}

export async function findActivity(trx: Tx, tenantId: string, id: string): Promise<ActivityRow> {
  const row = await trx
    .selectFrom("gift_card_activities")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) throw new GiftcardsError("gift_card_activity_not_found", "Gift card activity not found");
  return row as ActivityRow;
}

export async function updateCard(
  trx: Tx,
  tenantId: string,
  id: string,
  set: Updateable<GiftCardsTable>,
): Promise<CardRow> {
  return (await trx
    .updateTable("gift_cards")
    .set(set)
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow()) as CardRow;
}

export interface PlanFilters {
  status?: PlanStatus;
  card_type?: CardType;
  /** Only plans sold in this channel. */
  channel?: SaleChannel;
}

/**
 * Whether a plan's redemption stores admit `unit` (the catalog's `storeInScope`, in SQL for
 * lists): no includes, or the unit is a listed store, lies under a listed org unit (a
 * segment of its path) or is in a listed store group; never when excluded.
 */
function admitsUnit(unit: string, path: string) {
  const segments = path.split("/").filter(Boolean);
  return sql<boolean>`(not coalesce(store_scope->'exclude_stores' ? ${unit}, false) and (
    coalesce(jsonb_array_length(store_scope->'stores'), 0) + coalesce(jsonb_array_length(store_scope->'org_units'), 0)
      + coalesce(jsonb_array_length(store_scope->'store_groups'), 0) = 0
    or coalesce(store_scope->'stores' ? ${unit}, false)
    or coalesce(store_scope->'org_units' ?| ${segments}::text[], false)
    or exists (select 1 from store_groups g where g.tenant_id = gift_card_plans.tenant_id
      and store_scope->'store_groups' ? g.id and g.store_ids ? ${unit})))`;
}

/**
 * Plans, oldest first, by id cursor (`limit` rows; callers ask one more to learn has_more).
 * Staff bound to an org unit see the plans whose cards may be used at their unit.
 */
export async function listPlans(
  trx: Tx,
  actor: Actor,
  filters: PlanFilters,
  page: { limit: number; startingAfter?: string },
): Promise<PlanRow[]> {
  return (await planPageQuery(trx, actor, filters, page).execute()) as PlanRow[];
}

/** What `listPlans` reads, as a query for a transaction or for `Database.tenantQuery`. */
export function planPageQuery(
  qc: QueryCreator<DB>,
  actor: Actor,
  filters: PlanFilters,
  page: { limit: number; startingAfter?: string },
) {
  let query = qc.selectFrom("gift_card_plans").selectAll().where("tenant_id", "=", actor.tenantId);
  if (actor.orgUnitId && actor.orgUnitPath)
    query = query.where(admitsUnit(actor.orgUnitId, actor.orgUnitPath));
  if (filters.status) query = query.where("status", "=", filters.status);
  if (filters.card_type) query = query.where("card_type", "=", filters.card_type);
  if (filters.channel)
    query = query.where(sql<boolean>`channels @> ${JSON.stringify([filters.channel])}::jsonb`);
  if (page.startingAfter) query = query.where("id", ">", page.startingAfter);
  return query.orderBy("id").limit(page.limit);
}

/** Whether an active plan sold online (what GET /v1/gift-card-plans lists to a member) shows the image as its design. */
export const cardDesignShown: MemberImageLookup = async (trx, tenantId, imageId) => {
  const row = await trx
    .selectFrom("gift_card_plans")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where(sql<boolean>`design @> ${JSON.stringify({ kind: "image", image_id: imageId })}::jsonb`)
    .where("status", "=", "active")
    .where(sql<boolean>`channels @> ${JSON.stringify(["ONLINE"])}::jsonb`)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
};

/**
 * A gift card plan, or a card that may still be used, whose store scope names the unit or
 * group: a card keeps the scope it was sold with, so deleting what it names would change where
 * its holder may spend it.
 */
export const giftCardNamingScope: StoreScopeReferenceLookup = async (trx, tenantId, target) => {
  const plan = await trx
    .selectFrom("gift_card_plans")
    .select(["id", "name"])
    .where("tenant_id", "=", tenantId)
    .where(scopeNames(sql.ref("store_scope"), target))
    .limit(1)
    .executeTakeFirst();
  if (plan) return `gift card plan ${plan.name} (${plan.id})`;
  const card = await trx
    .selectFrom("gift_cards")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("status", "in", ["inactive", "pending", "active", "frozen"])
    .where(scopeNames(sql.ref("store_scope"), target))
    .limit(1)
    .executeTakeFirst();
  return card ? `gift card ${card.id}` : null;
};
