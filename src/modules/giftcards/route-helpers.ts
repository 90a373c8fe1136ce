import type { FastifyReply, FastifyRequest } from "fastify";
import type { AppDeps } from "../../app-types.js";
import { runIdempotent } from "../../platform/idempotency/idempotency.js";
import { GiftcardsError } from "./giftcards.errors.js";
import type { UnitOfWork } from "./giftcards.ledger.js";
import type { ActivityRow, CardRow } from "./giftcards.repository.js";
import type { ActivityListRow, CardListRow } from "./list-cards.js";

/**
 * Runs a value-moving request as one ledger unit of work, replayed by its Idempotency-Key.
 * Gift card value changes require the key (Square requires one on every activity): a
 * client that retries after a timeout must never load or spend a card twice.
 */
export function valueChange<B>(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: AppDeps,
  status: number,
  fn: (uow: UnitOfWork) => Promise<B>,
): Promise<B> {
  if (request.headers["idempotency-key"] === undefined) {
    throw new GiftcardsError(
      "idempotency_key_required",
      "Gift card value changes need an Idempotency-Key header",
      {
        errors: [{ field: "/headers/idempotency-key", message: "is required" }],
      },
    );
  }
  return runIdempotent(request, reply, deps, (record) =>
    deps.ledger.run(request.actor.tenantId, async (uow) => record(uow, status, await fn(uow))),
  );
}

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

/** A card as a response, with the balance the operation left (the ledger writes with the batch). */
export const withBalance = (card: CardRow, balance: number): CardListRow => ({ ...card, balance });

export const activityOf = (card: CardRow, activity: ActivityRow): ActivityListRow => ({
  ...activity,
  card_number: card.number,
  plan_id: card.plan_id,
});
