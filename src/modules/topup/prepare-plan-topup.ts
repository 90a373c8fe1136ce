import type { Tx } from "../../db/database.js";
import type { Actor } from "../../platform/auth/actor.js";
import { assertRoomForTaggedTopup } from "../wallets/index.js";
import { assertInBalanceAsset, assertOpen, assertStoreUsable, assertVisible } from "./decide-topup.js";
import { assetScaleOf, isFirstDepositor, lockUsableMember } from "./member-facts.js";
import { restrictionsOf, type TopupChannel } from "./plan-terms.js";
import { findActiveCode } from "./recharge-code-lookup.js";
import { assertWithinCap } from "./single-cap.js";
import { TopupError } from "./topup.errors.js";
import { findPlan, memberPlanTopups, type PlanRow, type RechargeCodeRow } from "./topup.repository.js";
import { amountRange, type TopupFigures, topupFigures } from "./topup-rules.js";

export interface PlanTopupRequest {
  planId: string;
  memberId: string;
  /** Range and custom plans: the amount to top up (minor units); fixed plans take their own. */
  amount?: number | undefined;
  channel: TopupChannel;
  storeId: string | null;
  paymentMethod: "offline" | "online";
  rechargeCode?: string | null | undefined;
}

export interface PreparedTopup {
  plan: PlanRow;
  code: RechargeCodeRow | null;
  storeId: string | null;
  first: boolean;
  figures: TopupFigures;
  cardNumber: string | null;
}

/**
 * Everything that decides a plan top-up, with the member locked when `lock` (the unit that
 * records it): the code, the plan open to this member here and now, the amount in range,
 * first-time status, "first top-up only" and the per-member purchase limit. Stock is taken
 * by the caller, last.
 */
export async function preparePlanTopup(
  trx: Tx,
  actor: Actor,
  req: PlanTopupRequest,
  now: Date,
  options: { lock: boolean },
): Promise<PreparedTopup> {
  const tenantId = actor.tenantId;
  const code = req.rechargeCode ? await findActiveCode(trx, tenantId, req.rechargeCode) : null;
  if (code && (code.plan_id !== req.planId || code.channel !== req.channel)) {
    throw new TopupError(
      "recharge_code_mismatch",
      `Recharge code ${code.code} is for plan ${code.plan_id} on ${code.channel}`,
    );
  }
  const storeId = req.storeId ?? code?.store_id ?? null;
  if (code?.store_id && storeId !== code.store_id)
    throw new TopupError(
      "recharge_code_mismatch",
      `Recharge code ${code.code} is for store ${code.store_id}`,
    );
  await assertStoreUsable(trx, actor, storeId);
  const plan = await findPlan(trx, tenantId, req.planId);
  assertVisible(actor, plan.visibility);
  await assertInBalanceAsset(trx, tenantId, plan.currency, now);
  const terms = plan.terms;
  const r = restrictionsOf(terms);
  if (req.channel === "online" && req.paymentMethod !== "online")
    throw new TopupError("channel_not_allowed", "An online top-up is paid online");
  await assertOpen(
    trx,
    tenantId,
    { status: plan.status, ...terms, channels: r.channels },
    { ...req, storeId },
    now,
  );
  const range = amountRange(terms.rule);
  const amount = terms.rule.type === "fixed" ? (req.amount ?? terms.rule.amount) : req.amount;
  if (amount === undefined || amount < range.min || amount > range.max) {
    throw new TopupError(
      "amount_out_of_range",
      terms.rule.type === "fixed"
        ? `This plan tops up exactly ${range.min}`
        : `The amount must be between ${range.min} and ${range.max}`,
      { extra: range, errors: [{ field: "/body/amount", message: `between ${range.min} and ${range.max}` }] },
    );
  }
  const member = await lockUsableMember(trx, actor, req.memberId, { lock: options.lock });
  // Without the lock (an online top-up starting) this is provisional: the payment decides it again.
  const first = await isFirstDepositor(trx, tenantId, req.memberId);
  if (r.first_topup_only && !first)
    throw new TopupError("first_topup_only", "This plan is for members who have never topped up");
  if (r.purchase_limit_per_member !== null) {
    const used = await memberPlanTopups(trx, tenantId, plan.id, req.memberId, now);
    if (used >= r.purchase_limit_per_member) {
      throw new TopupError(
        "purchase_limit_reached",
        `A member may top up with this plan ${r.purchase_limit_per_member} time(s)`,
        { extra: { limit: r.purchase_limit_per_member, used } },
      );
    }
  }
  const scale = await assetScaleOf(trx, tenantId, plan.currency);
  const figures = topupFigures(terms.rule, amount, scale, first ? (terms.first_topup_bonus ?? null) : null);
  // Refused before an online payment is asked for: once collected, a top-up the balance cannot
  // take could only be refunded.
  await assertWithinCap(
    trx,
    tenantId,
    { amount: figures.amount, bonus: figures.bonus, field: "/body/amount" },
    now,
  );
  await assertRoomForTaggedTopup(trx, tenantId, req.memberId);
  return { plan, code, storeId, first, figures, cardNumber: member.card_number };
}
