import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { CheckoutError } from "./checkout.errors.js";
import {
  findOrderByClientId,
  lockClientOrderId,
  type OrderRow,
  type SettlementRecord,
} from "./checkout.repository.js";
import { grantPaidOrder } from "./finish-order.js";
import { type OrderRequest, priceOrder } from "./price-order.js";
import { serializeQuote } from "./quote-view.js";
import { type CheckoutSettlement, settleContext } from "./settlement.js";

export interface CompleteRequest extends OrderRequest {
  clientOrderId: string;
  /** The total the till showed: a different total now (a benefit changed) refuses with quote_changed. */
  expectedTotal: number | null;
  /** How what balance does not cover is paid (online: the balance part is held until it succeeds). */
  restPaid: "online" | "offline";
  /** Fingerprint of the request, to tell a retry from a different order reusing the id. */
  requestHash: string;
}

/**
 * Completes an order in one transaction: prices it again with the catalog, member, balance,
 * vouchers and gift cards as they are now (locked), redeems the vouchers and gift cards,
 * pays by balance, awards the points and records which benefits were used. An order whose
 * rest is paid online waits in `pending_payment` for that payment (finish-order.ts). A retry
 * with the same client order id and request returns the same order; anything refused leaves
 * nothing behind.
 */
export async function completeOrder(
  uow: UnitOfWork,
  ctx: RequestContext,
  { settlement, ...req }: CompleteRequest & { settlement: CheckoutSettlement },
  now: Date,
): Promise<{ order: OrderRow; replayed: boolean }> {
  const settle = settleContext(uow, ctx, now);
  await lockClientOrderId(settle.trx, settle.tenantId, req.clientOrderId);
  const existing = await findOrderByClientId(settle.trx, settle.tenantId, req.clientOrderId);
  if (existing) {
    // The fingerprint is of the body; the store is resolved from the caller when the body
    // names none, so two tills sending the same body are two orders: the id is then reused.
    if (existing.request_hash !== req.requestHash || existing.store_id !== req.storeId) {
      throw new CheckoutError(
        "client_order_id_reused",
        "This client_order_id was used for a different order",
      );
    }
    return { order: existing, replayed: true };
  }

  const q = await priceOrder(settle, settlement, { ...req, forCompletion: true });
  if (req.expectedTotal !== null && req.expectedTotal !== q.total) {
    throw new CheckoutError(
      "quote_changed",
      `The order now totals ${q.total}, not ${req.expectedTotal}: quote again and confirm the new total`,
      { extra: { quote: serializeQuote(q) } },
    );
  }
  const refused = q.vouchersNotApplied[0];
  if (refused) {
    throw new CheckoutError(
      "voucher_not_usable",
      `Voucher ${refused.voucherId} cannot be used: ${refused.reason}`,
      {
        extra: { voucher_id: refused.voucherId, reason: refused.reason },
      },
    );
  }

  const refusedCard = q.giftCards.notApplied.find((c) => c.reason !== "nothing_due");
  if (refusedCard) {
    throw new CheckoutError(
      "gift_card_not_usable",
      `Gift card ${refusedCard.cardId} cannot pay this order: ${refusedCard.reason}`,
      { extra: { card_id: refusedCard.cardId, reason: refusedCard.reason } },
    );
  }

  const orderId = newId("ord");
  const record: SettlementRecord = {};
  // Vouchers first, then balance for what is left, then points on what was paid.
  const vouchers: NonNullable<SettlementRecord["vouchers"]> = [];
  for (const v of q.vouchersApplied) {
    const moved = await settlement.redeemVoucher(settle, {
      orderId,
      voucherId: v.voucherId,
      amount: v.amount,
      memberId: req.memberId,
      currency: req.currency,
      lines: q.lines.map((l) => ({ sku: l.sku, amount: l.memberAmount })),
    });
    vouchers.push({ voucherId: v.voucherId, ref: moved.ref, amount: v.amount });
  }
  if (vouchers.length > 0) record.vouchers = vouchers;
  // Gift cards pay what vouchers left, before balance (gift-card-tender.ts).
  const giftCards: NonNullable<SettlementRecord["giftCards"]> = [];
  for (const c of q.giftCards.applied) {
    const moved = await settlement.redeemGiftCard(settle, {
      orderId,
      cardId: c.cardId,
      amount: c.amount,
      storeId: req.storeId,
      channel: req.channel,
      currency: req.currency,
    });
    giftCards.push({ cardId: c.cardId, ref: moved.ref, amount: c.amount });
  }
  if (giftCards.length > 0) record.giftCards = giftCards;
  // The balance part of an order whose rest is paid online is only held: the order waits
  // for that payment, and grants its points, extensions and benefit usage when it succeeds.
  let awaitingPayment = false;
  if (q.balance.amount > 0 && req.memberId) {
    const externalMethod = q.balance.remainingPayable === 0 ? "none" : req.restPaid;
    const paid = await settlement.payByBalance(settle, {
      orderId,
      memberId: req.memberId,
      currency: req.currency,
      amount: q.balance.amount,
      amountDue: q.total - giftCards.reduce((sum, c) => sum + c.amount, 0),
      externalMethod,
      lines: q.lines.map((l) => ({ sku: l.sku, amount: l.finalAmount })),
    });
    record.balance = { ref: paid.ref, amount: q.balance.amount };
    awaitingPayment = externalMethod === "online";
  }
  const grants = {
    points: req.memberId ? q.points.earned : 0,
    benefits: q.benefitsApplied.map((b) => ({ benefitId: b.benefitId, discount: b.discountAmount })),
    timezone: req.timezone,
  };
  if (awaitingPayment) record.awaiting = grants;

  const placed = (await settle.trx
    .insertInto("checkout_orders")
    .values({
      tenant_id: settle.tenantId,
      id: orderId,
      client_order_id: req.clientOrderId,
      member_id: req.memberId,
      channel: req.channel,
      store_id: req.storeId,
      currency: req.currency,
      status: "pending_payment",
      no_benefit_total: q.noBenefitTotal,
      total: q.total,
      voucher_total: q.voucherTotal,
      balance_amount: q.balance.amount,
      points_earned: 0,
      quote: JSON.stringify(serializeQuote(q)),
      settlement: JSON.stringify(record),
      request_hash: req.requestHash,
      created_by: ctx.actor.id,
      created_at: now,
      refunded_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow()) as OrderRow;
  if (!awaitingPayment) {
    return { order: await grantPaidOrder(settle, settlement, ctx, placed, grants, now), replayed: false };
  }
  await recordAudit(
    settle.trx,
    ctx,
    {
      action: "checkout_order.pending_payment",
      targetType: "checkout_order",
      targetId: orderId,
      summary: {
        after: {
          client_order_id: req.clientOrderId,
          member_id: req.memberId,
          total: q.total,
          balance_amount: q.balance.amount,
          payment_id: record.balance?.ref,
        },
      },
    },
    now,
  );
  const order = placed;
  return { order, replayed: false };
}
