import type { Tx } from "../../db/database.js";
import { expectTransfer } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { Actor } from "../../platform/auth/actor.js";
import { tenantZone } from "../../platform/tenants.js";
import { assert } from "../../shared/assert.js";
import { newId } from "../../shared/ids.js";
import { checkAccount } from "./check-account.js";
import { releaseSplit } from "./deposit-rules.js";
import { DepositsError } from "./deposits.errors.js";
import { depositBalances, type LedgerOps, ledgerIds } from "./deposits.ledger.js";
import type { PendingNotice } from "./deposits.notices.js";
import {
  type AccountRow,
  loadAccount,
  loadSettings,
  type OrderCostRow,
  type OrderWithAmounts,
} from "./deposits.repository.js";
import { releaseHold, withAmounts, writeEntry } from "./order-costs.js";

async function lockOrder(trx: Tx, actor: Actor, accountId: string, orderId: string) {
  const account = await loadAccount(trx, actor, accountId, { lock: true });
  const order = await trx
    .selectFrom("deposit_order_costs")
    .selectAll()
    .where("tenant_id", "=", actor.tenantId)
    .where("account_id", "=", account.id)
    .where("order_id", "=", orderId)
    .forUpdate()
    .executeTakeFirst();
  if (!order) throw new DepositsError("order_cost_not_found", "No cost was frozen for this order");
  // Read under the order's lock: no other operation adds to its transactions meanwhile.
  const [withTotals] = await withAmounts(trx, actor.tenantId, [order]);
  return { account, order: withTotals! };
}

