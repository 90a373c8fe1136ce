import type { Tx } from "../../db/database.js";
import { TopupError } from "./topup.errors.js";
import type { RechargeCodeRow } from "./topup.repository.js";

/** An active recharge code by its code (what a QR payload carries). */
export async function findActiveCode(trx: Tx, tenantId: string, code: string): Promise<RechargeCodeRow> {
  const row = await trx
    .selectFrom("recharge_codes")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("code", "=", code)
    .executeTakeFirst();
  if (row?.status !== "active")
    throw new TopupError("recharge_code_not_found", "Recharge code not found or disabled");
  return row;
}
