import type { Tx } from "../../db/database.js";
import { WalletsError } from "./wallets.errors.js";
import { readMemberBalance } from "./wallets.ledger.js";

/**
 * A member is closed with an empty wallet. A closed account can neither spend nor withdraw,
 * so money left in it (principal, bonus, or held for an order) would stay owed to nobody who
 * could ever use it, and would keep counting in every balance total. The operator withdraws
 * what is left first (`POST /v1/members/{id}/withdrawals` takes principal, then bonus) or lets
 * a held payment finish or be released. Points are not money and do not stop a close.
 */
export async function refuseClosingWithBalance(trx: Tx, tenantId: string, memberId: string): Promise<void> {
  const balance = await readMemberBalance(trx, tenantId, memberId);
  if (balance.total === 0) return;
  throw new WalletsError(
    "member_balance_not_settled",
    `The member still holds a balance of ${balance.total} (principal ${balance.principal}, bonus ${balance.bonus}, held ${balance.held}); withdraw it before closing the account`,
    {
      extra: {
        principal: balance.principal,
        bonus: balance.bonus,
        held: balance.held,
        available: balance.available,
      },
    },
  );
}
