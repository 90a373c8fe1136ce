import type { Tx } from "../../db/database.js";
import { type LotKind, type LotMove, paymentLegs, refundedByAccount } from "./lots.repository.js";
import { accountIds } from "./wallets.ledger.js";
import type { PaymentRow } from "./wallets.repository.js";

type Leg = { accountId: string; kind: LotKind; amount: number };

/** The legs a payment took, in spending order; a payment made before lots existed has its two accounts. */
export async function refundLegsOf(trx: Tx, tenantId: string, payment: PaymentRow): Promise<Leg[]> {
  const legs = await paymentLegs(trx, tenantId, payment.id);
  if (legs.length > 0) return legs.map((l) => ({ accountId: l.account_id, kind: l.kind, amount: l.amount }));
  return [
    {
      accountId: accountIds.principal(payment.member_id),
      kind: "principal" as const,
      amount: payment.principal_amount,
    },
    { accountId: accountIds.bonus(payment.member_id), kind: "bonus" as const, amount: payment.bonus_amount },
  ].filter((l) => l.amount > 0);
}

/** What each leg's account has had back; refunds before lots existed are read from their totals. */
export async function refundedSoFar(
  trx: Tx,
  tenantId: string,
  payment: PaymentRow,
  previous: { amount: string | number; bonus: string | number },
): Promise<Map<string, number>> {
  const byAccount = await refundedByAccount(trx, tenantId, payment.id);
  const recorded = [...byAccount.values()].reduce((s, v) => s + v, 0);
  if (recorded === Number(previous.amount)) return byAccount;
  return new Map([
    [accountIds.principal(payment.member_id), Number(previous.amount) - Number(previous.bonus)],
    [accountIds.bonus(payment.member_id), Number(previous.bonus)],
  ]);
}

/** The lots among refund legs, for the change log. */
export async function lotMoves(trx: Tx, tenantId: string, legs: readonly Leg[]): Promise<LotMove[]> {
  const ids = legs.map((l) => l.accountId);
  if (ids.length === 0) return [];
  const lots = await trx
    .selectFrom("wallet_lots")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("id", "in", ids)
    .execute();
  const known = new Set(lots.map((l) => l.id));
  return legs
    .filter((l) => known.has(l.accountId))
    .map((l) => ({ lot_id: l.accountId, kind: l.kind, amount: l.amount }));
}
