import { type QueryCreator, type RawBuilder, sql } from "kysely";
import { type Database, setTenant, type Tx } from "../db/database.js";
import type { DB } from "../db/schema.js";
import { DomainError } from "../shared/errors.js";
import { balancesOf, TRANSFER_COLUMNS } from "./engine.js";
import type { TransferKind } from "./ledger.schema.js";
import type { Account, Asset, Transfer } from "./types.js";

export const MAX_PAGE = 100;
/** A CSV export of a statement stops here; narrow the time range for more. */
export const MAX_EXPORT_ROWS = 100_000;

export interface AssetInput {
  code: string;
  scale: number;
  symbol?: string | null;
  name: string;
}

/** Assets are created rarely and outside the hot path: plain transaction, idempotent on code. */
export async function createAsset(
  trx: Tx,
  tenantId: string,
  input: AssetInput,
  now: Date,
): Promise<{ created: boolean; asset: Asset }> {
  if (!/^[A-Z][A-Z0-9_]{1,15}$/.test(input.code)) {
    throw new DomainError(
      "validation_failed",
      "An asset code is 2-16 characters A-Z 0-9 _, starting with a letter",
    );
  }
  if (!Number.isInteger(input.scale) || input.scale < 0 || input.scale > 8) {
    throw new DomainError("validation_failed", "scale is the number of minor-unit digits, 0-8");
  }
  const inserted = await trx
    .insertInto("ledger_assets")
    .values({
      tenant_id: tenantId,
      code: input.code,
      scale: input.scale,
      symbol: input.symbol ?? null,
      name: input.name,
      created_at: now,
    })
    .onConflict((oc) => oc.columns(["tenant_id", "code"]).doNothing())
    .returning(["code", "scale", "symbol", "name", "created_at"])
    .executeTakeFirst();
  if (inserted) return { created: true, asset: inserted };
  const existing = await trx
    .selectFrom("ledger_assets")
    .select(["code", "scale", "symbol", "name", "created_at"])
    .where("tenant_id", "=", tenantId)
    .where("code", "=", input.code)
    .executeTakeFirstOrThrow();
  if (existing.scale !== input.scale) {
    throw new DomainError("asset_exists", `Asset ${input.code} exists with scale ${existing.scale}`);
  }
  return { created: false, asset: existing };
}

export async function findAsset(trx: Tx, tenantId: string, code: string): Promise<Asset | undefined> {
  return trx
    .selectFrom("ledger_assets")
    .select(["code", "scale", "symbol", "name", "created_at"])
    .where("tenant_id", "=", tenantId)
    .where("code", "=", code)
    .executeTakeFirst();
}

/** The tenant's assets by code, as a query for a transaction or for `Database.tenantQuery`. */
export function assetsQuery(qc: QueryCreator<DB>, tenantId: string) {
  return qc
    .selectFrom("ledger_assets")
    .select(["code", "scale", "symbol", "name", "created_at"])
    .where("tenant_id", "=", tenantId)
    .orderBy("code")
    .limit(1000);
}

export async function listAssets(trx: Tx, tenantId: string): Promise<Asset[]> {
  return assetsQuery(trx, tenantId).execute();
}

/** The account's row, as a query for a transaction or for `Database.tenantQuery`. */
export function accountQuery(qc: QueryCreator<DB>, tenantId: string, id: string) {
  return qc.selectFrom("ledger_accounts").selectAll().where("tenant_id", "=", tenantId).where("id", "=", id);
}

export async function findAccount(trx: Tx, tenantId: string, id: string): Promise<Account | undefined> {
  return accountQuery(trx, tenantId, id).executeTakeFirst();
}

/** Accounts by id, in one read (unknown ids are left out): pages that show many records' balances. */
export async function findAccounts(trx: Tx, tenantId: string, ids: readonly string[]): Promise<Account[]> {
  if (ids.length === 0) return [];
  return trx
    .selectFrom("ledger_accounts")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "in", [...new Set(ids)])
    .execute();
}

