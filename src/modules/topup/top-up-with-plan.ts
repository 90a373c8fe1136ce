import type { Insertable } from "kysely";
import type { Tx } from "../../db/database.js";
import type { UnitOfWork } from "../../ledger/index.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { takeGiftStock } from "../catalog/index.js";
import { planStockKey } from "./create-topup-plan.js";
import { type CreditPerks, creditTopup } from "./credit-topup.js";
import { type PlanTerms, restrictionsOf } from "./plan-terms.js";
import { type PlanTopupRequest, type PreparedTopup, preparePlanTopup } from "./prepare-plan-topup.js";
import { TopupError } from "./topup.errors.js";
import { type PlanRow, TOPUP_ID_PREFIX, type TopupRow, type TopupsTable } from "./topup.repository.js";

/** The terms a top-up's perks come from, kept on the top-up when it is recorded. */
export type SoldTerms = Pick<
  PlanTerms,
  "gift" | "first_topup_bonus" | "bonus_benefits" | "tier_upgrade" | "restrictions"
>;

export function soldTerms(t: PlanTerms): SoldTerms {
  return {
    gift: t.gift,
    first_topup_bonus: t.first_topup_bonus,
    bonus_benefits: t.bonus_benefits,
    tier_upgrade: t.tier_upgrade,
    restrictions: t.restrictions,
  };
}

/**
 * The terms a recorded top-up is credited on: those it was sold with (a plan edited before an
 * online payment arrives changes only later top-ups), or the plan's own for a top-up recorded
 * before they were kept.
 */
export function termsSoldWith(topup: TopupRow, plan: () => Promise<PlanRow>): Promise<SoldTerms> {
  const kept = (topup.details as { sold_terms?: SoldTerms }).sold_terms;
  return kept ? Promise.resolve(kept) : plan().then((p) => p.terms);
}

/** What a plan gives with its money: the lots' rules, gifts, bonus benefits, tier upgrade. */
export function planPerks(t: SoldTerms, first: boolean): CreditPerks {
  const r = restrictionsOf(t);
  const gifts: CreditPerks["gifts"] = [];
  if (t.gift) gifts.push({ perk: "gift", spec: t.gift, stockKey: null });
  if (first && t.first_topup_bonus?.gift)
    gifts.push({ perk: "first_topup_gift", spec: t.first_topup_bonus.gift, stockKey: null });
  return {
    rules: {
      eligibleSkus: r.eligible_skus,
      sameDayLimitBps: r.same_day_usable_bps,
      noBonusOnTopupDay: r.no_bonus_on_topup_day,
    },
    gifts,
    benefits: t.bonus_benefits
      ? { ids: t.bonus_benefits.benefit_ids, validDays: t.bonus_benefits.valid_days }
      : null,
    tierUpgrade: t.tier_upgrade?.tier ?? null,
  };
}

/** One unit of the plan's stock, or plan_out_of_stock (exact under concurrency: one conditional update). */
export async function takePlanStock(trx: Tx, tenantId: string, planId: string, now: Date): Promise<string> {
  const key = planStockKey(planId);
  if (!(await takeGiftStock(trx, tenantId, key, now)))
    throw new TopupError("plan_out_of_stock", "The plan's stock is used up");
  return key;
}

/** The row of a decided top-up (status as given). */
export function topupValues(
  p: PreparedTopup,
  req: PlanTopupRequest,
  ctx: RequestContext,
  id: string,
  stockKey: string,
  now: Date,
): Insertable<TopupsTable> {
  return {
    tenant_id: ctx.actor.tenantId,
    id,
    source: "plan",
    plan_id: p.plan.id,
    plan_name: p.plan.name,
    member_id: req.memberId,
    card_number: p.cardNumber,
    currency: p.plan.currency,
    amount: p.figures.amount,
    bonus_amount: p.figures.bonus,
    points: p.figures.points,
    first_topup: p.first,
    channel: req.channel,
    store_id: p.storeId,
    payment_method: req.paymentMethod,
    provider: null,
    provider_ref: null,
    checkout: null,
    payment_expires_at: null,
    status: "pending_payment",
    recharge_code_id: p.code?.id ?? null,
    stock_key: stockKey,
    details: JSON.stringify({
      first_bonus: p.figures.first_bonus,
      first_points: p.figures.first_points,
      plan_version: p.plan.version,
      sold_terms: soldTerms(p.plan.terms),
    }),
    created_by: ctx.actor.id,
    created_at: now,
    credited_at: null,
    updated_at: now,
  };
}

/**
 * A top-up with a plan paid at the till (money received outside the system): decided with
 * the member locked, one unit of stock taken, recorded and credited in one unit of work.
 */
export async function topUpWithPlan(
  uow: UnitOfWork,
  ctx: RequestContext,
  req: PlanTopupRequest & { paymentMethod: "offline" },
  now: Date,
): Promise<TopupRow> {
  const prepared = await preparePlanTopup(uow.trx, ctx.actor, req, now, { lock: true });
  const stockKey = await takePlanStock(uow.trx, uow.tenantId, prepared.plan.id, now);
  const row = await uow.trx
    .insertInto("topups")
    .values(topupValues(prepared, req, ctx, newId(TOPUP_ID_PREFIX), stockKey, now))
    .returningAll()
    .executeTakeFirstOrThrow();
  return creditTopup(uow, ctx, row, planPerks(prepared.plan.terms, prepared.first), now);
}
