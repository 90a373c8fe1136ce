import type { RequestContext } from "../../platform/auth/actor.js";
import { mulDiv } from "../../shared/money.js";
import { refundOrderBalance, systemReason } from "../wallets/index.js";
import { assertSpendable } from "./card-access.js";
import { GiftcardsError } from "./giftcards.errors.js";
import { accountIds, cardBalance, moveValue, type UnitOfWork } from "./giftcards.ledger.js";
import {
  type ActivityRow,
  type CardRow,
  findCard,
  type PaymentMethod,
  updateCard,
} from "./giftcards.repository.js";
import { newActivityId, recordActivity } from "./record-activity.js";

/** How a card refund's cash goes back: to each payment that loaded the card, last first. */
export interface RefundPart {
  method: PaymentMethod;
  ref: string | null;
  amount: number;
}

export interface CardRefund {
  card: CardRow;
  activity: ActivityRow;
  /** What the buyer gets back. */
  cash: number;
  /** The purchase discount's share of the remaining balance, returned to marketing expense. */
  discountReclaimed: number;
  parts: RefundPart[];
}

/**
 * The cash a refund pays for `balance` left on a card bought with `paid` and given `promo`
 * as purchase discount: the balance is treated as paid and promotional value in the
 * proportion they were loaded, so the buyer gets back what they paid for the unused part
 * and the unused discount returns to marketing expense. Rounded down (`refund_cash_down`):
 * the odd minor unit stays with the discount share, never more cash than was paid.
 * Example: 200 card sold for 180 (20 off), 50 spent → 150 left → 135 cash, 15 reclaimed.
 */
export function refundCash(balance: number, paid: number, promo: number): number {
  if (paid + promo === 0) return 0;
  // Capped at `paid`: a finance increase raises the balance without anyone paying for it, and
  // the cash goes back only through the payments that loaded the card.
  return Math.min(balance, paid, mulDiv(balance, paid, paid + promo, "down"));
}

/**
 * What each payment that loaded the card still holds of it, newest first: its paid and
 * discount value, less what its provider has already refunded (take-back-sale.ts). That money
 * is back with the buyer and that value off the card, so counting it again would pay the
 * buyer twice for it and weigh the rest of the card as partly discount when it is not.
 */
export async function paymentsStillHeld(uow: UnitOfWork, cardId: string) {
  const rows = await uow.trx
    .selectFrom("gift_card_activities")
    .select(["id", "type", "paid_amount", "discount_amount", "payment_method", "payment_ref", "returned_to"])
    .where("tenant_id", "=", uow.tenantId)
    .where("card_id", "=", cardId)
    .where("type", "in", ["ACTIVATE", "LOAD", "ADJUST_DECREMENT"])
    .orderBy("id", "desc")
    .execute();
  const online = await uow.trx
    .selectFrom("gift_card_payments")
    .select(["id", "provider_refunds"])
    .where("tenant_id", "=", uow.tenantId)
    .where("card_id", "=", cardId)
    .executeTakeFirst();
  const takenBack = rows.filter((r) => r.type === "ADJUST_DECREMENT" && r.returned_to === "provider");
  return rows
    .filter((r) => r.type !== "ADJUST_DECREMENT")
    .map((p) => {
      if (!online || p.payment_method !== "online" || p.payment_ref !== online.id) return p;
      // The money the provider returned, not only the value taken off for it: what the holder
      // had spent of it (the shortfall) was refunded at the provider all the same.
      const refunded = online.provider_refunds?.refunded_total ?? 0;
      const discountBack = takenBack
        .filter((r) => r.payment_ref === online.id)
        .reduce((s, r) => s + (r.discount_amount ?? 0), 0);
      return {
        ...p,
        paid_amount: Math.max(0, (p.paid_amount ?? 0) - refunded),
        discount_amount: Math.max(0, (p.discount_amount ?? 0) - discountBack),
      };
    });
}

