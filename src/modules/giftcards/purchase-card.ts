import type { RequestContext } from "../../platform/auth/actor.js";
import type { UnitOfWork } from "./giftcards.ledger.js";
import type { PaymentRow } from "./giftcards.repository.js";
import { type PreparedOnlineSale, recordOnlineSale } from "./online-sale.js";
import type { SaleRequest } from "./sale-rules.js";
import { type SoldCard, sellCard } from "./sell-card.js";

/** A member's online purchase: paid by the member's balance at once, or a prepared online payment. */
export type PurchaseInput =
  | { method: "balance"; memberId: string; sale: SaleRequest; pinSecret: string }
  | { method: "online"; prepared: PreparedOnlineSale; pinSecret: string };

export interface Purchased extends SoldCard {
  /** The online payment to complete; null when paid by balance. */
  payment: PaymentRow | null;
}

/**
 * Buys a card in the member center. By balance the card is sold and active at once; online
 * it is written pending with the payment the provider accepted before the unit began.
 */
export async function purchaseCard(
  uow: UnitOfWork,
  context: RequestContext,
  input: PurchaseInput,
  now: Date,
): Promise<Purchased> {
  if (input.method === "online") {
    const started = await recordOnlineSale(uow, context, input.prepared, input.pinSecret, now);
    return { card: started.card, pin: started.pin, activity: null, payment: started.payment };
  }
  const sold = await sellCard(
    uow,
    context,
    { ...input.sale, payment: { method: "balance", memberId: input.memberId } },
    input.pinSecret,
    now,
  );
  return { ...sold, payment: null };
}
