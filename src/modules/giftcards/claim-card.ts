import type { Tx } from "../../db/database.js";
import { recordAudit } from "../../platform/audit/audit.js";
import type { RequestContext } from "../../platform/auth/actor.js";
import { GiftcardsError } from "./giftcards.errors.js";
import { type CardRow, findCard, updateCard } from "./giftcards.repository.js";

/**
 * A recipient takes a card bought for them: once the card's number and PIN have been
 * checked (`authenticateCard`, rate-limited), the member becomes its holder and sees it
 * among their cards. A card held by someone else stays theirs (`gift_card_already_claimed`);
 * claiming one's own card again changes nothing.
 */
export async function claimCard(
  trx: Tx,
  context: RequestContext,
  input: { cardId: string; memberId: string },
  now: Date,
): Promise<CardRow> {
  const tenantId = context.actor.tenantId;
  const card = await findCard(trx, tenantId, input.cardId, { lock: true });
  if (card.holder_member_id === input.memberId) return card;
  if (card.holder_member_id !== null) {
    throw new GiftcardsError("gift_card_already_claimed", "This card already has a holder");
  }
  if (card.status !== "active" && card.status !== "frozen") {
    throw new GiftcardsError("gift_card_not_active", `The card is ${card.status}`);
  }
  const claimed = await updateCard(trx, tenantId, card.id, {
    holder_member_id: input.memberId,
    updated_at: now,
  });
  await recordAudit(
    trx,
    context,
    {
      action: "gift_card.claimed",
      targetType: "gift_card",
      targetId: card.id,
      summary: { holder_member_id: input.memberId },
    },
    now,
  );
  return claimed;
}
