import type { Ledger } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import { systemActor } from "../../platform/auth/actor.js";
import { eachItem, type ItemFailure, ItemSweepError } from "../../platform/jobs/each-item.js";
import { systemReason } from "./change-reasons.js";
import { pointsTotal } from "./points-lots.js";
import { logChange, openSystem, type UnitOfWork } from "./wallets.ledger.js";
import { POINTS_ASSET } from "./wallets.repository.js";

/** Lots expired per unit of work by the expiry job. */
export const LOTS_PER_UNIT = 200;

type DueLot = { account_id: string; member_id: string; kind: "points" | "referral_points" };

/**
 * Moves what is left in every points lot whose day has passed (`expires_at <= now`) to the
 * expired account, one change-log row per lot. Safe to run again: an emptied lot has
 * nothing left to move. Returns the number of lots emptied. Lots expire a batch to a unit of
 * work; a batch that fails is redone a lot to a unit, so one lot the ledger refuses holds
 * back none of the others. The lots that failed are thrown at the end, each named.
 */
export async function expirePoints(ledger: Ledger, tenantId: string, now: Date): Promise<number> {
  let expired = 0;
  let after = "";
  const failures: ItemFailure[] = [];
  for (;;) {
    const due: DueLot[] = await ledger.db.tenantTx(tenantId, (trx) =>
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
    if (due.length === 0) break;
    after = due[due.length - 1]!.account_id;
    try {
      expired += await ledger.run(tenantId, (uow) => expireLots(uow, tenantId, due, now));
    } catch {
      // Which lot failed is not known here: each is tried alone, and those failing again are
      // recorded with their own error.
      const counts = await eachItem(
        due,
        (lot) => lot.account_id,
        (lot) => ledger.run(tenantId, (uow) => expireLots(uow, tenantId, [lot], now)),
        failures,
      );
      expired += counts.reduce((sum, n) => sum + n, 0);
    }
    if (due.length < LOTS_PER_UNIT) break;
  }
  if (failures.length > 0) throw new ItemSweepError("points lot(s)", failures);
  return expired;
}

/** Expires these lots in the unit of work; returns how many had points left. */
async function expireLots(uow: UnitOfWork, tenantId: string, due: readonly DueLot[], now: Date) {
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
    if (!r.ok) throw new Error(`ledger refused points expiry of ${lot.account_id}: ${r.code}`);
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
        reason: systemReason("points_expired", {}),
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
}
