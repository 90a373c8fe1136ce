import type { UnitOfWork } from "../../ledger/index.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { CheckoutError } from "./checkout.errors.js";
import { emitCheckoutEvent } from "./checkout.events.js";
import {
  findOrderByClientId,
  lockClientOrderId,
  type OrderRow,
  type SettlementRecord,
} from "./checkout.repository.js";
import { grantCardExtensions } from "./grant-card-extensions.js";
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
 * pays by balance, awards the points and records which benefits were used. A retry with the same client order id and
 * request returns the same order; anything refused leaves nothing behind.
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
    if (existing.request_hash !== req.requestHash) {
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
  if (q.balance.amount > 0 && req.memberId) {
    const paid = await settlement.payByBalance(settle, {
      orderId,
      memberId: req.memberId,
      currency: req.currency,
      amount: q.balance.amount,
      amountDue: q.total - giftCards.reduce((sum, c) => sum + c.amount, 0),
      externalMethod: q.balance.remainingPayable === 0 ? "none" : req.restPaid,
      lines: q.lines.map((l) => ({ sku: l.sku, amount: l.finalAmount })),
    });
    record.balance = { ref: paid.ref, amount: q.balance.amount };
  }
  if (q.points.earned > 0 && req.memberId) {
    const awarded = await settlement.awardPoints(settle, {
      orderId,
      memberId: req.memberId,
      points: q.points.earned,
    });
    record.points = { ref: awarded.ref, points: q.points.earned };
  }

  const order = (await settle.trx
    .insertInto("checkout_orders")
    .values({
      tenant_id: settle.tenantId,
      id: orderId,
      client_order_id: req.clientOrderId,
      member_id: req.memberId,
      channel: req.channel,
      store_id: req.storeId,
      currency: req.currency,
      status: "completed",
      no_benefit_total: q.noBenefitTotal,
      total: q.total,
      voucher_total: q.voucherTotal,
      balance_amount: q.balance.amount,
      points_earned: q.points.earned,
      quote: JSON.stringify(serializeQuote(q)),
      settlement: JSON.stringify(record),
      request_hash: req.requestHash,
      created_by: ctx.actor.id,
      created_at: now,
      refunded_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow()) as OrderRow;
  const extended = req.memberId
    ? await grantCardExtensions(
        settle,
        settlement,
        ctx,
        { id: orderId, memberId: req.memberId, total: q.total, timezone: req.timezone },
        now,
      )
    : [];
  const used = [
    ...q.benefitsApplied.map((b) => ({ benefitId: b.benefitId, discount: b.discountAmount })),
    ...extended.map((benefitId) => ({ benefitId, discount: 0 })),
  ];
  if (used.length > 0) {
    await settle.trx
      .insertInto("checkout_benefit_usages")
      .values(
        used.map((b) => ({
          tenant_id: settle.tenantId,
          order_id: orderId,
          benefit_id: b.benefitId,
          member_id: req.memberId,
          discount_amount: b.discount,
          reversed: false,
          created_at: now,
        })),
      )
      .execute();
  }
  await recordAudit(
    settle.trx,
    ctx,
    {
      action: "checkout_order.completed",
      targetType: "checkout_order",
      targetId: orderId,
      summary: {
        after: {
          client_order_id: req.clientOrderId,
          member_id: req.memberId,
          total: q.total,
          voucher_total: q.voucherTotal,
          balance_amount: q.balance.amount,
          points_earned: q.points.earned,
          benefits: used.map((b) => b.benefitId),
        },
      },
    },
    now,
  );
  await emitCheckoutEvent(
    settle.trx,
    settle.tenantId,
    "checkout_order.completed",
    {
      order_id: orderId,
      client_order_id: req.clientOrderId,
      member_id: req.memberId,
      currency: req.currency,
      total: q.total,
      voucher_total: q.voucherTotal,
      balance_amount: q.balance.amount,
      points_earned: q.points.earned,
      benefit_ids: used.map((b) => b.benefitId),
    },
    now,
  );
  return { order, replayed: false };
}
