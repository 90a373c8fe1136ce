import type { Tx } from "../../db/database.js";
import type { LedgerOps } from "../../ledger/index.js";
import { DomainError } from "../../shared/errors.js";
import type { MemberFacts, TierCatalog } from "../benefits/index.js";
import type { VoucherFacts } from "./quote-engine.js";

/** What a settlement step runs in: the order's transaction and the ledger inside it. */
export interface SettleContext {
  tenantId: string;
  trx: Tx;
  ledger: LedgerOps;
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
  /** What the member may spend now in `currency` (0 when the member has no balance in it). */
  balanceAvailable(ctx: SettleContext, memberId: string, currency: string): Promise<number>;
  /** The named vouchers that exist (unknown ids are left out). */
  vouchers(ctx: SettleContext, ids: readonly string[]): Promise<VoucherFacts[]>;
  payByBalance(
    ctx: SettleContext,
    p: { orderId: string; memberId: string; currency: string; amount: number },
  ): Promise<MovementRef>;
  redeemVoucher(
    ctx: SettleContext,
    p: { orderId: string; voucherId: string; amount: number },
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
}

const unavailable = (what: string): never => {
  throw new DomainError(
    "settlement_unavailable",
    `Checkout cannot ${what} yet: the members, wallets and vouchers modules are not connected`,
  );
};

/**
 * Until the members, wallets and vouchers modules publish their public APIs, the service
 * prices and completes orders without a member; anything that needs them is refused
 * (503) rather than half done.
 */
export const unconnectedSettlement: CheckoutSettlement = {
  memberFacts: async () => unavailable("look up members"),
  balanceAvailable: async () => 0,
  vouchers: async (_ctx, ids) => (ids.length ? unavailable("read vouchers") : []),
  payByBalance: async () => unavailable("pay by balance"),
  redeemVoucher: async () => unavailable("redeem vouchers"),
  awardPoints: async () => unavailable("award points"),
  refundBalance: async () => unavailable("refund balance"),
  returnVoucher: async () => unavailable("return vouchers"),
  reversePoints: async () => unavailable("reverse points"),
};
