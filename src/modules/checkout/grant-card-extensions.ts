import { sql } from "kysely";
import { DateTime } from "luxon";
import type { RequestContext } from "../../platform/auth/actor.js";
import { audienceMatches, benefitCatalog } from "../benefits/index.js";
import { extendCard, lockUsableMember } from "../members/index.js";
import type { CheckoutSettlement, SettleContext } from "./settlement.js";

/**
 * Card-extension benefits with a spending condition ("30 more days for spending 1,000 in a
 * year"): the order that makes the member's spending in the calendar year (tenant's zone,
 * refunded orders excluded) reach the amount extends the card, once per member, benefit and
 * year — a refund and a new crossing do not extend it twice. Permanent cards stay permanent
 * (the members module's rule). Returns the benefits granted, recorded as used by the order.
 */
export async function grantCardExtensions(
  ctx: SettleContext,
  settlement: CheckoutSettlement,
  context: RequestContext,
  order: { id: string; memberId: string; total: number; timezone: string },
  now: Date,
): Promise<string[]> {
  const extensions = (await benefitCatalog.active(ctx.trx, ctx.tenantId)).filter(
    (b) => b.kind === "card_extension" && b.config.min_annual_spend !== undefined,
  );
  if (extensions.length === 0 || order.total === 0) return [];
  // The member's row is locked before the year's spending and earlier extensions are read, so
  // two orders crossing the amount at once take turns and the second sees the first (an
  // order earning points holds this lock already; one that earns none would not).
  const member = await lockUsableMember(ctx.trx, ctx.actor, order.memberId, { allowFrozen: true });
  // A member without a card has none to extend: the benefit gives this order nothing, and the
  // sale (or the online payment that completes it) goes through rather than being refused.
  if (!member.card_plan_id) return [];
  const found = await settlement.memberFacts(ctx, order.memberId);
  if (!found) return [];
  const yearStart = DateTime.fromJSDate(now, { zone: order.timezone }).startOf("year").toJSDate();
  const spent = await ctx.trx
    .selectFrom("checkout_orders")
    .select(sql<string>`coalesce(sum(total), 0)`.as("total"))
    .where("tenant_id", "=", ctx.tenantId)
    .where("member_id", "=", order.memberId)
    .where("status", "=", "completed")
    .where("created_at", ">=", yearStart)
    .where("id", "!=", order.id)
    .executeTakeFirstOrThrow();
  const before = Number(spent.total);
  const granted: string[] = [];
  for (const b of extensions) {
    if (b.kind !== "card_extension") continue;
    const threshold = b.config.min_annual_spend!;
    if (!(before < threshold && before + order.total >= threshold)) continue;
    if (!audienceMatches(b.audience, found.facts, found.tiers)) continue;
    const already = await ctx.trx
      .selectFrom("checkout_benefit_usages")
      .select("order_id")
      .where("tenant_id", "=", ctx.tenantId)
      .where("benefit_id", "=", b.id)
      .where("member_id", "=", order.memberId)
      .where("created_at", ">=", yearStart)
      .executeTakeFirst();
    if (already) continue;
    await extendCard(ctx.trx, context, order.memberId, b.config.extension_days, now, order.timezone);
    granted.push(b.id);
  }
  return granted;
}
