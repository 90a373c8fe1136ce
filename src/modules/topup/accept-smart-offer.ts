import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import {
  assertBalancePaymentEnabled,
  assertRoomForTaggedTopup,
  loadBalancePaymentEnabled,
  payWithBalance,
  type SpendLine,
  taggedTopupLotsFull,
  type WebhookOutcome,
} from "../wallets/index.js";
import { orderPaymentBalance } from "./balance-read.js";
import { smartGiftStockKey } from "./create-smart-plan.js";
import {
  keepForRefund,
  memberOrAssetGone,
  type UnfulfilledReason,
  withoutFirstTopupExtras,
} from "./credit-payment.js";
import { type CreditPerks, creditTopup } from "./credit-topup.js";
import { assertInBalanceAsset } from "./decide-topup.js";
import { isFirstDepositor, lockUsableMember } from "./member-facts.js";
import type { TopupChannel } from "./plan-terms.js";
import { assertOrderPaymentWithinCap, assertWithinCap, capPassedBy } from "./single-cap.js";
import { smartOffer } from "./smart-offers.js";
import { paysOrder } from "./smart-rules.js";
import type { SmartTier } from "./smart-terms.js";
import { TopupError } from "./topup.errors.js";
import { emitTopupEvent } from "./topup.events.js";
import {
  type AcceptanceRow,
  findSmartPlan,
  type SmartPlanRow,
  TOPUP_ID_PREFIX,
  type TopupRow,
} from "./topup.repository.js";

export interface AcceptRequest {
  memberId: string;
  planId: string;
  tierIndex: number;
  orderAmount: number;
  storeId: string | null;
  channel: TopupChannel;
  /** The till took the top-up's money (cash, card terminal). */
  paymentMethod: "offline";
  /** Pay the order from the balance right after crediting it. */
  payOrder: { orderId: string; lines?: SpendLine[] } | null;
}

type Decided = Awaited<ReturnType<typeof decideAcceptance>>;

/** What a tier gives besides its figures, kept on the top-up when it is started. */
type SoldTier = Pick<SmartTier, "type" | "gift" | "first_topup_gift">;

function soldTier(tier: SmartTier | undefined): SoldTier | undefined {
  return tier && { type: tier.type, gift: tier.gift, first_topup_gift: tier.first_topup_gift };
}

/** With the member locked, the offer decided again: plan open, tier offered, first-time status now. */
async function decideAcceptance(
  uow: UnitOfWork,
  ctx: RequestContext,
  req: Omit<AcceptRequest, "paymentMethod" | "payOrder">,
  now: Date,
) {
  const member = await lockUsableMember(uow.trx, ctx.actor, req.memberId);
  const offer = await smartOffer(uow.trx, ctx.actor, req, now);
  if (!offer.plan) {
    throw new TopupError("no_smart_offer", `No smart top-up offer: ${offer.reason}`, {
      extra: { reason: offer.reason },
    });
  }
  await assertInBalanceAsset(uow.trx, uow.tenantId, offer.plan.currency, now);
  const tier = offer.tiers[req.tierIndex];
  if (!tier || !offer.plan.terms.tiers[req.tierIndex] || !tier.offered) {
    throw new TopupError(
      "tier_not_offered",
      `Tier ${req.tierIndex} is not offered: ${tier?.reason ?? "no such tier"}`,
      { extra: { reason: tier?.reason ?? "no_such_tier" } },
    );
  }
  await assertWithinCap(
    uow.trx,
    uow.tenantId,
    { amount: tier.amount, bonus: tier.bonus_amount, field: "/body/tier_index" },
    now,
  );
  // Before an online payment is asked for: once collected, it could only be refunded.
  await assertRoomForTaggedTopup(uow.trx, uow.tenantId, req.memberId);
  return { member, plan: offer.plan, tier, first: offer.first_topup };
}

