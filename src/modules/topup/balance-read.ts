import type { Tx } from "../../db/database.js";
import type { LedgerOps, UnitOfWork } from "../../ledger/index.js";
import { balanceForCart, readMemberBalance } from "../wallets/index.js";

/** What the member's balance has available now (a read: no lock). */
export async function readBalanceAvailable(trx: Tx, tenantId: string, memberId: string): Promise<number> {
  return (await readMemberBalance(trx, tenantId, memberId)).available;
}

/**
 * What the balance may pay of `orderAmount` by a payment naming no item — how a smart top-up
 * pays its order once credited — so money only certain items may use does not count. The one
 * rule for offers and acceptance alike: with a unit of work the member's balance accounts are
 * locked (acceptance decides on them); with a transaction and a ledger view only read (an
 * offer decides nothing).
 */
export async function itemlessOrderBalance(
  source: UnitOfWork | { trx: Tx; ledger: LedgerOps; tenantId: string },
  memberId: string,
  currency: string,
  orderAmount: number,
  now: Date,
): Promise<number> {
  const { usable } = await balanceForCart(source, memberId, currency, now);
  return usable([], orderAmount);
}
