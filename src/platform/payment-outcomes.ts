import type { Tx } from "../db/database.js";
import type { UnitOfWork } from "../ledger/index.js";
import type { RequestContext } from "./auth/actor.js";

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