/** The order's status (and the time) after an operation; its amounts come from its transactions. */
async function saveOrder(
  trx: Tx,
  order: OrderCostRow,
  status: OrderCostRow["status"],
  now: Date,
): Promise<OrderWithAmounts> {
  const row = await trx
    .updateTable("deposit_order_costs")
    .set({ status, updated_at: now })
    .where("tenant_id", "=", order.tenant_id)
    .where("id", "=", order.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const [saved] = await withAmounts(trx, order.tenant_id, [row]);
  return saved!;
}

async function recheck(trx: Tx, ops: LedgerOps, account: AccountRow, now: Date): Promise<PendingNotice[]> {
  const settings = await loadSettings(trx, account.tenant_id, now);
  return checkAccount(
    trx,
    {
      account,
      balances: await depositBalances(ops, account),
      settings,
      zone: await tenantZone(trx, account.tenant_id),
      warn: false,
    },
    now,
  );
}

export interface CostResult {
  order: OrderWithAmounts;
  notices: PendingNotice[];
}

/**
 * A refund before the order is received: releases `amount` of the order's cost (all that is
 * left when omitted). Unpaid arrears of the order are cancelled first, then the freeze shrinks
 * (a void of part of the hold; the rest stays held). The breaker re-checks at once.
 */
export async function releaseCost(
  trx: Tx,
  ops: LedgerOps,
  actor: Actor,
  accountId: string,
  orderId: string,
  amount: number | undefined,
  now: Date,
): Promise<CostResult> {
  const { account, order } = await lockOrder(trx, actor, accountId, orderId);
  if (order.status !== "frozen")
    throw new DepositsError("order_not_frozen", `The order's cost is ${order.status}`);
  const open = order.frozen + order.arrears;
  const release = amount ?? open;
  if (release > open)
    throw new DepositsError("exceeds_frozen", `At most ${open} of this order's cost can be released`);
  const split = releaseSplit(release, order);
  if (split.arrears > 0) {
    const id = `tr_${newId("dac")}`;
    expectTransfer(
      await ops.transfer({
        id,
        debit_account_id: ledgerIds.unfunded(account.asset),
        credit_account_id: account.arrears_account_id,
        amount: split.arrears,
        code: "deposit_arrears_cancelled",
        reference_module: "deposits",
        reference_id: order.id,
      }),
    );
    await writeEntry(trx, account, order, "arrears_cancelled", split.arrears, id, now);
  }
  if (split.frozen > 0) {
    const voidId = await releaseHold(ops, order, split.frozen);
    await writeEntry(trx, account, order, "release", split.frozen, voidId, now);
  }
  const rest = open - release;
  const saved = await saveOrder(trx, order, rest === 0 ? "released" : "frozen", now);
  await recordAudit(
    trx,
    actor,
    {
      action: "deposit_cost.released",
      targetType: "deposit_order_cost",
      targetId: order.id,
      summary: { order_id: orderId, amount: release, arrears_cancelled: split.arrears },
    },
    now,
  );
  return { order: saved, notices: await recheck(trx, ops, account, now) };
}

/**
 * The order completed: its frozen cost is settled (the hold is posted to the platform). A part
 * still in arrears stays owed and is settled when a top-up repays it.
 */
export async function settleCost(
  trx: Tx,
  ops: LedgerOps,
  actor: Actor,
  accountId: string,
  orderId: string,
  now: Date,
): Promise<CostResult> {
  const { account, order } = await lockOrder(trx, actor, accountId, orderId);
  if (order.status === "settled") return { order, notices: [] };
  if (order.status !== "frozen")
    throw new DepositsError("order_not_frozen", `The order's cost is ${order.status}`);
  if (order.hold_id && order.frozen > 0) {
    const id = `tr_${newId("dst")}`;
    const posted = expectTransfer(await ops.post({ id, pending_id: order.hold_id, code: "deposit_settle" }));
    // The hold and the order's transactions are two views of one freeze: they must agree.
    assert(
      posted.amount === order.frozen,
      `order ${order.id}: the hold held ${posted.amount}, not ${order.frozen}`,
    );
    await writeEntry(trx, account, order, "settle", order.frozen, id, now);
  }
  const saved = await saveOrder(trx, order, "settled", now);
  await recordAudit(
    trx,
    actor,
    {
      action: "deposit_cost.settled",
      targetType: "deposit_order_cost",
      targetId: order.id,
      summary: { order_id: orderId, settled: order.frozen, arrears_outstanding: order.arrears },
    },
    now,
  );
  return { order: saved, notices: [] };
}

/**
 * A refund after settlement: credits the account back, at most what the deposit settled. On a
 * closed account the refund is still credited (the order's books and its invoicing stay true,
 * and a retry cannot refund twice), but a closed account can neither spend nor pay out, so the
 * credit is also listed for finance (`settled_refund_on_closed_account`), which reopens the
 * account for the merchant to withdraw it or otherwise settles with the merchant.
 */
export async function refundSettled(
  trx: Tx,
  ops: LedgerOps,
  actor: Actor,
  accountId: string,
  orderId: string,
  amount: number,
  now: Date,
): Promise<CostResult> {
  const { account, order } = await lockOrder(trx, actor, accountId, orderId);
  if (order.status !== "settled")
    throw new DepositsError("order_not_settled", "Only a settled cost can be refunded");
  const refundable = order.settled - order.refunded;
  if (amount > refundable) {
    throw new DepositsError(
      "exceeds_settled",
      `At most ${refundable} of this order's settled cost can be refunded`,
    );
  }
  const id = `tr_${newId("drf")}`;
  expectTransfer(
    await ops.transfer({
      id,
      debit_account_id: ledgerIds.revenue(account.asset),
      credit_account_id: account.ledger_account_id,
      amount,
      code: "deposit_settled_refund",
      reference_module: "deposits",
      reference_id: order.id,
    }),
  );
  await writeEntry(trx, account, order, "settled_refund", amount, id, now);
  if (account.status === "closed")
    await listClosedAccountRefund(trx, actor, account, orderId, amount, id, now);
  const saved = await saveOrder(trx, order, order.status, now);
  await recordAudit(
    trx,
    actor,
    {
      action: "deposit_cost.refunded",
      targetType: "deposit_order_cost",
      targetId: order.id,
      summary: { order_id: orderId, amount },
    },
    now,
  );
  return { order: saved, notices: await recheck(trx, ops, account, now) };
}

/** The manual-handling item of a settled refund credited to a closed account, audited. */
async function listClosedAccountRefund(
  trx: Tx,
  actor: Actor,
  account: AccountRow,
  orderId: string,
  amount: number,
  transferId: string,
  now: Date,
): Promise<void> {
  const manualItemId = newId("dmi");
  const reason = "account_closed";
  await trx
    .insertInto("deposit_manual_items")
    .values({
      tenant_id: account.tenant_id,
      id: manualItemId,
      account_id: account.id,
      kind: "settled_refund_on_closed_account",
      reference_id: orderId,
      detail: JSON.stringify({ reason, order_id: orderId, amount, transfer_id: transferId }),
      created_at: now,
      resolved_at: null,
    })
    .execute();
  await recordAudit(
    trx,
    actor,
    {
      action: "deposit_cost.refund_listed",
      targetType: "deposit_manual_item",
      targetId: manualItemId,
      summary: { account_id: account.id, order_id: orderId, amount, reason },
    },
    now,
  );
}
