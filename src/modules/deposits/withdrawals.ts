import type { Tx } from "../../db/database.js";
import { expectTransfer } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { tenantZone } from "../../platform/tenants.js";
import { newId } from "../../shared/ids.js";
import { checkAccount, crossedWarning, recheckBreaker } from "./check-account.js";
import { DepositsError } from "./deposits.errors.js";
import { emitDepositEvent } from "./deposits.events.js";
import { depositBalances, type LedgerOps, ledgerIds } from "./deposits.ledger.js";
import type { PendingNotice } from "./deposits.notices.js";
import {
  accountById,
  assertPlatform,
  loadAccount,
  loadSettings,
  type WithdrawalBankAccount,
  type WithdrawalRow,
  type WithdrawalStatus,
  withdrawalBankAccount,
} from "./deposits.repository.js";
import { assertUsable } from "./request-topup.js";

export interface WithdrawalResult {
  withdrawal: WithdrawalRow;
  /** The bank account it is paid to (the merchant's binding). */
  bankAccount: WithdrawalBankAccount | undefined;
  notices: PendingNotice[];
}

/**
 * A withdrawal request: at most what is available, never while in arrears. The amount is
 * held at once (so it cannot be spent twice) until finance pays (post) or rejects (void).
 * Holding it lowers available, so the breaker (and a crossed warning value) is checked at
 * once, like after a freeze.
 */
