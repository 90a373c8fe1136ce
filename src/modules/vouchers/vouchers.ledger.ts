import {
  type AccountInput,
  expectTransfer,
  openAccount as openLedgerAccount,
  type TransferInput,
  type UnitOfWork,
} from "../../ledger/index.js";
import { VouchersError } from "./vouchers.errors.js";

/**
 * The vouchers module's ledger accounts. Ids are derived from what they belong to, so
 * opening one twice is harmless ("exists").
 * - funding (per distributor and asset): the distributor's cost of vouchers; no limit, its
 *   debit balance is what the distributor has given away;
 * - quota (per reseller and asset): may not go below zero: a reseller never issues more
 *   than it was allocated;
 * - voucher (per voucher): may not go below zero;
 * - settlement (per asset): what vouchers offset on bills (refunds draw it back).
 */
export const accountIds = {
  funding: (distributorId: string, asset: string) => `vfund_${distributorId}_${asset}`,
  quota: (resellerId: string, asset: string) => `vquota_${resellerId}_${asset}`,
  voucher: (voucherId: string) => `vacct_${voucherId}`,
  settlement: (asset: string) => `vsettle_${asset}`,
};

const open = (uow: UnitOfWork, input: AccountInput) =>
  openLedgerAccount(
    uow,
    { owner_module: "vouchers", ...input },
    () => new VouchersError("asset_not_found", `Asset ${input.asset} is not set up in the ledger`),
  );

export const openAccount = {
  funding: (uow: UnitOfWork, distributorId: string, asset: string) =>
    open(uow, {
      id: accountIds.funding(distributorId, asset),
      asset,
      kind: "voucher_funding",
      owner_id: distributorId,
    }),
  quota: (uow: UnitOfWork, resellerId: string, asset: string) =>
    open(uow, {
      id: accountIds.quota(resellerId, asset),
      asset,
      kind: "voucher_quota",
      owner_id: resellerId,
      debits_must_not_exceed_credits: true,
    }),
  voucher: (uow: UnitOfWork, voucherId: string, asset: string) =>
    open(uow, {
      id: accountIds.voucher(voucherId),
      asset,
      kind: "voucher",
      owner_id: voucherId,
      debits_must_not_exceed_credits: true,
    }),
  settlement: (uow: UnitOfWork, asset: string) =>
    open(uow, { id: accountIds.settlement(asset), asset, kind: "voucher_settlement", owner_id: null }),
};

/** Balance on the credit side (credits − debits posted) of an account, 0 if absent. */
export async function postedBalance(uow: UnitOfWork, accountId: string): Promise<number> {
  const balances = await uow.balances(accountId);
  return balances?.posted ?? 0;
}

/**
 * Moves a voucher's whole remaining balance back to its source account (withdrawal,
 * expiry): the reseller's quota, or the distributor's funding. Returns the amount moved.
 */
export async function returnRemainingToSource(
  uow: UnitOfWork,
  voucher: { id: string; account_id: string | null; source_account_id: string | null },
  reason: "withdraw" | "expire",
  memo: string | null = null,
): Promise<number> {
  const balance = await postedBalance(uow, voucher.account_id!);
  if (balance === 0) return 0;
  expectTransfer(
    await uow.transfer({
      id: `tr_${voucher.id}_${reason}`,
      debit_account_id: voucher.account_id!,
      credit_account_id: voucher.source_account_id!,
      amount: balance,
      code: `voucher_${reason}`,
      reference_module: "vouchers",
      reference_id: voucher.id,
      memo,
    }),
  );
  return balance;
}

export type { TransferInput, UnitOfWork };
