import type { Tx } from "../../db/database.js";
import type { LedgerOps, UnitOfWork } from "../../ledger/index.js";
import type { Actor, RequestContext } from "../../platform/auth/actor.js";
import type { Channel, MemberFacts, TierCatalog } from "../benefits/index.js";
import { CHECKOUT_MODULE, paymentCards, redeemCard, refundRedemption } from "../giftcards/index.js";
import { findVisibleMember, loadMemberFactsAndTiers } from "../members/index.js";
import { type MemberVoucher, memberVouchersById, redeemVoucher, returnVoucher } from "../vouchers/index.js";
import {
  balanceForCart,
  orderPoints,
  payWithBalance,
  refundOrderBalance,
  systemReason,
  withinTransaction,
} from "../wallets/index.js";
import { CheckoutError } from "./checkout.errors.js";
import type { GiftCardFacts } from "./gift-card-tender.js";
import type { VoucherFacts } from "./quote-engine.js";

/**
 * What a settlement step runs in: the order's transaction and the ledger inside it. Orders
 * and refunds run as a ledger unit of work (`uow`, what the wallets and vouchers modules'
 * operations take); quotes only read (`uow` null).
 */
export interface SettleContext {
  tenantId: string;
  /** Who asks: member look-ups are confined to what this actor may see. */
  actor: Actor;
  trx: Tx;
  ledger: LedgerOps;
  uow: UnitOfWork | null;
  requestId: string | null;
  now: Date;
}

/** The order's unit of work as the settlement port sees it. */
export function settleContext(uow: UnitOfWork, ctx: RequestContext, now: Date): SettleContext {
  return {
    tenantId: uow.tenantId,
    actor: ctx.actor,
    trx: uow.trx,
    ledger: uow,
    uow,
    requestId: ctx.requestId,
    now,
  };
}

/** A reference to one value movement, kept on the order so its refund reverses exactly it. */
export interface MovementRef {
  ref: string;
}

/**
 * What the checkout needs from the members, wallets and vouchers modules. Each step takes
 * the order's transaction, so the order and every movement commit or roll back together.
 * The production adapter calls those modules' index.ts; reads lock what they return
 * (member, voucher and balance accounts) so the decision and the movement see the same state.
 */
export interface CheckoutSettlement {
  memberFacts(
    ctx: SettleContext,
    memberId: string,
  ): Promise<{ facts: MemberFacts; tiers: TierCatalog } | null>;
  /**
   * What the member may spend now in `currency` (`available`; 0 when the member has no
   * balance in it), and what balance may pay of a cart (its lines at what they still cost,
   * and the rest) under the rules of the member's top-up lots (`usable`; absent: all of
   * `available`). One read serves both.
   */
  balance(
    ctx: SettleContext,
    memberId: string,
    currency: string,
  ): Promise<{
    available: number;
    usable?: (lines: { sku: string; amount: number }[], rest: number) => number;
  }>;
  /** The named vouchers that exist (unknown ids are left out). */
  vouchers(ctx: SettleContext, ids: readonly string[]): Promise<VoucherFacts[]>;
  payByBalance(
    ctx: SettleContext,
    p: {
      orderId: string;
      memberId: string;
      currency: string;
      amount: number;
      /** The order's total: `amountDue − amount` is paid by other means. */
      amountDue: number;
      /** How the rest is paid: online holds the balance part until it succeeds; offline takes it now. */
      externalMethod: "none" | "online" | "offline";
      /** The order's lines at what they still cost (lots restricted to items pay only theirs). */
      lines?: { sku: string; amount: number }[];
    },
  ): Promise<MovementRef>;
  redeemVoucher(
    ctx: SettleContext,
    p: {
      orderId: string;
      voucherId: string;
      amount: number;
      /** The order's member (a member's voucher pays only that member's orders). */
      memberId: string | null;
      currency: string;
      /** The order's lines after member benefits, before vouchers: the voucher's scope and minimum apply to them. */
      lines: { sku: string; amount: number }[];
    },
  ): Promise<MovementRef>;
  awardPoints(
    ctx: SettleContext,
    p: { orderId: string; memberId: string; points: number },
  ): Promise<MovementRef>;
  refundBalance(
    ctx: SettleContext,
    p: { orderId: string; refundId: string; payment: MovementRef; amount: number },
  ): Promise<void>;
  returnVoucher(
    ctx: SettleContext,
    p: { orderId: string; refundId: string; voucherId: string; redemption: MovementRef; amount: number },
  ): Promise<void>;
  reversePoints(
    ctx: SettleContext,
    p: { orderId: string; refundId: string; memberId: string; award: MovementRef; points: number },
  ): Promise<void>;
  /** The named gift cards as payment at this store and currency (locked while completing). */
  giftCards(
    ctx: SettleContext,
    p: { ids: readonly string[]; storeId: string | null; currency: string },
  ): Promise<GiftCardFacts[]>;
  redeemGiftCard(
    ctx: SettleContext,
    p: {
      orderId: string;
      cardId: string;
      amount: number;
      storeId: string | null;
      channel: Channel;
      currency: string;
    },
  ): Promise<MovementRef>;
  refundGiftCard(
    ctx: SettleContext,
    p: { orderId: string; refundId: string; cardId: string; redemption: MovementRef; amount: number },
  ): Promise<void>;
}

