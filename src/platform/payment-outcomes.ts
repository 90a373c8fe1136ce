import type { Tx } from "../db/database.js";
import type { UnitOfWork } from "../ledger/index.js";
import type { RequestContext } from "./auth/actor.js";
import type { RecordRefundInput } from "./http/record-refund.js";

/** How a held balance payment ended: its external part succeeded, or it was released. */
export interface BalancePaymentOutcome {
  paymentId: string;
  /** The order the payment belongs to (a checkout order, or an order the caller named). */
  orderId: string | null;
  memberId: string;
  outcome: "succeeded" | "voided";
  /** Why a payment was released: the payer failed, the caller cancelled, or it timed out. */
  reason: "failed" | "cancelled" | "timeout" | null;
}

/**
 * Runs in the unit of work that resolves the payment, so the order it pays and the payment
 * change together or not at all.
 */
export type BalancePaymentListener = (
  uow: UnitOfWork,
  ctx: RequestContext,
  outcome: BalancePaymentOutcome,
  now: Date,
) => Promise<void>;

const listeners = new Set<BalancePaymentListener>();

/** Installed from module manifests (the checkout's orders follow their payment). */
export function addBalancePaymentListener(listener: BalancePaymentListener): void {
  listeners.add(listener);
}

/** Tells every module whose records follow a balance payment how it ended. */
export async function balancePaymentResolved(
  uow: UnitOfWork,
  ctx: RequestContext,
  outcome: BalancePaymentOutcome,
  now: Date,
): Promise<void> {
  for (const listener of listeners) await listener(uow, ctx, outcome, now);
}

/** A refund of (part of) a paid balance payment, as the wallets made it. */
export interface BalancePaymentRefund {
  paymentId: string;
  /** The order the payment belongs to, as its payer named it. */
  orderId: string;
  memberId: string;
  refundId: string;
  amount: number;
  /** Everything refunded of the payment so far, this refund included. */
  refundedTotal: number;
}

/**
 * Runs in the unit of work that refunds the payment, so the record it pays says its money came
 * back together with the money, or not at all.
 */
export type BalancePaymentRefundListener = (
  uow: UnitOfWork,
  ctx: RequestContext,
  refund: BalancePaymentRefund,
  now: Date,
) => Promise<void>;

const refundListeners = new Set<BalancePaymentRefundListener>();

/** Installed from module manifests (a cashier order follows its balance payment's refunds). */
export function addBalancePaymentRefundListener(listener: BalancePaymentRefundListener): void {
  refundListeners.add(listener);
}

/** Tells every module whose records follow a balance payment that part of it was refunded. */
export async function balancePaymentRefunded(
  uow: UnitOfWork,
  ctx: RequestContext,
  refund: BalancePaymentRefund,
  now: Date,
): Promise<void> {
  for (const listener of refundListeners) await listener(uow, ctx, refund, now);
}

/**
 * The record a balance payment pays, when that record is refunded only as a whole by its own
 * module (a checkout order, a package order): a refund of the payment alone would give the
 * money back and leave the record paid, its points and other tenders kept, and its own refund
 * then refused for the money already returned.
 */
export interface BalancePaymentOwner {
  module: string;
  orderId: string;
  /** The call that refunds the record, and with it the payment. */
  refundPath: string;
}

/** Finds the record among a module's own that `payment` pays, or null. */
export type BalancePaymentOwnerLookup = (
  trx: Tx,
  tenantId: string,
  payment: { id: string; orderId: string },
) => Promise<BalancePaymentOwner | null>;

const owners = new Set<BalancePaymentOwnerLookup>();

/** Installed from module manifests. */
export function addBalancePaymentOwner(lookup: BalancePaymentOwnerLookup): void {
  owners.add(lookup);
}

/** The record whose own refund returns this payment, if a module claims it. */
export async function balancePaymentOwner(
  trx: Tx,
  tenantId: string,
  payment: { id: string; orderId: string },
): Promise<BalancePaymentOwner | null> {
  for (const lookup of owners) {
    const owner = await lookup(trx, tenantId, payment);
    if (owner) return owner;
  }
  return null;
}

/**
 * The record of another module whose online payment collected a top-up's money (a cashier's
 * attempt paying a smart top-up): one payment, owed back on both rows when the top-up could not
 * be credited. Its refund is recorded through the holder's own path, which records the
 * top-up's with it, whichever of the two finance records it on.
 */
export interface TopupPaymentHolder {
  module: string;
  /** Records the payment's refund, and with it the top-up's, in the caller's unit of work. */
  recordRefund: (uow: UnitOfWork, ctx: RequestContext, body: RecordRefundInput, now: Date) => Promise<void>;
}

/** Finds the record among a module's own whose payment collected `topup`, or null. */
export type TopupPaymentHolderLookup = (
  trx: Tx,
  tenantId: string,
  topup: { id: string; orderId: string },
) => Promise<TopupPaymentHolder | null>;

const topupHolders = new Set<TopupPaymentHolderLookup>();

/** Installed from module manifests. */
export function addTopupPaymentHolder(lookup: TopupPaymentHolderLookup): void {
  topupHolders.add(lookup);
}

/** The record whose payment collected this top-up, if a module claims it. */
export async function topupPaymentHolder(
  trx: Tx,
  tenantId: string,
  topup: { id: string; orderId: string },
): Promise<TopupPaymentHolder | null> {
  for (const lookup of topupHolders) {
    const holder = await lookup(trx, tenantId, topup);
    if (holder) return holder;
  }
  return null;
}