export interface AccountFilter {
  asset?: string;
  kind?: string;
  owner_module?: string;
  owner_id?: string;
  limit: number;
  starting_after?: string;
}

/** Accounts ordered by id (time-ordered for generated ids); `limit + 1` rows to tell has_more. */
export function accountsQuery(qc: QueryCreator<DB>, tenantId: string, f: AccountFilter) {
  let q = qc.selectFrom("ledger_accounts").selectAll().where("tenant_id", "=", tenantId);
  if (f.asset) q = q.where("asset", "=", f.asset);
  if (f.kind) q = q.where("kind", "=", f.kind);
  if (f.owner_module) q = q.where("owner_module", "=", f.owner_module);
  if (f.owner_id) q = q.where("owner_id", "=", f.owner_id);
  if (f.starting_after) q = q.where("id", ">", f.starting_after);
  return q.orderBy("id").limit(Math.min(f.limit, MAX_PAGE) + 1);
}

export async function listAccounts(trx: Tx, tenantId: string, f: AccountFilter): Promise<Account[]> {
  return accountsQuery(trx, tenantId, f).execute();
}

export async function findTransfer(trx: Tx, tenantId: string, id: string): Promise<Transfer | undefined> {
  const rows = await sql<Transfer>`select ${sql.raw(TRANSFER_COLUMNS)} from ledger_transfers
    where tenant_id = ${tenantId} and id = ${id}`.execute(trx);
  return rows.rows[0];
}

export { holdState } from "./holds.js";

export interface TransferFilter {
  account_id?: string;
  kind?: TransferKind;
  code?: string;
  reference_module?: string;
  reference_id?: string;
  pending_id?: string;
  created_gte?: Date;
  created_lt?: Date;
  limit: number;
  /** A transfer id: the page continues after it. */
  starting_after?: string;
  /** Oldest first (statements) or newest first (lists). */
  order?: "asc" | "desc";
}

async function cursorSeq(trx: Tx, tenantId: string, id: string | undefined): Promise<number | undefined> {
  if (id === undefined) return undefined;
  const row = await trx
    .selectFrom("ledger_transfers")
    .select("seq")
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) throw new DomainError("validation_failed", `starting_after: transfer ${id} not found`);
  return row.seq;
}

export async function listTransfers(
  trx: Tx,
  tenantId: string,
  f: TransferFilter,
): Promise<(Transfer & { seq: number })[]> {
  const after = await cursorSeq(trx, tenantId, f.starting_after);
  const desc = f.order === "desc";
  const conditions = transferConditions(tenantId, f);
  if (after !== undefined) conditions.push(desc ? sql`seq < ${after}` : sql`seq > ${after}`);
  const rows = await sql<Transfer & { seq: number }>`
    select seq, ${sql.raw(TRANSFER_COLUMNS)} from ledger_transfers
    where ${sql.join(conditions, sql` and `)}
    order by seq ${sql.raw(desc ? "desc" : "asc")}
    limit ${f.limit + 1}`.execute(trx);
  return rows.rows;
}

/**
 * How many transfers `listTransfers` would page through with these filters (all pages); `only`
 * narrows them further, for a caller that shows some of them (a condition on ledger_transfers).
 */
export async function countTransfers(
  trx: Tx,
  tenantId: string,
  f: Omit<TransferFilter, "limit" | "starting_after" | "order">,
  only?: RawBuilder<boolean>,
): Promise<number> {
  const conditions = transferConditions(tenantId, f);
  if (only) conditions.push(only);
  const rows = await sql<{ n: string }>`
    select count(*) as n from ledger_transfers
    where ${sql.join(conditions, sql` and `)}`.execute(trx);
  return Number(rows.rows[0]?.n ?? 0);
}