/**
 * Pays `cash` back to the buyer through the payments that loaded the card (`paymentsStillHeld`,
 * newest first), after the `paidBack` already paid back through them the same way: each
 * payment returns at most what it paid, and a later refund (a redemption given back after the
 * card's refund) continues where the earlier ones stopped. Balance payments go back to the
 * member's balance here (wallets, same unit of work, within the payment's refundable amount);
 * offline and online parts are answered for the till or the provider.
 */
export async function payBuyerBack(
  uow: UnitOfWork,
  context: RequestContext,
  cardId: string,
  payments: Awaited<ReturnType<typeof paymentsStillHeld>>,
  amounts: { paidBack: number; cash: number },
  now: Date,
): Promise<RefundPart[]> {
  const parts: RefundPart[] = [];
  let skip = amounts.paidBack;
  let left = amounts.cash;
  for (const p of payments) {
    const held = p.paid_amount ?? 0;
    const already = Math.min(skip, held);
    skip -= already;
    const amount = Math.min(left, held - already);
    if (amount === 0) continue;
    left -= amount;
    parts.push({ method: p.payment_method ?? "offline", ref: p.payment_ref, amount });
    if (p.payment_method === "balance") {
      await refundOrderBalance(
        uow,
        context,
        { paymentId: p.payment_ref!, amount, reason: systemReason("gift_card_refunded", { card: cardId }) },
        now,
      );
    }
  }
  return parts;
}

/**
 * Refunds a card (unused or partly used, never a fully redeemed one) and closes it. The
 * buyer's cash goes back through what paid for the card — balance payments to the member's
 * balance (the wallets module, same unit of work), offline and online payments recorded for
 * the till or the provider — newest payment first. Frozen and expired cards are refused.
 */
export async function refundCard(
  uow: UnitOfWork,
  context: RequestContext,
  input: { cardId: string; reason: string | null; storeId: string | null },
  now: Date,
): Promise<CardRefund> {
  const card = await findCard(uow.trx, uow.tenantId, input.cardId, { lock: true });
  assertSpendable(card, now);
  const balance = await cardBalance(uow, card.account_id!);
  if (balance === 0) {
    throw new GiftcardsError("gift_card_fully_redeemed", "A fully redeemed card is not refunded", {
      extra: { card_id: card.id },
    });
  }
  const payments = await paymentsStillHeld(uow, card.id);
  const paid = payments.reduce((s, p) => s + (p.paid_amount ?? 0), 0);
  const promo = payments.reduce((s, p) => s + (p.discount_amount ?? 0), 0);
  const cash = refundCash(balance, paid, promo);
  const parts = await payBuyerBack(uow, context, card.id, payments, { paidBack: 0, cash }, now);
  const id = newActivityId();
  await moveValue(uow, { id, cardId: card.id }, [
    {
      debit_account_id: card.account_id!,
      credit_account_id: accountIds.issuance(card.asset),
      amount: cash,
      code: "gift_card_refund",
    },
    {
      debit_account_id: card.account_id!,
      credit_account_id: accountIds.marketing(card.asset),
      amount: balance - cash,
      code: "gift_card_refund_discount",
    },
  ]);
  const closed = await uow.updateAccount(card.account_id!, { closed: true });
  if (!closed.ok) throw new Error(`ledger refused to close ${card.account_id}: ${closed.code}`);
  const updated = await updateCard(uow.trx, uow.tenantId, card.id, {
    status: "refunded",
    closed_at: now,
    updated_at: now,
  });
  const activity = await recordActivity(
    uow,
    context,
    updated,
    {
      id,
      type: "CARD_REFUND",
      amount: balance,
      balanceAfter: 0,
      store_id: input.storeId,
      paid_amount: cash,
      discount_amount: balance - cash,
      payment_method: parts[0]?.method ?? null,
      payment_ref: parts[0]?.ref ?? null,
      returned_to: "buyer",
      reason: input.reason,
    },
    now,
  );
  return { card: updated, activity, cash, discountReclaimed: balance - cash, parts };
}
