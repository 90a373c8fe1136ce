import { sql } from "kysely";
import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { Actor } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { companyKey } from "./bank-binding.js";
import { creditTopup } from "./credit-topup.js";
import { DepositsError } from "./deposits.errors.js";
import type { LedgerOps } from "./deposits.ledger.js";
import type { PendingNotice } from "./deposits.notices.js";
import { accountById, type BankRecordRow, type TopupRow } from "./deposits.repository.js";

/** Records per call of the bank integration or per statement import. */
export const MAX_BANK_RECORDS = 500;

export interface BankRecordInput {
  bankTransactionId: string;
  payerName: string;
  payerAccount: string | null;
  amount: number;
  asset: string;
  reference: string | null;
  receivedAt: Date;
}

export type UnmatchedReason =
  | "name_mismatch"
  | "name_ambiguous"
  | "no_application_with_amount"
  | "asset_mismatch";

export interface ReceiveResult {
  record: BankRecordRow;
  /** The same bank transaction id arrived before: nothing was credited again. */
  duplicate: boolean;
  notices: PendingNotice[];
}

/**
 * One incoming bank transfer. Stored once per bank transaction id (a repeat answers the
 * first outcome and credits nothing). Matched automatically when the payer name is one
 * merchant's effectively bound company name (compared by `deposit_company_key`) and the amount
 * equals one of its open applications exactly; the reference breaks ties, then the oldest
 * application wins. Otherwise it waits in the unmatched queue with the reason — a name more
 * than one merchant bears (`name_ambiguous`) included.
 */
export async function receiveBankRecord(
  trx: Tx,
  ops: LedgerOps,
  actor: Actor,
  input: BankRecordInput,
  source: "api" | "statement",
  now: Date,
): Promise<ReceiveResult> {
  const tenantId = actor.tenantId;
  const inserted = await trx
    .insertInto("deposit_bank_records")
    .values({
      tenant_id: tenantId,
      id: newId("dbr"),
      bank_transaction_id: input.bankTransactionId,
      payer_name: input.payerName.trim(),
      payer_account: input.payerAccount,
      amount: input.amount,
      asset: input.asset,
      reference: input.reference,
      received_at: input.receivedAt,
      source,
      status: "unmatched",
      reason: null,
      topup_id: null,
      created_at: now,
      resolved_at: null,
    })
    .onConflict((oc) => oc.columns(["tenant_id", "bank_transaction_id"]).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!inserted) {
    const existing = await trx
      .selectFrom("deposit_bank_records")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("bank_transaction_id", "=", input.bankTransactionId)
      .executeTakeFirstOrThrow();
    return { record: existing, duplicate: true, notices: [] };
  }
  const match = await findMatch(trx, inserted);
  if ("reason" in match) {
    const record = await trx
      .updateTable("deposit_bank_records")
      .set({ reason: match.reason })
      .where("tenant_id", "=", tenantId)
      .where("id", "=", inserted.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(
      trx,
      actor,
      {
        action: "deposit_bank_record.unmatched",
        targetType: "deposit_bank_record",
        targetId: record.id,
        summary: { reason: match.reason, amount: record.amount, payer_name: record.payer_name },
      },
      now,
    );
    return { record, duplicate: false, notices: [] };
  }
  const { record, notices } = await applyMatch(trx, ops, actor, inserted, match.topup, now);
  return { record, duplicate: false, notices };
}

async function findMatch(
  trx: Tx,
  record: BankRecordRow,
): Promise<{ topup: TopupRow } | { reason: UnmatchedReason }> {
  const accounts = await trx
    .selectFrom("deposit_bank_bindings as b")
    .innerJoin("deposit_accounts as a", (j) =>
      j.onRef("a.tenant_id", "=", "b.tenant_id").onRef("a.merchant_id", "=", "b.merchant_id"),
    )
    .select(["a.id", "a.asset", "a.status"])
    .where("b.tenant_id", "=", record.tenant_id)
    .where("b.status", "=", "effective")
    .where(companyKey(sql.ref("b.company_name")), "=", companyKey(record.payer_name))
    .execute();
  if (accounts.length === 0) return { reason: "name_mismatch" };
  // Two merchants bound this name before names were unique: which one paid is for finance to say.
  if (accounts.length > 1) return { reason: "name_ambiguous" };
  const sameAsset = accounts.filter((a) => a.asset === record.asset);
  if (sameAsset.length === 0) return { reason: "asset_mismatch" };
  const open = sameAsset.filter((a) => a.status !== "closed");
  if (open.length === 0) return { reason: "no_application_with_amount" };
  // The account before its applications (see `lockTopup`), read again under its lock: one
  // closed meanwhile takes nothing in.
  const account = await accountById(trx, record.tenant_id, open[0]!.id, { lock: true });
  if (!account || account.status === "closed") return { reason: "no_application_with_amount" };
  const applications = await trx
    .selectFrom("deposit_topups")
    .selectAll()
    .where("tenant_id", "=", record.tenant_id)
    .where("account_id", "=", account.id)
    .where("status", "=", "open")
    .where("amount", "=", record.amount)
    .orderBy("id")
    .forUpdate()
    .execute();
  if (applications.length === 0) return { reason: "no_application_with_amount" };
  const byReference = record.reference
    ? applications.find((t) => record.reference?.includes(t.reference))
    : undefined;
  return { topup: byReference ?? applications[0]! };
}

/** Completes the top-up with the record (automatic match, or the platform's manual one). */
export async function applyMatch(
  trx: Tx,
  ops: LedgerOps,
  actor: Actor,
  record: BankRecordRow,
  topup: TopupRow,
  now: Date,
): Promise<{ record: BankRecordRow; notices: PendingNotice[] }> {
  if (topup.status !== "open")
    throw new DepositsError("topup_not_open", "The top-up application is not open");
  if (topup.amount !== record.amount) {
    throw new DepositsError(
      "bank_record_mismatch",
      "The bank record's amount differs from the application's",
    );
  }
  const account = await accountById(trx, record.tenant_id, topup.account_id, { lock: true });
  if (!account) throw new Error(`top-up ${topup.id} has no account`);
  if (account.status === "closed") throw new DepositsError("account_closed", "The deposit account is closed");
  if (account.asset !== record.asset) {
    throw new DepositsError("bank_record_mismatch", "The bank record's asset differs from the account's");
  }
  const notices = await creditTopup(trx, ops, actor, account, topup, record.id, now);
  const updated = await trx
    .updateTable("deposit_bank_records")
    .set({ status: "matched", reason: null, topup_id: topup.id, resolved_at: now })
    .where("tenant_id", "=", record.tenant_id)
    .where("id", "=", record.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return { record: updated, notices };
}
