import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { lockUsableMember } from "../members/index.js";
import { type ChangeReason, reasonText, systemReason } from "./change-reasons.js";
import { debitPoints } from "./points-lots.js";
import { logChange, type UnitOfWork } from "./wallets.ledger.js";
import { POINTS_ASSET } from "./wallets.repository.js";

/** What an order's points award is noted as, in its transfers and its change-log row. */
export const orderPointsReason = (orderId: string) => systemReason("order_points", { order: orderId });

/**
 * Takes back the points a refunded order gave (`takeBackAwardedPoints`), refusing the refund
 * whole (`insufficient_points`, with the shortfall) if the member holds less, as a spend would be.
 */
export async function takeBackOrderPoints(
  uow: UnitOfWork,
  ctx: RequestContext,
  p: { memberId: string; points: number; orderId: string },
  now: Date,
): Promise<void> {
  await lockUsableMember(uow.trx, ctx.actor, p.memberId, { allowFrozen: true });
  await takeBackAwardedPoints(
    uow,
    ctx,
    {
      memberId: p.memberId,
      points: p.points,
      award: orderPointsReason(p.orderId),
      reason: systemReason("order_refunded", { order: p.orderId }),
      reference: p.orderId,
    },
    now,
  );
}

/**
 * Takes back points an award gave (the member locked by the caller), first from the lots the
 * award went into (its `points_earn` transfers noted with the award's reason): those points keep the expiry
 * they were given, so taking the member's soonest-expiring points instead would leave some of
 * the award's to outlive it. What those lots no longer hold (the member spent it) comes from
 * the other lots, soonest-expiring first. If all of them hold less, it is refused whole
 * (`insufficient_points`), or with `upTo` all they hold is taken and the rest is the shortfall
 * (a refund the payment provider has already made cannot be refused). An award whose transfers
 * are not written yet (made in this very batch) is found in no lot, and all is taken
 * soonest-expiring first. Logged and audited as an adjustment with `reason`.
 */
export async function takeBackAwardedPoints(
  uow: UnitOfWork,
  ctx: RequestContext,
  p: {
    memberId: string;
    points: number;
    award: ChangeReason;
    reason: ChangeReason;
    reference: string;
    upTo?: boolean;
  },
  now: Date,
): Promise<{ taken: number; shortfall: number }> {
  const awards = await uow.trx
    .selectFrom("ledger_transfers")
    .select("credit_account_id")
    .distinct()
    .where("tenant_id", "=", uow.tenantId)
    .where("reference_module", "=", "wallets")
    .where("reference_id", "=", p.memberId)
    .where("code", "=", "points_earn")
    .where("memo", "=", reasonText(p.award))
    .execute();
  const { taken, left } = await debitPoints(
    uow,
    {
      kind: "points",
      memberId: p.memberId,
      amount: p.points,
      to: "points_spent",
      code: "points_adjust",
      memo: reasonText(p.reason),
      firstFrom: awards.map((a) => a.credit_account_id),
      upTo: p.upTo ?? false,
    },
    now,
  );
  if (taken === 0) return { taken, shortfall: p.points };
  logChange(
    uow,
    ctx.actor,
    {
      memberId: p.memberId,
      account: "points",
      kind: "points_adjust",
      asset: POINTS_ASSET,
      amount: -taken,
      balanceAfter: left,
      reason: p.reason,
      sourceRef: p.reference,
    },
    now,
  );
  await recordAudit(
    uow,
    ctx,
    {
      action: "wallet.points_adjusted",
      targetType: "member",
      targetId: p.memberId,
      summary: { kind: "points", delta: -taken, reason: reasonText(p.reason), reference: p.reference },
    },
    now,
  );
  return { taken, shortfall: p.points - taken };
}
