import { sql } from "kysely";
import type { Tx } from "../../db/database.js";
import { expectTransfer } from "../../ledger/index.js";
import { assert } from "../../shared/assert.js";
import { newId } from "../../shared/ids.js";
import { type LedgerOps, ledgerIds } from "./deposits.ledger.js";
import type {
  AccountRow,
  EntryType,
  OrderAmounts,
  OrderCostRow,
  OrderWithAmounts,
} from "./deposits.repository.js";

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

/** An order's amounts from its transactions' totals: cost = frozen + arrears + released + settled at every step. */
export function orderAmounts(cost: number, totals: Partial<Record<EntryType, number>>): OrderAmounts {
  const total = (type: EntryType) => totals[type] ?? 0;
  const arrears = total("arrears") - total("arrears_repaid") - total("arrears_cancelled");
  const released = total("release") + total("arrears_cancelled");
  const settled = total("settle");
  return {
    frozen: cost - arrears - released - settled,
    arrears,
    released,
    settled,
    refunded: total("settled_refund"),
  };
}

/** The orders with their amounts, derived from their transactions in one query. */
export async function withAmounts(
  trx: Tx,
  tenantId: string,
  orders: OrderCostRow[],
): Promise<OrderWithAmounts[]> {
  const totals = await orderEntryTotals(
    trx,
    tenantId,
    orders.map((o) => o.id),
  );
  return orders.map((o) => ({ ...o, ...orderAmounts(o.cost, totals.get(o.id) ?? {}) }));
}

/**
 * Releases `amount` of what the order's hold still holds: a void of part of the hold, so the
 * rest stays held under the same hold. Returns the void's transfer id.
 */
export async function releaseHold(
  ops: LedgerOps,
  order: Pick<OrderWithAmounts, "hold_id" | "frozen">,
  amount: number,
): Promise<string> {
  assert(order.hold_id && amount <= order.frozen, "a release takes at most what the hold holds");
  const id = `tr_${newId("dvd")}`;
  const voided = expectTransfer(
    await ops.void({ id, pending_id: order.hold_id, amount, code: "deposit_release" }),
  );
  // The hold and the order's transactions are two views of one freeze: they must agree.
  assert(voided.pending_before === order.frozen, `the hold of ${order.hold_id} disagrees with its order`);
  return id;
}

/**
 * Arrears repaid into an open order's freeze: the hold must grow, and a hold never does (as in
 * TigerBeetle), so what is left of it is voided and one hold of the new frozen amount placed in
 * the same unit. Returns the new hold id.
 */
export async function refreeze(
  ops: LedgerOps,
  account: AccountRow,
  order: Pick<OrderWithAmounts, "id" | "hold_id" | "frozen">,
  pay: number,
): Promise<string> {
  if (order.hold_id && order.frozen > 0) {
    const voided = expectTransfer(
      await ops.void({ id: `tr_${newId("dvd")}`, pending_id: order.hold_id, code: "deposit_refreeze" }),
    );
    assert(voided.amount === order.frozen, `the hold of ${order.hold_id} disagrees with its order`);
  }
  return hold(ops, account, order.id, order.frozen + pay);
}

/** Each order's totals per transaction type, from its immutable account transactions. */
export async function orderEntryTotals(
  trx: Tx,
  tenantId: string,
  orderCostIds: string[],
): Promise<Map<string, Partial<Record<EntryType, number>>>> {
  const totals = new Map<string, Partial<Record<EntryType, number>>>();
  if (orderCostIds.length === 0) return totals;
  const rows = await trx
    .selectFrom("deposit_entries")
    .select(["order_cost_id", "type"])
    .select((eb) => eb.fn.sum<string>("amount").as("total"))
    .where("tenant_id", "=", tenantId)
    .where("order_cost_id", "in", orderCostIds)
    .groupBy(["order_cost_id", "type"])
    .execute();
  for (const row of rows) {
    const id = row.order_cost_id!;
    totals.set(id, { ...totals.get(id), [row.type]: Number(row.total) });
  }
  return totals;
}

/**
 * The account's orders that still owe arrears, oldest first, at most `limit`; the caller
 * holds the account row locked, so no order's arrears change meanwhile.
 */
export async function ordersOwingArrears(trx: Tx, account: AccountRow, limit: number): Promise<string[]> {
  const rows = await trx
    .selectFrom("deposit_entries")
    .select("order_cost_id")
    .where("tenant_id", "=", account.tenant_id)
    .where("account_id", "=", account.id)
    .where("type", "in", ["arrears", "arrears_repaid", "arrears_cancelled"])
    .groupBy("order_cost_id")
    .having(sql<number>`sum(case when type = 'arrears' then amount else -amount end)`, ">", 0)
    .orderBy("order_cost_id")
    .limit(limit)
    .execute();
  return rows.map((r) => r.order_cost_id!);
}
