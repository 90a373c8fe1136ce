import { type QueryCreator, sql } from "kysely";
import type { DB } from "../../db/schema.js";
import type { Actor } from "../../platform/auth/actor.js";
import { escapeLike, subtreePattern } from "../../platform/org/org-units.js";
import { normalizePhone, PHONE_TYPED } from "../../shared/phone.js";
import { type BalanceSort, balanceOf, MEMBER_ID } from "./member-balances.js";
import { MembersError } from "./members.errors.js";
import { type Catalog, findByCode, type MemberRow, type MemberStatus } from "./members.repository.js";

export interface MemberFilter {
  /** Prefix of name, phone, email, card number or external reference. */
  q?: string;
  name?: string;
  phone?: string;
  card_plan?: string;
  tier?: string;
  /** Tier code: that tier and above in its plan. */
  min_tier?: string;
  group?: string;
  tag?: string;
  status?: MemberStatus;
  registered_from?: string;
  registered_to?: string;
  starting_after?: string;
  /** Minor units of the balance asset, inclusive. */
  balance_min?: number;
  balance_max?: number;
  /** Default: id order. By balance, ties broken by id (so the cursor stays exact). */
  sort?: BalanceSort;
}

/** A member row with its balance parts (minor units, posted). */
export type ListedMember = MemberRow & { balance_principal: number; balance_bonus: number };

/** Whether the filter names card plans, tiers, groups or tags, which the catalog turns into ids. */
export function filterNeedsCatalog(filter: MemberFilter): boolean {
  return Boolean(filter.card_plan || filter.tier || filter.min_tier || filter.group || filter.tag);
}

/**
 * The query of the members matching every given filter, in id order (cursor), at most `limit`
 * (+1 to tell has_more); `catalog` is needed only when `filterNeedsCatalog`. A cursor of a
 * list sorted by balance must be a member the caller can list: `listableQuery` says so.
 */
