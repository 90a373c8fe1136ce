import type { FastifyRequest } from "fastify";
import type { Actor } from "../../platform/auth/actor.js";
import { assertCardVisible } from "./card-access.js";
import { GiftcardsError } from "./giftcards.errors.js";
import type { UnitOfWork } from "./giftcards.ledger.js";
import { type ActivityRow, type CardRow, findCard } from "./giftcards.repository.js";
import type { ActivityListRow, CardListRow } from "./list-cards.js";

/**
 * Gift card value changes require the key (Square requires one on every activity): a client
 * that retries after a timeout must never load or spend a card twice. A value route's guard,
 * so the refusal is not stored.
 */
export function requireIdempotencyKey(request: FastifyRequest): void {
  if (request.headers["idempotency-key"] === undefined) {
    throw new GiftcardsError(
      "idempotency_key_required",
      "Gift card value changes need an Idempotency-Key header",
      {
        errors: [{ field: "/headers/idempotency-key", message: "is required" }],
      },
    );
  }
}

/** The path's card, checked visible to the caller, before the operation locks it. */
export async function visibleCard(uow: UnitOfWork, actor: Actor, id: string): Promise<CardRow> {
  const card = await findCard(uow.trx, uow.tenantId, id);
  await assertCardVisible(uow.trx, actor, card);
  return card;
}

/** A sale's or load's payment as the operations take it. */
export const paymentOf = <M extends string>(p: { method: M; ref?: string; member_id?: string }) => ({
  method: p.method,
  ref: p.ref,
  memberId: p.member_id,
});

/** A card as a response, with the balance the operation left (the ledger writes with the batch). */
export const withBalance = (card: CardRow, balance: number): CardListRow => ({ ...card, balance });

export const activityOf = (card: CardRow, activity: ActivityRow): ActivityListRow => ({
  ...activity,
  card_number: card.number,
  plan_id: card.plan_id,
});
