import type { Tx } from "../../db/database.js";
import { balancesOf, findAccount } from "../../ledger/index.js";
import type { Actor } from "../../platform/auth/actor.js";
import { type PageParams, pageLimit, pageQuery } from "../../platform/http/pagination.js";
import { subtreePattern } from "../../platform/org/org-units.js";
import { accountLedgerPage } from "./account-ledger.js";
import {
  type AccountRow,
  type AccountStatus,
  assertPlatform,
  type CampaignStatus,
  depositTotals,
  type EntryType,
  loadAccount,
  readSettings,
  type SettingsRow,
  thresholdMinimum,
  thresholdOf,
} from "./deposits.repository.js";
import { iso, serializeCampaign, serializeManualItem, serializeRecord } from "./deposits.schemas.js";
import { serializeEntry } from "./deposits.serialize.js";

/** Read views: they check what the actor may see, and neither write nor lock. */

/** The account page: balances from its ledger accounts, totals from its transfers. */
export async function accountView(trx: Tx, account: AccountRow, settings: SettingsRow) {
  const deposit = await findAccount(trx, account.tenant_id, account.ledger_account_id);
  const arrears = await findAccount(trx, account.tenant_id, account.arrears_account_id);
  const d = deposit ? balancesOf(deposit) : undefined;
  const total = await depositTotals(trx, account);
  // The ledger holds withdrawals in progress like campaign costs; the seed's 冻结 (frozen) is
  // the campaign costs only, so held withdrawals are their own figure.
  const held = await trx
    .selectFrom("deposit_withdrawals")
    .select((eb) => eb.fn.coalesce(eb.fn.sum<string>("amount"), eb.lit(0)).as("amount"))
    .where("tenant_id", "=", account.tenant_id)
    .where("account_id", "=", account.id)
    .where("status", "in", ["requested", "approved", "failed"])
    .executeTakeFirstOrThrow();
  const withdrawalHeld = Number(held.amount);
  return {
    id: account.id,
    object: "deposit_account" as const,
    merchant_id: account.merchant_id,
    status: account.status,
    asset: account.asset,
    available: d?.available ?? 0,
    frozen: (d?.debits_pending ?? 0) - withdrawalHeld,
    withdrawal_held: withdrawalHeld,
    arrears: arrears ? balancesOf(arrears).posted : 0,
    balance: d?.posted ?? 0,
    total_topped_up: total("deposit_topup"),
    total_settled: total("deposit_settle"),
    total_withdrawn: total("deposit_withdrawal_paid"),
    warning_value: account.warning_value,
    warning_emails: account.warning_emails,
    warning_phones: account.warning_phones,
    suspension_threshold: thresholdOf(account, settings),
    suspension_threshold_minimum: thresholdMinimum(account, settings),
    merchant_threshold: account.merchant_threshold,
    threshold_override: account.threshold_override,
    campaigns_suspended: account.breaker_tripped,
    ledger_account_id: account.ledger_account_id,
    activated_at: iso(account.activated_at),
    created_at: account.created_at.toISOString(),
    updated_at: account.updated_at.toISOString(),
  };
}

/** One account as the actor may see it. */
export async function showAccount(trx: Tx, actor: Actor, accountId: string, now: Date) {
  const account = await loadAccount(trx, actor, accountId);
  return accountView(trx, account, await readSettings(trx, account.tenant_id, now));
}

/** The deposit accounts of the actor's merchants. */
export async function listAccounts(
  trx: Tx,
  actor: Actor,
  query: PageParams & { status?: AccountStatus; merchant_id?: string },
  now: Date,
) {
  let q = trx
    .selectFrom("deposit_accounts as a")
    .innerJoin("org_units as o", (j) =>
      j.onRef("o.tenant_id", "=", "a.tenant_id").onRef("o.id", "=", "a.merchant_id"),
    )
    .selectAll("a")
    .where("a.tenant_id", "=", actor.tenantId);
  if (actor.orgUnitPath) q = q.where("o.path", "like", subtreePattern(actor.orgUnitPath));
  if (query.status) q = q.where("a.status", "=", query.status);
  if (query.merchant_id) q = q.where("a.merchant_id", "=", query.merchant_id);
  const settings = await readSettings(trx, actor.tenantId, now);
  return pageQuery(q, query, (row) => accountView(trx, row, settings), { by: "a.id" });
}

