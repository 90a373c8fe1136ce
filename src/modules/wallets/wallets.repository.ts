import type { ColumnType, Generated, QueryCreator, Selectable } from "kysely";
import type { Tx } from "../../db/database.js";
import type { DB, Json, JsonDefault, Timestamp } from "../../db/schema.js";
import { createAsset, defaultScale, ensureAsset, findAsset } from "../../ledger/index.js";
import {
  ONLINE_PAYMENT_STATUSES,
  type ProviderRefundLog,
  type RefundRecord,
} from "../../platform/http/record-refund.js";
import { upsertSchedule } from "../../platform/jobs/schedules.js";
import type { SystemReasonCode } from "./change-reasons.js";
import type { TakenBackLog } from "./take-back-refund.js";
import { WalletsError } from "./wallets.errors.js";

export type SpendOrder = "bonus_first" | "principal_first";
export type WalletAccount = "balance" | "points" | "referral_points";
export type PaymentStatus = "held" | "paid" | "voided" | "expired";
export type ExternalMethod = "none" | "online" | "offline";
export const INTENT_STATUSES = ONLINE_PAYMENT_STATUSES;
export type IntentStatus = (typeof INTENT_STATUSES)[number];

/** What a change-log row says happened (the `kind` column). */
export const CHANGE_KINDS = [
  "topup_offline",
  "topup_online",
  "withdrawal",
  "reward",
  "exchange_in",
  "exchange_out",
  "payment",
  "refund",
  "points_earn",
  "points_spend",
  "points_adjust",
  "points_expire",
] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export const REWARD_SOURCES = ["form", "promotion", "referral", "manual"] as const;
export type RewardSource = (typeof REWARD_SOURCES)[number];

