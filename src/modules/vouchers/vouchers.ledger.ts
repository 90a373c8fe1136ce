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

export interface ReturningVoucher {
  id: string;
  account_id: string | null;
  source_account_id: string | null;
  issuer_id: string | null;
  asset: string;
  funded_by: string | null;
}

/**
 * Where value a voucher gives back goes (its rest on withdrawal or expiry, a refund's share
 * once it is dead): its source account, unless that is a reseller's quota now taken over by a
 * distributor other than the one that funded the voucher (the reseller moved) — then that
 * funder's funding account: the new distributor never lowers the quota and collects what the
 * old one funded. The quota row is locked shared, so a hand-over (which locks it for update and
 * sweeps the quota to the old distributor) either sees this value in the quota or comes first
 * and is seen here.
 */
export async function returnAccountOf(uow: UnitOfWork, voucher: ReturningVoucher): Promise<string> {
  if (voucher.funded_by === null || voucher.issuer_id === null) return voucher.source_account_id!;
  const quota = await uow.trx
    .selectFrom("voucher_quotas")
    .select(["distributor_id", "account_id"])
    .where("tenant_id", "=", uow.tenantId)
    .where("reseller_id", "=", voucher.issuer_id)
    .where("asset", "=", voucher.asset)
    .forShare()
    .executeTakeFirst();
  if (
    !quota ||
    quota.account_id !== voucher.source_account_id ||
    quota.distributor_id === voucher.funded_by
  ) {
    return voucher.source_account_id!;
  }
  return openAccount.funding(uow, voucher.funded_by, voucher.asset);
}

/**
 * Moves a voucher's whole remaining balance back to where it came from (withdrawal, expiry):
 * the reseller's quota (or the distributor that funded it, see `returnAccountOf`), or the
 * distributor's funding. Returns the amount moved.
 */
export async function returnRemainingToSource(
  uow: UnitOfWork,
  voucher: ReturningVoucher,
  reason: "withdraw" | "expire",
  memo: string | null = null,
): Promise<number> {
  const balance = await postedBalance(uow, voucher.account_id!);
  if (balance === 0) return 0;
  const target = await returnAccountOf(uow, voucher);
  expectTransfer(
    await uow.transfer({
      id: `tr_${voucher.id}_${reason}`,
      debit_account_id: voucher.account_id!,
      credit_account_id: target,
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
