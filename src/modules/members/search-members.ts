import { sql } from "kysely";
import type { Tx } from "../../db/database.js";
import type { Actor } from "../../platform/auth/actor.js";
import { escapeLike, subtreePattern } from "../../platform/org/org-units.js";
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
}

/** Members matching every given filter, in id order (cursor), at most `limit` (+1 to tell has_more). */
export async function searchMembers(
  trx: Tx,
  actor: Actor,
  catalog: Catalog,
  filter: MemberFilter,
  limit: number,
): Promise<MemberRow[]> {
  const tenantId = actor.tenantId;
  let query = trx.selectFrom("members").selectAll("members").where("members.tenant_id", "=", tenantId);
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
    query = query.where((eb) =>
      eb.or([
        eb("members.name", "ilike", p),
        eb("members.phone", "like", p),
        eb("members.email", "ilike", p),
        eb("members.card_number", "like", p),
        eb("members.external_ref", "like", p),
      ]),
    );
  }
  if (filter.name) query = query.where("members.name", "ilike", `%${escapeLike(filter.name)}%`);
  if (filter.phone) query = query.where("members.phone", "=", filter.phone);
  if (filter.card_plan) {
    const plan = findByCode(catalog.plans, filter.card_plan);
    query = plan ? query.where("members.card_plan_id", "=", plan.id) : none();
  }
  if (filter.tier) {
    const tier = findByCode(catalog.tiers, filter.tier);
    query = tier ? query.where("members.tier_id", "=", tier.id) : none();
  }
  if (filter.min_tier) {
    const tier = findByCode(catalog.tiers, filter.min_tier);
    if (!tier) query = none();
    else {
      const ids = [...catalog.tiers.values()]
        .filter((t) => t.card_plan_id === tier.card_plan_id && t.rank >= tier.rank)
        .map((t) => t.id);
      query = query.where("members.tier_id", "in", ids);
    }
  }
  if (filter.group) {
    const group = findByCode(catalog.groups, filter.group);
    query = group ? query.where(sql<boolean>`members.group_ids @> array[${group.id}]::text[]`) : none();
  }
  if (filter.tag) {
    const tag = findByCode(catalog.tags, filter.tag);
    query = tag ? query.where(sql<boolean>`members.tag_ids @> array[${tag.id}]::text[]`) : none();
  }
  if (filter.status) query = query.where("members.status", "=", filter.status);
  if (filter.registered_from)
    query = query.where("members.registered_at", ">=", new Date(filter.registered_from));
  if (filter.registered_to) query = query.where("members.registered_at", "<", new Date(filter.registered_to));
  if (filter.registered_from && filter.registered_to && filter.registered_from > filter.registered_to) {
    throw new MembersError("validation_failed", "registered_from must not be after registered_to");
  }
  if (filter.starting_after) query = query.where("members.id", ">", filter.starting_after);
  return query
    .orderBy("members.id")
    .limit(limit + 1)
    .execute() as Promise<MemberRow[]>;
}
