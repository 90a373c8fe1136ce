import type { UnitOfWork } from "../../ledger/index.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import type { OrderRow } from "./packages.repository.js";
import type { SaleRequest } from "./prepare-sale.js";
import { purchasePackage } from "./purchase-package.js";
import { type PreparedOnlineSale, startOnlinePurchase } from "./start-online-purchase.js";

/** A sale as the order route takes it: paid now, or an online payment the provider accepted. */
export type OrderInput = (SaleRequest & { method: "balance" | "offline" }) | PreparedOnlineSale;

/**
 * Places a package order: balance and offline sales are paid and activated at once; an online
 * one is recorded waiting for its payment (prepared by `prepareOnlinePurchase`).
 */
export async function placePackageOrder(
  uow: UnitOfWork,
  context: RequestContext,
  input: OrderInput,
  now: Date,
): Promise<OrderRow> {
  if (input.method === "online") return startOnlinePurchase(uow, context, input, now);
  return (await purchasePackage(uow, context, input, now)).order;
}
