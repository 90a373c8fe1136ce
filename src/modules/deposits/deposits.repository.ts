import { type ColumnType, type ExpressionBuilder, type QueryCreator, type Selectable, sql } from "kysely";
import type { Database, Tx } from "../../db/database.js";
import type { DB, JsonDefault, Timestamp } from "../../db/schema.js";
import type { Actor } from "../../platform/auth/actor.js";
import { assertInScope } from "../../platform/auth/scope.js";
import { pageLimit } from "../../platform/http/pagination.js";
import { subtreePattern } from "../../platform/org/org-units.js";
import { DepositsError } from "./deposits.errors.js";

export const ACCOUNT_STATUSES = [
  "pending_configuration",
  "pending_activation",
  "active",
  "abnormal",
  "closed",
] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];
export const CAMPAIGN_STATUSES = ["not_started", "running", "suspended", "ended"] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];
export const ENTRY_TYPES = [
  "freeze",
  "release",
  "settle",
  "settled_refund",
  "arrears",
  "arrears_repaid",
  "arrears_cancelled",
] as const;
export type EntryType = (typeof ENTRY_TYPES)[number];
export const WITHDRAWAL_STATUSES = ["requested", "approved", "paid", "rejected", "failed"] as const;
export type WithdrawalStatus = (typeof WITHDRAWAL_STATUSES)[number];
export const BANK_RECORD_STATUSES = ["matched", "unmatched", "returned"] as const;
export const TOPUP_STATUSES = ["open", "completed", "cancelled"] as const;
export const PROFILE_STATUSES = ["draft", "verifying", "verified", "rejected"] as const;
export const INVOICE_STATUSES = ["requested", "issued", "mailed", "rejected"] as const;

export interface ReceivingAccount {
  company_name?: string;
  bank_name?: string;
  branch?: string;
  account_number?: string;
}

export interface DepositSettingsTable {
  tenant_id: string;
  asset: JsonDefault<string>;
  min_topup_amount: JsonDefault<number>;
  suspension_threshold: JsonDefault<number>;
  invoice_min_net_amount: JsonDefault<number>;
  invoice_wait_days: JsonDefault<number>;
  tax_rate_bps: JsonDefault<number>;
  receiving_account: JsonDefault<ReceivingAccount>;
  updated_at: Timestamp;
}