/** Records the decided tier's top-up, waiting for its money (the till's, or the provider's). */
async function insertSmartTopup(
  uow: UnitOfWork,
  ctx: RequestContext,
  req: Omit<AcceptRequest, "paymentMethod" | "payOrder">,
  d: Decided,
  payment: { method: "offline" | "online"; orderId: string | null },
  now: Date,
): Promise<TopupRow> {
  return uow.trx
    .insertInto("topups")
    .values({
      tenant_id: uow.tenantId,
      id: newId(TOPUP_ID_PREFIX),
      source: "smart",
      plan_id: d.plan.id,
      plan_name: d.plan.name,
      member_id: req.memberId,
      card_number: d.member.card_number,
      currency: d.plan.currency,
      amount: d.tier.amount,
      bonus_amount: d.tier.bonus_amount,
      points: d.tier.points,
      first_topup: d.first,
      channel: req.channel,
      store_id: req.storeId,
      payment_method: payment.method,
      provider: null,
      provider_ref: null,
      checkout: null,
      payment_expires_at: null,
      status: "pending_payment",
      recharge_code_id: null,
      stock_key: null,
      details: JSON.stringify({
        tier_index: req.tierIndex,
        order_amount: req.orderAmount,
        sold_tier: soldTier(d.plan.terms.tiers[req.tierIndex]),
        first_bonus: d.tier.first_bonus,
        first_points: d.tier.first_points,
        first_topup_only: d.plan.terms.first_topup_only ?? false,
        ...(payment.orderId ? { order_id: payment.orderId } : {}),
      }),
      created_by: ctx.actor.id,
      created_at: now,
      credited_at: null,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * The "payment–deposit" flow at the till, as one unit of work: with the member locked, the
 * offer is decided again (plan open, tier offered, first-time status now), the tier's top-up
 * is credited (lots, points, tier gift from the plan's gift stock, first-top-up gift), the
 * acceptance is recorded, and — when asked — the order is paid from the balance. Anything
 * refused leaves nothing behind; the route's Idempotency-Key makes a retry replay it.
 */
export async function acceptSmartOffer(
  uow: UnitOfWork,
  ctx: RequestContext,
  req: AcceptRequest,
  now: Date,
): Promise<{ acceptance: AcceptanceRow; topup: TopupRow }> {
  const decided = await decideAcceptance(uow, ctx, req, now);
  if (req.payOrder) {
    // Refused before anything is credited, as the offer for this payment would not list it.
    const order = {
      currency: decided.plan.currency,
      amount: req.orderAmount,
      lines: req.payOrder.lines ?? [],
    };
    await assertTierPaysOrder(uow, req.memberId, order, decided.tier, now);
  }
  const row = await insertSmartTopup(
    uow,
    ctx,
    req,
    decided,
    { method: "offline", orderId: req.payOrder?.orderId ?? null },
    now,
  );
  return creditAccepted(uow, ctx, row, decided.plan, req, now);
}

/** A member's online smart top-up for an order (the member center's cashier). */
export interface OnlineSmartRequest {
  memberId: string;
  planId: string;
  tierIndex: number;
  orderAmount: number;
  orderId: string;
  /** What the provider was asked to collect: the tier must still cost exactly this. */
  amount: number;
}

/**
 * Starts a smart top-up paid online: the offer decided again with the member locked, the
 * tier's top-up recorded `pending_payment` (nothing credited). The caller holds the provider's
 * payment; its confirmation credits it with `creditSmartTopup`, its failure closes it with
 * `closeSmartTopup`.
 */
export async function startSmartTopup(
  uow: UnitOfWork,
  ctx: RequestContext,
  req: OnlineSmartRequest,
  now: Date,
): Promise<TopupRow> {
  const request = { ...req, storeId: null, channel: "online" as const };
  const decided = await decideAcceptance(uow, ctx, request, now);
  // It pays the order from the balance once collected: refused now rather than owed back then.
  await assertBalancePaymentEnabled(uow.trx, uow.tenantId, now);
  await assertOrderPaymentWithinCap(uow.trx, uow.tenantId, req.orderAmount, now);
  const order = { currency: decided.plan.currency, amount: req.orderAmount, lines: [] };
  await assertTierPaysOrder(uow, req.memberId, order, decided.tier, now);
  if (decided.tier.amount !== req.amount) {
    throw new TopupError("tier_not_offered", "The tier's top-up amount changed; ask for the offer again", {
      extra: { reason: "amount_changed" },
    });
  }
  const row = await insertSmartTopup(
    uow,
    ctx,
    request,
    decided,
    { method: "online", orderId: req.orderId },
    now,
  );
  await recordAudit(
    uow,
    ctx,
    {
      action: "smart_topup.payment_started",
      targetType: "topup",
      targetId: row.id,
      summary: { plan_id: req.planId, tier_index: req.tierIndex, amount: row.amount, order_id: req.orderId },
    },
    now,
  );
  return row;
}

/**
 * Refuses a tier whose top-up (principal and bonus, spendable on anything), once credited,
 * would still leave the order's balance payment short: the payment names `order.lines` (none:
 * no item), so money only certain items may use counts only as far as they let it — as an
 * offer asked for that payment counts it (a fixed tier need not cover the order alone). Read
 * with the member's balance accounts locked.
 */
async function tierPaysOrder(
  uow: UnitOfWork,
  memberId: string,
  order: { currency: string; amount: number; lines: SpendLine[] },
  topup: number,
  now: Date,
): Promise<boolean> {
  return paysOrder(await orderPaymentBalance(uow, memberId, order, now), topup, order.amount);
}

/** `tierPaysOrder`, or the tier is refused as an offer would leave it out. */
async function assertTierPaysOrder(
  uow: UnitOfWork,
  memberId: string,
  order: { currency: string; amount: number; lines: SpendLine[] },
  tier: { amount: number; bonus_amount: number },
  now: Date,
): Promise<void> {
  if (!(await tierPaysOrder(uow, memberId, order, tier.amount + tier.bonus_amount, now))) {
    throw new TopupError(
      "tier_not_offered",
      "With the balance the order's payment may use, the tier's top-up does not pay the order",
      { extra: { reason: "does_not_cover_order" } },
    );
  }
}

/** The started smart top-up, locked; refused unless it is still waiting for its payment. */
async function lockPendingSmartTopup(uow: UnitOfWork, topupId: string): Promise<TopupRow> {
  const row = await uow.trx
    .selectFrom("topups")
    .selectAll()
    .where("tenant_id", "=", uow.tenantId)
    .where("id", "=", topupId)
    .where("source", "=", "smart")
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw new TopupError("topup_not_found", "No such smart top-up");
  if (row.status !== "pending_payment") {
    throw new TopupError("topup_payment_closed", `The top-up is already ${row.status}`);
  }
  return row;
}

/** How the caller's provider collected a smart top-up's payment. */
export interface SmartTopupPayment {
  provider: string;
  providerRef: string;
  outcome: WebhookOutcome;
}

/**
 * The provider confirmed a started smart top-up: it is credited with the figures it was
 * started with (the member paid for those, whatever the plan says now) and the order is
 * paid from the balance, in the caller's unit of work. Runs once: the row is locked and must
 * still be waiting. One that can no longer be credited as a plan top-up could not either —
 * its member frozen or closed since it started, the balance asset changed, or the tenant's
 * single-operation cap lowered below its amount or bonus, or the member's lots with money left
 * leaving no room for its lots — or whose order the balance can no
 * longer pay (balance payment turned off since it started) is not refused (that would leave
 * the collected payment unanswered): it is kept `refund_due` with that reason, audited and
 * announced as a plan top-up's, and the caller pays nothing.
 */
export async function creditSmartTopup(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: { topupId: string; payOrder: { orderId: string } | null; payment: SmartTopupPayment },
  now: Date,
): Promise<{ acceptance: AcceptanceRow; topup: TopupRow } | { refused: UnfulfilledReason; topup: TopupRow }> {
  const started = await lockPendingSmartTopup(uow, input.topupId);
  const plan = await findSmartPlan(uow.trx, uow.tenantId, started.plan_id);
  const decision = await smartTopupDecision(uow, ctx, started, plan, input.payOrder !== null, now);
  if ("refused" in decision) {
    const { refused } = decision;
    const { outcome } = input.payment;
    const kept = await keepForRefund(
      uow,
      ctx,
      started,
      refused,
      { provider_event: outcome.eventId, outcome: outcome.status, previous_status: started.status },
      now,
      { provider: input.payment.provider, providerRef: input.payment.providerRef },
    );
    return { refused, topup: kept.topup };
  }
  const row = decision.notFirst ? await withoutFirstTopupExtras(uow, started, now) : started;
  const details = row.details as { tier_index: number; order_amount: number };
  return creditAccepted(
    uow,
    ctx,
    row,
    plan,
    {
      memberId: row.member_id,
      tierIndex: details.tier_index,
      orderAmount: details.order_amount,
      storeId: row.store_id,
      channel: row.channel,
      payOrder: input.payOrder,
    },
    now,
  );
}

/**
 * Why a collected smart top-up cannot be credited now, or whether it is credited without its
 * first-top-up extras (its member locked). It was decided the member's first when it started,
 * but another top-up may have been credited since (two orders topped up at once): as a plan
 * top-up paid online, only the one credited first is the first; a later one gets the tier's
 * own figures, or under a first-top-up-only plan nothing (refund_due, not_first_topup).
 */
async function smartTopupDecision(
  uow: UnitOfWork,
  ctx: RequestContext,
  row: TopupRow,
  plan: SmartPlanRow,
  paysOrder: boolean,
  now: Date,
): Promise<{ refused: UnfulfilledReason } | { notFirst: boolean }> {
  const order = { amount: (row.details as { order_amount: number }).order_amount };
  const gone = await memberOrAssetGone(uow, ctx, row, now);
  if (gone) return { refused: gone };
  const sold = row.details as { first_bonus?: number; first_topup_only?: boolean };
  const notFirst = row.first_topup && !(await isFirstDepositor(uow.trx, uow.tenantId, row.member_id));
  // Top-ups started before the rule was kept on them follow the plan as it is now.
  if (notFirst && (sold.first_topup_only ?? plan.terms.first_topup_only ?? false))
    return { refused: "not_first_topup" };
  const bonus = row.bonus_amount - (notFirst ? (sold.first_bonus ?? 0) : 0);
  // The order's balance payment is under the same cap as the top-up.
  const largest = paysOrder ? Math.max(row.amount, order.amount) : row.amount;
  if ((await capPassedBy(uow.trx, uow.tenantId, largest, bonus, now)) !== null)
    return { refused: "amount_above_cap" };
  if (await taggedTopupLotsFull(uow.trx, uow.tenantId, row.member_id))
    return { refused: "too_many_open_lots" };
  if (!paysOrder) return { notFirst };
  // Bought to pay the order from the balance, which can no longer pay it.
  if (!(await loadBalancePaymentEnabled(uow.trx, uow.tenantId, now)))
    return { refused: "balance_payment_disabled" };
  // Checked when it started; spent or withdrawn since, the balance with the top-up may fall
  // short, and a refusal then would leave the collected payment unanswered.
  const payment = { currency: row.currency, amount: order.amount, lines: [] };
  if (!(await tierPaysOrder(uow, row.member_id, payment, row.amount + bonus, now)))
    return { refused: "insufficient_balance" };
  return { notFirst };
}

/** A started smart top-up whose payment failed or came too late: closed, nothing credited. */
export async function closeSmartTopup(
  uow: UnitOfWork,
  ctx: RequestContext,
  input: { topupId: string; result: "failed" | "expired" },
  now: Date,
): Promise<TopupRow> {
  const row = await lockPendingSmartTopup(uow, input.topupId);
  const closed = await uow.trx
    .updateTable("topups")
    .set({ status: input.result, updated_at: now })
    .where("tenant_id", "=", uow.tenantId)
    .where("id", "=", row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    uow,
    ctx,
    { action: `topup.payment_${input.result}`, targetType: "topup", targetId: row.id, summary: {} },
    now,
  );
  await emitTopupEvent(
    uow,
    uow.tenantId,
    "topup.payment_failed",
    { topup_id: row.id, plan_id: row.plan_id, member_id: row.member_id, result: input.result },
    now,
  );
  return closed;
}

/**
 * Credits a recorded smart top-up (lots, points, the tier's gift and first-top-up gift from
 * the plan's gift stock), pays the order from the balance when asked, and records the
 * acceptance.
 */
async function creditAccepted(
  uow: UnitOfWork,
  ctx: RequestContext,
  row: TopupRow,
  plan: SmartPlanRow,
  req: Omit<AcceptRequest, "paymentMethod" | "planId">,
  now: Date,
): Promise<{ acceptance: AcceptanceRow; topup: TopupRow }> {
  const kept = (row.details as { sold_tier?: SoldTier }).sold_tier;
  const spec = kept ?? soldTier(plan.terms.tiers[req.tierIndex]);
  const stockKey = smartGiftStockKey(plan.id);
  const gifts: CreditPerks["gifts"] = [];
  if (spec?.gift) gifts.push({ perk: "tier_gift", spec: spec.gift, stockKey });
  if (row.first_topup && spec?.first_topup_gift)
    gifts.push({ perk: "first_topup_gift", spec: spec.first_topup_gift, stockKey });
  const topup = await creditTopup(
    uow,
    ctx,
    row,
    {
      rules: { eligibleSkus: null, sameDayLimitBps: null, noBonusOnTopupDay: false },
      gifts,
      benefits: null,
      tierUpgrade: null,
    },
    now,
  );
  let paymentId: string | null = null;
  if (req.payOrder) {
    const payment = await payWithBalance(
      uow,
      ctx,
      {
        memberId: req.memberId,
        orderId: req.payOrder.orderId,
        currency: plan.currency,
        lines: [],
        amountDue: req.orderAmount,
        externalMethod: "none",
        ...(req.payOrder.lines ? { spendLines: req.payOrder.lines } : {}),
      },
      now,
    );
    paymentId = payment.id;
  }
  const acceptance = await uow.trx
    .insertInto("smart_topup_acceptances")
    .values({
      tenant_id: uow.tenantId,
      id: newId("sta"),
      plan_id: plan.id,
      tier_index: req.tierIndex,
      tier_type: spec?.type ?? "fixed",
      member_id: req.memberId,
      order_amount: req.orderAmount,
      topup_id: row.id,
      amount: row.amount,
      bonus_amount: row.bonus_amount,
      points: row.points,
      gift: JSON.stringify(topup.gift),
      store_id: req.storeId,
      channel: req.channel,
      order_id: req.payOrder?.orderId ?? null,
      payment_id: paymentId,
      created_by: ctx.actor.id,
      created_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await emitTopupEvent(
    uow,
    uow.tenantId,
    "smart_topup.accepted",
    {
      acceptance_id: acceptance.id,
      plan_id: plan.id,
      tier_index: req.tierIndex,
      member_id: req.memberId,
      order_amount: req.orderAmount,
      topup_id: row.id,
      amount: row.amount,
      bonus_amount: row.bonus_amount,
      points: row.points,
      payment_id: paymentId,
    },
    now,
  );
  return { acceptance, topup };
}