const unavailable = (what: string): never => {
  throw new CheckoutError(
    "settlement_unavailable",
    `Checkout cannot ${what} yet: the members, wallets and vouchers modules are not connected`,
  );
};

/** Member facts from the members module, confined to what the actor may see. */
export async function membersModuleFacts(
  ctx: SettleContext,
  memberId: string,
): Promise<{ facts: MemberFacts; tiers: TierCatalog } | null> {
  // Tenant-wide staff see every member: only scoped actors and member tokens need the check.
  if (ctx.actor.orgUnitPath !== null || ctx.actor.type === "member") {
    await findVisibleMember(ctx.trx, ctx.actor, memberId);
  }
  return (await loadMemberFactsAndTiers(ctx.trx, ctx.tenantId, memberId)) ?? null;
}

/**
 * Members only: anything that would move balance, points or vouchers is refused (503)
 * rather than half done. For deployments without the wallets module and for tests.
 */
export const unconnectedSettlement: CheckoutSettlement = {
  memberFacts: membersModuleFacts,
  balance: async () => ({ available: 0 }),
  vouchers: async (_ctx, ids) => (ids.length ? unavailable("read vouchers") : []),
  payByBalance: async () => unavailable("pay by balance"),
  redeemVoucher: async () => unavailable("redeem vouchers"),
  awardPoints: async () => unavailable("award points"),
  refundBalance: async () => unavailable("refund balance"),
  returnVoucher: async () => unavailable("return vouchers"),
  reversePoints: async () => unavailable("reverse points"),
  giftCards: async (_ctx, p) => (p.ids.length ? unavailable("read gift cards") : []),
  redeemGiftCard: async () => unavailable("redeem gift cards"),
  refundGiftCard: async () => unavailable("refund gift cards"),
};

/** A member's voucher as the engine sees it. */
export function voucherFactsOf(v: MemberVoucher): VoucherFacts {
  return {
    id: v.id,
    memberId: v.memberId,
    asset: v.asset,
    balance: v.balance,
    usable: v.state === "active",
    startsAt: v.startsAt,
    expiresAt: v.expiresAt,
    scope: { kind: v.scope.kind, skus: v.scope.productCodes },
    minAmount: v.minBillAmount,
  };
}

/** The order's unit of work, or (quotes) the wallets' view of the caller's transaction. */
function inUnit<T>(ctx: SettleContext, fn: (uow: UnitOfWork) => Promise<T>): Promise<T> {
  return ctx.uow ? fn(ctx.uow) : withinTransaction(ctx.trx, ctx.tenantId, ctx.ledger, fn);
}

/**
 * The service's settlement: members from the members module; balance payment, its refunds
 * and points from the wallets module; members' vouchers (read, redeemed and returned by id)
 * from the vouchers module; gift cards (by id, redeemed and refunded per redemption) from the
 * gift cards module — all in the order's unit of work. While an order completes, the
 * vouchers it names are locked before their balances are read (vouchers/index.ts).
 */