export interface WalletSettingsTable {
  tenant_id: string;
  asset: string;
  spend_order: Generated<SpendOrder>;
  hide_balance_in_member_center: Generated<boolean>;
  balance_payment_enabled: Generated<boolean>;
  online_topup_enabled: Generated<boolean>;
  max_single_amount: number;
  points_per_unit: Generated<string>;
  points_validity_days: ColumnType<number | null, number | null | undefined, number | null>;
  payment_hold_timeout_seconds: Generated<number>;
  topup_intent_ttl_seconds: Generated<number>;
  payment_provider: Generated<string>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WalletChangesTable {
  tenant_id: string;
  id: string;
  member_id: string;
  account: WalletAccount;
  kind: ChangeKind;
  asset: string;
  amount: number;
  principal_delta: number;
  bonus_delta: number;
  balance_after: number;
  reason: string | null;
  /** Set when the system made the change (change-reasons.ts): what `reason` says, as a code. */
  reason_code: SystemReasonCode | null;
  reason_params: ColumnType<Record<string, string | number> | null, string | null | undefined, string | null>;
  note: string | null;
  source: string | null;
  source_ref: string | null;
  order_id: string | null;
  payment_id: string | null;
  /** Which tagged lots moved (lots.repository.ts); null when only the untagged accounts did. */
  lots: ColumnType<
    { lot_id: string; kind: string; amount: number }[] | null,
    string | null | undefined,
    string | null
  >;
  actor_type: string;
  actor_id: string;
  created_at: Timestamp;
}

export interface WalletPaymentsTable {
  tenant_id: string;
  id: string;
  member_id: string;
  order_id: string;
  currency: string;
  lines: JsonDefault<unknown[]>;
  amount_due: number;
  balance_amount: number;
  external_amount: number;
  external_method: ExternalMethod;
  status: PaymentStatus;
  principal_amount: number;
  bonus_amount: number;
  principal_transfer_id: string | null;
  bonus_transfer_id: string | null;
  timeout_at: Date | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WalletRefundsTable {
  tenant_id: string;
  id: string;
  payment_id: string;
  member_id: string;
  amount: number;
  principal_amount: number;
  bonus_amount: number;
  reason: string | null;
  created_at: Timestamp;
}

export interface WalletTopupIntentsTable {
  tenant_id: string;
  id: string;
  member_id: string;
  asset: string;
  amount: number;
  provider: string;
  provider_ref: string;
  status: IntentStatus;
  checkout: JsonDefault<Record<string, unknown>>;
  expires_at: Date;
  completed_at: Date | null;
  /** Finance's record of the refund made at the provider (a `refunded` intent). */
  refund_record: Json<RefundRecord> | null;
  /**
   * The provider's refund notifications heard for a `refund_due` intent, until it is all back;
   * for a credited one also what was taken back out of the balance and the shortfall.
   */
  provider_refunds: Json<ProviderRefundLog & Partial<TakenBackLog>> | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WalletPointLotsTable {
  tenant_id: string;
  account_id: string;
  member_id: string;
  kind: "points" | "referral_points";
  expires_at: Date | null;
  created_at: Timestamp;
}

declare module "../../db/schema.js" {
  interface DB {
    wallet_settings: WalletSettingsTable;
    wallet_changes: WalletChangesTable;
    wallet_payments: WalletPaymentsTable;
    wallet_refunds: WalletRefundsTable;
    wallet_topup_intents: WalletTopupIntentsTable;
    wallet_point_lots: WalletPointLotsTable;
  }
}

export type WalletSettings = Selectable<WalletSettingsTable>;
export type ChangeRow = Selectable<WalletChangesTable>;
export type PaymentRow = Selectable<WalletPaymentsTable>;
export type RefundRow = Selectable<WalletRefundsTable>;
export type IntentRow = Selectable<WalletTopupIntentsTable>;

export const POINTS_ASSET = "POINTS";
/** The job releasing timed-out balance holds and expiring points (scheduled per tenant every minute). */
export const WALLETS_EXPIRY_JOB = "wallets.expire";
export { defaultScale };
/** The default single-operation cap: 1,000,000.00 in the asset's scale. */
export const defaultCap = (scale: number) => 1_000_000 * 10 ** scale;

/**
 * The settings a tenant has before anyone changed them: the columns' defaults (migration
 * 0301), in the tenant's default currency. A test compares them with an inserted row.
 */
export function defaultSettings(tenantId: string, asset: string, scale: number, now: Date): WalletSettings {
  return {
    tenant_id: tenantId,
    asset,
    spend_order: "bonus_first",
    hide_balance_in_member_center: false,
    balance_payment_enabled: true,
    online_topup_enabled: true,
    max_single_amount: defaultCap(scale),
    points_per_unit: "100",
    points_validity_days: null,
    payment_hold_timeout_seconds: 900,
    topup_intent_ttl_seconds: 1800,
    payment_provider: "test",
    created_at: now,
    updated_at: now,
  };
}

/**
 * The tenant's wallet settings for a read: the stored row, or the defaults the first write
 * will store. Reads never write (GET handlers and quotes stay read-only).
 */
export async function readSettings(trx: Tx, tenantId: string, now: Date): Promise<WalletSettings> {
  const existing = await storedSettings(trx, tenantId);
  if (existing) return existing;
  const { asset, scale } = await defaultAsset(trx, tenantId);
  return defaultSettings(tenantId, asset, scale, now);
}

/**
 * What `readSettings` reads, as queries none of which needs another's answer, for
 * `Database.tenantQueries`: the stored row, and the tenant's default currency with its
 * ledger asset's scale (null: no such asset yet). `settingsOfRows` reads their rows.
 */
export function settingsQueries(qc: QueryCreator<DB>, tenantId: string) {
  return [
    storedSettingsQuery(qc, tenantId),
    qc
      .selectFrom("tenants as t")
      .leftJoin("ledger_assets as a", (j) =>
        j.onRef("a.tenant_id", "=", "t.id").onRef("a.code", "=", "t.default_currency"),
      )
      .select(["t.default_currency", "a.scale"])
      .where("t.id", "=", tenantId),
  ] as const;
}

/** `readSettings` over the rows of `settingsQueries`. */
export function settingsOfRows(
  tenantId: string,
  stored: readonly WalletSettings[],
  defaults: readonly { default_currency: string; scale: number | null }[],
  now: Date,
): WalletSettings {
  if (stored[0]) return stored[0];
  const tenant = defaults[0];
  if (!tenant) throw new Error(`tenant ${tenantId} not found`);
  const asset = tenant.default_currency;
  return defaultSettings(tenantId, asset, tenant.scale ?? defaultScale(asset), now);
}

/** The tenant's default currency and the scale its ledger asset has (or will be given). */
async function defaultAsset(trx: Tx, tenantId: string): Promise<{ asset: string; scale: number }> {
  const tenant = await trx
    .selectFrom("tenants")
    .select("default_currency")
    .where("id", "=", tenantId)
    .executeTakeFirstOrThrow();
  const asset = tenant.default_currency;
  const existing = await findAsset(trx, tenantId, asset);
  return { asset, scale: existing?.scale ?? defaultScale(asset) };
}

/**
 * The tenant's wallet settings for an operation that writes: on first use they are created
 * from the tenant's default currency (with its ledger asset, and the POINTS asset).
 */
export async function loadSettings(trx: Tx, tenantId: string, now: Date): Promise<WalletSettings> {
  const existing = await storedSettings(trx, tenantId);
  if (existing) return existing;
  const { asset } = await defaultAsset(trx, tenantId);
  const scale = await ensureAssets(
    trx,
    tenantId,
    { code: asset, scale: defaultScale(asset), name: asset },
    now,
  );
  await trx
    .insertInto("wallet_settings")
    .values({
      tenant_id: tenantId,
      asset,
      max_single_amount: defaultCap(scale),
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column("tenant_id").doNothing())
    .execute();
  // From now on the tenant may have holds to release and points to expire.
  await upsertSchedule(
    trx,
    tenantId,
    { key: WALLETS_EXPIRY_JOB, jobName: WALLETS_EXPIRY_JOB, spec: { every_minutes: 1 } },
    now,
  );
  return (await storedSettings(trx, tenantId))!;
}

function storedSettings(trx: Tx, tenantId: string): Promise<WalletSettings | undefined> {
  return storedSettingsQuery(trx, tenantId).executeTakeFirst();
}

function storedSettingsQuery(qc: QueryCreator<DB>, tenantId: string) {
  return qc.selectFrom("wallet_settings").selectAll().where("tenant_id", "=", tenantId);
}

/** Creates the balance asset (if new) and POINTS; returns the balance asset's scale. */
export async function ensureAssets(
  trx: Tx,
  tenantId: string,
  asset: { code: string; scale: number; symbol?: string | null; name: string },
  now: Date,
): Promise<number> {
  const scale = await ensureAsset(trx, tenantId, asset, now);
  await createAsset(trx, tenantId, { code: POINTS_ASSET, scale: 0, name: "Points" }, now);
  return scale;
}

export async function assetScale(trx: Tx, tenantId: string, asset: string): Promise<number> {
  const row = await trx
    .selectFrom("ledger_assets")
    .select("scale")
    .where("tenant_id", "=", tenantId)
    .where("code", "=", asset)
    .executeTakeFirst();
  if (!row) throw new WalletsError("asset_not_found", `Asset ${asset} is not set up`);
  return row.scale;
}

export async function findPayment(
  trx: Tx,
  tenantId: string,
  where: { id?: string; order_id?: string },
  options: { lock?: boolean } = {},
): Promise<PaymentRow | undefined> {
  let q = trx.selectFrom("wallet_payments").selectAll().where("tenant_id", "=", tenantId);
  if (where.id) q = q.where("id", "=", where.id);
  if (where.order_id) q = q.where("order_id", "=", where.order_id);
  if (options.lock) q = q.forUpdate();
  return q.executeTakeFirst();
}

/** Every single value-moving operation stays at or below the tenant's cap. */
export function assertWithinCap(settings: WalletSettings, amount: number, field = "amount"): void {
  if (amount > settings.max_single_amount) {
    throw new WalletsError(
      "amount_above_cap",
      `${field} ${amount} is above the single-operation cap of ${settings.max_single_amount}`,
      {
        extra: { cap: settings.max_single_amount },
        errors: [{ field: `/body/${field}`, message: "above the cap" }],
      },
    );
  }
}

/** What has been refunded of a payment so far. */
export async function refundedTotal(trx: Tx, tenantId: string, paymentId: string): Promise<number> {
  const row = await trx
    .selectFrom("wallet_refunds")
    .select((eb) => eb.fn.coalesce(eb.fn.sum<string>("amount"), eb.lit(0)).as("total"))
    .where("tenant_id", "=", tenantId)
    .where("payment_id", "=", paymentId)
    .executeTakeFirstOrThrow();
  return Number(row.total);
}

/** Payments newest first, filtered; paged by the caller (`pageQuery`). */
export function paymentsQuery(
  trx: Tx,
  tenantId: string,
  filter: { member_id?: string; order_id?: string; status?: PaymentStatus },
) {
  let q = trx.selectFrom("wallet_payments").selectAll().where("tenant_id", "=", tenantId);
  if (filter.member_id) q = q.where("member_id", "=", filter.member_id);
  if (filter.order_id) q = q.where("order_id", "=", filter.order_id);
  if (filter.status) q = q.where("status", "=", filter.status);
  return q;
}

export async function findIntent(trx: Tx, tenantId: string, id: string): Promise<IntentRow | undefined> {
  return trx
    .selectFrom("wallet_topup_intents")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
}
