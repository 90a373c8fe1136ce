import type { Tx } from "../../db/database.js";
import type { LedgerOps } from "../../ledger/index.js";
import type { Actor } from "../../platform/auth/actor.js";
import { findBalanceOrder } from "../../platform/balance-orders.js";
import type { GiftSpec } from "../catalog/index.js";
import type { SpendLine } from "../wallets/index.js";
import { orderPaymentBalance, readBalanceAvailable } from "./balance-read.js";
import { assertStoreUsable, whyClosed } from "./decide-topup.js";
import { assetScaleOf, findVisibleMember, hasToppedUp } from "./member-facts.js";
import { CHANNELS, type TopupChannel } from "./plan-terms.js";
import { type TierRefusal, tierFigures, tierRefusal } from "./smart-rules.js";
import type { SmartTier } from "./smart-terms.js";
import { TopupError } from "./topup.errors.js";
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
  /** Balance usable after accepting: what the offer counts now (`Offer.available`) + top-up + bonus. */
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
  /** The balance counted for the order: all available, or what its balance payment may use. */
  available: number;
  first_topup: boolean;
  tiers: OfferedTier[];
}

/** The balance payment an offered top-up leads to (see `OfferRequest.balancePayment`). */
export interface BalancePayment {
  currency: string;
  ledger: LedgerOps;
  lines: SpendLine[];
}

export interface OfferRequest {
  memberId: string;
  storeId: string | null;
  channel: TopupChannel;
  orderAmount: number;
  /** Accepting names its plan; offers take the newest active plan that matches. */
  planId?: string;
  /**
   * The order is paid from the balance once the top-up is credited, by a payment naming
   * `lines` — none for a payment naming no item (a cashier order's) — so only what that
   * payment may use counts (`orderPaymentBalance`, as accepting decides it), read through
   * `ledger` without a lock. Without it all the available balance counts.
   */
  balancePayment?: BalancePayment;
}

/**
 * The offer request for another module's order paid from the balance (a cashier order, by
 * `cashier_order_id`): the caller must see it (404 `cashier_order_not_found`, also when it is
 * another member's), it must take a payment now (the holder's 409/410), `order_amount` must be
 * its total (422 `amount_mismatch`), and its smart top-up is paid online at no store, as the
 * cashier accepts it (400 `validation_failed`). Only the balance its payment may use counts.
 */
export async function orderOfferRequest(
  trx: Tx,
  actor: Actor,
  ledger: LedgerOps,
  req: OfferRequest,
  orderId: string,
  now: Date,
): Promise<OfferRequest> {
  const order = await findBalanceOrder(trx, actor, orderId, now);
  if (!order || order.memberId !== req.memberId) {
    throw new TopupError("cashier_order_not_found", "No such cashier order of this member");
  }
  if (req.orderAmount !== order.amount) {
    throw new TopupError(
      "amount_mismatch",
      `order_amount ${req.orderAmount} is not the cashier order's total ${order.amount}`,
      { extra: { order_total: order.amount } },
    );
  }
  if (req.channel !== "online" || req.storeId !== null) {
    throw new TopupError("validation_failed", "A cashier order's smart top-up is paid online, at no store", {
      errors: [
        {
          field: req.storeId !== null ? "/querystring/store_id" : "/querystring/channel",
          message: "with cashier_order_id, channel is online and no store_id",
        },
      ],
    });
  }
  return { ...req, balancePayment: { currency: order.currency, ledger, lines: [] } };
}

/**
 * The smart top-up offer for an order the balance cannot cover: the newest active plan open
 * to this member at this store and channel (and, when it is first-top-up only, to first-time
 * depositors), with every tier's figures, or no plan and why. "Cannot cover" counts the
 * balance as `req.balancePayment` says: all available, or what the order's payment may use.
 */
export async function smartOffer(trx: Tx, actor: Actor, req: OfferRequest, now: Date): Promise<Offer> {
  const tenantId = actor.tenantId;
  await findVisibleMember(trx, actor, req.memberId);
  await assertStoreUsable(trx, actor, req.storeId);
  const payment = req.balancePayment;
  const available = payment
    ? await orderPaymentBalance(
        { trx, ledger: payment.ledger, tenantId },
        req.memberId,
        { currency: payment.currency, amount: req.orderAmount, lines: payment.lines },
        now,
      )
    : await readBalanceAvailable(trx, tenantId, req.memberId);
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
