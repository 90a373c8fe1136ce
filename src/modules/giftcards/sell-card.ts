import type { RequestContext } from "../../platform/auth/actor.js";
import { newId } from "../../shared/ids.js";
import { phoneAsKept } from "../../shared/phone.js";
import { findVisibleMember } from "../members/index.js";
import { payWithBalance } from "../wallets/index.js";
import { generatePin, pinHash } from "./card-number.js";
import { GiftcardsError } from "./giftcards.errors.js";
import {
  accountIds,
  moveValue,
  openCardAccount,
  openSystemAccount,
  type UnitOfWork,
} from "./giftcards.ledger.js";
import { type ActivityRow, type CardRow, type SalePayment, updateCard } from "./giftcards.repository.js";
import { newActivityId, recordActivity } from "./record-activity.js";
import { type CheckedSale, checkSale, type SaleRequest, tenantTimezone } from "./sale-rules.js";

export interface SellInput extends SaleRequest {
  /** Offline: paid at the till (ref: its receipt); balance: from the paying member's balance. */
  payment: { method: "offline" | "balance"; ref?: string | null; memberId?: string | null };
}

export interface SoldCard {
  card: CardRow;
  activity: ActivityRow | null;
  /** The new PIN, shown this once; null when the card's PIN was imported (printed on it). */
  pin: string | null;
}

/**
 * Writes the sold card's row, `pending` until paid: a new card, or the imported stock row
 * (locked by the checks) taking the sale's terms. PINs are kept only as their keyed hash.
 */
export async function writeSoldCard(
  uow: UnitOfWork,
  context: RequestContext,
  req: SaleRequest,
  sale: CheckedSale,
  pinSecret: string,
  now: Date,
): Promise<{ card: CardRow; pin: string | null }> {
  const tenantId = uow.tenantId;
  const pin = sale.stock?.pin_hash ? null : generatePin();
  const fields = {
    face_amount: sale.price.face,
    paid_amount: sale.price.paid,
    discount_amount: sale.price.discount,
    pin_hash: pin ? pinHash(pinSecret, tenantId, sale.number, pin) : sale.stock!.pin_hash,
    store_scope: JSON.stringify(sale.plan.store_scope),
    expires_at: sale.expiresAt,
    buyer_name: req.buyer.name ?? null,
    buyer_phone: req.buyer.phone ? phoneAsKept(req.buyer.phone) : null,
    buyer_email: req.buyer.email ?? null,
    buyer_member_id: req.buyerMemberId ?? null,
    holder_member_id: req.holderMemberId ?? null,
    recipient_name: req.recipient?.name ?? null,
    recipient_phone: req.recipient?.phone ? phoneAsKept(req.recipient.phone) : null,
    gift_message: req.recipient?.message ?? null,
    sale_id: newId("gcs"),
    sale_channel: req.channel,
    sale_store_id: req.storeId,
    agreements: JSON.stringify(sale.agreements),
    status: "pending" as const,
    updated_at: now,
  };
  if (sale.stock) return { card: await updateCard(uow.trx, tenantId, sale.stock.id, fields), pin };
  const card = (await uow.trx
    .insertInto("gift_cards")
    .values({
      tenant_id: tenantId,
      id: newId("gc"),
      plan_id: sale.plan.id,
      number: sale.number,
      card_type: sale.plan.card_type,
      asset: sale.plan.currency,
      account_id: null,
      sale_payment: null,
      import_job_id: null,
      sold_at: null,
      frozen_reason: null,
      closed_at: null,
      created_by: context.actor.id,
      created_at: now,
      ...fields,
    })
    .returningAll()
    .executeTakeFirstOrThrow()) as CardRow;
  return { card, pin };
}

/**
 * Loads a card with its face amount once it is paid: its ledger account is opened (no
 * overdraft, expiring with the card), the buyer's payment and the purchase discount are
 * credited to it as linked transfers (from the issuance and marketing-expense accounts),
 * and the ACTIVATE activity records both.
 */
export async function activateCard(
  uow: UnitOfWork,
  context: RequestContext,
  card: CardRow,
  payment: SalePayment,
  now: Date,
): Promise<{ card: CardRow; activity: ActivityRow }> {
  const account = await openCardAccount(uow, card.id, card.asset, card.expires_at);
  await openSystemAccount(uow, "issuance", card.asset);
  await openSystemAccount(uow, "marketing", card.asset);
  const id = newActivityId();
  await moveValue(uow, { id, cardId: card.id }, [
    {
      debit_account_id: accountIds.issuance(card.asset),
      credit_account_id: account,
      amount: card.paid_amount,
      code: "gift_card_sale",
    },
    {
      debit_account_id: accountIds.marketing(card.asset),
      credit_account_id: account,
      amount: card.discount_amount,
      code: "gift_card_discount",
    },
  ]);
  const active = await updateCard(uow.trx, uow.tenantId, card.id, {
    status: "active",
    account_id: account,
    sold_at: now,
    sale_payment: JSON.stringify(payment),
    updated_at: now,
  });
  const activity = await recordActivity(
    uow,
    context,
    active,
    {
      id,
      type: "ACTIVATE",
      amount: card.face_amount!,
      balanceAfter: card.face_amount!,
      store_id: card.sale_store_id,
      channel: card.sale_channel,
      reference_module: "giftcards",
      reference_id: card.sale_id,
      paid_amount: card.paid_amount,
      discount_amount: card.discount_amount,
      payment_method: payment.method,
      payment_ref: payment.ref,
    },
    now,
  );
  return { card: active, activity };
}

/**
 * Sells a card paid at once (offline at the till, or from a member's balance), in one unit
 * of work: checks (sale-rules.ts), the card row, the balance payment (the wallets module,
 * same unit), the ledger and the ACTIVATE activity commit together or not at all.
 */
export async function sellCard(
  uow: UnitOfWork,
  context: RequestContext,
  input: SellInput,
  pinSecret: string,
  now: Date,
): Promise<SoldCard> {
  // A card held by an id that is no member would be out of everyone's reach: no member sees
  // it, and the recipient cannot claim it (it already has a holder).
  for (const memberId of new Set([input.buyerMemberId, input.holderMemberId])) {
    if (memberId) await findVisibleMember(uow.trx, context.actor, memberId);
  }
  const timezone = await tenantTimezone(uow.trx, uow.tenantId);
  const sale = await checkSale(uow.trx, uow.tenantId, input, now, timezone);
  const payer = input.payment.memberId ?? input.buyerMemberId ?? null;
  if (input.payment.method === "balance" && !payer) {
    throw new GiftcardsError("validation_failed", "A balance payment names the paying member", {
      errors: [{ field: "/body/payment/member_id", message: "is required for a balance payment" }],
    });
  }
  const { card, pin } = await writeSoldCard(uow, context, input, sale, pinSecret, now);
  let payment: SalePayment = { method: "offline", ref: input.payment.ref ?? null };
  if (input.payment.method === "balance") {
    const paid = await payWithBalance(
      uow,
      context,
      {
        memberId: payer!,
        orderId: card.sale_id!,
        currency: card.asset,
        lines: [],
        amountDue: card.paid_amount,
        externalMethod: "none",
      },
      now,
    );
    payment = { method: "balance", ref: paid.id, member_id: payer };
  }
  const activated = await activateCard(uow, context, card, payment, now);
  return { ...activated, pin };
}