function transferConditions(tenantId: string, f: Omit<TransferFilter, "limit">) {
  const conditions = [sql`tenant_id = ${tenantId}`];
  if (f.account_id) {
    conditions.push(sql`(debit_account_id = ${f.account_id} or credit_account_id = ${f.account_id})`);
  }
  if (f.kind) conditions.push(sql`kind = ${f.kind}`);
  if (f.code) conditions.push(sql`code = ${f.code}`);
  if (f.reference_module) conditions.push(sql`reference_module = ${f.reference_module}`);
  if (f.reference_id) conditions.push(sql`reference_id = ${f.reference_id}`);
  if (f.pending_id) conditions.push(sql`pending_id = ${f.pending_id}`);
  if (f.created_gte) conditions.push(sql`created_at >= ${f.created_gte}`);
  if (f.created_lt) conditions.push(sql`created_at < ${f.created_lt}`);
  return conditions;
}

export interface StatementEntry {
  transfer_id: string;
  seq: number;
  kind: TransferKind;
  direction: "debit" | "credit";
  /** Signed on the account's normal side: what this entry added to its posted balance. */
  posted_change: number;
  amount: number;
  code: string;
  reference_module: string | null;
  reference_id: string | null;
  memo: string | null;
  pending_id: string | null;
  /** Posted balance on the account's normal side right after this entry. */
  balance: number;
  created_at: Date;
}

export interface Statement {
  account: Account;
  entries: StatementEntry[];
  has_more: boolean;
}

/** An account's entries with running balance, oldest first (the "balance change log"). */
export async function statement(
  trx: Tx,
  tenantId: string,
  accountId: string,
  f: Omit<TransferFilter, "account_id" | "order">,
): Promise<Statement | undefined> {
  const account = await findAccount(trx, tenantId, accountId);
  if (!account) return undefined;
  const rows = await listTransfers(trx, tenantId, { ...f, account_id: accountId, order: "asc" });
  const sign = account.credits_must_not_exceed_debits ? -1 : 1;
  const entries = rows.slice(0, f.limit).map((t): StatementEntry => {
    const debit = t.debit_account_id === accountId;
    const posted = t.kind === "posted" || t.kind === "post_pending" ? t.amount : 0;
    return {
      transfer_id: t.id,
      seq: t.seq,
      kind: t.kind,
      direction: debit ? "debit" : "credit",
      posted_change: sign * (debit ? -posted : posted),
      amount: t.amount,
      code: t.code,
      reference_module: t.reference_module,
      reference_id: t.reference_id,
      memo: t.memo,
      pending_id: t.pending_id,
      balance: sign * (debit ? t.debit_balance : t.credit_balance),
      created_at: t.created_at,
    };
  });
  return { account, entries, has_more: rows.length > f.limit };
}

/**
 * Sums over all of an asset's accounts may pass 2^53 even though each balance stays below
 * it, so they are decimal integer strings (exact, like PostgreSQL's numeric).
 */
export interface TrialBalanceRow {
  asset: string;
  accounts: number;
  debits_posted: string;
  credits_posted: string;
  debits_pending: string;
  credits_pending: string;
  balanced: boolean;
}

/** A sum as a number while that is exact, else as a decimal string. */
const exact = (value: bigint): number | string =>
  value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(value)
    : value.toString();

/** Per asset Σdebits and Σcredits over every account's stored balances, as a query (see `trialBalanceOf`). */
export function trialBalanceQuery(qc: QueryCreator<DB>, tenantId: string) {
  return qc
    .selectFrom("ledger_accounts")
    .select([
      "asset",
      sql<string>`count(*)`.as("accounts"),
      sql<string>`coalesce(sum(debits_posted), 0)`.as("dp"),
      sql<string>`coalesce(sum(credits_posted), 0)`.as("cp"),
      sql<string>`coalesce(sum(debits_pending), 0)`.as("dpe"),
      sql<string>`coalesce(sum(credits_pending), 0)`.as("cpe"),
    ])
    .where("tenant_id", "=", tenantId)
    .groupBy("asset")
    .orderBy("asset");
}

