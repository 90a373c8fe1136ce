import type { Tx } from "../../db/database.js";
import type { Actor } from "../../platform/auth/actor.js";
import { inScope } from "../../platform/auth/scope.js";
import { orgUnitInScope, orgUnitPath } from "../../platform/org/org-units.js";
import type { DomainError } from "../../shared/errors.js";
import { storeInScope } from "../catalog/index.js";
import { GiftcardsError } from "./giftcards.errors.js";
import type { CardRow } from "./giftcards.repository.js";

/**
 * The store an operation happens at: the one named, else the caller's own org unit. A
 * caller bound to an org unit acts only within its subtree (others answer as missing).
 */
export async function resolveStore(trx: Tx, actor: Actor, storeId: string | null | undefined) {
  const id = storeId ?? actor.orgUnitId;
  if (!id) return null;
  try {
    await orgUnitInScope(trx, actor, id);
  } catch (error) {
    if ((error as DomainError).code === "org_unit_not_found")
      throw new GiftcardsError("store_not_found", "Store not found");
    throw error;
  }
  return id;
}

/**
 * Who may reach a card by id: tenant-wide staff; staff bound to an org unit when the card
 * was sold in their subtree or may be used at their unit (a till redeems cards sold
 * elsewhere); a member token for cards it holds or bought.
 */
export async function cardVisible(trx: Tx, actor: Actor, card: CardRow): Promise<boolean> {
  if (!visibilityTurnsOnStores(actor)) return cardVisibleGiven(actor, card, null, false);
  const soldAt = card.sale_store_id ? await orgUnitPath(trx, actor.tenantId, card.sale_store_id) : undefined;
  if (cardVisibleGiven(actor, card, soldAt, false)) return true;
  return cardVisibleGiven(
    actor,
    card,
    soldAt,
    await storeInScope(trx, actor.tenantId, card.store_scope, actor.orgUnitId),
  );
}

/** Whether `cardVisibleGiven` turns on where the card was sold and may be used (staff bound to a unit). */
export const visibilityTurnsOnStores = (actor: Actor) =>
  actor.type !== "member" && actor.orgUnitPath !== null;

/**
 * `cardVisible` over what it would read: the path of the unit the card was sold at (null or
 * undefined when none), and whether the card's store scope admits the caller's own unit.
 */
export function cardVisibleGiven(
  actor: Actor,
  card: CardRow,
  salePath: string | null | undefined,
  usableAtCallerUnit: boolean,
): boolean {
  if (actor.type === "member")
    return card.holder_member_id === actor.memberId || card.buyer_member_id === actor.memberId;
  if (actor.orgUnitPath === null) return true;
  if (card.sale_store_id && inScope(actor, salePath)) return true;
  return card.status !== "inactive" && usableAtCallerUnit;
}

/** Cards the caller may not reach answer as missing, so their existence does not leak. */
export async function assertCardVisible(trx: Tx, actor: Actor, card: CardRow): Promise<void> {
  if (!(await cardVisible(trx, actor, card)))
    throw new GiftcardsError("gift_card_not_found", "Gift card not found");
}

/**
 * Who may take value out of a card or undo a freeze, beyond seeing it: tenant-wide staff, and
 * staff whose subtree holds the store that sold it (or, for a redemption's refund, the store it
 * was redeemed at). A till that only may redeem a card sold elsewhere did not take its money:
 * paying it out, adjusting it or lifting another store's freeze is for the selling side.
 * `store` names the other unit that may act, when there is one.
 */
export async function assertCardManaged(
  trx: Tx,
  actor: Actor,
  card: CardRow,
  action: string,
  store?: string | null,
): Promise<void> {
  if (actor.type === "member" || actor.orgUnitPath === null) return;
  for (const unit of [card.sale_store_id, store]) {
    if (unit && inScope(actor, await orgUnitPath(trx, actor.tenantId, unit))) return;
  }
  throw new GiftcardsError(
    "gift_card_managed_elsewhere",
    `Only staff of the store that sold this card, or above it, may ${action}`,
    { extra: { card_id: card.id } },
  );
}

/** Whether the card has passed its expiry at `now` (the expiry job may not have run yet). */
export const pastExpiry = (card: CardRow, now: Date) =>
  card.expires_at !== null && card.expires_at.getTime() <= now.getTime();

/**
 * The guard every use of a card's balance passes: frozen, expired (stored, or past its
 * expiry before the job ran), and any other state than active each refuse with their own code.
 */
export function assertSpendable(card: CardRow, now: Date): void {
  if (card.status === "frozen") {
    throw new GiftcardsError("gift_card_frozen", "The card is frozen: restore it before using it", {
      extra: { card_id: card.id },
    });
  }
  if (card.status === "expired" || (card.status === "active" && pastExpiry(card, now))) {
    throw new GiftcardsError("gift_card_expired", "The card has expired", { extra: { card_id: card.id } });
  }
  if (card.status !== "active") {
    throw new GiftcardsError("gift_card_not_active", `The card is ${card.status}`, {
      extra: { card_id: card.id, card_status: card.status },
    });
  }
}
