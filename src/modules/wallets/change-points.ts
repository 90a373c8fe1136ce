import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { lockUsableMember } from "../members/index.js";
import { type ChangeReason, reasonText } from "./change-reasons.js";
import { creditPoints, debitPoints, type PointsKind, pointsTotal } from "./points-lots.js";
import { WalletsError } from "./wallets.errors.js";
import { logChange, type UnitOfWork } from "./wallets.ledger.js";
import { loadSettings, POINTS_ASSET } from "./wallets.repository.js";

export type PointsOperation = "earn" | "spend" | "adjust";
/** One points operation moves at most this many points. */
export const MAX_POINTS_PER_OPERATION = 1_000_000_000;

/**
 * Points in and out: `earn` (e.g. for an order) and `spend` take a positive amount; `adjust`
 * takes a signed delta and needs a reason. Spending takes the lots expiring first and never
 * goes below zero.
 */
export async function changePoints(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: {
    memberId: string;
    operation: PointsOperation;
    kind?: PointsKind;
    delta: number;
    reason?: ChangeReason | null;
    reference?: string | null;
    /**
     * For what follows an order rather than the member's own use: taking back a refunded
     * order's points, or awarding those of an order paid before the member was frozen.
     */
    allowFrozen?: boolean;
  },
  now: Date,
): Promise<{ change_id: string; points: number }> {
  const kind = input.kind ?? "points";
  const { delta, operation } = input;
  if (!Number.isSafeInteger(delta) || delta === 0 || Math.abs(delta) > MAX_POINTS_PER_OPERATION) {
    throw new WalletsError(
      "validation_failed",
      `points must be a non-zero integer of at most ${MAX_POINTS_PER_OPERATION}`,
    );
  }
  if (operation !== "adjust" && delta < 0)
    throw new WalletsError("validation_failed", "points must be positive");
  if (operation === "adjust" && !input.reason)
    throw new WalletsError("validation_failed", "An adjustment needs a reason");
  const settings = await loadSettings(uow.trx, uow.tenantId, now);
  await lockUsableMember(uow.trx, ctx.actor, input.memberId, { allowFrozen: input.allowFrozen ?? false });
  const credit = operation === "earn" || (operation === "adjust" && delta > 0);
  const code = `points_${operation}`;
  if (credit) {
    await creditPoints(
      uow,
      settings,
      {
        kind,
        memberId: input.memberId,
        amount: Math.abs(delta),
        from: "points_issued",
        code,
        memo: reasonText(input.reason),
      },
      now,
    );
  } else {
    await debitPoints(
      uow,
      {
        kind,
        memberId: input.memberId,
        amount: Math.abs(delta),
        to: "points_spent",
        code,
        memo: reasonText(input.reason),
      },
      now,
    );
  }
  const points = await pointsTotal(uow, kind, input.memberId, now);
  const signed = credit ? Math.abs(delta) : -Math.abs(delta);
  const changeId = logChange(
    uow,
    ctx.actor,
    {
      memberId: input.memberId,
      account: kind,
      kind: operation === "earn" ? "points_earn" : operation === "spend" ? "points_spend" : "points_adjust",
      asset: POINTS_ASSET,
      amount: signed,
      balanceAfter: points,
      reason: input.reason,
      sourceRef: input.reference,
    },
    now,
  );
  await recordAudit(
    uow,
    ctx,
    {
      action: `wallet.points_${operation === "earn" ? "earned" : operation === "spend" ? "spent" : "adjusted"}`,
      targetType: "member",
      targetId: input.memberId,
      summary: { kind, delta: signed, reason: reasonText(input.reason), reference: input.reference },
    },
    now,
  );
  return { change_id: changeId, points };
}