/** The trial balance of `trialBalanceQuery`'s rows: per asset, the debits must equal the credits. */
export function trialBalanceOf(
  rows: readonly { asset: string; accounts: string; dp: string; cp: string; dpe: string; cpe: string }[],
): TrialBalanceRow[] {
  return rows.map((r) => ({
    asset: r.asset,
    accounts: Number(r.accounts),
    debits_posted: BigInt(r.dp).toString(),
    credits_posted: BigInt(r.cp).toString(),
    debits_pending: BigInt(r.dpe).toString(),
    credits_pending: BigInt(r.cpe).toString(),
    balanced: BigInt(r.dp) === BigInt(r.cp) && BigInt(r.dpe) === BigInt(r.cpe),
  }));
}

export async function trialBalance(trx: Tx, tenantId: string): Promise<TrialBalanceRow[]> {
  return trialBalanceOf(await trialBalanceQuery(trx, tenantId).execute());
}

/**
 * What a journal row adds to its accounts' pending balances: a hold its amount; a void
 * releases its amount, a post all that was left of its hold.
 */
const RELEASED = sql.raw(`(case when t.kind = 'pending' then t.amount
  when t.kind = 'void_pending' then -t.amount when t.kind = 'post_pending' then -t.pending_before else 0 end)`);

export interface VerifyDifference {
  account_id: string;
  field: "debits_posted" | "credits_posted" | "debits_pending" | "credits_pending" | "missing_account";
  stored: number | null;
  /** A number, or a decimal string when a corrupt journal sums past 2^53. */
  journal: number | string;
}

export interface VerifyReport {
  ok: boolean;
  accounts_checked: number;
  transfers_checked: number;
  differences: VerifyDifference[];
  /** Transfers whose accounts or asset do not match (none may exist). */
  malformed_transfers: string[];
  /** Accounts whose balances break their own limit flag (none may exist). */
  flag_violations: string[];
  trial_balance: TrialBalanceRow[];
}

/**
 * Recomputes every account's four balances from the journal alone and compares them with
 * the stored ones; checks each transfer's accounts and asset, each flag and Σdebits = Σcredits.
 */