export const connectedSettlement: CheckoutSettlement = {
  memberFacts: membersModuleFacts,
  // An order decides on the balance (locked in its unit); a quote only reads it.
  balance: (ctx, memberId, currency) =>
    balanceForCart(
      ctx.uow ?? { trx: ctx.trx, ledger: ctx.ledger, tenantId: ctx.tenantId },
      memberId,
      currency,
      ctx.now,
    ),
  vouchers: async (ctx, ids) => {
    if (ids.length === 0) return [];
    const found = await memberVouchersById(ctx.trx, ctx.actor, ids, {
      lock: ctx.uow !== null,
      ledger: ctx.uow ?? ctx.ledger,
    });
    return found.map(voucherFactsOf);
  },
  payByBalance: (ctx, p) =>
    inUnit(ctx, async (uow) => {
      const payment = await payWithBalance(
        uow,
        { actor: ctx.actor, requestId: ctx.requestId },
        {
          memberId: p.memberId,
          orderId: p.orderId,
          currency: p.currency,
          lines: [],
          amountDue: p.amountDue,
          balanceAmount: p.amount,
          externalMethod: p.externalMethod,
          ...(p.lines ? { spendLines: p.lines } : {}),
        },
        ctx.now,
      );
      return { ref: payment.id };
    }),
  redeemVoucher: (ctx, p) =>
    inUnit(ctx, async (uow) => {
      if (!p.memberId) {
        throw new CheckoutError("voucher_not_usable", `Voucher ${p.voucherId} cannot be used: not_owner`, {
          extra: { voucher_id: p.voucherId, reason: "not_owner" },
        });
      }
      const redemption = await redeemVoucher(
        uow,
        { actor: ctx.actor, requestId: ctx.requestId },
        {
          voucherId: p.voucherId,
          memberId: p.memberId,
          asset: p.currency,
          amount: p.amount,
          lines: p.lines.map((l) => ({ productCode: l.sku, amount: l.amount })),
          reference: { module: "checkout", id: p.orderId },
        },
        ctx.now,
      );
      return { ref: redemption.id };
    }),
  // An order for a frozen member is refused when placed; one reaching here frozen was paid
  // before the freeze (its online payment succeeded since), and earns what it was sold with.
  awardPoints: (ctx, p) =>
    inUnit(ctx, async (uow) => {
      await orderPoints(
        uow,
        { actor: ctx.actor, requestId: ctx.requestId },
        { ...p, allowFrozen: true },
        ctx.now,
      );
      return { ref: p.orderId };
    }),
  refundBalance: (ctx, p) =>
    inUnit(ctx, (uow) =>
      refundOrderBalance(
        uow,
        { actor: ctx.actor, requestId: ctx.requestId },
        {
          paymentId: p.payment.ref,
          amount: p.amount,
          reason: systemReason("order_refunded", { order: p.orderId }),
        },
        ctx.now,
      ),
    ),
  returnVoucher: (ctx, p) =>
    inUnit(ctx, async (uow) => {
      await returnVoucher(
        uow,
        { actor: ctx.actor, requestId: ctx.requestId },
        { redemptionId: p.redemption.ref, refundId: p.refundId, amount: p.amount },
        ctx.now,
      );
    }),
  reversePoints: (ctx, p) =>
    inUnit(ctx, (uow) =>
      orderPoints(
        uow,
        { actor: ctx.actor, requestId: ctx.requestId },
        { memberId: p.memberId, points: p.points, orderId: p.orderId, reverse: true },
        ctx.now,
      ),
    ),
  giftCards: (ctx, p) =>
    paymentCards(ctx.trx, ctx.uow ?? ctx.ledger, ctx.actor, p.ids, {
      storeId: p.storeId,
      currency: p.currency,
      lock: ctx.uow !== null,
      now: ctx.now,
    }),
  redeemGiftCard: (ctx, p) =>
    inUnit(ctx, async (uow) => {
      const { activity } = await redeemCard(
        uow,
        { actor: ctx.actor, requestId: ctx.requestId },
        {
          cardId: p.cardId,
          amount: p.amount,
          storeId: p.storeId,
          channel: p.channel,
          currency: p.currency,
          reference: { module: CHECKOUT_MODULE, id: p.orderId },
        },
        ctx.now,
      );
      return { ref: activity.id };
    }),
  refundGiftCard: (ctx, p) =>
    inUnit(ctx, async (uow) => {
      await refundRedemption(
        uow,
        { actor: ctx.actor, requestId: ctx.requestId },
        {
          redemptionId: p.redemption.ref,
          amount: p.amount,
          reference: { module: CHECKOUT_MODULE, id: p.refundId },
        },
        ctx.now,
      );
    }),
};
