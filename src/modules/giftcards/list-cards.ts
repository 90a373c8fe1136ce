import { type QueryCreator, type SelectQueryBuilder, sql } from "kysely";
import type { Tx } from "../../db/database.js";
import type { DB } from "../../db/schema.js";
import { actorLabelOf } from "../../platform/audit/audit.js";
import { type Actor, systemActor } from "../../platform/auth/actor.js";
import type { ProviderRefundLog } from "../../platform/http/record-refund.js";
import { subtreePattern } from "../../platform/org/org-units.js";
import { phoneAsKept } from "../../shared/phone.js";
import { cardVisible } from "./card-access.js";
import type {
  ActivityRow,
  ActivityType,
  CardRow,
  CardStatus,
  CardType,
  SaleChannel,
} from "./giftcards.repository.js";

/**
 * A card with its ledger balance (0 before it is sold) and, sold online, the provider refunds
 * heard for its payment (none when absent).
 */
export type CardListRow = CardRow & {
  balance: number;
  provider_refunds?: (ProviderRefundLog & { shortfall?: number }) | null;
};

export interface CardFilters {
  number?: string;
  buyer_phone?: string;
  plan_id?: string;
  card_type?: CardType;
  status?: CardStatus;
  store_id?: string;
  channel?: SaleChannel;
  holder_member_id?: string;
  /** Cards a member holds or bought (the member-facing list). */
  member_id?: string;
  sold_from?: string;
  sold_to?: string;
  expires_from?: string;
  expires_to?: string;
  import_job_id?: string;
}

/**
 * What an actor's lists are confined to (null: the whole tenant): a member token to the cards
 * it holds or bought (`c` is the card); staff bound to an org unit to rows whose store
 * (`storeColumn`: where the card was sold, or where the activity happened) is in its subtree.
 */
function visibleTo(actor: Actor, storeColumn: "c.sale_store_id" | "t.store_id") {
  if (actor.type === "member") {
    const me = actor.memberId ?? "";
    return sql<boolean>`(c.holder_member_id = ${me} or c.buyer_member_id = ${me})`;
  }
  if (!actor.orgUnitPath) return null;
  return sql<boolean>`exists (select 1 from org_units o where o.tenant_id = c.tenant_id
    and o.id = ${sql.ref(storeColumn)} and o.path like ${subtreePattern(actor.orgUnitPath)})`;
}

type CardQuery = SelectQueryBuilder<DB & { c: DB["gift_cards"] }, "c", CardListRow>;

/**
 * Cards with balances, filtered. Staff bound to an org unit see the cards sold in their
 * subtree; a member token only the cards it holds or bought.
 */
export function cardQuery(qc: QueryCreator<DB>, actor: Actor, filters: CardFilters): CardQuery {
  let query = qc
    .selectFrom("gift_cards as c")
    .leftJoin("ledger_accounts as a", (j) =>
      j.onRef("a.tenant_id", "=", "c.tenant_id").onRef("a.id", "=", "c.account_id"),
    )
    // A card has at most one online payment (unique per card).
    .leftJoin("gift_card_payments as gp", (j) =>
      j.onRef("gp.tenant_id", "=", "c.tenant_id").onRef("gp.card_id", "=", "c.id"),
    )
    .selectAll("c")
    .select(sql<number>`coalesce(a.credits_posted - a.debits_posted, 0)`.as("balance"))
    .select("gp.provider_refunds")
    .where("c.tenant_id", "=", actor.tenantId) as unknown as CardQuery;
  const visible = visibleTo(actor, "c.sale_store_id");
  if (visible) query = query.where(visible);
  const f = filters;
  if (f.number) query = query.where("c.number", "=", f.number);
  if (f.buyer_phone) query = query.where("c.buyer_phone", "=", phoneAsKept(f.buyer_phone));
  if (f.plan_id) query = query.where("c.plan_id", "=", f.plan_id);
  if (f.card_type) query = query.where("c.card_type", "=", f.card_type);
  if (f.status) query = query.where("c.status", "=", f.status);
  if (f.store_id) query = query.where("c.sale_store_id", "=", f.store_id);
  if (f.channel) query = query.where("c.sale_channel", "=", f.channel);
  if (f.holder_member_id) query = query.where("c.holder_member_id", "=", f.holder_member_id);
  if (f.member_id) {
    const m = f.member_id;
    query = query.where((eb) => eb.or([eb("c.holder_member_id", "=", m), eb("c.buyer_member_id", "=", m)]));
  }
  if (f.sold_from) query = query.where("c.sold_at", ">=", new Date(f.sold_from));
  if (f.sold_to) query = query.where("c.sold_at", "<", new Date(f.sold_to));
  if (f.expires_from) query = query.where("c.expires_at", ">=", new Date(f.expires_from));
  if (f.expires_to) query = query.where("c.expires_at", "<", new Date(f.expires_to));
  if (f.import_job_id) query = query.where("c.import_job_id", "=", f.import_job_id);
  return query;
}

/** A page of `cardQuery`, in id order. */
export function cardPageQuery(
  qc: QueryCreator<DB>,
  actor: Actor,
  filters: CardFilters,
  page: { limit: number; startingAfter?: string },
) {
  let query = cardQuery(qc, actor, filters).orderBy("c.id").limit(page.limit);
  if (page.startingAfter) query = query.where("c.id", ">", page.startingAfter);
  return query;
}