export function searchMembersQuery(
  qc: QueryCreator<DB>,
  actor: Actor,
  catalog: Catalog | undefined,
  filter: MemberFilter,
  limit: number,
) {
  const tenantId = actor.tenantId;
  const catalogOfFilter = () => {
    if (!catalog) throw new Error("a member filter by code needs the catalog");
    return catalog;
  };
  let query = qc.selectFrom("members").selectAll("members").where("members.tenant_id", "=", tenantId);
  if (actor.orgUnitPath) {
    query = query
      .innerJoin("org_units", (j) =>
        j
          .onRef("org_units.tenant_id", "=", "members.tenant_id")
          .onRef("org_units.id", "=", "members.org_unit_id"),
      )
      .where("org_units.path", "like", subtreePattern(actor.orgUnitPath));
  }
  const none = () => query.where(sql<boolean>`false`);
  if (filter.q) {
    const p = `${escapeLike(filter.q)}%`;
    // Phones are kept without spaces and dashes: a typed "138 0000" looks for "1380000…".
    const phonePrefix = PHONE_TYPED.test(filter.q) ? `${escapeLike(normalizePhone(filter.q))}%` : p;
    query = query.where((eb) =>
      eb.or([
        eb("members.name", "ilike", p),
        eb("members.phone", "like", phonePrefix),
        eb("members.email", "ilike", p),
        eb("members.card_number", "like", p),
        eb("members.external_ref", "like", p),
      ]),
    );
  }
  if (filter.name) query = query.where("members.name", "ilike", `%${escapeLike(filter.name)}%`);
  if (filter.phone) query = query.where("members.phone", "=", normalizePhone(filter.phone));
  if (filter.card_plan) {
    const plan = findByCode(catalogOfFilter().plans, filter.card_plan);
    query = plan ? query.where("members.card_plan_id", "=", plan.id) : none();
  }
  if (filter.tier) {
    const tier = findByCode(catalogOfFilter().tiers, filter.tier);
    query = tier ? query.where("members.tier_id", "=", tier.id) : none();
  }
  if (filter.min_tier) {
    const tier = findByCode(catalogOfFilter().tiers, filter.min_tier);
    if (!tier) query = none();
    else {
      const ids = [...catalogOfFilter().tiers.values()]
        .filter((t) => t.card_plan_id === tier.card_plan_id && t.rank >= tier.rank)
        .map((t) => t.id);
      query = query.where("members.tier_id", "in", ids);
    }
  }
  if (filter.group) {
    const group = findByCode(catalogOfFilter().groups, filter.group);
    query = group ? query.where(sql<boolean>`members.group_ids @> array[${group.id}]::text[]`) : none();
  }
  if (filter.tag) {
    const tag = findByCode(catalogOfFilter().tags, filter.tag);
    query = tag ? query.where(sql<boolean>`members.tag_ids @> array[${tag.id}]::text[]`) : none();
  }
  if (filter.status) query = query.where("members.status", "=", filter.status);
  if (filter.registered_from)
    query = query.where("members.registered_at", ">=", new Date(filter.registered_from));
  if (filter.registered_to) query = query.where("members.registered_at", "<", new Date(filter.registered_to));
  // Instants, not texts: the two ends may carry different offsets.
  if (
    filter.registered_from &&
    filter.registered_to &&
    Date.parse(filter.registered_from) > Date.parse(filter.registered_to)
  ) {
    throw new MembersError("validation_failed", "registered_from must not be after registered_to");
  }
  if (
    filter.balance_min !== undefined &&
    filter.balance_max !== undefined &&
    filter.balance_min > filter.balance_max
  ) {
    throw new MembersError("validation_failed", "balance_min must not be above balance_max", {
      errors: [{ field: "/querystring/balance_min", message: "is above balance_max" }],
    });
  }
  const balance = balanceOf("total", MEMBER_ID);
  if (filter.balance_min !== undefined)
    query = query.where(sql<boolean>`${balance} >= ${filter.balance_min}`);
  if (filter.balance_max !== undefined)
    query = query.where(sql<boolean>`${balance} <= ${filter.balance_max}`);
  const withBalances = query.select([
    balanceOf("principal", MEMBER_ID).as("balance_principal"),
    balanceOf("bonus", MEMBER_ID).as("balance_bonus"),
  ]);
  if (!filter.sort) {
    const paged = filter.starting_after
      ? withBalances.where("members.id", ">", filter.starting_after)
      : withBalances;
    return paged
      .orderBy("members.id")
      .limit(limit + 1)
      .$castTo<ListedMember>();
  }
  // (balance, id) keyset: the cursor member's balance is read as it is now, like its id.
  const desc = filter.sort === "balance_desc";
  const after = filter.starting_after;
  const paged = after
    ? withBalances.where(
        sql<boolean>`(${balance}, members.id) ${sql.raw(desc ? "<" : ">")} (${balanceOf("total", after)}, ${after})`,
      )
    : withBalances;
  return paged
    .orderBy(balance, desc ? "desc" : "asc")
    .orderBy("members.id", desc ? "desc" : "asc")
    .limit(limit + 1)
    .$castTo<ListedMember>();
}

/**
 * The page of a list sorted by balance answers whose balance lies beyond the cursor's: a
 * cursor the caller could not list would tell it that member's balance. Refuses one that
 * `listableQuery` did not find.
 */
export function assertListableCursor(filter: MemberFilter, listed: readonly unknown[] | undefined): void {
  if (filter.sort && filter.starting_after !== undefined && listed?.length === 0) {
    throw new MembersError("validation_failed", "starting_after must be a member of this list", {
      errors: [{ field: "/querystring/starting_after", message: "is not a member you can list" }],
    });
  }
}

/** The member, if it exists and lies in the actor's scope (as the list itself scopes members). */
export function listableQuery(qc: QueryCreator<DB>, actor: Actor, memberId: string) {
  let query = qc
    .selectFrom("members")
    .select("members.id")
    .where("members.tenant_id", "=", actor.tenantId)
    .where("members.id", "=", memberId);
  if (actor.orgUnitPath) {
    query = query
      .innerJoin("org_units", (j) =>
        j
          .onRef("org_units.tenant_id", "=", "members.tenant_id")
          .onRef("org_units.id", "=", "members.org_unit_id"),
      )
      .where("org_units.path", "like", subtreePattern(actor.orgUnitPath));
  }
  return query;
}