export async function requestWithdrawal(
  trx: Tx,
  ops: LedgerOps,
  context: RequestContext,
  accountId: string,
  amount: number,
  reason: string | null,
  now: Date,
): Promise<WithdrawalResult> {
  const account = await loadAccount(trx, context.actor, accountId, { lock: true });
  assertUsable(account);
  const balances = await depositBalances(ops, account);
  if (balances.arrears > 0) {
    throw new DepositsError("account_in_arrears", "No withdrawal while the account has arrears");
  }
  if (amount > balances.available) {
    throw new DepositsError(
      "insufficient_available",
      `At most ${balances.available} is available to withdraw`,
    );
  }
  // A withdrawal is paid to the bound bank account: without an effective one there is nowhere to pay.
  const bankAccount = await withdrawalBankAccount(trx, account.tenant_id, account.id);
  if (bankAccount?.status !== "effective") {
    throw new DepositsError(
      "bank_binding_required",
      "A withdrawal is paid to an effective bound bank account",
    );
  }
  const id = newId("dwd");
  const holdId = `tr_${id}`;
  expectTransfer(
    await ops.hold({
      id: holdId,
      debit_account_id: account.ledger_account_id,
      credit_account_id: ledgerIds.bank(account.asset),
      amount,
      code: "deposit_withdrawal",
      reference_module: "deposits",
      reference_id: id,
    }),
    {
      insufficient_funds: () =>
        new DepositsError("insufficient_available", "Not enough available to withdraw"),
    },
  );
  const row = await trx
    .insertInto("deposit_withdrawals")
    .values({
      tenant_id: account.tenant_id,
      id,
      account_id: account.id,
      amount,
      status: "requested",
      hold_id: holdId,
      reason,
      decision_reason: null,
      requested_by: context.actor.id,
      created_at: now,
      approved_at: null,
      paid_at: null,
      rejected_at: null,
      failed_at: null,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await emitDepositEvent(
    trx,
    account,
    "deposit.withdrawal_changed",
    { withdrawal_id: id, status: "requested", amount },
    now,
  );
  await recordAudit(
    trx,
    context,
    {
      action: "deposit_withdrawal.requested",
      targetType: "deposit_withdrawal",
      targetId: id,
      summary: { amount },
    },
    now,
  );
  const after = await depositBalances(ops, account);
  const notices = await checkAccount(
    trx,
    {
      account,
      balances: after,
      settings: await loadSettings(trx, account.tenant_id, now),
      zone: await tenantZone(trx, account.tenant_id),
      warn: crossedWarning(account, balances.available, after.available),
    },
    now,
  );
  return { withdrawal: row, bankAccount, notices };
}

export const WITHDRAWAL_ACTIONS = ["approve", "reject", "pay", "fail"] as const;
export type WithdrawalAction = (typeof WITHDRAWAL_ACTIONS)[number];

/** Which state each action starts from and leads to. A failed payout stays held until paid or rejected. */
const TRANSITIONS: Record<WithdrawalAction, { from: WithdrawalStatus[]; to: WithdrawalStatus }> = {
  approve: { from: ["requested"], to: "approved" },
  reject: { from: ["requested", "approved", "failed"], to: "rejected" },
  pay: { from: ["approved", "failed"], to: "paid" },
  fail: { from: ["approved"], to: "failed" },
};

/** Platform finance moves a withdrawal along: approve, reject (release), pay (post) or fail (flag). */
export async function decideWithdrawal(
  trx: Tx,
  ops: LedgerOps,
  context: RequestContext,
  withdrawalId: string,
  action: WithdrawalAction,
  reason: string | null,
  now: Date,
): Promise<WithdrawalResult> {
  assertPlatform(context.actor);
  const tenantId = context.actor.tenantId;
  const peek = await trx
    .selectFrom("deposit_withdrawals")
    .select("account_id")
    .where("tenant_id", "=", tenantId)
    .where("id", "=", withdrawalId)
    .executeTakeFirst();
  if (!peek) throw new DepositsError("withdrawal_not_found", "Withdrawal not found");
  // Lock order everywhere: account row, then what hangs off it, then the ledger.
  const account = (await accountById(trx, tenantId, peek.account_id, { lock: true }))!;
  const current = await trx
    .selectFrom("deposit_withdrawals")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("id", "=", withdrawalId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const transition = TRANSITIONS[action];
  const bankAccount = await withdrawalBankAccount(trx, tenantId, account.id);
  if (current.status === transition.to) return { withdrawal: current, bankAccount, notices: [] };
  if (!transition.from.includes(current.status)) {
    throw new DepositsError("withdrawal_state", `A ${current.status} withdrawal cannot be ${transition.to}`);
  }
  if (action === "pay") {
    expectTransfer(
      await ops.post({
        id: `tr_${newId("dwp")}`,
        pending_id: current.hold_id,
        code: "deposit_withdrawal_paid",
      }),
    );
  } else if (action === "reject") {
    expectTransfer(
      await ops.void({
        id: `tr_${newId("dwv")}`,
        pending_id: current.hold_id,
        code: "deposit_withdrawal_rejected",
      }),
    );
  } else if (action === "fail") {
    await trx
      .insertInto("deposit_manual_items")
      .values({
        tenant_id: tenantId,
        id: newId("dmi"),
        account_id: account.id,
        kind: "withdrawal_failed",
        reference_id: current.id,
        detail: JSON.stringify({ amount: current.amount, reason }),
        created_at: now,
        resolved_at: null,
      })
      .execute();
  }
  if (current.status === "failed") {
    await trx
      .updateTable("deposit_manual_items")
      .set({ status: "resolved", resolved_at: now })
      .where("tenant_id", "=", tenantId)
      .where("kind", "=", "withdrawal_failed")
      .where("reference_id", "=", current.id)
      .where("status", "=", "open")
      .execute();
  }
  const stamp = { approve: "approved_at", reject: "rejected_at", pay: "paid_at", fail: "failed_at" } as const;
  const withdrawal = await trx
    .updateTable("deposit_withdrawals")
    // The merchant's request reason stays; a decision without a reason leaves none, so an earlier
    // decision's (a failure's, say) never reads as the reason for the current status.
    .set({ status: transition.to, [stamp[action]]: now, updated_at: now, decision_reason: reason })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", current.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await emitDepositEvent(
    trx,
    account,
    "deposit.withdrawal_changed",
    { withdrawal_id: current.id, status: transition.to, amount: current.amount },
    now,
  );
  await recordAudit(
    trx,
    context,
    {
      action: `deposit_withdrawal.${transition.to}`,
      targetType: "deposit_withdrawal",
      targetId: current.id,
      summary: { before: current.status, after: transition.to, reason },
    },
    now,
  );
  let notices: PendingNotice[] = [];
  if (action === "reject") {
    notices = await recheckBreaker(trx, ops, account, await loadSettings(trx, tenantId, now), now);
  }
  return { withdrawal, bankAccount, notices };
}
