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
