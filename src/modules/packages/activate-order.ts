import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { grantEntitlements, grantGift } from "../catalog/index.js";
import { changeMemberTier, extendCard, loadMemberFacts, loadTierCatalog } from "../members/index.js";
import { orderPoints } from "../wallets/index.js";
import { ENTITLEMENT_PERKS, type GiftPerk, giftSourceRef, giftStockKey } from "./package-config.js";
import { emitPackageEvent } from "./packages.events.js";
import { type OrderRow, type PeriodRow, purchaseHistory } from "./packages.repository.js";
import type { Situation } from "./pricing.js";
import type { PeriodSnapshot, SnapshotPerk } from "./snapshot.js";
import { periodWindow } from "./validity.js";

const GIFT_FOR: Record<Situation, GiftPerk["type"]> = {
  first_purchase: "first_purchase_gift",
  repeat_purchase: "repeat_purchase_gift",
  early_renewal: "early_renewal_gift",
};

/** The gift perks of the order's situation: a first purchase gets the first-purchase gifts, and so on. */
export function giftPerksFor(snapshot: PeriodSnapshot, situation: Situation): (SnapshotPerk & GiftPerk)[] {
  return snapshot.perks.filter((p): p is SnapshotPerk & GiftPerk => p.type === GIFT_FOR[situation]);
}

/** Gives one gift perk's gift and returns its bonus points (a repeat of the same order gives nothing). */
export async function giveGiftPerk(
  uow: UnitOfWork,
  context: RequestContext,
  order: Pick<OrderRow, "id" | "member_id" | "package_id">,
  perk: GiftPerk,
  timezone: string,
  now: Date,
): Promise<number> {
  const { replayed } = await grantGift(
    uow,
    context,
    {
      memberId: order.member_id,
      spec: perk.gift ?? { kind: "none" },
      sourceRef: giftSourceRef(order.id, perk.key),
      stockKey: giftStockKey(order.package_id, perk.key),
      timezone,
    },
    now,
  );
  return replayed ? 0 : (perk.bonus_points ?? 0);
}

/** Moves the member up to the perk's tier (never down, never into another card plan). */
async function upgradeTier(
  uow: UnitOfWork,
  context: RequestContext,
  order: OrderRow,
  tier: string,
  now: Date,
) {
  const tiers = await loadTierCatalog(uow.trx, uow.tenantId);
  const target = tiers.get(tier);
  const facts = await loadMemberFacts(uow.trx, uow.tenantId, order.member_id);
  if (!target || !facts) return;
  const current = facts.tier ? tiers.get(facts.tier) : undefined;
  if (current && (current.plan !== target.plan || current.rank >= target.rank)) return;
  if (!current && facts.cardPlan && facts.cardPlan !== target.plan) return;
  await changeMemberTier(
    uow.trx,
    context,
    order.member_id,
    { card_plan: target.plan, tier, reason: "package", reference: order.id },
    now,
  );
}

/**
 * Places a paid order's period and gives what it comes with, in the payment's unit of work:
 * the period (after the last one the member holds, for an early renewal; else by the tenant's
 * validity mode), entitlements to its benefits for exactly the period, the gift perks of the
 * order's situation (each once per order, drawing on its stock) and their bonus points, the
 * tier upgrade and card extension. An early-renewal gift set to "when the renewed package
 * takes effect" waits for the period's start (the expiry job gives it).
 */
export async function activateOrder(
  uow: UnitOfWork,
  context: RequestContext,
  order: OrderRow,
  timezone: string,
  now: Date,
): Promise<{ order: OrderRow; period: PeriodRow }> {
  const tenantId = uow.tenantId;
  const snapshot = order.snapshot;
  const { heldUntil } = await purchaseHistory(uow.trx, tenantId, order.member_id, order.package_id, now);
  const window = periodWindow(snapshot.validity_mode, snapshot.rule.duration_days, now, timezone, heldUntil);
  const periodId = newId("pkgp");
  const gifts = giftPerksFor(snapshot, order.situation);
  const deferred = gifts.filter(
    (g) => g.type === "early_renewal_gift" && g.distribution === "on_effect" && window.startsAt > now,
  );
  const period = await uow.trx
    .insertInto("package_periods")
    .values({
      tenant_id: tenantId,
      id: periodId,
      package_id: order.package_id,
      member_id: order.member_id,
      order_id: order.id,
      starts_at: window.startsAt,
      ends_at: window.endsAt,
      state: "current",
      ended_at: null,
      snapshot: JSON.stringify(snapshot),
      deferred_gift_due: deferred.length > 0,
      created_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();

  const benefitIds = snapshot.perks
    .filter((p) => (ENTITLEMENT_PERKS as readonly string[]).includes(p.type) && "benefit_id" in p)
    .map((p) => (p as { benefit_id: string }).benefit_id);
  await grantEntitlements(
    uow.trx,
    tenantId,
    {
      memberId: order.member_id,
      benefitIds,
      source: { type: "package_period", id: periodId, name: snapshot.package.name },
      validFrom: window.startsAt,
      validUntil: window.endsAt,
    },
    now,
  );
  let points = 0;
  for (const perk of gifts) {
    if (deferred.includes(perk)) continue;
    points += await giveGiftPerk(uow, context, order, perk, timezone, now);
  }
  if (points > 0)
    await orderPoints(uow, context, { memberId: order.member_id, points, orderId: order.id }, now);
  for (const perk of snapshot.perks) {
    if (perk.type === "tier_upgrade") await upgradeTier(uow, context, order, perk.tier, now);
    if (perk.type === "card_extension" && perk.extension_days) {
      const facts = await loadMemberFacts(uow.trx, tenantId, order.member_id);
      if (facts?.cardPlan)
        await extendCard(uow.trx, context, order.member_id, perk.extension_days, now, timezone);
    }
  }
  const updated = await uow.trx
    .updateTable("package_orders")
    .set({ period_id: periodId, points_awarded: points, updated_at: now })
    .where("tenant_id", "=", tenantId)
    .where("id", "=", order.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const renewal = order.situation === "early_renewal";
  await emitPackageEvent(
    uow,
    tenantId,
    renewal ? "package.renewed" : "package.purchased",
    {
      order_id: order.id,
      period_id: periodId,
      package_id: order.package_id,
      member_id: order.member_id,
      starts_at: window.startsAt.toISOString(),
      ends_at: window.endsAt.toISOString(),
      rule_key: order.rule_key,
      price_kind: order.price_kind,
      amount: order.amount,
      currency: order.currency,
      payment_method: order.payment_method,
    },
    now,
  );
  await recordAudit(
    uow,
    context,
    {
      action: renewal ? "package.renewed" : "package.purchased",
      targetType: "package_order",
      targetId: order.id,
      summary: {
        package_id: order.package_id,
        member_id: order.member_id,
        period_id: periodId,
        price_kind: order.price_kind,
        amount: order.amount,
        points,
      },
    },
    now,
  );
  return { order: updated, period };
}
