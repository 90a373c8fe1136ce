import type { Tx } from "../../db/database.js";
import { balancesOf, findAccounts } from "../../ledger/index.js";
import type { Actor } from "../../platform/auth/actor.js";
import {
  type PageParams,
  pageLimit,
  pageOfRows,
  pageQuery,
  pageRowsQuery,
} from "../../platform/http/pagination.js";
import { subtreePattern } from "../../platform/org/org-units.js";
import { accountLedgerPage } from "./account-ledger.js";
import {
  type AccountRow,
  type AccountStatus,
  assertPlatform,
  type CampaignStatus,
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
  return (await accountViews(trx, [account], settings))[0]!;
}

type TotalCode = "deposit_topup" | "deposit_settle" | "deposit_withdrawal_paid";
const TOTAL_CODES: readonly TotalCode[] = ["deposit_topup", "deposit_settle", "deposit_withdrawal_paid"];

/**
 * `accountView` for a page of accounts, in four reads whatever their number: the ledger
 * accounts, the transfer totals, and the withdrawals held. A transfer counts for an account
 * on either side (never both: a transfer's two accounts differ).
 */
export async function accountViews(trx: Tx, accounts: readonly AccountRow[], settings: SettingsRow) {
  if (accounts.length === 0) return [];
  const tenantId = accounts[0]!.tenant_id;
  const depositIds = accounts.map((a) => a.ledger_account_id);
  const ledger = new Map(
    (await findAccounts(trx, tenantId, [...depositIds, ...accounts.map((a) => a.arrears_account_id)])).map(
      (a) => [a.id, a],
    ),
  );
  const side = (column: "debit_account_id" | "credit_account_id") =>
    trx
      .selectFrom("ledger_transfers")
      .select([`${column} as account_id`, "code"])
      .select((eb) => eb.fn.sum<string>("amount").as("total"))
      .where("tenant_id", "=", tenantId)
      .where(column, "in", depositIds)
      .where("code", "in", [...TOTAL_CODES])
      .where("kind", "in", ["posted", "post_pending"])
      .groupBy([column, "code"]);
  const totals = await side("debit_account_id").unionAll(side("credit_account_id")).execute();
  const totalOf = new Map<string, number>();
  for (const t of totals) {
    const key = `${t.account_id} ${t.code}`;
    totalOf.set(key, (totalOf.get(key) ?? 0) + Number(t.total));
  }
  // The ledger holds withdrawals in progress like campaign costs; the seed's 冻结 (frozen) is
  // the campaign costs only, so held withdrawals are their own figure.
  const heldRows = await trx
    .selectFrom("deposit_withdrawals")
    .select("account_id")
    .select((eb) => eb.fn.sum<string>("amount").as("amount"))
    .where("tenant_id", "=", tenantId)
    .where(
      "account_id",
      "in",
      accounts.map((a) => a.id),
    )
    .where("status", "in", ["requested", "approved", "failed"])
    .groupBy("account_id")
    .execute();
  const heldOf = new Map(heldRows.map((h) => [h.account_id, Number(h.amount)]));
  return accounts.map((account) => {
    const deposit = ledger.get(account.ledger_account_id);
    const arrears = ledger.get(account.arrears_account_id);
    const d = deposit ? balancesOf(deposit) : undefined;
    const total = (code: TotalCode) => totalOf.get(`${account.ledger_account_id} ${code}`) ?? 0;
    const withdrawalHeld = heldOf.get(account.id) ?? 0;
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
  });
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
  const rows = await pageRowsQuery(q, query, { by: "a.id" }).execute();
  const views = await accountViews(trx, rows.slice(0, pageLimit(query.limit)), settings);
  const viewOf = new Map(views.map((v) => [v.id, v]));
  return pageOfRows(rows, query, (row) => viewOf.get(row.id)!);
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
