import type { Tx } from "../../db/database.js";
import { createAsset, type LedgerOps, openAccount, type UnitOfWork } from "../../ledger/index.js";
import type { AccountRow } from "./deposits.repository.js";

/**
 * The deposits module's ledger accounts:
 * - deposit (per merchant account, `debits_must_not_exceed_credits`): posted = what the merchant
 *   has paid in and not spent; its pending debits are the frozen amount; `available` is
 *   posted − frozen, never below zero;
 * - arrears (per merchant account, `credits_must_not_exceed_debits`): its debit balance is what
 *   the merchant owes the platform for costs that found no available balance;
 * - bank (per asset): the platform's receiving bank account; top-ups come from it, payouts go to it;
 * - revenue (per asset): settled campaign costs; settled refunds come back out of it;
 * - unfunded (per asset): the other side of arrears (costs recognised but not yet paid).
 */
export const ledgerIds = {
  deposit: (accountId: string) => `dep_${accountId}`,
  arrears: (accountId: string) => `deparr_${accountId}`,
  bank: (asset: string) => `depbank_${asset}`,
  revenue: (asset: string) => `deprev_${asset}`,
  unfunded: (asset: string) => `depunf_${asset}`,
};

/** Opens the asset (scale 2) and the platform-side accounts once; later calls answer "exists". */
export async function openPlatformAccounts(
  trx: Tx,
  ops: LedgerOps,
  tenantId: string,
  asset: string,
  now: Date,
) {
  await createAsset(trx, tenantId, { code: asset, scale: 2, name: asset }, now);
  for (const [id, kind] of [
    [ledgerIds.bank(asset), "deposit_bank"],
    [ledgerIds.revenue(asset), "deposit_revenue"],
    [ledgerIds.unfunded(asset), "deposit_unfunded"],
  ] as const) {
    await openAccount(ops, { id, asset, kind, owner_module: "deposits", owner_id: null });
  }
}

export async function openMerchantAccounts(ops: LedgerOps, accountId: string, asset: string) {
  await openAccount(ops, {
    id: ledgerIds.deposit(accountId),
    asset,
    kind: "deposit",
    owner_module: "deposits",
    owner_id: accountId,
    debits_must_not_exceed_credits: true,
  });
  await openAccount(ops, {
    id: ledgerIds.arrears(accountId),
    asset,
    kind: "deposit_arrears",
    owner_module: "deposits",
    owner_id: accountId,
    credits_must_not_exceed_debits: true,
  });
}

export interface DepositBalances {
  /** Paid in and not spent (posted). */
  balance: number;
  /** Spendable now: balance − frozen. */
  available: number;
  /** Held for orders and withdrawals in progress. */
  frozen: number;
  /** Owed to the platform. */
  arrears: number;
}

/** Locks both ledger accounts (in a unit of work) and reads their balances. */
export async function depositBalances(ops: LedgerOps, account: AccountRow): Promise<DepositBalances> {
  const deposit = await ops.balances(account.ledger_account_id);
  const arrears = await ops.balances(account.arrears_account_id);
  if (!deposit || !arrears) throw new Error(`ledger accounts of ${account.id} are missing`);
  return {
    balance: deposit.posted,
    available: deposit.available,
    frozen: deposit.debits_pending,
    arrears: arrears.posted,
  };
}

export type { LedgerOps, UnitOfWork };
