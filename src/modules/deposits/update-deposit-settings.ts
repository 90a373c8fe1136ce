import type { Tx } from "../../db/database.js";
import { changeSummary, recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { assertPlatform, loadSettings, type ReceivingAccount } from "./deposits.repository.js";

export interface SettingsChange {
  min_topup_amount?: number;
  suspension_threshold?: number;
  invoice_min_net_amount?: number;
  tax_rate_bps?: number;
  receiving_account?: ReceivingAccount;
}

/** The platform changes the tenant's deposit settings (audited with what changed). */
export async function updateDepositSettings(trx: Tx, ctx: RequestContext, change: SettingsChange, now: Date) {
  assertPlatform(ctx.actor);
  const { tenantId } = ctx.actor;
  const before = await loadSettings(trx, tenantId, now);
  const after = await trx
    .updateTable("deposit_settings")
    .set({
      ...change,
      ...(change.receiving_account ? { receiving_account: JSON.stringify(change.receiving_account) } : {}),
      updated_at: now,
    })
    .where("tenant_id", "=", tenantId)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    trx,
    ctx,
    {
      action: "deposit_settings.updated",
      targetType: "tenant",
      targetId: tenantId,
      summary: changeSummary(before, after, Object.keys(change) as (keyof SettingsChange)[]),
    },
    now,
  );
  return after;
}
