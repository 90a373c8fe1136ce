import type { Ledger } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import { systemActor } from "../../platform/auth/actor.js";
import { pointsTotal } from "./points-lots.js";
import { logChange, openSystem } from "./wallets.ledger.js";
import { POINTS_ASSET } from "./wallets.repository.js";

/** Lots expired per unit of work by the expiry job. */
export const LOTS_PER_UNIT = 200;

/**
 * Moves what is left in every points lot whose day has passed (`expires_at <= now`) to the
 * expired account, one change-log row per lot. Safe to run again: an emptied lot has
 * nothing left to move. Returns the number of lots emptied.
 */
export async function expirePoints(ledger: Ledger, tenantId: string, now: Date): Promise<number> {
  let expired = 0;
  let after = "";
  for (;;) {
    const due = await ledger.db.tenantTx(tenantId, (trx) =>
      trx
        .selectFrom("wallet_point_lots as l")
        .innerJoin("ledger_accounts as a", (j) =>
          j.onRef("a.tenant_id", "=", "l.tenant_id").onRef("a.id", "=", "l.account_id"),
        )
        .select(["l.account_id", "l.member_id", "l.kind"])
        .where("l.tenant_id", "=", tenantId)
        .where("l.expires_at", "<=", now)
        .where("l.account_id", ">", after)
        .whereRef("a.credits_posted", ">", "a.debits_posted")
        .orderBy("l.account_id")
        .limit(LOTS_PER_UNIT)
        .execute(),
    );
    if (due.length === 0) return expired;
    after = due[due.length - 1]!.account_id;
    expired += await ledger.run(tenantId, async (uow) => {
      const actor = systemActor(tenantId, "wallets.expire_points");
      const sink = await openSystem(uow, "points_expired", POINTS_ASSET);
      let count = 0;
      for (const lot of due) {
        const b = await uow.balances(lot.account_id);
        // Only what is not held can expire; a lot has no holds today, so this is all of it.
        const amount = b?.available ?? 0;
        if (amount <= 0) continue;
        const r = await uow.transfer({
          debit_account_id: lot.account_id,
          credit_account_id: sink,
          amount,
          code: "points_expire",
          reference_module: "wallets",
          reference_id: lot.member_id,
        });
        if (!r.ok) throw new Error(`ledger refused points expiry: ${r.code}`);
        logChange(
          uow,
          actor,
          {
            memberId: lot.member_id,
            account: lot.kind,
            kind: "points_expire",
            asset: POINTS_ASSET,
            amount: -amount,
            balanceAfter: await pointsTotal(uow, lot.kind, lot.member_id, now),
            reason: "expired",
          },
          now,
        );
        await recordAudit(
          uow,
          actor,
          {
            action: "wallet.points_expired",
            targetType: "member",
            targetId: lot.member_id,
            summary: { kind: lot.kind, amount },
          },
          now,
        );
        count++;
      }
      return count;
    });
    if (due.length < LOTS_PER_UNIT) return expired;
  }
}
