import type { Tx } from "../../db/database.js";

export { findVisibleMember, lockUsableMember } from "../members/index.js";
export { hasToppedUp, type ProviderResolver } from "../wallets/index.js";

/** The minor-unit scale of a ledger asset (2 for CNY). */
export async function assetScaleOf(trx: Tx, tenantId: string, asset: string): Promise<number> {
  const row = await trx
    .selectFrom("ledger_assets")
    .select("scale")
    .where("tenant_id", "=", tenantId)
    .where("code", "=", asset)
    .executeTakeFirstOrThrow();
  return row.scale;
}
