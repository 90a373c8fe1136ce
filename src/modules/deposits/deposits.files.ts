import type { Tx } from "../../db/database.js";
import { systemActor } from "../../platform/auth/actor.js";
import type { RowError } from "../../platform/files/files.schema.js";
import type { ExportDefinition, ImportDefinition } from "../../platform/files/registry.js";
import { parseDateTime } from "../../shared/date-time.js";
import { type AccountLedgerLine, accountLedgerPage, countAccountLedgerLines } from "./account-ledger.js";
import { DepositsError } from "./deposits.errors.js";
import { deliverNotices, type PendingNotice } from "./deposits.notices.js";
import {
  accountById,
  ENTRY_TYPES,
  type EntryRow,
  type EntryType,
  jobAccountInSubtree,
  loadAccount,
} from "./deposits.repository.js";
import { BANK_RECORD_MAX_LENGTH as MAX_LENGTH } from "./deposits.schemas.js";
import { receiveBankRecord } from "./receive-bank-record.js";

/**
 * The deposits module's files: the account ledger and the account's transactions out (xlsx/CSV;
 * a merchant's own users may start them for their account) and bank statements in (each row matched like a bank record from the API).
 */

const PAGE = 2000;

/** The filters of an export of one deposit account's data: the account, a creation range. */
function accountFilters(filters: Record<string, unknown>) {
  if (typeof filters.account_id !== "string" || filters.account_id === "") {
    throw new DepositsError("validation_failed", "A deposit account export needs filters.account_id", {
      errors: [{ field: "/body/filters/account_id", message: "is required (a deposit account id)" }],
    });
  }
  for (const key of ["created_gte", "created_lt"] as const) {
    const value = filters[key];
    if (value !== undefined && parseDateTime(value) === undefined) {
      throw new DepositsError("validation_failed", `filters.${key} is not a time`, {
        errors: [{ field: `/body/filters/${key}`, message: "must be an RFC 3339 date-time" }],
      });
    }
  }
  return {
    accountId: filters.account_id,
    ...(typeof filters.created_gte === "string" ? { created_gte: new Date(filters.created_gte) } : {}),
    ...(typeof filters.created_lt === "string" ? { created_lt: new Date(filters.created_lt) } : {}),
  };
}

/**
 * Exports of one account's data are open to a merchant's own users (their scope reads that
 * account); another merchant's account answers as missing, like the API.
 */
const accountInScope: ExportDefinition["scoped"] = async (trx, actor, filters) =>
  void (await loadAccount(trx, actor, accountFilters(filters).accountId));

async function accountOf(trx: Tx, tenantId: string, accountId: string) {
  const account = await accountById(trx, tenantId, accountId);
  if (!account) throw new DepositsError("deposit_account_not_found", "Deposit account not found");
  return account;
}

const accountExists: ExportDefinition["checkReferences"] = async (trx, tenantId, filters) =>
  void (await accountOf(trx, tenantId, accountFilters(filters).accountId));

export const DEPOSIT_LEDGER_EXPORT: ExportDefinition<AccountLedgerLine> = {
  type: "deposit_account_ledger",
  description:
    "A deposit account's ledger: every balance change as income or expense with the running balance (filters: account_id, created_gte, created_lt)",
  permission: "deposits.read",
  validateFilters: (filters) => void accountFilters(filters),
  checkReferences: accountExists,
  scoped: accountInScope,
  scopedJobs: jobAccountInSubtree,
  columns: [
    { key: "created_at", header: "created_at", value: (l) => l.created_at },
    { key: "transfer_id", header: "transfer_id", value: (l) => l.transfer_id },
    { key: "direction", header: "direction", value: (l) => l.direction },
    { key: "amount", header: "amount", value: (l) => l.amount },
    { key: "balance", header: "balance", value: (l) => l.balance },
    { key: "code", header: "code", value: (l) => l.code },
    { key: "reference_id", header: "reference_id", value: (l) => l.reference_id },
  ],
  count: async (trx, tenantId, filters) => {
    const { accountId, ...range } = accountFilters(filters);
    const account = await accountById(trx, tenantId, accountId);
    return account ? countAccountLedgerLines(trx, account, range) : 0;
  },
  batches: async function* (trx, tenantId, filters) {
    const { accountId, ...range } = accountFilters(filters);
    const account = await accountOf(trx, tenantId, accountId);
    let after: string | undefined;
    for (;;) {
      const page = await accountLedgerPage(trx, account, {
        ...range,
        limit: PAGE,
        ...(after ? { starting_after: after } : {}),
      });
      if (page.lines.length > 0) yield page.lines;
      if (!page.hasMore || page.lines.length === 0) return;
      after = page.lines[page.lines.length - 1]!.transfer_id;
    }
  },
};