export async function verifyLedger(db: Database, tenantId: string): Promise<VerifyReport> {
  // One snapshot for the journal and the balances, so concurrent writers cannot fake a difference.
  return db.kysely
    .transaction()
    .setIsolationLevel("repeatable read")
    .setAccessMode("read only")
    .execute(async (trx) => {
      await setTenant(trx, tenantId);
      // Whole-journal scans: hash joins, never a nested loop the planner may pick on stale statistics.
      await sql`set local enable_nestloop = off`.execute(trx);
      const journal = await sql<{
        account_id: string;
        dp: string;
        cp: string;
        dpe: string;
        cpe: string;
      }>`
      select x.account_id,
        sum(case when x.side = 'd' and t.kind in ('posted', 'post_pending') then t.amount else 0 end) as dp,
        sum(case when x.side = 'c' and t.kind in ('posted', 'post_pending') then t.amount else 0 end) as cp,
        sum(case when x.side = 'd' then ${RELEASED} else 0 end) as dpe,
        sum(case when x.side = 'c' then ${RELEASED} else 0 end) as cpe
      from ledger_transfers t
      cross join lateral (values (t.debit_account_id, 'd'), (t.credit_account_id, 'c')) as x(account_id, side)
      where t.tenant_id = ${tenantId}
      group by x.account_id`.execute(trx);
      const accounts = await trx
        .selectFrom("ledger_accounts")
        .selectAll()
        .where("tenant_id", "=", tenantId)
        .execute();
      const byId = new Map(accounts.map((a) => [a.id, a]));
      const differences: VerifyDifference[] = [];
      const seen = new Set<string>();
      const fields = ["debits_posted", "credits_posted", "debits_pending", "credits_pending"] as const;
      for (const row of journal.rows) {
        seen.add(row.account_id);
        const computed = [row.dp, row.cp, row.dpe, row.cpe].map((v) => BigInt(v));
        const account = byId.get(row.account_id);
        if (!account) {
          differences.push({
            account_id: row.account_id,
            field: "missing_account",
            stored: null,
            journal: exact(computed[0]! + computed[1]!),
          });
          continue;
        }
        fields.forEach((field, i) => {
          if (BigInt(account[field]) !== computed[i]) {
            differences.push({
              account_id: account.id,
              field,
              stored: account[field],
              journal: exact(computed[i]!),
            });
          }
        });
      }
      for (const account of accounts) {
        if (seen.has(account.id)) continue;
        for (const field of fields) {
          if (account[field] !== 0)
            differences.push({ account_id: account.id, field, stored: account[field], journal: 0 });
        }
      }
      // A hold's resolutions form one chain: the first starts from the hold's amount, each next
      // one from what the void before it left, and nothing follows a post.
      const malformed = await sql<{ id: string }>`
      with steps as (
        select id,
          lag(case when kind = 'void_pending' then pending_before - amount end)
            over (partition by pending_id order by pending_before desc) as left_before,
          lag(kind) over (partition by pending_id order by pending_before desc) as kind_before,
          row_number() over (partition by pending_id order by pending_before desc) as step
        from ledger_transfers where tenant_id = ${tenantId} and pending_id is not null
      )
      select t.id from ledger_transfers t
      left join ledger_accounts d on d.tenant_id = t.tenant_id and d.id = t.debit_account_id
      left join ledger_accounts c on c.tenant_id = t.tenant_id and c.id = t.credit_account_id
      left join ledger_transfers p on p.tenant_id = t.tenant_id and p.id = t.pending_id
      left join steps s on s.id = t.id
      where t.tenant_id = ${tenantId}
        and (d.id is null or c.id is null or d.asset <> t.asset or c.asset <> t.asset
          or (t.pending_id is not null and (p.id is null or p.kind <> 'pending'
              or p.debit_account_id <> t.debit_account_id or p.credit_account_id <> t.credit_account_id
              or t.pending_before is null or t.amount > t.pending_before
              or t.pending_before <> (case when s.step = 1 then p.amount else s.left_before end)
              or s.kind_before = 'post_pending')))
      limit 100`.execute(trx);
      const flagViolations = accounts
        .filter((a) => {
          const b = balancesOf(a);
          const limited = a.debits_must_not_exceed_credits || a.credits_must_not_exceed_debits;
          return limited && b.available + a.overdraft_limit < 0;
        })
        .map((a) => a.id);
      const count = await sql<{
        n: string;
      }>`select count(*) as n from ledger_transfers where tenant_id = ${tenantId}`.execute(trx);
      const trial = await trialBalance(trx, tenantId);
      return {
        ok:
          differences.length === 0 &&
          malformed.rows.length === 0 &&
          flagViolations.length === 0 &&
          trial.every((r) => r.balanced),
        accounts_checked: accounts.length,
        transfers_checked: Number(count.rows[0]?.n ?? 0),
        differences: differences.slice(0, 100),
        malformed_transfers: malformed.rows.map((r) => r.id),
        flag_violations: flagViolations.slice(0, 100),
        trial_balance: trial,
      };
    });
}

/** One tenant's verification, or why it could not be run. */
export type TenantVerifyReport = { tenant_id: string; error: string | null } & Pick<
  VerifyReport,
  "ok" | "accounts_checked" | "transfers_checked" | "differences" | "flag_violations"
>;

/**
 * Verifies each tenant in turn. One tenant's failure (a difference, or an error that stops
 * its check) is reported and the check goes on to the others: an operator checking every
 * tenant must never lose the rest to one.
 */
export async function verifyTenants(
  db: Database,
  tenantIds: readonly string[],
): Promise<TenantVerifyReport[]> {
  const reports: TenantVerifyReport[] = [];
  for (const tenantId of tenantIds) {
    try {
      const r = await verifyLedger(db, tenantId);
      reports.push({
        tenant_id: tenantId,
        error: null,
        ok: r.ok,
        accounts_checked: r.accounts_checked,
        transfers_checked: r.transfers_checked,
        differences: r.differences,
        flag_violations: r.flag_violations,
      });
    } catch (error) {
      reports.push({
        tenant_id: tenantId,
        error: error instanceof Error ? error.message : String(error),
        ok: false,
        accounts_checked: 0,
        transfers_checked: 0,
        differences: [],
        flag_violations: [],
      });
    }
  }
  return reports;
}
