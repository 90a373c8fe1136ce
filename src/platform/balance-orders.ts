import type { Tx } from "../db/database.js";
import type { Actor } from "./auth/actor.js";

/**
 * An order another module holds that its member pays from the balance once a smart top-up is
 * credited (a cashier order), by a balance payment naming no item: money only certain items
 * may use never pays it. A smart top-up offer for it counts only what such a payment may use,
 * as accepting the tier decides it.
 */
export interface BalanceOrder {
  memberId: string;
  /** What is due, in minor units of `currency`. */
  amount: number;
  currency: string;
}

/**
 * Finds one of the module's orders as the caller may see it, refusing (with the module's own
 * code) one that cannot take a payment now; null when the id is not one of its orders.
 * A read: no lock, no write.
 */
export type BalanceOrderLookup = (
  trx: Tx,
  actor: Actor,
  orderId: string,
  now: Date,
) => Promise<BalanceOrder | null>;

const lookups = new Set<BalanceOrderLookup>();

/** Installed from module manifests (the cashier's orders). */
export function addBalanceOrderLookup(lookup: BalanceOrderLookup): void {
  lookups.add(lookup);
}

/** The order a module holds under this id, if one claims it. */
export async function findBalanceOrder(
  trx: Tx,
  actor: Actor,
  orderId: string,
  now: Date,
): Promise<BalanceOrder | null> {
  for (const lookup of lookups) {
    const order = await lookup(trx, actor, orderId, now);
    if (order) return order;
  }
  return null;
}