function transactionFilters(filters: Record<string, unknown>) {
  const base = accountFilters(filters);
  const type = filters.type;
  if (type !== undefined && !ENTRY_TYPES.includes(type as EntryType)) {
    throw new DepositsError("validation_failed", "filters.type is not a transaction type", {
      errors: [{ field: "/body/filters/type", message: `must be one of ${ENTRY_TYPES.join(", ")}` }],
    });
  }
  return { ...base, ...(type ? { type: type as EntryType } : {}) };
}

/** The transactions the export writes (and counts): the account's, of the type, in the range. */
function entriesQuery(trx: Tx, tenantId: string, f: ReturnType<typeof transactionFilters>) {
  let q = trx
    .selectFrom("deposit_entries")
    .where("tenant_id", "=", tenantId)
    .where("account_id", "=", f.accountId);
  if (f.type) q = q.where("type", "=", f.type);
  if (f.created_gte) q = q.where("created_at", ">=", f.created_gte);
  if (f.created_lt) q = q.where("created_at", "<", f.created_lt);
  return q;
}

/** The account's transactions (the seed's 交易流水: freeze, refund, settled, settled refund, arrears). */
export const DEPOSIT_TRANSACTIONS_EXPORT: ExportDefinition<EntryRow> = {
  type: "deposit_account_transactions",
  description:
    "A deposit account's transactions: freezes, releases, settlements, settled refunds and arrears by order (filters: account_id, type, created_gte, created_lt)",
  permission: "deposits.read",
  validateFilters: (filters) => void transactionFilters(filters),
  checkReferences: accountExists,
  scoped: accountInScope,
  scopedJobs: jobAccountInSubtree,
  columns: [
    { key: "created_at", header: "created_at", value: (e) => e.created_at },
    { key: "id", header: "id", value: (e) => e.id },
    { key: "type", header: "type", value: (e) => e.type },
    { key: "amount", header: "amount", value: (e) => e.amount },
    { key: "order_id", header: "order_id", value: (e) => e.order_id },
    { key: "campaign_id", header: "campaign_id", value: (e) => e.campaign_id },
    { key: "transfer_id", header: "transfer_id", value: (e) => e.transfer_id },
  ],
  count: async (trx, tenantId, filters) => {
    const row = await entriesQuery(trx, tenantId, transactionFilters(filters))
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },
  batches: async function* (trx, tenantId, filters) {
    const f = transactionFilters(filters);
    // A missing account fails the job as such, not as an empty file.
    await accountOf(trx, tenantId, f.accountId);
    let after = "";
    for (;;) {
      const rows = await entriesQuery(trx, tenantId, f)
        .selectAll()
        .where("id", ">", after)
        .orderBy("id")
        .limit(PAGE)
        .execute();
      if (rows.length > 0) yield rows;
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1]!.id;
    }
  },
};

interface StatementRow {
  bank_transaction_id: string;
  payer_name: string;
  payer_account: string | null;
  amount: number;
  asset: string;
  reference: string | null;
  received_at: Date;
}

const BANK_TXN = /^[A-Za-z0-9_.:-]{1,64}$/;
/** Amounts in the statement are decimals with at most 2 places ("3000.00"); stored in minor units. */
const DECIMAL = /^(\d{1,13})(?:\.(\d{1,2}))?$/;

/** The API's maxLength counts code points (ajv), not UTF-16 units: an emoji is one character. */
function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

export function parseStatementAmount(text: string): number | undefined {
  const m = DECIMAL.exec(text.replace(/,/g, ""));
  if (!m) return undefined;
  return Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0"));
}