/**
 * Whether `listCards` may look beyond the page when it is empty (a scoped till looking a card
 * up by its number): if not, the page is the whole answer.
 */
export function listMayFindUsableCard(
  actor: Actor,
  filters: CardFilters,
  page: { startingAfter?: string },
): boolean {
  return Boolean(filters.number && actor.type !== "member" && actor.orgUnitPath && !page.startingAfter);
}

export async function listCards(
  trx: Tx,
  actor: Actor,
  filters: CardFilters,
  page: { limit: number; startingAfter?: string },
): Promise<CardListRow[]> {
  const rows = (await cardPageQuery(trx, actor, filters, page).execute()) as CardListRow[];
  if (rows.length > 0 || !listMayFindUsableCard(actor, filters, page)) return rows;
  // A till may redeem a card sold elsewhere that may be used at its store, and reach it by
  // id: looked up by its exact number, such a card is found too (the list itself stays the
  // cards sold in the subtree, which a scope of JSON cannot filter in SQL).
  const sameNumber = (await cardQuery(trx, systemActor(actor.tenantId, "giftcards.read"), filters)
    .orderBy("c.id")
    .limit(1)
    .executeTakeFirst()) as CardListRow | undefined;
  return sameNumber && (await cardVisible(trx, actor, sameNumber)) ? [sameNumber] : [];
}

/** One card with its balance, whoever may see it (callers check access). */
export async function readCard(trx: Tx, tenantId: string, id: string): Promise<CardListRow | undefined> {
  return (await cardByIdQuery(trx, tenantId, id).executeTakeFirst()) as CardListRow | undefined;
}

/** What `readCard` reads, as a query for a transaction or for `Database.tenantQuery`. */
export function cardByIdQuery(qc: QueryCreator<DB>, tenantId: string, id: string) {
  return cardQuery(qc, systemActor(tenantId, "giftcards.read"), {}).where("c.id", "=", id);
}

export type ActivityListRow = ActivityRow & {
  card_number: string;
  plan_id: string;
  /** The operator by name, read for staff and exports only: a member is not shown staff emails. */
  operator_label?: string | null;
};

export interface ActivityFilters {
  card_id?: string;
  card_number?: string;
  plan_id?: string;
  type?: ActivityType[];
  store_id?: string;
  channel?: SaleChannel;
  operator_id?: string;
  reference_id?: string;
  payment_method?: string;
  created_from?: string;
  created_to?: string;
}

type ActivityQuery = SelectQueryBuilder<
  DB & { t: DB["gift_card_activities"]; c: DB["gift_cards"] },
  "t" | "c",
  ActivityListRow
>;

/**
 * The transaction record: every activity with its card's number and plan. Staff bound to an
 * org unit see the activities at stores of their subtree, a member token those of its cards;
 * `scoped: false` when the caller has already checked access to the one card it lists.
 */
export function activityQuery(
  qc: QueryCreator<DB>,
  actor: Actor,
  filters: ActivityFilters,
  scoped = true,
): ActivityQuery {
  let query = qc
    .selectFrom("gift_card_activities as t")
    .innerJoin("gift_cards as c", (j) =>
      j.onRef("c.tenant_id", "=", "t.tenant_id").onRef("c.id", "=", "t.card_id"),
    )
    .selectAll("t")
    .select(["c.number as card_number", "c.plan_id as plan_id"])
    .$if(actor.type !== "member", (qb) =>
      qb.select(actorLabelOf("t", "operator_type", "operator_id").as("operator_label")),
    )
    .where("t.tenant_id", "=", actor.tenantId) as unknown as ActivityQuery;
  const visible = scoped ? visibleTo(actor, "t.store_id") : null;
  if (visible) query = query.where(visible);
  const f = filters;
  if (f.card_id) query = query.where("t.card_id", "=", f.card_id);
  if (f.card_number) query = query.where("c.number", "=", f.card_number);
  if (f.plan_id) query = query.where("c.plan_id", "=", f.plan_id);
  if (f.type?.length) query = query.where("t.type", "in", f.type);
  if (f.store_id) query = query.where("t.store_id", "=", f.store_id);
  if (f.channel) query = query.where("t.channel", "=", f.channel);
  if (f.operator_id) query = query.where("t.operator_id", "=", f.operator_id);
  if (f.reference_id) query = query.where("t.reference_id", "=", f.reference_id);
  if (f.payment_method) query = query.where("t.payment_method", "=", f.payment_method as never);
  if (f.created_from) query = query.where("t.created_at", ">=", new Date(f.created_from));
  if (f.created_to) query = query.where("t.created_at", "<", new Date(f.created_to));
  return query;
}

export async function listActivities(
  trx: Tx,
  actor: Actor,
  filters: ActivityFilters,
  page: { limit: number; startingAfter?: string },
  scoped = true,
): Promise<ActivityListRow[]> {
  return (await activityPageQuery(trx, actor, filters, page, scoped).execute()) as ActivityListRow[];
}

/** A page of `activityQuery`, in id order. */
export function activityPageQuery(
  qc: QueryCreator<DB>,
  actor: Actor,
  filters: ActivityFilters,
  page: { limit: number; startingAfter?: string },
  scoped = true,
) {
  let query = activityQuery(qc, actor, filters, scoped).orderBy("t.id").limit(page.limit);
  if (page.startingAfter) query = query.where("t.id", ">", page.startingAfter);
  return query;
}
