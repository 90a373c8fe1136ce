import type { Tx } from "../../db/database.js";
import { hasToppedUp } from "../wallets/index.js";
import { hasCreditedTopup } from "./topup.repository.js";

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

/**
 * A first-time depositor: no top-up in the balance change log and no credited or refunded
 * plan or smart top-up. Decided with the member row locked wherever it gives something.
 */
export async function isFirstDepositor(trx: Tx, tenantId: string, memberId: string): Promise<boolean> {
  return (
    !(await hasToppedUp({ trx, tenantId }, memberId)) && !(await hasCreditedTopup(trx, tenantId, memberId))
  );
}