export const BANK_STATEMENT_IMPORT: ImportDefinition<StatementRow> = {
  type: "deposit_bank_statement",
  description:
    "A bank statement of incoming transfers: each row is matched to a top-up application (company name and exact amount) or queued as unmatched; a bank transaction id seen before is skipped",
  permission: "deposits.finance",
  columns: [
    {
      key: "bank_transaction_id",
      header: "bank_transaction_id",
      required: true,
      description: "The bank's unique id",
      example: "20261123000123",
    },
    {
      key: "payer_name",
      header: "payer_name",
      required: true,
      description: `Payer company name (at most ${MAX_LENGTH.payer_name} characters)`,
      example: "Acme Trading Ltd",
    },
    {
      key: "payer_account",
      header: "payer_account",
      required: false,
      description: `Payer account number (at most ${MAX_LENGTH.payer_account} characters)`,
      example: "6222 0000 1111",
    },
    {
      key: "amount",
      header: "amount",
      required: true,
      description: "Amount in yuan, at most 2 decimals",
      example: "3000.00",
    },
    { key: "asset", header: "asset", required: false, description: "Currency (default CNY)", example: "CNY" },
    {
      key: "reference",
      header: "reference",
      required: false,
      description: `Remittance note (the DT… reference; at most ${MAX_LENGTH.reference} characters)`,
      example: "DT7K3M9Q2XW4",
    },
    {
      key: "received_at",
      header: "received_at",
      required: true,
      description: "RFC 3339 date-time with an offset (as the API's received_at)",
      example: "2026-11-23T10:00:00+08:00",
    },
  ],
  parseRow: (cells, row) => {
    const errors: RowError[] = [];
    const amount = parseStatementAmount(cells.amount ?? "");
    const receivedAt = parseDateTime(cells.received_at);
    const asset = cells.asset || "CNY";
    if (!BANK_TXN.test(cells.bank_transaction_id ?? "")) {
      errors.push({
        row,
        column: "bank_transaction_id",
        message: "must be 1-64 letters, digits, _ . : or -",
      });
    }
    if (!cells.payer_name || codePoints(cells.payer_name) > MAX_LENGTH.payer_name) {
      errors.push({
        row,
        column: "payer_name",
        message: `is required (at most ${MAX_LENGTH.payer_name} characters)`,
      });
    }
    for (const column of ["payer_account", "reference"] as const) {
      if (codePoints(cells[column] ?? "") > MAX_LENGTH[column]) {
        errors.push({ row, column, message: `must be at most ${MAX_LENGTH[column]} characters` });
      }
    }
    if (amount === undefined || amount <= 0) {
      errors.push({ row, column: "amount", message: "must be a positive amount with at most 2 decimals" });
    }
    if (!/^[A-Z][A-Z0-9_]{1,15}$/.test(asset))
      errors.push({ row, column: "asset", message: "is not an asset code" });
    if (!receivedAt) {
      errors.push({
        row,
        column: "received_at",
        message: "must be an RFC 3339 date-time such as 2026-11-23T10:00:00+08:00",
      });
    }
    if (errors.length > 0) return { errors };
    return {
      value: {
        bank_transaction_id: cells.bank_transaction_id!,
        payer_name: cells.payer_name!,
        payer_account: cells.payer_account || null,
        amount: amount!,
        asset,
        reference: cells.reference || null,
        received_at: receivedAt!,
      },
    };
  },
  validate: async (_trx, _tenantId, rows) => {
    const seen = new Map<string, number>();
    const errors: RowError[] = [];
    for (const { row, value } of rows) {
      const first = seen.get(value.bank_transaction_id);
      if (first !== undefined) {
        errors.push({ row, column: "bank_transaction_id", message: `repeats row ${first}` });
      } else seen.set(value.bank_transaction_id, row);
    }
    return errors;
  },
  apply: async (trx, tenantId, rows, context) => {
    const ops = context.ledger;
    const actor = systemActor(tenantId, `deposits.statement_import:${context.jobId}`);
    const notices: PendingNotice[] = [];
    // Sent once the import committed, as the API sends those of a bank record; a job that stops
    // first leaves them recorded and unsent, and the account re-check sends them.
    context.afterCommit((services) => deliverNotices(services, notices, context.now));
    for (const { value } of rows) {
      const result = await receiveBankRecord(
        trx,
        ops,
        actor,
        {
          bankTransactionId: value.bank_transaction_id,
          payerName: value.payer_name,
          payerAccount: value.payer_account,
          amount: value.amount,
          asset: value.asset,
          reference: value.reference,
          receivedAt: value.received_at,
        },
        "statement",
        context.now,
      );
      notices.push(...result.notices);
    }
  },
};
