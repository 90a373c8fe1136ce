import type { ReadStatement, Tx } from "../../db/database.js";
import { type Account, balancesOf, type LedgerOps } from "../../ledger/index.js";
import type { Actor } from "../../platform/auth/actor.js";
import { storeInScope, storeInScopeGiven } from "../catalog/index.js";
import { cardVisible, cardVisibleGiven, pastExpiry } from "./card-access.js";
import { GiftcardsError } from "./giftcards.errors.js";
import { cardBalance } from "./giftcards.ledger.js";
import type { CardRow } from "./giftcards.repository.js";

/** At most this many cards pay one order. */
export const MAX_CARDS_PER_ORDER = 5;

export type CardUnusableReason =
  | "not_found"
  | "frozen"
  | "expired"
  | "not_active"
  | "currency"
  | "store_not_allowed"
  | "empty";

/** What the checkout needs to know of a card that is to pay (part of) an order. */
export interface PaymentCardFacts {
  cardId: string;
  /** What is left on the card now (0 when it cannot pay). */
  balance: number;
  /** Why it cannot pay this order; null when it can. */
  unusable: CardUnusableReason | null;
}

function reasonOf(card: CardRow, now: Date): CardUnusableReason | null {
  if (card.status === "frozen") return "frozen";
  if (card.status === "expired" || (card.status === "active" && pastExpiry(card, now))) return "expired";
  if (card.status !== "active") return "not_active";
  return null;
}

const assertCardCount = (ids: readonly string[]) => {
  if (ids.length > MAX_CARDS_PER_ORDER) {
    throw new GiftcardsError("limit_exceeded", `At most ${MAX_CARDS_PER_ORDER} gift cards pay one order`);
  }
};

/** Where an order pays, as deciding on its cards needs it. */
interface PaymentOrder {
  storeId: string | null;
  currency: string;
  now: Date;
}

/**
 * What deciding on a card asks beyond its row: read in the order's transaction (asked only
 * when the decision still turns on it, the balance last, since reading it locks), or looked up
 * in a quote's snapshot.
 */
interface CardLookups {
  visible(card: CardRow): boolean | Promise<boolean>;
  usableAt(card: CardRow, storeId: string | null): boolean | Promise<boolean>;
  balance(card: CardRow): number | Promise<number>;
}

/** The one decision on the named cards, in the order named, whichever way their facts are read. */
async function decideCards(
  ids: readonly string[],
  cards: ReadonlyMap<string, CardRow>,
  order: PaymentOrder,
  lookups: CardLookups,
): Promise<PaymentCardFacts[]> {
  const facts: PaymentCardFacts[] = [];
  for (const cardId of ids) {
    const card = cards.get(cardId);
    if (!card || !(await lookups.visible(card))) {
      facts.push({ cardId, balance: 0, unusable: "not_found" });
      continue;
    }
    let unusable = reasonOf(card, order.now);
    if (!unusable && card.asset !== order.currency) unusable = "currency";
    if (!unusable && !(await lookups.usableAt(card, order.storeId))) unusable = "store_not_allowed";
    const balance = unusable ? 0 : await lookups.balance(card);
    facts.push({ cardId, balance, unusable: unusable ?? (balance === 0 ? "empty" : null) });
  }
  return facts;
}

/**
 * The named cards as payment for an order at `storeId` in `currency`, in the caller's
 * transaction. With `lock` (completing an order) the card rows are locked in id order before
 * their balances are read, as every redemption locks them, so the decision and the
 * redemption see the same balance. Cards the actor may not see answer `not_found` (a member
 * token pays only with its own cards; staff with a card id from a PIN look-up).
 */
export async function paymentCards(
  trx: Tx,
  ledger: Pick<LedgerOps, "balances">,
  actor: Actor,
  ids: readonly string[],
  order: PaymentOrder & { lock: boolean },
): Promise<PaymentCardFacts[]> {
  assertCardCount(ids);
  if (ids.length === 0) return [];
  let query = trx
    .selectFrom("gift_cards")
    .selectAll()
    .where("tenant_id", "=", actor.tenantId)
    .where("id", "in", [...ids])
    .orderBy("id");
  if (order.lock) query = query.forUpdate();
  const rows = new Map(((await query.execute()) as CardRow[]).map((c) => [c.id, c]));
  return decideCards(ids, rows, order, {
    visible: (card) => cardVisible(trx, actor, card),
    usableAt: (card, storeId) => storeInScope(trx, actor.tenantId, card.store_scope, storeId),
    balance: (card) => cardBalance(ledger, card.account_id!),
  });
}

/**
 * The reads `paymentCardsFromRows` needs, as statements for one read-only snapshot of the
 * tenant (`Database.tenantRead`): the named cards with their ledger accounts and the path of
 * the store each was sold at; the paths of the order's store and the caller's unit; the store
 * groups the cards' scopes name. Nothing is locked: a quote decides nothing for good, the
 * order decides again under locks (`paymentCards`). No statement when no card is named.
 */
export function paymentCardsReads(
  actor: Actor,
  ids: readonly string[],
  storeId: string | null,
): ReadStatement[] {
  assertCardCount(ids);
  if (ids.length === 0) return [];
  const named = "c.tenant_id = $1::text and c.id = any($2::text[])";
  return [
    {
      text: `select c.*, to_jsonb(a) as account, s.path as sale_store_path from gift_cards c
         left join ledger_accounts a on a.tenant_id = c.tenant_id and a.id = c.account_id
         left join org_units s on s.tenant_id = c.tenant_id and s.id = c.sale_store_id
       where ${named}`,
      values: [actor.tenantId, [...ids]],
    },
    {
      text: "select id, path from org_units where tenant_id = $1::text and id = any($2::text[])",
      values: [actor.tenantId, [storeId, actor.orgUnitId].filter((id): id is string => id !== null)],
    },
    {
      text: `select g.id, g.store_ids from store_groups g
       where g.tenant_id = $1::text and g.id in (
         select jsonb_array_elements_text(c.store_scope -> 'store_groups') from gift_cards c where ${named})`,
      values: [actor.tenantId, [...ids]],
    },
  ];
}

/**
 * `paymentCards` without a lock over rows `paymentCardsReads(actor, ids, order.storeId)`
 * returned (in that order): the same decision, no database asked. Balances are the posted
 * ones of the committed accounts, as `paymentCards` reads them.
 */
export async function paymentCardsFromRows(
  rows: readonly Record<string, unknown>[][],
  actor: Actor,
  ids: readonly string[],
  order: PaymentOrder,
): Promise<PaymentCardFacts[]> {
  assertCardCount(ids);
  if (ids.length === 0) return [];
  const [cardRows, unitRows, groupRows] = rows as [
    (CardRow & { account: Account | null; sale_store_path: string | null })[],
    { id: string; path: string }[],
    { id: string; store_ids: string[] }[],
  ];
  const cards = new Map(cardRows.map((c) => [c.id, c]));
  const paths = new Map(unitRows.map((u) => [u.id, u.path]));
  const groups = new Map(groupRows.map((g) => [g.id, g.store_ids]));
  const usableAt = (card: CardRow, storeId: string | null) =>
    storeInScopeGiven(card.store_scope, storeId, storeId === null ? null : paths.get(storeId), groups);
  return decideCards(ids, cards, order, {
    visible: (card) =>
      cardVisibleGiven(actor, card, cards.get(card.id)!.sale_store_path, usableAt(card, actor.orgUnitId)),
    usableAt,
    balance: (card) => {
      const account = cards.get(card.id)!.account;
      return account ? balancesOf(account).posted : 0;
    },
  });
}
