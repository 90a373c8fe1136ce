import type { Tx } from "../../db/database.js";
import { readMemberBalance } from "../wallets/index.js";

/** What the member's balance has available now (a read: no lock). */
export async function readBalanceAvailable(trx: Tx, tenantId: string, memberId: string): Promise<number> {
  return (await readMemberBalance(trx, tenantId, memberId)).available;
}
