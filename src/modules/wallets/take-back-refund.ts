import type { RequestContext } from "../../platform/auth/actor.js";
import {
  nextProviderRefund,
  type ProviderRefundLog,
  type ProviderRefundNotice,
} from "../../platform/http/record-refund.js";
import { mulDiv } from "../../shared/money.js";
import { reverseTaggedTopup } from "./reverse-tagged-topup.js";
import type { UnitOfWork } from "./wallets.ledger.js";

/**
 * The provider refunds taken back out of a credited top-up, cumulative: by refund id with their
 * sum (as every provider refund log), what came back out of the member's balance, and what the
 * member had already spent (`shortfall`: refunded at the provider, not taken back here).
 */
export interface TakenBackLog extends ProviderRefundLog {
  taken_principal: number;
  taken_bonus: number;
  shortfall: number;
}

export const EMPTY_TAKEN_BACK: TakenBackLog = {
  refunds: {},
  refunded_total: 0,
  taken_principal: 0,
  taken_bonus: 0,
  shortfall: 0,
};

/** A log kept before shortfalls were (a refund_due intent's), read as one with nothing taken. */
export function takenBackLogOf(log: Partial<TakenBackLog> | null | undefined): TakenBackLog {
  return { ...EMPTY_TAKEN_BACK, ...(log ?? {}) };
}

/**
 * A provider's refund of a credited top-up (its row locked by the caller), once per refund id,
 * cumulative or one by one as the provider counts: the refunded share comes back out of what
 * the top-up credited — principal = the refunded amount, bonus = bonus × refunded / amount
 * rounded down, both reckoned on the running total so parts add up to the whole — never more
 * than the balance still holds; the rest is the shortfall. Null when the notice adds nothing
 * (a failed refund, a refund id heard before, a total no higher than recorded).
 */
export async function takeBackProviderRefund(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: {
    log: TakenBackLog;
    notice: ProviderRefundNotice;
    amount: number;
    bonusAmount: number;
    memberId: string;
    sourceId: string;
    principalLotId: string;
    principalUntagged?: boolean;
    bonusLotId: string | null;
    channel: "offline" | "online";
  },
  now: Date,
): Promise<{ refundId: string; share: number; whole: boolean; log: TakenBackLog } | null> {
  const { log, amount, bonusAmount } = input;
  const refund = nextProviderRefund(log, input.notice, amount);
  if (!refund) return null;
  const bonusUpTo = (total: number) => mulDiv(bonusAmount, total, amount, "down");
  const taken = await reverseTaggedTopup(
    uow,
    ctx,
    {
      memberId: input.memberId,
      sourceId: input.sourceId,
      principalLotId: input.principalLotId,
      ...(input.principalUntagged ? { principalUntagged: true } : {}),
      bonusLotId: input.bonusLotId,
      principal: refund.share,
      bonus: bonusUpTo(refund.total) - bonusUpTo(log.refunded_total),
      channel: input.channel,
    },
    now,
  );
  return {
    refundId: refund.refundId,
    share: refund.share,
    whole: refund.whole,
    log: {
      refunds: { ...log.refunds, [refund.refundId]: refund.share },
      refunded_total: refund.total,
      taken_principal: log.taken_principal + taken.principal,
      taken_bonus: log.taken_bonus + taken.bonus,
      shortfall: log.shortfall + taken.shortfall,
    },
  };
}
