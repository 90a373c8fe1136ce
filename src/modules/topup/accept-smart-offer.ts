import type { UnitOfWork } from "../../ledger/index.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { payWithBalance, type SpendLine } from "../wallets/index.js";
import { smartGiftStockKey } from "./create-smart-plan.js";
import { type CreditPerks, creditTopup } from "./credit-topup.js";
import { lockUsableMember } from "./member-facts.js";
import type { TopupChannel } from "./plan-terms.js";
import { smartOffer } from "./smart-offers.js";
import { TopupError } from "./topup.errors.js";
import { emitTopupEvent } from "./topup.events.js";
import type { AcceptanceRow, TopupRow } from "./topup.repository.js";

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
  const member = await lockUsableMember(uow.trx, ctx.actor, req.memberId);
  const offer = await smartOffer(uow.trx, ctx.actor, req, now);
  if (!offer.plan) {
    throw new TopupError("no_smart_offer", `No smart top-up offer: ${offer.reason}`, {
      extra: { reason: offer.reason },
    });
  }
  const plan = offer.plan;
  const tier = offer.tiers[req.tierIndex];
  const spec = plan.terms.tiers[req.tierIndex];
  if (!tier || !spec || !tier.offered) {
    throw new TopupError(
      "tier_not_offered",
      `Tier ${req.tierIndex} is not offered: ${tier?.reason ?? "no such tier"}`,
      {
        extra: { reason: tier?.reason ?? "no_such_tier" },
      },
    );
  }
  const id = newId("tup");
  const row = await uow.trx
    .insertInto("topups")
    .values({
      tenant_id: uow.tenantId,
      id,
      source: "smart",
      plan_id: plan.id,
      plan_name: plan.name,
      member_id: req.memberId,
      card_number: member.card_number,
      currency: plan.currency,
      amount: tier.amount,
      bonus_amount: tier.bonus_amount,
      points: tier.points,
      first_topup: offer.first_topup,
      channel: req.channel,
      store_id: req.storeId,
      payment_method: req.paymentMethod,
      provider: null,
      provider_ref: null,
      checkout: null,
      payment_expires_at: null,
      status: "pending_payment",
      recharge_code_id: null,
      stock_key: null,
      details: JSON.stringify({ tier_index: req.tierIndex, order_amount: req.orderAmount }),
      created_by: ctx.actor.id,
      created_at: now,
      credited_at: null,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const stockKey = smartGiftStockKey(plan.id);
  const gifts: CreditPerks["gifts"] = [];
  if (spec.gift) gifts.push({ perk: "tier_gift", spec: spec.gift, stockKey });
  if (offer.first_topup && spec.first_topup_gift)
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
      tier_type: tier.type,
      member_id: req.memberId,
      order_amount: req.orderAmount,
      topup_id: id,
      amount: tier.amount,
      bonus_amount: tier.bonus_amount,
      points: tier.points,
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
      topup_id: id,
      amount: tier.amount,
      bonus_amount: tier.bonus_amount,
      points: tier.points,
      payment_id: paymentId,
    },
    now,
  );
  return { acceptance, topup };
}
