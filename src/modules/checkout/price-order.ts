import type { Channel, MemberFacts, TierCatalog } from "../benefits/index.js";
import { benefitCatalog } from "../benefits/index.js";
import { activeEntitlements, type EntitlementFacts } from "../catalog/index.js";
import { CheckoutError } from "./checkout.errors.js";
import { applyGiftCards, type GiftCardRequest, type PricedQuote } from "./gift-card-tender.js";
import { type CartLine, DEFAULT_POINTS_RULE, quote } from "./quote-engine.js";
import type { CheckoutSettlement, SettleContext } from "./settlement.js";

/** Limits of one cart (DESIGN principle 6). */
export const MAX_LINES = 100;
export const MAX_VOUCHERS = 10;

export interface OrderRequest {
  memberId: string | null;
  channel: Channel;
  storeId: string | null;
  at: Date;
  /** The tenant's IANA zone: every calendar rule runs in it. */
  timezone: string;
  currency: string;
  lines: CartLine[];
  voucherIds: string[];
  payWithBalance: boolean;
  shippingAmount: number;
  /** Gift cards that pay after vouchers, before balance (gift-card-tender.ts). */
  giftCards?: GiftCardRequest[];
  /** Completing (not just quoting): a frozen member cannot buy with benefits. */
  forCompletion?: boolean;
}

/**
 * Gathers what the engine needs inside the caller's transaction — the active catalog, the
 * member's facts, balance, entitlements in force at `at` and vouchers — and prices the cart;
 * then the named gift cards pay what vouchers left, before balance.
 */
export async function priceOrder(
  ctx: SettleContext,
  settlement: CheckoutSettlement,
  req: OrderRequest,
): Promise<PricedQuote> {
  const benefits = await benefitCatalog.active(ctx.trx, ctx.tenantId);
  let member: MemberFacts | null = null;
  let tiers: TierCatalog = new Map();
  let balance = 0;
  let balanceUsable: ((lines: { sku: string; amount: number }[], rest: number) => number) | undefined;
  let entitlements: EntitlementFacts[] = [];
  if (req.memberId) {
    const found = await settlement.memberFacts(ctx, req.memberId);
    if (!found || found.facts.status === "closed")
      throw new CheckoutError("member_not_found", "Member not found");
    member = found.facts;
    tiers = found.tiers;
    ({ available: balance, usable: balanceUsable } = await settlement.balance(
      ctx,
      req.memberId,
      req.currency,
    ));
    entitlements = await activeEntitlements(ctx.trx, ctx.tenantId, req.memberId, req.at);
  }
  const ids = [...new Set(req.voucherIds)].sort();
  const vouchers = await settlement.vouchers(ctx, ids);
  const result = quote({
    at: req.at,
    timezone: req.timezone,
    channel: req.channel,
    currency: req.currency,
    lines: req.lines,
    member,
    tierRanks: tiers,
    benefits,
    vouchers,
    balanceAvailable: balance,
    ...(balanceUsable ? { balanceUsable } : {}),
    payWithBalance: req.payWithBalance,
    shippingAmount: req.shippingAmount,
    pointsRule: DEFAULT_POINTS_RULE,
    entitlements,
  });
  const known = new Set(vouchers.map((v) => v.id));
  for (const id of ids)
    if (!known.has(id)) result.vouchersNotApplied.push({ voucherId: id, reason: "not_found" });
  result.vouchersNotApplied.sort((a, b) => (a.voucherId < b.voucherId ? -1 : 1));
  const cards = req.giftCards ?? [];
  const facts = await settlement.giftCards(ctx, {
    ids: [...new Set(cards.map((c) => c.cardId))].sort(),
    storeId: req.storeId,
    currency: req.currency,
  });
  return applyGiftCards(result, cards, facts);
}
