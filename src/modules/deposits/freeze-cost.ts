import type { Tx } from "../../db/database.js";
import { expectTransfer } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { Actor } from "../../platform/auth/actor.js";
import { assertInScope } from "../../platform/auth/scope.js";
import { tenantZone } from "../../platform/tenants.js";
import { newId } from "../../shared/ids.js";
import { checkAccount, crossedWarning } from "./check-account.js";
import { freezeSplit } from "./deposit-rules.js";
import { DepositsError } from "./deposits.errors.js";
import { emitDepositEvent } from "./deposits.events.js";
import { depositBalances, type LedgerOps, ledgerIds } from "./deposits.ledger.js";
import type { PendingNotice } from "./deposits.notices.js";
import { loadSettings, type OrderWithAmounts } from "./deposits.repository.js";
import { hold, withAmounts, writeEntry } from "./order-costs.js";

export interface FreezeInput {
  accountId: string;
  orderId: string;
  campaignId: string | null;
  amount: number;
}

export type FreezeResult =
  | { outcome: "frozen" | "replayed"; order: OrderWithAmounts; notices: PendingNotice[] }
  | { outcome: "manual"; manualItemId: string; reason: string; notices: PendingNotice[] };

/**
 * A buyer's order used a campaign: its cost is frozen on the merchant's deposit at once
 * (a ledger hold). What available cannot cover is recorded as arrears, exactly. The order id
 * makes it idempotent per account. An account that is not active does not fail the order: the
 * cost goes to the manual-handling list, so nothing is lost.
 */
export async function freezeCost(
  trx: Tx,
  ops: LedgerOps,
  actor: Actor,
  input: FreezeInput,
  now: Date,
): Promise<FreezeResult> {
  const tenantId = actor.tenantId;
  const found = await trx
    .selectFrom("deposit_accounts as a")
    .innerJoin("org_units as o", (j) =>
      j.onRef("o.tenant_id", "=", "a.tenant_id").onRef("o.id", "=", "a.merchant_id"),
    )
    .selectAll("a")
    .select("o.path")
    .where("a.tenant_id", "=", tenantId)
    .where("a.id", "=", input.accountId)
    .forUpdate("a")
    .executeTakeFirst();
  if (!found) throw new DepositsError("deposit_account_not_found", "Deposit account not found");
  assertInScope(actor, found.path, "deposit_account");
  const { path: _path, ...account } = found;
  if (input.campaignId) {
    const campaign = await trx
      .selectFrom("deposit_campaigns")
      .select("id")
      .where("tenant_id", "=", tenantId)
      .where("id", "=", input.campaignId)
      .where("account_id", "=", account.id)
      .executeTakeFirst();
    if (!campaign) throw new DepositsError("campaign_not_found", "Campaign not found on this account");
  }
  const existing = await trx
    .selectFrom("deposit_order_costs")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("account_id", "=", account.id)
    .where("order_id", "=", input.orderId)
    .executeTakeFirst();
  if (existing) {
    if (existing.cost !== input.amount || existing.campaign_id !== input.campaignId) {
      throw new DepositsError("order_id_reused", "This order's cost was already frozen with other details");
    }
    const [order] = await withAmounts(trx, tenantId, [existing]);
    return { outcome: "replayed", order: order!, notices: [] };
  }
  // An order the account could not take is listed once: a retry (the order system has no
  // shared Idempotency-Key) must not list it again, nor freeze it after activation, or it would
  // be charged twice once finance handles the item.
  const listed = await trx
    .selectFrom("deposit_manual_items")
    .select(["id", "detail"])
    .where("tenant_id", "=", tenantId)
    .where("account_id", "=", account.id)
    .where("kind", "=", "freeze_failed")
    .where("reference_id", "=", input.orderId)
    .executeTakeFirst();
  if (listed) {
    const detail = listed.detail as { reason?: string; amount?: number; campaign_id?: string | null };
    if (detail.amount !== input.amount || (detail.campaign_id ?? null) !== input.campaignId) {
      throw new DepositsError("order_id_reused", "This order's cost was already listed with other details");
    }
    return { outcome: "manual", manualItemId: listed.id, reason: detail.reason ?? "", notices: [] };
  }
  if (account.status !== "active") {
    const manualItemId = newId("dmi");
    const reason = `account_${account.status}`;
    await trx
      .insertInto("deposit_manual_items")
      .values({
        tenant_id: tenantId,
        id: manualItemId,
        account_id: account.id,
        kind: "freeze_failed",
        reference_id: input.orderId,
        detail: JSON.stringify({
          reason,
          order_id: input.orderId,
          campaign_id: input.campaignId,
          amount: input.amount,
        }),
        created_at: now,
        resolved_at: null,
      })
      .execute();
    await recordAudit(
      trx,
      actor,
      {
        action: "deposit_cost.freeze_listed",
        targetType: "deposit_manual_item",
        targetId: manualItemId,
        summary: { account_id: account.id, order_id: input.orderId, amount: input.amount, reason },
      },
      now,
    );
    return { outcome: "manual", manualItemId, reason, notices: [] };
  }

  const before = await depositBalances(ops, account);
  const split = freezeSplit(input.amount, before.available);
  const orderCostId = newId("doc");
  const holdId = split.frozen > 0 ? await hold(ops, account, orderCostId, split.frozen) : null;
  let arrearsTransferId: string | null = null;
  if (split.arrears > 0) {
    arrearsTransferId = `tr_${newId("dar")}`;
    expectTransfer(
      await ops.transfer({
        id: arrearsTransferId,
        debit_account_id: account.arrears_account_id,
        credit_account_id: ledgerIds.unfunded(account.asset),
        amount: split.arrears,
        code: "deposit_arrears",
        reference_module: "deposits",
        reference_id: orderCostId,
      }),
    );
  }
  const row = await trx
    .insertInto("deposit_order_costs")
    .values({
      tenant_id: tenantId,
      id: orderCostId,
      account_id: account.id,
      campaign_id: input.campaignId,
      order_id: input.orderId,
      cost: input.amount,
      hold_id: holdId,
      status: "frozen",
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await writeEntry(trx, account, row, "freeze", split.frozen, holdId, now);
  await writeEntry(trx, account, row, "arrears", split.arrears, arrearsTransferId, now);
  const [order] = await withAmounts(trx, tenantId, [row]);
  await recordAudit(
    trx,
    actor,
    {
      action: "deposit_cost.frozen",
      targetType: "deposit_order_cost",
      targetId: orderCostId,
      summary: {
        order_id: input.orderId,
        campaign_id: input.campaignId,
        amount: input.amount,
        frozen: split.frozen,
        arrears: split.arrears,
      },
    },
    now,
  );
  const after = await depositBalances(ops, account);
  if (split.arrears > 0) {
    await emitDepositEvent(
      trx,
      account,
      "deposit.arrears_recorded",
      { order_id: input.orderId, arrears: split.arrears, total_arrears: after.arrears },
      now,
    );
  }
  const settings = await loadSettings(trx, tenantId, now);
  const notices = await checkAccount(
    trx,
    {
      account,
      balances: after,
      settings,
      zone: await tenantZone(trx, tenantId),
      warn: crossedWarning(account, before.available, after.available),
    },
    now,
  );
  return { outcome: "frozen", order: order!, notices };
}
