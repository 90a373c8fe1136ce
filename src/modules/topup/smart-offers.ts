import type { Tx } from "../../db/database.js";
import type { Actor } from "../../platform/auth/actor.js";
import type { GiftSpec } from "../catalog/index.js";
import { readBalanceAvailable } from "./balance-read.js";
import { assertStoreUsable, whyClosed } from "./decide-topup.js";
import { assetScaleOf, findVisibleMember, hasToppedUp } from "./member-facts.js";
import { CHANNELS, type TopupChannel } from "./plan-terms.js";
import { type TierRefusal, tierFigures, tierRefusal } from "./smart-rules.js";
import type { SmartTier } from "./smart-terms.js";
import { hasCreditedTopup, type SmartPlanRow } from "./topup.repository.js";

/** At most this many active smart plans are considered for one offer. */
export const MAX_PLANS_CONSIDERED = 50;

export interface OfferedTier {
  index: number;
  type: SmartTier["type"];
  amount: number;
  bonus_amount: number;
  points: number;
  /** The first-top-up extras' part of bonus and points (already included above; 0 unless first). */
  first_bonus: number;
  first_points: number;
  /** Balance usable after accepting: what is available now + top-up + bonus. */
  usable_after: number;
  gift: GiftSpec | null;
  first_topup_gift: GiftSpec | null;
  offered: boolean;
  reason: TierRefusal | null;
}

export interface Offer {
  plan: SmartPlanRow | null;
  /** Why there is no plan: balance_covers_order, or the last plan's refusal, or no_active_plan. */
  reason: string | null;
  available: number;
  first_topup: boolean;
  tiers: OfferedTier[];
}

export interface OfferRequest {
  memberId: string;
  storeId: string | null;
  channel: TopupChannel;
  orderAmount: number;
  /** Accepting names its plan; offers take the newest active plan that matches. */
  planId?: string;
}

/**
 * The smart top-up offer for an order the balance cannot cover: the newest active plan open
 * to this member at this store and channel (and, when it is first-top-up only, to first-time
 * depositors), with every tier's figures, or no plan and why.
 */
export async function smartOffer(trx: Tx, actor: Actor, req: OfferRequest, now: Date): Promise<Offer> {
  const tenantId = actor.tenantId;
  await findVisibleMember(trx, actor, req.memberId);
  await assertStoreUsable(trx, actor, req.storeId);
  const available = await readBalanceAvailable(trx, tenantId, req.memberId);
  const first =
    !(await hasToppedUp({ trx, tenantId }, req.memberId)) &&
    !(await hasCreditedTopup(trx, tenantId, req.memberId));
  const none = (reason: string): Offer => ({ plan: null, reason, available, first_topup: first, tiers: [] });
  if (available >= req.orderAmount && !req.planId) return none("balance_covers_order");
  let q = trx
    .selectFrom("smart_topup_plans")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("status", "=", "active");
  if (req.planId) q = q.where("id", "=", req.planId);
  const plans = await q.orderBy("id", "desc").limit(MAX_PLANS_CONSIDERED).execute();
  let reason = "no_active_plan";
  for (const plan of plans) {
    const t = plan.terms;
    const closed = await whyClosed(
      trx,
      tenantId,
      { status: plan.status, ...t, channels: t.channels ?? [...CHANNELS] },
      req,
      now,
    );
    if (closed) {
      reason = closed.code;
      continue;
    }
    if (t.first_topup_only && !first) {
      reason = "first_topup_only";
      continue;
    }
    const scale = await assetScaleOf(trx, tenantId, plan.currency);
    const minimum = t.min_topup_amount ?? 0;
    const tiers = t.tiers.map((tier, index): OfferedTier => {
      const f = tierFigures(tier, req.orderAmount, { scale, rounding: t.rounding ?? "0.1", minimum, first });
      const refusal = tierRefusal(f, req.orderAmount, available, minimum);
      return {
        index,
        type: tier.type,
        amount: f.amount,
        bonus_amount: f.bonus,
        points: f.points,
        first_bonus: f.first_bonus,
        first_points: f.first_points,
        usable_after: available + f.amount + f.bonus,
        gift: tier.gift ?? null,
        first_topup_gift: first ? (tier.first_topup_gift ?? null) : null,
        offered: refusal === null,
        reason: refusal,
      };
    });
    return { plan, reason: null, available, first_topup: first, tiers };
  }
  return none(reason);
}
