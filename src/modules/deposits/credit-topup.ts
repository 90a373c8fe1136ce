import type { Tx } from "../../db/database.js";
import { expectTransfer } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { Actor } from "../../platform/auth/actor.js";
import { upsertSchedule } from "../../platform/jobs/schedules.js";
import { tenantZone } from "../../platform/tenants.js";
import { checkAccount } from "./check-account.js";
import { RECHECK_EVERY_MINUTES } from "./deposit-rules.js";
import { emitDepositEvent } from "./deposits.events.js";
import { depositBalances, type LedgerOps, ledgerIds } from "./deposits.ledger.js";
import type { PendingNotice } from "./deposits.notices.js";
import { type AccountRow, loadSettings, type TopupRow } from "./deposits.repository.js";
import { repayArrears } from "./repay-arrears.js";

export const RECHECK_JOB = "deposits.recheck";
export const RECHECK_SCHEDULE_KEY = "deposits.recheck";

/**
 * Completes an open top-up with a bank record: credits the deposit from the platform's bank
 * account once (the transfer id is the top-up's), pays arrears first, activates the account on
 * its first top-up of at least the minimum, and re-checks the breaker at once. The caller holds
 * the top-up and account rows locked.
 */
export async function creditTopup(
  trx: Tx,
  ops: LedgerOps,
  actor: Actor,
  account: AccountRow,
  topup: TopupRow,
  bankRecordId: string,
  now: Date,
): Promise<PendingNotice[]> {
  const transferId = `tr_${topup.id}`;
  expectTransfer(
    await ops.transfer({
      id: transferId,
      debit_account_id: ledgerIds.bank(account.asset),
      credit_account_id: account.ledger_account_id,
      amount: topup.amount,
      code: "deposit_topup",
      reference_module: "deposits",
      reference_id: topup.id,
    }),
  );
  const before = await depositBalances(ops, account);
  const repaid = await repayArrears(trx, ops, account, Math.min(topup.amount, before.arrears), now);
  await trx
    .updateTable("deposit_topups")
    .set({
      status: "completed",
      bank_record_id: bankRecordId,
      transfer_id: transferId,
      arrears_repaid: repaid,
      completed_at: now,
    })
    .where("tenant_id", "=", topup.tenant_id)
    .where("id", "=", topup.id)
    .execute();
  const settings = await loadSettings(trx, account.tenant_id, now);
  if (account.status === "pending_activation" && topup.amount >= settings.min_topup_amount) {
    await activateAccount(trx, account, now);
  }
  await emitDepositEvent(
    trx,
    account,
    "deposit.topped_up",
    { topup_id: topup.id, amount: topup.amount, arrears_repaid: repaid },
    now,
  );
  await recordAudit(
    trx,
    actor,
    {
      action: "deposit_topup.completed",
      targetType: "deposit_topup",
      targetId: topup.id,
      summary: {
        account_id: account.id,
        amount: topup.amount,
        arrears_repaid: repaid,
        bank_record_id: bankRecordId,
      },
    },
    now,
  );
  const zone = await tenantZone(trx, account.tenant_id);
  return checkAccount(
    trx,
    { account, balances: await depositBalances(ops, account), settings, zone, warn: false },
    now,
  );
}

/**
 * The account becomes active (its first top-up of at least the minimum): the re-check
 * schedule starts. Updates the caller's (locked) row in place.
 */
export async function activateAccount(trx: Tx, account: AccountRow, now: Date): Promise<void> {
  await trx
    .updateTable("deposit_accounts")
    .set({ status: "active", activated_at: now, updated_at: now })
    .where("tenant_id", "=", account.tenant_id)
    .where("id", "=", account.id)
    .execute();
  account.status = "active";
  account.activated_at = now;
  await emitDepositEvent(trx, account, "deposit.activated", {}, now);
  await upsertSchedule(
    trx,
    account.tenant_id,
    { key: RECHECK_SCHEDULE_KEY, jobName: RECHECK_JOB, spec: { every_minutes: RECHECK_EVERY_MINUTES } },
    now,
  );
}

/**
 * Whether a completed top-up of at least the minimum is on the account: one credited while the
 * account was abnormal activates it when abnormal is lifted.
 */
export async function hasActivatingTopup(trx: Tx, account: AccountRow, minimum: number): Promise<boolean> {
  const row = await trx
    .selectFrom("deposit_topups")
    .select("id")
    .where("tenant_id", "=", account.tenant_id)
    .where("account_id", "=", account.id)
    .where("status", "=", "completed")
    .where("amount", ">=", minimum)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
