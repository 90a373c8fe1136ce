import type { Tx } from "../../db/database.js";
import { expectTransfer } from "../../ledger/index.js";
import { newId } from "../../shared/ids.js";
import { type LedgerOps, ledgerIds } from "./deposits.ledger.js";
import type { AccountRow, EntryType, OrderCostRow } from "./deposits.repository.js";

/** One account transaction (freeze, release, settle, …) tied to its order and ledger transfer. */
export async function writeEntry(
  trx: Tx,
  account: AccountRow,
  order: Pick<OrderCostRow, "id" | "order_id" | "campaign_id">,
  type: EntryType,
  amount: number,
  transferId: string | null,
  now: Date,
): Promise<void> {
  if (amount <= 0) return;
  await trx
    .insertInto("deposit_entries")
    .values({
      tenant_id: account.tenant_id,
      id: newId("den"),
      account_id: account.id,
      type,
      amount,
      order_id: order.order_id,
      campaign_id: order.campaign_id,
      order_cost_id: order.id,
      transfer_id: transferId,
      invoice_request_id: null,
      created_at: now,
    })
    .execute();
}

/** Places a new hold on the deposit for an order (the frozen amount), to the revenue account. */
export async function hold(
  ops: LedgerOps,
  account: AccountRow,
  orderCostId: string,
  amount: number,
): Promise<string> {
  const id = `tr_${newId("dfz")}`;
  expectTransfer(
    await ops.hold({
      id,
      debit_account_id: account.ledger_account_id,
      credit_account_id: ledgerIds.revenue(account.asset),
      amount,
      code: "deposit_freeze",
      reference_module: "deposits",
      reference_id: orderCostId,
    }),
  );
  return id;
}

/**
 * Replaces an order's hold by one of `amount` (a partial release, or arrears repaid into the
 * freeze): void the old hold and place the new one in the same unit, so the frozen amount is
 * never counted twice nor missing. Returns the new hold id (null when nothing stays frozen).
 */
export async function rehold(
  ops: LedgerOps,
  account: AccountRow,
  order: Pick<OrderCostRow, "id" | "hold_id">,
  amount: number,
): Promise<string | null> {
  if (order.hold_id) {
    expectTransfer(
      await ops.void({ id: `tr_${newId("dvd")}`, pending_id: order.hold_id, code: "deposit_release" }),
    );
  }
  return amount > 0 ? hold(ops, account, order.id, amount) : null;
}
