import { MAX_AMOUNT } from "../../shared/money.js";
import type { AnyBenefit, Channel, MemberFacts, TierCatalog } from "../benefits/index.js";
import { benefitCatalog } from "../benefits/index.js";
import { activeEntitlements, type EntitlementFacts } from "../catalog/index.js";
import { CheckoutError } from "./checkout.errors.js";
import { applyGiftCards, type GiftCardRequest, type PricedQuote } from "./gift-card-tender.js";
import { type CartLine, DEFAULT_POINTS_RULE, type Quote, quote, type VoucherFacts } from "./quote-engine.js";
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

/** What the engine prices a cart with, besides the cart: read in the order's transaction or a quote's snapshot. */
export interface OrderFacts {
  benefits: readonly AnyBenefit[];
  member: MemberFacts | null;
  tiers: TierCatalog;
  balance: number;
  balanceUsable?: (lines: { sku: string; amount: number }[], rest: number) => number;
  entitlements: EntitlementFacts[];
  /** The named vouchers that exist. */
  vouchers: VoucherFacts[];
}

/** The member as a cart may price for: unknown and closed members are not found. */
export function usableMember<T extends { facts: MemberFacts }>(found: T | null | undefined): T {
  if (!found || found.facts.status === "closed")
    throw new CheckoutError("member_not_found", "Member not found");
  return found;
}

/**
 * A cart is priced only while it costs at most MAX_AMOUNT before any benefit (ADR 0006):
 * each line is bounded, but 100 of them are not, and past 2^53 the engine's sums would no
 * longer be exact, nor could any ledger movement of the order be made.
 */
export function assertCartInBound(req: Pick<OrderRequest, "lines" | "shippingAmount">): void {
  let noBenefitTotal = req.shippingAmount;
  for (const l of req.lines) noBenefitTotal += l.unitPrice * l.quantity;
  if (noBenefitTotal > MAX_AMOUNT) {
    throw new CheckoutError(
      "amount_out_of_range",
      `The cart costs more than ${MAX_AMOUNT} minor units before benefits: split it into several orders`,
      { extra: { max_amount: MAX_AMOUNT } },
    );
  }
}

/** Prices the cart with its facts (no gift cards yet); vouchers not found are listed as such. */
export function priceWithFacts(req: OrderRequest, facts: OrderFacts): Quote {
  assertCartInBound(req);
  const result = quote({
    at: req.at,
    timezone: req.timezone,
    channel: req.channel,
    currency: req.currency,
    lines: req.lines,
    member: facts.member,
    tierRanks: facts.tiers,
    benefits: facts.benefits,
    vouchers: facts.vouchers,
    balanceAvailable: facts.balance,
    ...(facts.balanceUsable ? { balanceUsable: facts.balanceUsable } : {}),
    payWithBalance: req.payWithBalance,
    shippingAmount: req.shippingAmount,
    pointsRule: DEFAULT_POINTS_RULE,
    entitlements: facts.entitlements,
  });
  const known = new Set(facts.vouchers.map((v) => v.id));
  for (const id of voucherIdsOf(req))
    if (!known.has(id)) result.vouchersNotApplied.push({ voucherId: id, reason: "not_found" });
  result.vouchersNotApplied.sort((a, b) => (a.voucherId < b.voucherId ? -1 : 1));
  return result;
}

/** The cart's distinct voucher ids in order. */
export function voucherIdsOf(req: Pick<OrderRequest, "voucherIds">): string[] {
  return [...new Set(req.voucherIds)].sort();
}

/** The distinct cards named to pay, in id order (the order their facts are read and locked in). */
export function giftCardIdsOf(cards: readonly GiftCardRequest[]): string[] {
  return [...new Set(cards.map((c) => c.cardId))].sort();
}

/**
 * Gathers what the engine needs inside the caller's transaction — the active catalog, the
 * member's facts, entitlements in force at `at` (locked FOR SHARE when completing), balance
 * and vouchers — and prices the cart; then the named gift cards pay what vouchers left,
 * before balance.
 */
export async function priceOrder(
  ctx: SettleContext,
  settlement: CheckoutSettlement,
  req: OrderRequest,
): Promise<PricedQuote> {
  const facts: OrderFacts = {
    benefits: await benefitCatalog.active(ctx.trx, ctx.tenantId),
    member: null,
    tiers: new Map(),
    balance: 0,
    entitlements: [],
    vouchers: [],
  };
  if (req.memberId) {
    const found = usableMember(await settlement.memberFacts(ctx, req.memberId));
    // Refused here, before anything moves: otherwise only an order that earns points or pays
    // by balance would meet the wallets' refusal, and one that does neither got its benefits.
    if (req.forCompletion && found.facts.status === "frozen") {
      throw new CheckoutError("member_frozen", "The member's account is frozen");
    }
    facts.member = found.facts;
    facts.tiers = found.tiers;
    // An order holds the entitlements it applies (FOR SHARE) until it commits, so a package
    // refund cannot end them unseen (it locks them FOR UPDATE before it decides). Taken before
    // the balance and vouchers, while the order holds no other row a refund takes: the refund
    // locks them before its vouchers and balance too, so waiting on them closes no cycle.
    facts.entitlements = await activeEntitlements(ctx.trx, ctx.tenantId, req.memberId, req.at, {
      share: req.forCompletion === true,
    });
    const { available, usable } = await settlement.balance(ctx, req.memberId, req.currency);
    facts.balance = available;
    if (usable) facts.balanceUsable = usable;
  }
  facts.vouchers = await settlement.vouchers(ctx, voucherIdsOf(req));
  const result = priceWithFacts(req, facts);
  const cards = req.giftCards ?? [];
  const cardFacts = await settlement.giftCards(ctx, {
    ids: giftCardIdsOf(cards),
    storeId: req.storeId,
    currency: req.currency,
  });
  return applyGiftCards(result, cards, cardFacts);
}