export interface DepositBankBindingsTable {
  tenant_id: string;
  merchant_id: string;
  company_name: string;
  bank_name: string;
  branch: string;
  account_number: string;
  status: "effective" | "ineffective";
  /** Bound before names were unique, beside another merchant's same name (migration 1665). */
  legacy_duplicate_name: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DepositAccountsTable {
  tenant_id: string;
  id: string;
  merchant_id: string;
  asset: string;
  status: AccountStatus;
  ledger_account_id: string;
  arrears_account_id: string;
  opened_by: string;
  opener_inbox: string;
  warning_value: number | null;
  warning_emails: JsonDefault<string[]>;
  warning_phones: JsonDefault<string[]>;
  threshold_override: number | null;
  merchant_threshold: number | null;
  breaker_tripped: JsonDefault<boolean>;
  breaker_changed_at: Date | null;
  configured_at: Date | null;
  activated_at: Date | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DepositTopupsTable {
  tenant_id: string;
  id: string;
  account_id: string;
  amount: number;
  reference: string;
  status: (typeof TOPUP_STATUSES)[number];
  bank_record_id: string | null;
  transfer_id: string | null;
  arrears_repaid: JsonDefault<number>;
  created_at: Timestamp;
  completed_at: Date | null;
}

export interface DepositBankRecordsTable {
  tenant_id: string;
  id: string;
  bank_transaction_id: string;
  payer_name: string;
  payer_account: string | null;
  amount: number;
  asset: string;
  reference: string | null;
  received_at: Timestamp;
  source: "api" | "statement";
  status: (typeof BANK_RECORD_STATUSES)[number];
  reason: string | null;
  topup_id: string | null;
  created_at: Timestamp;
  resolved_at: Date | null;
}

export interface DepositCampaignsTable {
  tenant_id: string;
  id: string;
  account_id: string;
  merchant_id: string;
  name: string;
  starts_at: Timestamp;
  ends_at: Timestamp;
  status: CampaignStatus;
  suspended_by_breaker: JsonDefault<boolean>;
  started_at: Date | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DepositOrderCostsTable {
  tenant_id: string;
  id: string;
  account_id: string;
  campaign_id: string | null;
  order_id: string;
  cost: number;
  /** The order's current hold (a new one only when repaid arrears are frozen again). */
  hold_id: string | null;
  status: "frozen" | "settled" | "released";
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DepositEntriesTable {
  tenant_id: string;
  id: string;
  account_id: string;
  type: EntryType;
  amount: number;
  order_id: string | null;
  campaign_id: string | null;
  order_cost_id: string | null;
  transfer_id: string | null;
  invoice_request_id: string | null;
  created_at: Timestamp;
}

export interface DepositManualItemsTable {
  tenant_id: string;
  id: string;
  account_id: string | null;
  kind: "freeze_failed" | "withdrawal_failed" | "bank_record_unmatched" | "settled_refund_on_closed_account";
  reference_id: string | null;
  detail: JsonDefault<Record<string, unknown>>;
  status: JsonDefault<"open" | "resolved">;
  created_at: Timestamp;
  resolved_at: Date | null;
}

export interface DepositWithdrawalsTable {
  tenant_id: string;
  id: string;
  account_id: string;
  amount: number;
  status: WithdrawalStatus;
  hold_id: string;
  /** The merchant's, given with the request. */
  reason: string | null;
  /** Finance's, given with the decision that led to the current status. */
  decision_reason: string | null;
  requested_by: string;
  created_at: Timestamp;
  approved_at: Date | null;
  paid_at: Date | null;
  rejected_at: Date | null;
  failed_at: Date | null;
  updated_at: Timestamp;
}

export interface DepositNoticesTable {
  tenant_id: string;
  id: string;
  account_id: string;
  kind: "suspended" | "resumed" | "warning" | "started";
  campaign_id: string | null;
  available: number;
  recipients: JsonDefault<string[]>;
  created_at: Timestamp;
  /** What is sent: recipients and template values (null on notices recorded before it was kept). */
  delivery: JsonDefault<NoticeDelivery | null>;
  /** Sent (or handed to the notifier, which records each channel's outcome). */
  delivered_at: Timestamp | null;
  /** A sender has taken it until then. */
  claimed_until: Timestamp | null;
}

export interface NoticeDelivery {
  emails: string[];
  phones: string[];
  inbox: string;
  vars: Record<string, string | number>;
}

export interface DepositInvoiceProfilesTable {
  tenant_id: string;
  account_id: string;
  company_name: string;
  tax_rate_bps: number;
  company_address: string | null;
  company_phone: string | null;
  bank_name: string | null;
  bank_account: string | null;
  tax_id: string | null;
  status: (typeof PROFILE_STATUSES)[number];
  reject_reason: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DepositMailAddressesTable {
  tenant_id: string;
  id: string;
  account_id: string;
  recipient: string;
  phone: string;
  address: string;
  created_at: Timestamp;
}

export interface DepositInvoiceRequestsTable {
  tenant_id: string;
  id: string;
  account_id: string;
  status: (typeof INVOICE_STATUSES)[number];
  settled_amount: number;
  refunded_amount: number;
  net_amount: number;
  entry_count: number;
  profile: JsonDefault<Record<string, unknown>>;
  address: JsonDefault<Record<string, unknown>>;
  filter: JsonDefault<Record<string, unknown>>;
  invoice_number: string | null;
  tracking_number: string | null;
  reject_reason: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

declare module "../../db/schema.js" {
  interface DB {
    deposit_settings: DepositSettingsTable;
    deposit_bank_bindings: DepositBankBindingsTable;
    deposit_accounts: DepositAccountsTable;
    deposit_topups: DepositTopupsTable;
    deposit_bank_records: DepositBankRecordsTable;
    deposit_campaigns: DepositCampaignsTable;
    deposit_order_costs: DepositOrderCostsTable;
    deposit_entries: DepositEntriesTable;
    deposit_manual_items: DepositManualItemsTable;
    deposit_withdrawals: DepositWithdrawalsTable;
    deposit_notices: DepositNoticesTable;
    deposit_invoice_profiles: DepositInvoiceProfilesTable;
    deposit_mail_addresses: DepositMailAddressesTable;
    deposit_invoice_requests: DepositInvoiceRequestsTable;
  }
}

export type AccountRow = Selectable<DepositAccountsTable>;
export type SettingsRow = Selectable<DepositSettingsTable>;
export type CampaignRow = Selectable<DepositCampaignsTable>;
export type OrderCostRow = Selectable<DepositOrderCostsTable>;
/**
 * What became of an order's cost so far. Not stored: derived from the order's account
 * transactions (`deposit_entries`, immutable, each pointing at its ledger transfer).
 */
export interface OrderAmounts {
  frozen: number;
  arrears: number;
  released: number;
  settled: number;
  refunded: number;
}
export type OrderWithAmounts = OrderCostRow & OrderAmounts;
export type TopupRow = Selectable<DepositTopupsTable>;
export type BankRecordRow = Selectable<DepositBankRecordsTable>;
export type WithdrawalRow = Selectable<DepositWithdrawalsTable>;
export type EntryRow = Selectable<DepositEntriesTable>;
export type ManualItemRow = Selectable<DepositManualItemsTable>;
export type BankBindingRow = Selectable<DepositBankBindingsTable>;

/** The defaults of seed 003 (the columns' defaults, migration 0400); a test compares them. */
export function defaultSettings(tenantId: string, now: Date): SettingsRow {
  return {
    tenant_id: tenantId,
    asset: "CNY",
    min_topup_amount: 300_000,
    suspension_threshold: 100_000,
    invoice_min_net_amount: 10_000,
    invoice_wait_days: 15,
    tax_rate_bps: 600,
    receiving_account: {},
    updated_at: now,
  };
}

/** The settings for a read: the stored row, or the defaults the first write stores. Writes nothing. */
export function settingsQuery(qc: QueryCreator<DB>, tenantId: string) {
  return qc.selectFrom("deposit_settings").selectAll().where("tenant_id", "=", tenantId);
}

/** A tenant whose settings were never stored has the defaults. */
export function settingsOrDefault(row: SettingsRow | undefined, tenantId: string, now: Date): SettingsRow {
  return row ?? defaultSettings(tenantId, now);
}

export async function readSettings(trx: Tx, tenantId: string, now: Date): Promise<SettingsRow> {
  return settingsOrDefault(await settingsQuery(trx, tenantId).executeTakeFirst(), tenantId, now);
}

/** The tenant's deposit settings for an operation that writes; stored on first use. */
export async function loadSettings(trx: Tx, tenantId: string, now: Date): Promise<SettingsRow> {
  await trx
    .insertInto("deposit_settings")
    .values({ tenant_id: tenantId, updated_at: now })
    .onConflict((oc) => oc.column("tenant_id").doNothing())
    .execute();
  return trx
    .selectFrom("deposit_settings")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .executeTakeFirstOrThrow();
}

/** The suspension threshold that applies to an account: its override, else the platform's. */
/**
 * The bank account a withdrawal of this deposit account is paid to: the merchant's current
 * binding (with its status; undefined when never bound).
 */
export function withdrawalBankAccountQuery(qc: QueryCreator<DB>, tenantId: string, accountId: string) {
  return qc
    .selectFrom("deposit_accounts as a")
    .innerJoin("deposit_bank_bindings as b", (j) =>
      j.onRef("b.tenant_id", "=", "a.tenant_id").onRef("b.merchant_id", "=", "a.merchant_id"),
    )
    .select(["b.company_name", "b.bank_name", "b.branch", "b.account_number", "b.status"])
    .where("a.tenant_id", "=", tenantId)
    .where("a.id", "=", accountId);
}

export function withdrawalBankAccount(trx: Tx, tenantId: string, accountId: string) {
  return withdrawalBankAccountQuery(trx, tenantId, accountId).executeTakeFirst();
}
export type WithdrawalBankAccount = NonNullable<Awaited<ReturnType<typeof withdrawalBankAccount>>>;

/**
 * The lowest suspension amount the merchant may set: finance's per-merchant override when it
 * has one (it may allow less than the platform's, or demand more), else the platform's.
 */
export function thresholdMinimum(account: AccountRow, settings: SettingsRow): number {
  return account.threshold_override ?? settings.suspension_threshold;
}

/** The amount the breaker uses: the merchant's own when it has one, never below the minimum. */
export function thresholdOf(account: AccountRow, settings: SettingsRow): number {
  const minimum = thresholdMinimum(account, settings);
  return Math.max(minimum, account.merchant_threshold ?? minimum);
}

/** A merchant org unit the actor may act for (merchant users see only their own). */
export async function merchantInScope(trx: Tx, actor: Actor, merchantId: string) {
  const unit = await trx
    .selectFrom("org_units")
    .select(["id", "kind", "name", "path"])
    .where("tenant_id", "=", actor.tenantId)
    .where("id", "=", merchantId)
    .executeTakeFirst();
  if (!unit) throw new DepositsError("merchant_not_found", "Merchant not found");
  assertInScope(actor, unit.path, "merchant");
  if (unit.kind !== "merchant")
    throw new DepositsError("not_a_merchant", "Deposit accounts belong to merchants");
  return unit;
}

/**
 * The account, checked against the actor's scope (a merchant's users reach only their own
 * account; others answer as missing). `lock` takes the row lock before the caller decides.
 */
/** The account with its merchant's org-unit path, which `accountInScope` checks the actor against. */
export function scopedAccountQuery(qc: QueryCreator<DB>, tenantId: string, accountId: string) {
  return qc
    .selectFrom("deposit_accounts as a")
    .innerJoin("org_units as o", (j) =>
      j.onRef("o.tenant_id", "=", "a.tenant_id").onRef("o.id", "=", "a.merchant_id"),
    )
    .selectAll("a")
    .select("o.path")
    .where("a.tenant_id", "=", tenantId)
    .where("a.id", "=", accountId);
}

/**
 * `accountInScope` as a condition on an export job (see `ExportDefinition.scopedJobs`): the
 * account its filters name belongs to a merchant in the subtree at `subtreePath`, as
 * `scopedAccountQuery`'s join finds it now.
 */
export function jobAccountInSubtree(eb: ExpressionBuilder<DB, "file_jobs">, subtreePath: string) {
  return eb.exists(
    eb
      .selectFrom("deposit_accounts as a")
      .innerJoin("org_units as o", (j) =>
        j.onRef("o.tenant_id", "=", "a.tenant_id").onRef("o.id", "=", "a.merchant_id"),
      )
      .select("a.id")
      .whereRef("a.tenant_id", "=", "file_jobs.tenant_id")
      .where("a.id", "=", sql<string>`file_jobs.filters ->> 'account_id'`)
      .where("o.path", "like", subtreePattern(subtreePath)),
  );
}

/** The account of `scopedAccountQuery`'s row, if there is one and the actor's scope covers it. */
export function accountInScope(actor: Actor, row: (AccountRow & { path: string }) | undefined): AccountRow {
  if (!row) throw new DepositsError("deposit_account_not_found", "Deposit account not found");
  assertInScope(actor, row.path, "deposit_account");
  const { path: _path, ...account } = row;
  return account;
}

export async function loadAccount(
  trx: Tx,
  actor: Actor,
  accountId: string,
  options: { lock?: boolean } = {},
): Promise<AccountRow> {
  let q = scopedAccountQuery(trx, actor.tenantId, accountId);
  if (options.lock) q = q.forUpdate("a");
  return accountInScope(actor, await q.executeTakeFirst());
}

/** The account by id without scope checks (platform-side flows: bank records, jobs). */
export async function accountById(
  trx: Tx,
  tenantId: string,
  accountId: string,
  options: { lock?: boolean } = {},
): Promise<AccountRow | undefined> {
  let q = trx
    .selectFrom("deposit_accounts")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", accountId);
  if (options.lock) q = q.forUpdate();
  return q.executeTakeFirst();
}

/** Tenant-wide staff only: the platform's own actions (approvals, bank records, overrides). */
export function assertPlatform(actor: Actor): void {
  if (actor.orgUnitPath !== null) {
    throw new DepositsError("forbidden", "Only the platform's tenant-wide staff can do this");
  }
}

type AccountRecordTable = "deposit_topups" | "deposit_withdrawals" | "deposit_invoice_requests";

/** One page of an account's records of one kind (top-ups, withdrawals, invoices), newest first, one row more than the limit. */
export function accountRecordsQuery<T extends AccountRecordTable>(
  qc: QueryCreator<DB>,
  tenantId: string,
  accountId: string,
  table: T,
  query: { limit?: number; starting_after?: string; status?: string },
) {
  // The three tables share the columns used here; Kysely needs one of them to type the query.
  let q = qc
    .selectFrom(table as AccountRecordTable as "deposit_topups")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("account_id", "=", accountId);
  if (query.status) q = q.where("status", "=", query.status as never);
  if (query.starting_after) q = q.where("id", "<", query.starting_after);
  return q
    .orderBy("id", "desc")
    .limit(pageLimit(query.limit) + 1)
    .$castTo<Selectable<DB[T]>>();
}

/** A page of one account's records, read with the account in one round trip; the account's scope checked. */
export async function accountRecordsPage<T extends AccountRecordTable>(
  db: Database,
  actor: Actor,
  accountId: string,
  table: T,
  query: { limit?: number; starting_after?: string; status?: string },
) {
  const [[account], rows] = await db.tenantQueries(actor.tenantId, [
    scopedAccountQuery(db.kysely, actor.tenantId, accountId),
    accountRecordsQuery(db.kysely, actor.tenantId, accountId, table, query),
  ] as const);
  accountInScope(actor, account);
  return rows;
}

/** An unmatched bank record, locked before it is matched or returned. */
export async function lockUnmatchedRecord(trx: Tx, tenantId: string, id: string): Promise<BankRecordRow> {
  const record = await trx
    .selectFrom("deposit_bank_records")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .forUpdate()
    .executeTakeFirst();
  if (!record) throw new DepositsError("bank_record_not_found", "Bank record not found");
  if (record.status !== "unmatched")
    throw new DepositsError("bank_record_not_unmatched", `The bank record is ${record.status}`);
  return record;
}

/**
 * A top-up application, locked before a bank record is matched to it, after its account: a
 * transaction holding the account may go on to lock its applications (a statement import
 * matching its next record, closing the account), so taking them the other way round
 * deadlocks with it. An application never changes accounts: the unlocked read names the one.
 */
export async function lockTopup(trx: Tx, tenantId: string, topupId: string): Promise<TopupRow> {
  const query = trx
    .selectFrom("deposit_topups")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", topupId);
  const seen = await query.executeTakeFirst();
  if (!seen) throw new DepositsError("topup_not_found", "Top-up application not found");
  await accountById(trx, tenantId, seen.account_id, { lock: true });
  return (await query.forUpdate().executeTakeFirst())!;
}
