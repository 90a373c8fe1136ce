import { DateTime } from "luxon";
import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { type GiftSpec, grantEntitlements, grantGift } from "../catalog/index.js";
import { changeMemberTier, loadMemberFacts, loadTierCatalog } from "../members/index.js";
import { changePoints, creditTaggedTopup, type LotRules, systemReason } from "../wallets/index.js";
import { tenantZone } from "./decide-topup.js";
import { emitTopupEvent } from "./topup.events.js";
import type { GiftGiven, TopupRow } from "./topup.repository.js";

export interface CreditPerks {
  rules: LotRules;
  gifts: { perk: GiftGiven["perk"]; spec: GiftSpec; stockKey: string | null }[];
  benefits: { ids: string[]; validDays: number } | null;
  /** Tier code the member is raised to (never lowered). */
  tierUpgrade: string | null;
}

/**
 * Whether moving to `target` is an upgrade: the member has no tier, or a lower-ranked tier of
 * the target's card plan. A member on another card plan is not moved (ranks do not compare
 * across plans); the same or a higher tier is never lowered.
 */
export function isUpgrade(
  current: { plan: string; rank: number } | undefined,
  target: { plan: string; rank: number },
): boolean {
  if (!current) return true;
  return current.plan === target.plan && current.rank < target.rank;
}

/** What a top-up's points award is noted as, in its transfers: how a refund finds their lots. */
export const topupPointsReason = (topup: { id: string; plan_name: string }) =>
  systemReason("topup_points", { topup: topup.id, plan: topup.plan_name });

/**
 * Credits a recorded top-up in the caller's unit of work: principal and bonus into tagged
 * lots (wallets), points, gifts (catalog: one grant per top-up and perk, gift stock), bonus
 * benefits as entitlements, the tier upgrade; then marks the top-up credited. Runs once per
 * top-up: the lots' unique source and the gift grants' source references refuse a second run.
 */
export async function creditTopup(
  uow: UnitOfWork,
  ctx: RequestContext,
  topup: TopupRow,
  perks: CreditPerks,
  now: Date,
): Promise<TopupRow> {
  const credited = await creditTaggedTopup(
    uow,
    ctx,
    {
      memberId: topup.member_id,
      source: {
        type: topup.source === "plan" ? "topup_plan" : "smart_topup",
        id: topup.id,
        name: topup.plan_name,
      },
      principal: topup.amount,
      bonus: topup.bonus_amount,
      channel: topup.payment_method,
      rules: perks.rules,
      provider: topup.provider,
    },
    now,
  );
  if (topup.points > 0) {
    await changePoints(
      uow,
      ctx,
      {
        memberId: topup.member_id,
        operation: "earn",
        delta: topup.points,
        reason: topupPointsReason(topup),
        reference: topup.id,
      },
      now,
    );
  }
  const zone = await tenantZone(uow.trx, uow.tenantId);
  const gifts: GiftGiven[] = [];
  for (const g of perks.gifts) {
    if (g.spec.kind === "none") continue;
    const { grant } = await grantGift(
      uow,
      ctx,
      {
        memberId: topup.member_id,
        spec: g.spec,
        sourceRef: `topup:${topup.id}:${g.perk}`,
        stockKey: g.stockKey,
        timezone: zone,
      },
      now,
    );
    gifts.push({ perk: g.perk, grant_id: grant.id, status: grant.status, voucher_ids: grant.voucher_ids });
  }
  let entitlements = 0;
  if (perks.benefits) {
    entitlements = await grantEntitlements(
      uow.trx,
      uow.tenantId,
      {
        memberId: topup.member_id,
        benefitIds: perks.benefits.ids,
        source: { type: "topup", id: topup.id, name: topup.plan_name },
        validFrom: now,
        validUntil: DateTime.fromJSDate(now, { zone }).plus({ days: perks.benefits.validDays }).toJSDate(),
      },
      now,
    );
  }
  let tierChangedTo: string | null = null;
  if (perks.tierUpgrade) {
    const tiers = await loadTierCatalog(uow.trx, uow.tenantId);
    const facts = await loadMemberFacts(uow.trx, uow.tenantId, topup.member_id);
    const target = tiers.get(perks.tierUpgrade);
    const current = facts?.tier ? tiers.get(facts.tier) : undefined;
    if (target && isUpgrade(current, target)) {
      const { changed } = await changeMemberTier(
        uow.trx,
        ctx,
        topup.member_id,
        { tier: perks.tierUpgrade, reason: "topup_upgrade", reference: topup.id },
        now,
      );
      if (changed) tierChangedTo = perks.tierUpgrade;
    }
  }
  const row = await uow.trx
    .updateTable("topups")
    .set({
      status: "credited",
      credited_at: now,
      updated_at: now,
      gift: JSON.stringify(gifts),
      // What the top-up was decided with (plan version, first-top-up share) stays beside what the credit did.
      details: JSON.stringify({
        ...topup.details,
        principal_lot_id: credited.principal_lot_id,
        bonus_lot_id: credited.bonus_lot_id,
        change_id: credited.change_id,
        entitlements,
        tier_changed_to: tierChangedTo,
        balance_after: credited.balance.total,
      }),
    })
    .where("tenant_id", "=", uow.tenantId)
    .where("id", "=", topup.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(
    uow,
    ctx,
    {
      action: "topup.credited",
      targetType: "topup",
      targetId: topup.id,
      summary: {
        plan_id: topup.plan_id,
        amount: topup.amount,
        bonus_amount: topup.bonus_amount,
        points: topup.points,
        // A top-up started as the member's first but credited after another says so here too.
        ...creditedAs(topup),
      },
    },
    now,
  );
  await emitTopupEvent(
    uow,
    uow.tenantId,
    "topup.credited",
    {
      topup_id: topup.id,
      source: topup.source,
      plan_id: topup.plan_id,
      member_id: topup.member_id,
      currency: topup.currency,
      amount: topup.amount,
      bonus_amount: topup.bonus_amount,
      points: topup.points,
      first_topup: topup.first_topup,
      channel: topup.channel,
      store_id: topup.store_id,
      recharge_code_id: topup.recharge_code_id,
      tier_changed_to: tierChangedTo,
    },
    now,
  );
  return row;
}

function creditedAs(topup: TopupRow): { credited_as?: unknown } {
  const { credited_as } = topup.details as { credited_as?: unknown };
  return credited_as === undefined ? {} : { credited_as };
}
