import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { mulDiv } from "../../shared/money.js";
import {
  systemReason,
  type TakenBackLog,
  takeBackAwardedPoints,
  takeBackProviderRefund,
  type WebhookOutcome,
} from "../wallets/index.js";
import { topupPointsReason } from "./credit-topup.js";
import { lockUsableMember } from "./member-facts.js";
import { TopupError } from "./topup.errors.js";
import { findTopup, type TopupRow } from "./topup.repository.js";

/**
 * The provider refunds recorded on a top-up (`details.refund`), cumulative, with the points
 * taken back for them and those the member no longer held (logs kept before points were taken
 * back have neither: read as 0).
 */
export type RefundLog = TakenBackLog & { taken_points?: number; points_shortfall?: number };

/**
 * A refund the provider made on an online top-up's payment, once per refund id. Out of order
 * (the payment itself not yet settled here) it is refused with 409 topup_payment_not_settled,
 * so the provider retries it after the payment notification. The refunded share comes back
 * out of the top-up's lots as every credited top-up's (wallets `takeBackProviderRefund`):
 * principal = the refunded amount, bonus = bonus × refunded / amount rounded down, both
 * cumulative; what the member already spent is recorded as the shortfall. Its points come
 * back likewise, points × refunded / amount rounded down, cumulative, from the lots its award
 * went into first (wallets `takeBackAwardedPoints`); points the member no longer holds are the
 * points shortfall. Gifts and a tier it gave stay: an operator decides. The member is locked
 * after the top-up, as crediting it locks them. The top-up becomes `refunded` once
 * all of it is back; until then it stays `credited` with its `refunded_amount`. A
 * `refund_due` top-up (paid late, never credited) is not for this path
 * (record-refund.ts `recordProviderRefundOfOwed`): nothing was credited to take back.
 */
export async function recordProviderRefund(
  uow: UnitOfWork,
  ctx: RequestContext,
  topup: TopupRow,
  outcome: WebhookOutcome,
  now: Date,
  // A smart top-up's payment is the cashier's attempt: the top-up row names no provider.
  provider = topup.provider ?? "",
): Promise<"refund_recorded" | "already_settled"> {
  if (topup.status === "pending_payment")
    throw new TopupError(
      "topup_payment_not_settled",
      "The payment this refund belongs to has not been confirmed yet",
    );
  if (topup.status !== "credited" && topup.status !== "refunded") return "already_settled";
  const details = topup.details as Record<string, unknown>;
  await lockUsableMember(uow.trx, ctx.actor, topup.member_id, { allowFrozen: true, allowClosed: true });
  const before = refundLogOf(topup);
  const taken = await takeBackProviderRefund(
    uow,
    ctx,
    {
      log: before,
      notice: { ...outcome, provider },
      amount: topup.amount,
      bonusAmount: topup.bonus_amount,
      memberId: topup.member_id,
      sourceId: topup.id,
      principalLotId: String(details.principal_lot_id),
      bonusLotId: (details.bonus_lot_id as string | null) ?? null,
      channel: topup.payment_method,
    },
    now,
  );
  if (!taken) return "already_settled";
  const { refundId } = taken;
  const pointsUpTo = (total: number) => mulDiv(topup.points, total, topup.amount, "down");
  const pointsDue = pointsUpTo(taken.log.refunded_total) - pointsUpTo(before.refunded_total);
  const points =
    pointsDue > 0
      ? await takeBackAwardedPoints(
          uow,
          ctx,
          {
            memberId: topup.member_id,
            points: pointsDue,
            award: topupPointsReason(topup),
            reason: systemReason("topup_refunded_by_provider", { topup: topup.id }),
            reference: topup.id,
            upTo: true,
          },
          now,
        )
      : { taken: 0, shortfall: 0 };
  const next: RefundLog = {
    ...taken.log,
    taken_points: (before.taken_points ?? 0) + points.taken,
    points_shortfall: (before.points_shortfall ?? 0) + points.shortfall,
  };
  // A part refunded leaves the top-up credited, as a card charge stays paid (its
  // `refunded_amount` says how much came back); only all of it back makes it refunded.
  const status = next.refunded_total >= topup.amount ? "refunded" : topup.status;
  return saveRefund(uow, ctx, { topup, details, status, refundId, log: next }, now);
}

/**
 * The provider refunded (part of) the payment a holder collected for a credited top-up (the
 * cashier's attempt for a smart top-up, locked by the caller before the top-up, as every path
 * that records its refunds locks them): taken back as recordProviderRefund takes back a top-up
 * paid at its own webhook, the top-up locked here.
 */
export async function recordProviderRefundOfHeldTopup(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: { topupId: string; provider: string; outcome: WebhookOutcome },
  now: Date,
): Promise<"refund_recorded" | "already_settled"> {
  const topup = await findTopup(uow.trx, uow.tenantId, input.topupId, { lock: true });
  return recordProviderRefund(uow, ctx, topup, input.outcome, now, input.provider);
}

/** Keeps a recorded refund in the top-up's details with its new status, and audits it. */
async function saveRefund(
  uow: UnitOfWork,
  ctx: RequestContext,
  p: {
    topup: TopupRow;
    details: Record<string, unknown>;
    status: "credited" | "refunded" | "refund_due";
    refundId: string;
    log: RefundLog;
  },
  now: Date,
): Promise<"refund_recorded"> {
  await uow.trx
    .updateTable("topups")
    .set({ status: p.status, details: JSON.stringify({ ...p.details, refund: p.log }), updated_at: now })
    .where("tenant_id", "=", uow.tenantId)
    .where("id", "=", p.topup.id)
    .execute();
  await recordAudit(
    uow,
    ctx,
    {
      action: "topup.refunded",
      targetType: "topup",
      targetId: p.topup.id,
      summary: { refund_id: p.refundId, ...p.log },
    },
    now,
  );
  return "refund_recorded";
}

/** A top-up's refund log, empty until a refund is recorded. */
export function refundLogOf(topup: TopupRow): RefundLog {
  return (
    (topup.details as Partial<{ refund: RefundLog }>).refund ?? {
      refunds: {},
      refunded_total: 0,
      taken_principal: 0,
      taken_bonus: 0,
      shortfall: 0,
    }
  );
}
