import type { Tx } from "../db/database.js";
import { recordAudit } from "../platform/audit/audit.js";
import type { RequestContext } from "../platform/auth/actor.js";
import { type AssetInput, createAsset } from "./queries.js";

/** Creates an asset, or answers the existing one with the same code (audited when created). */
export async function addAsset(trx: Tx, ctx: RequestContext, input: AssetInput, now: Date) {
  const result = await createAsset(trx, ctx.actor.tenantId, input, now);
  if (result.created) {
    await recordAudit(
      trx,
      ctx,
      { action: "ledger_asset.created", targetType: "ledger_asset", targetId: result.asset.code },
      now,
    );
  }
  return result;
}
