import type { Tx } from "../../db/database.js";
import type { LedgerOps, UnitOfWork } from "../../ledger/index.js";
import { balanceForCart, readMemberBalance, type SpendLine } from "../wallets/index.js";

/** What the member's balance has available now (a read: no lock). */
export async function readBalanceAvailable(trx: Tx, tenantId: string, memberId: string): Promise<number> {
  return (await readMemberBalance(trx, tenantId, memberId)).available;
}

/**
 * What the balance may pay of `orderAmount` by the order's balance payment, naming `lines`
 * (each SKU with what it still costs) or, with none, no item — so money only certain items
 * may use counts only as far as those lines let it. It mirrors `payWithBalance`: what is not
 * on a line is paid by money any item may use. The one rule for offers and acceptance alike:
 * with a unit of work the member's balance accounts are locked (acceptance decides on them);
 * with a transaction and a ledger view only read (an offer decides nothing).
 */
export async function orderPaymentBalance(
  source: UnitOfWork | { trx: Tx; ledger: LedgerOps; tenantId: string },
  memberId: string,
  order: { currency: string; amount: number; lines: SpendLine[] },
  now: Date,
): Promise<number> {
  const { usable } = await balanceForCart(source, memberId, order.currency, now);
  if (order.lines.length === 0) return usable([], order.amount);
  const onLines = order.lines.reduce((sum, line) => sum + line.amount, 0);
  return usable(order.lines, Math.max(0, order.amount - onLines), order.amount);
}
