import type { Tx } from "../../db/database.js";
import { expectTransfer } from "../../ledger/index.js";
import { newId } from "../../shared/ids.js";
import { type LedgerOps, ledgerIds } from "./deposits.ledger.js";
import type { AccountRow, OrderWithAmounts } from "./deposits.repository.js";
import { ordersOwingArrears, refreeze, withAmounts, writeEntry } from "./order-costs.js";

/** Orders repaid per top-up; a larger backlog is repaid by the next top-up. */
export const MAX_REPAID_ORDERS = 1000;

/**
 * Pays off arrears from the deposit, oldest order first, up to `budget` (the caller has just
 * credited at least that much). Each order's repaid part is cancelled on the arrears account
 * and becomes what it would have been had the balance sufficed: frozen again (order still
 * open) or settled at once (order already completed). Returns the amount repaid.
 */
export async function repayArrears(
  trx: Tx,
  ops: LedgerOps,
  account: AccountRow,
  budget: number,
  now: Date,
): Promise<number> {
  if (budget <= 0) return 0;
  const owing = await ordersOwingArrears(trx, account, MAX_REPAID_ORDERS);
  if (owing.length === 0) return 0;
  const rows = await trx
    .selectFrom("deposit_order_costs")
    .selectAll()
    .where("tenant_id", "=", account.tenant_id)
    .where("id", "in", owing)
    .orderBy("id")
    .forUpdate()
    .execute();
  const orders = await withAmounts(trx, account.tenant_id, rows);
  let repaid = 0;
  for (const order of orders) {
    const pay = Math.min(budget - repaid, order.arrears);
    if (pay <= 0) break;
    repaid += pay;
    await repayOrder(trx, ops, account, order, pay, now);
  }
  return repaid;
}

async function repayOrder(
  trx: Tx,
  ops: LedgerOps,
  account: AccountRow,
  order: OrderWithAmounts,
  pay: number,
  now: Date,
): Promise<void> {
  const cancelId = `tr_${newId("dar")}`;
  expectTransfer(
    await ops.transfer({
      id: cancelId,
      debit_account_id: ledgerIds.unfunded(account.asset),
      credit_account_id: account.arrears_account_id,
      amount: pay,
      code: "deposit_arrears_repaid",
      reference_module: "deposits",
      reference_id: order.id,
    }),
  );
  await writeEntry(trx, account, order, "arrears_repaid", pay, cancelId, now);
  if (order.status === "settled") {
    const settleId = `tr_${newId("dst")}`;
    expectTransfer(
      await ops.transfer({
        id: settleId,
        debit_account_id: account.ledger_account_id,
        credit_account_id: ledgerIds.revenue(account.asset),
        amount: pay,
        code: "deposit_settle",
        reference_module: "deposits",
        reference_id: order.id,
      }),
    );
    await writeEntry(trx, account, order, "settle", pay, settleId, now);
    return;
  }
  // The order's amounts follow from its transactions; only a new hold is recorded on the order.
  const holdId = await refreeze(ops, account, order, pay);
  await trx
    .updateTable("deposit_order_costs")
    .set({ hold_id: holdId, updated_at: now })
    .where("tenant_id", "=", order.tenant_id)
    .where("id", "=", order.id)
    .execute();
}
