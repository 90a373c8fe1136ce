import type { Tx } from "../../db/database.js";
import { singleAmountCap } from "../wallets/index.js";
import { TopupError } from "./topup.errors.js";

/** The tenant's single-operation cap when a top-up's amount or its bonus passes it; null when both fit. */
export async function capPassedBy(
  trx: Tx,
  tenantId: string,
  amount: number,
  bonus: number,
  now: Date,
): Promise<number | null> {
  const cap = await singleAmountCap(trx, tenantId, now);
  return amount > cap || bonus > cap ? cap : null;
}

/**
 * Refuses a top-up whose amount or bonus passes the single-operation cap, naming the input
 * `field` that chose it. Checked before an online payment is asked for: once collected, a
 * top-up the balance cannot take could only be refunded.
 */
export async function assertWithinCap(
  trx: Tx,
  tenantId: string,
  top: { amount: number; bonus: number; field: string },
  now: Date,
): Promise<void> {
  const cap = await capPassedBy(trx, tenantId, top.amount, top.bonus, now);
  if (cap === null) return;
  throw new TopupError(
    "amount_above_cap",
    `The top-up (${top.amount}, bonus ${top.bonus}) is above the single-operation cap of ${cap}`,
    { extra: { cap }, errors: [{ field: top.field, message: "above the cap" }] },
  );
}

/**
 * Refuses a smart top-up bought to pay an order from the balance when that balance payment
 * passes the single-operation cap: the top-up could be collected but never pay the order
 * (its confirmation keeps it refund_due), so it is refused before the payment is asked for.
 */
export async function assertOrderPaymentWithinCap(
  trx: Tx,
  tenantId: string,
  orderAmount: number,
  now: Date,
): Promise<void> {
  const cap = await capPassedBy(trx, tenantId, orderAmount, 0, now);
  if (cap === null) return;
  throw new TopupError(
    "amount_above_cap",
    `The order's balance payment (${orderAmount}) is above the single-operation cap of ${cap}`,
    { extra: { cap } },
  );
}
