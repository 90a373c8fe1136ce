import type { UnitOfWork } from "../../ledger/index.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { payWithBalance } from "../wallets/index.js";
import { activateOrder } from "./activate-order.js";
import type { OrderRow, PeriodRow } from "./packages.repository.js";
import { prepareSale, type Sale, type SaleRequest } from "./prepare-sale.js";

/** The order row of a decided sale (paid now, or waiting for an online payment). */
export function orderValues(sale: Sale, req: SaleRequest, context: RequestContext, id: string, now: Date) {
  return {
    tenant_id: context.actor.tenantId,
    id,
    package_id: sale.pkg.id,
    member_id: req.memberId,
    rule_key: sale.rule.key,
    situation: sale.situation,
    price_kind: sale.price.kind,
    amount: sale.price.amount,
    currency: sale.pkg.currency,
    channel: req.channel,
    store_id: req.storeId,
    payment_method: req.method,
    agreements: JSON.stringify(sale.agreements),
    snapshot: JSON.stringify(sale.snapshot),
    created_by: `${context.actor.type}:${context.actor.id}`,
    created_at: now,
    updated_at: now,
  };
}

/**
 * Sells a package paid by balance or recorded as paid offline, in one unit of work: the sale
 * is decided with the member locked, the balance is taken through the wallets module (the
 * ledger refuses an overdraft: `insufficient_balance`), the order is written and activated
 * (period, entitlements, gifts, points, tier, card). Any refusal leaves nothing behind.
 */
export async function purchasePackage(
  uow: UnitOfWork,
  context: RequestContext,
  req: SaleRequest & { method: "balance" | "offline" },
  now: Date,
): Promise<{ order: OrderRow; period: PeriodRow }> {
  const sale = await prepareSale(uow.trx, context.actor, req, now, { lock: true });
  const id = newId("pko");
  let walletPaymentId: string | null = null;
  if (req.method === "balance" && sale.price.amount > 0) {
    const payment = await payWithBalance(
      uow,
      context,
      {
        memberId: req.memberId,
        orderId: id,
        currency: sale.pkg.currency,
        lines: [],
        amountDue: sale.price.amount,
        externalMethod: "none",
      },
      now,
    );
    walletPaymentId = payment.id;
  }
  const order = await uow.trx
    .insertInto("package_orders")
    .values({
      ...orderValues(sale, req, context, id, now),
      status: "paid",
      wallet_payment_id: walletPaymentId,
      provider: null,
      provider_ref: null,
      payment_expires_at: null,
      checkout: null,
      period_id: null,
      refund_kind: null,
      refund_reason: null,
      refund_record: null,
      refunded_at: null,
      paid_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return activateOrder(uow, context, order, sale.timezone, now);
}
