import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { lockUsableMember } from "../members/index.js";
import { debitPoints, pointsTotal } from "./points-lots.js";
import { logChange, type UnitOfWork } from "./wallets.ledger.js";
import { POINTS_ASSET } from "./wallets.repository.js";

/** What an order's points award is noted as, in its transfers and its change-log row. */
export const orderPointsReason = (orderId: string) => `order ${orderId}`;

/**
 * Takes back the points a refunded order gave, first from the lots its awards went into: those
 * points keep the expiry they were given, so taking the member's soonest-expiring points
 * instead would leave some of the order's to outlive it. What those lots no longer hold (the
 * member spent it) comes from the other lots, soonest-expiring first; if all of them hold less,
 * the refund is refused whole (`insufficient_points`, with the shortfall), as a spend would be.
 * An award whose transfers are not written yet (made in this very batch) is found in no lot,
 * and all is taken soonest-expiring first.
 */
export async function takeBackOrderPoints(
  uow: UnitOfWork,
  ctx: RequestContext,
  p: { memberId: string; points: number; orderId: string },
  now: Date,
): Promise<void> {
  await lockUsableMember(uow.trx, ctx.actor, p.memberId, { allowFrozen: true });
  const awards = await uow.trx
    .selectFrom("ledger_transfers")
    .select("credit_account_id")
    .distinct()
    .where("tenant_id", "=", uow.tenantId)
    .where("reference_module", "=", "wallets")
    .where("reference_id", "=", p.memberId)
    .where("code", "=", "points_earn")
    .where("memo", "=", orderPointsReason(p.orderId))
    .execute();
  const reason = `${orderPointsReason(p.orderId)} refunded`;
  await debitPoints(
    uow,
    {
      kind: "points",
      memberId: p.memberId,
      amount: p.points,
      to: "points_spent",
      code: "points_adjust",
      memo: reason,
      firstFrom: awards.map((a) => a.credit_account_id),
    },
    now,
  );
  logChange(
    uow,
    ctx.actor,
    {
      memberId: p.memberId,
      account: "points",
      kind: "points_adjust",
      asset: POINTS_ASSET,
      amount: -p.points,
      balanceAfter: await pointsTotal(uow, "points", p.memberId, now),
      reason,
      sourceRef: p.orderId,
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
      summary: { kind: "points", delta: -p.points, reason, reference: p.orderId },
    },
    now,
  );
}
