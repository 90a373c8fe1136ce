import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { DepositsError } from "./deposits.errors.js";
import { type LedgerOps, ledgerIds, openMerchantAccounts, openPlatformAccounts } from "./deposits.ledger.js";
import { type AccountRow, loadSettings, merchantInScope } from "./deposits.repository.js";

/**
 * Opens a merchant's deposit account: only with a bound, effective bank account for wire
 * transfers. The account starts `pending_configuration` (warnings come next); its deposit
 * and arrears balances are ledger accounts opened here.
 */
export async function openAccount(
  trx: Tx,
  ops: LedgerOps,
  context: RequestContext,
  merchantId: string,
  now: Date,
): Promise<AccountRow> {
  const { actor } = context;
  const merchant = await merchantInScope(trx, actor, merchantId);
  const binding = await trx
    .selectFrom("deposit_bank_bindings")
    .select(["status"])
    .where("tenant_id", "=", actor.tenantId)
    .where("merchant_id", "=", merchant.id)
    .forShare()
    .executeTakeFirst();
  if (binding?.status !== "effective") {
    throw new DepositsError(
      "bank_binding_required",
      "Bind an effective bank account for wire transfers before opening a deposit account",
    );
  }
  const settings = await loadSettings(trx, actor.tenantId, now);
  const id = newId("dpa");
  const inserted = await trx
    .insertInto("deposit_accounts")
    .values({
      tenant_id: actor.tenantId,
      id,
      merchant_id: merchant.id,
      asset: settings.asset,
      status: "pending_configuration",
      ledger_account_id: ledgerIds.deposit(id),
      arrears_account_id: ledgerIds.arrears(id),
      opened_by: actor.id,
      opener_inbox: actor.id,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(["tenant_id", "merchant_id"]).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!inserted)
    throw new DepositsError("deposit_account_exists", "The merchant already has a deposit account");
  await openPlatformAccounts(trx, ops, actor.tenantId, settings.asset, now);
  await openMerchantAccounts(ops, id, settings.asset);
  await recordAudit(
    trx,
    context,
    {
      action: "deposit_account.opened",
      targetType: "deposit_account",
      targetId: id,
      summary: { merchant_id: merchant.id, asset: settings.asset },
    },
    now,
  );
  return inserted;
}