/** Bank records (platform only); `unmatched` is the queue to match by hand or return. */
export async function listBankRecords(
  trx: Tx,
  actor: Actor,
  query: PageParams & { status?: "matched" | "unmatched" | "returned" },
) {
  assertPlatform(actor);
  let q = trx.selectFrom("deposit_bank_records").selectAll().where("tenant_id", "=", actor.tenantId);
  if (query.status) q = q.where("status", "=", query.status);
  return pageQuery(q, query, (r) => serializeRecord(r));
}

/** Campaigns of the actor's merchants. */
export async function listCampaigns(
  trx: Tx,
  actor: Actor,
  query: PageParams & { merchant_id?: string; status?: CampaignStatus },
) {
  let q = trx
    .selectFrom("deposit_campaigns as c")
    .innerJoin("org_units as o", (j) =>
      j.onRef("o.tenant_id", "=", "c.tenant_id").onRef("o.id", "=", "c.merchant_id"),
    )
    .selectAll("c")
    .where("c.tenant_id", "=", actor.tenantId);
  if (actor.orgUnitPath) q = q.where("o.path", "like", subtreePattern(actor.orgUnitPath));
  if (query.merchant_id) q = q.where("c.merchant_id", "=", query.merchant_id);
  if (query.status) q = q.where("c.status", "=", query.status);
  return pageQuery(q, query, serializeCampaign, { by: "c.id" });
}

/** The account's transactions (freeze, release, settle, …), filtered. */
export async function listEntries(
  trx: Tx,
  actor: Actor,
  accountId: string,
  query: PageParams & {
    type?: EntryType;
    order_id?: string;
    campaign_id?: string;
    created_gte?: string;
    created_lt?: string;
  },
) {
  const account = await loadAccount(trx, actor, accountId);
  let q = trx
    .selectFrom("deposit_entries")
    .selectAll()
    .where("tenant_id", "=", account.tenant_id)
    .where("account_id", "=", account.id);
  if (query.type) q = q.where("type", "=", query.type);
  if (query.order_id) q = q.where("order_id", "=", query.order_id);
  if (query.campaign_id) q = q.where("campaign_id", "=", query.campaign_id);
  if (query.created_gte) q = q.where("created_at", ">=", new Date(query.created_gte));
  if (query.created_lt) q = q.where("created_at", "<", new Date(query.created_lt));
  return pageQuery(q, query, serializeEntry);
}

/**
 * The account's ledger: income and expense with the running balance; a withdrawal shows as an
 * expense while it is processing (see account-ledger.ts).
 */
export async function accountLedger(
  trx: Tx,
  actor: Actor,
  accountId: string,
  query: PageParams & { created_gte?: string; created_lt?: string },
) {
  const account = await loadAccount(trx, actor, accountId);
  const page = await accountLedgerPage(trx, account, {
    limit: pageLimit(query.limit),
    starting_after: query.starting_after,
    created_gte: query.created_gte ? new Date(query.created_gte) : undefined,
    created_lt: query.created_lt ? new Date(query.created_lt) : undefined,
  });
  const data = page.lines.map((l) => ({ ...l, created_at: l.created_at.toISOString() }));
  return { object: "list" as const, data, has_more: page.hasMore };
}

/** The manual-handling list (platform only). */
export async function listManualItems(
  trx: Tx,
  actor: Actor,
  query: PageParams & { status?: "open" | "resolved" },
) {
  assertPlatform(actor);
  let q = trx.selectFrom("deposit_manual_items").selectAll().where("tenant_id", "=", actor.tenantId);
  if (query.status) q = q.where("status", "=", query.status);
  return pageQuery(q, query, serializeManualItem);
}
