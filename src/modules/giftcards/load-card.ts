import type { RequestContext } from "../../platform/auth/actor.js";
import { storeInScope } from "../catalog/index.js";
import { payWithBalance } from "../wallets/index.js";
import { assertSpendable } from "./card-access.js";
import { GiftcardsError } from "./giftcards.errors.js";
import {
  accountIds,
  cardBalance,
  moveValue,
  openSystemAccount,
  type UnitOfWork,
} from "./giftcards.ledger.js";
import { type ActivityRow, findCard, findPlan, type SalePayment } from "./giftcards.repository.js";
import { maxLoadOf } from "./plan-rules.js";
import { newActivityId, recordActivity } from "./record-activity.js";

export interface LoadInput {
  cardId: string;
  amount: number;
  storeId: string | null;
  payment: { method: "offline" | "balance"; ref?: string | null; memberId?: string | null };
}

/**
 * A POS recharge: only when the card's plan has POS recharge on, on a spendable card, at a
 * store where the card may be used, 1 up to the plan's largest sellable amount. No
 * discount: the buyer pays what is loaded (offline, or from a member's balance).
 */
export async function loadCard(
  uow: UnitOfWork,
  context: RequestContext,
  input: LoadInput,
  now: Date,
): Promise<ActivityRow> {
  const card = await findCard(uow.trx, uow.tenantId, input.cardId, { lock: true });
  assertSpendable(card, now);
  const plan = await findPlan(uow.trx, uow.tenantId, card.plan_id);
  if (!plan.pos_recharge) {
    throw new GiftcardsError(
      "gift_card_recharge_not_allowed",
      "This card's plan does not allow POS recharge",
    );
  }
  const max = maxLoadOf(plan);
  if (!Number.isSafeInteger(input.amount) || input.amount < 1 || input.amount > max) {
    throw new GiftcardsError("gift_card_amount_not_allowed", `A load is 1-${max} minor units`);
  }
  if (!(await storeInScope(uow.trx, uow.tenantId, card.store_scope, input.storeId))) {
    throw new GiftcardsError("gift_card_store_not_allowed", "The card is not used at this store");
  }
  const id = newActivityId();
  let payment: SalePayment = { method: "offline", ref: input.payment.ref ?? null };
  if (input.payment.method === "balance") {
    if (!input.payment.memberId) {
      throw new GiftcardsError("validation_failed", "A balance payment names the paying member", {
        errors: [{ field: "/body/payment/member_id", message: "is required for a balance payment" }],
      });
    }
    const paid = await payWithBalance(
      uow,
      context,
      {
        memberId: input.payment.memberId,
        orderId: id,
        currency: card.asset,
        lines: [],
        amountDue: input.amount,
        externalMethod: "none",
      },
      now,
    );
    payment = { method: "balance", ref: paid.id, member_id: input.payment.memberId };
  }
  await openSystemAccount(uow, "issuance", card.asset);
  await moveValue(uow, { id, cardId: card.id }, [
    {
      debit_account_id: accountIds.issuance(card.asset),
      credit_account_id: card.account_id!,
      amount: input.amount,
      code: "gift_card_load",
    },
  ]);
  return recordActivity(
    uow,
    context,
    card,
    {
      id,
      type: "LOAD",
      amount: input.amount,
      balanceAfter: await cardBalance(uow, card.account_id!),
      store_id: input.storeId,
      channel: "POS",
      paid_amount: input.amount,
      discount_amount: 0,
      payment_method: payment.method,
      payment_ref: payment.ref,
    },
    now,
  );
}
