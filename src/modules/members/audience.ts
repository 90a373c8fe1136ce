import { type Static, Type } from "typebox";
import type { Tx } from "../../db/database.js";
import { Obj } from "../../platform/http/schemas.js";
import { MembersError } from "./members.errors.js";

/** At most this many codes in one list of a rule (DESIGN principle 6). */
export const MAX_AUDIENCE_ENTRIES = 100;

const Code = Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_.-]+$" });
const Codes = Type.Array(Code, { maxItems: MAX_AUDIENCE_ENTRIES, uniqueItems: true });

/**
 * Who something applies to: "applicable card plans / tiers", "user scope". Every dimension
 * that is given must match (any one of its entries: OR within, AND across); `min_tier` is
 * "that tier and above" within the tier's own card plan; `exclude` then removes members
 * matching any of its entries. An empty rule reaches every member; no member, no match.
 * Entries are codes (card plan, tier, group and tag codes are unique per tenant).
 */
export const AudienceRule = Obj(
  {
    card_plans: Type.Optional(Codes),
    tiers: Type.Optional(Codes),
    min_tier: Type.Optional(Code),
    groups: Type.Optional(Codes),
    tags: Type.Optional(Codes),
    student: Type.Optional(Type.Boolean()),
    exclude: Type.Optional(
      Obj({
        card_plans: Type.Optional(Codes),
        tiers: Type.Optional(Codes),
        groups: Type.Optional(Codes),
        tags: Type.Optional(Codes),
        student: Type.Optional(Type.Boolean()),
      }),
    ),
  },
  {
    $id: "AudienceRule",
    description:
      "Any of card plans, tiers (exact, or min_tier = that tier and above), groups, tags, student status; with exclusions",
    examples: [{ min_tier: "silver", exclude: { tags: ["blacklist"] } }],
  },
);
export type AudienceRule = Static<typeof AudienceRule>;

/** What a rule looks at: a member's plan, tier, groups and tags, all as codes. */
export interface MemberFacts {
  id: string;
  status: "active" | "frozen" | "closed";
  cardPlan: string | null;
  tier: string | null;
  groups: readonly string[];
  tags: readonly string[];
  student: boolean;
  /** `MM-DD` or `YYYY-MM-DD`. */
  birthday: string | null;
}

/** Tier code → its card plan's code and its rank in that plan (Silver 1 < Gold 2 < Platinum 3). */
export type TierCatalog = ReadonlyMap<string, { plan: string; rank: number }>;

const anyOf = (wanted: readonly string[] | undefined, have: readonly string[]) =>
  wanted === undefined || wanted.length === 0 || wanted.some((w) => have.includes(w));
const hitsAny = (listed: readonly string[] | undefined, have: readonly string[]) =>
  listed?.some((w) => have.includes(w)) === true;
/** `anyOf` / `hitsAny` for a member's one plan or tier (null: none); checked per benefit per quote. */
const anyOfOne = (wanted: readonly string[] | undefined, have: string | null) =>
  wanted === undefined || wanted.length === 0 || (have !== null && wanted.includes(have));
const hitsOne = (listed: readonly string[] | undefined, have: string | null) =>
  have !== null && listed?.includes(have) === true;

/** Whether `member` is in the audience of `rule`. Pure: load facts and catalog first. */
export function audienceMatches(rule: AudienceRule, member: MemberFacts | null, tiers: TierCatalog): boolean {
  if (!member) return false;
  const plan = member.cardPlan || null;
  const tier = member.tier || null;
  if (!anyOfOne(rule.card_plans, plan)) return false;
  if (!anyOfOne(rule.tiers, tier)) return false;
  if (rule.min_tier !== undefined) {
    const need = tiers.get(rule.min_tier);
    const have = member.tier ? tiers.get(member.tier) : undefined;
    if (!need || !have || have.plan !== need.plan || have.rank < need.rank) return false;
  }
  if (!anyOf(rule.groups, member.groups)) return false;
  if (!anyOf(rule.tags, member.tags)) return false;
  if (rule.student !== undefined && rule.student !== member.student) return false;
  const ex = rule.exclude;
  if (ex) {
    if (hitsOne(ex.card_plans, plan) || hitsOne(ex.tiers, tier)) return false;
    if (hitsAny(ex.groups, member.groups) || hitsAny(ex.tags, member.tags)) return false;
    if (ex.student !== undefined && ex.student === member.student) return false;
  }
  return true;
}

/** Tier ranks from a catalog already loaded (`loadCatalog`): no further read. */
export function tierCatalogOf(catalog: {
  plans: ReadonlyMap<string, { code: string }>;
  tiers: ReadonlyMap<string, { code: string; rank: number; card_plan_id: string }>;
}): TierCatalog {
  const result = new Map<string, { plan: string; rank: number }>();
  for (const tier of catalog.tiers.values()) {
    const plan = catalog.plans.get(tier.card_plan_id);
    if (plan) result.set(tier.code, { plan: plan.code, rank: tier.rank });
  }
  return result;
}

export async function loadTierCatalog(trx: Tx, tenantId: string): Promise<TierCatalog> {
  const rows = await trx
    .selectFrom("card_tiers")
    .innerJoin("card_plans", (j) =>
      j
        .onRef("card_plans.tenant_id", "=", "card_tiers.tenant_id")
        .onRef("card_plans.id", "=", "card_tiers.card_plan_id"),
    )
    .select(["card_tiers.code as tier", "card_plans.code as plan", "card_tiers.rank"])
    .where("card_tiers.tenant_id", "=", tenantId)
    .execute();
  return new Map(rows.map((r) => [r.tier, { plan: r.plan, rank: r.rank }]));
}

/**
 * Refuses a rule that names a code the tenant does not have (a typo would otherwise
 * silently reach nobody). Modules call this when they store a rule.
 */
export async function validateAudienceRule(trx: Tx, tenantId: string, rule: AudienceRule): Promise<void> {
  const ex = rule.exclude ?? {};
  const check = async (
    table: "card_plans" | "card_tiers" | "member_groups" | "member_tags",
    field: string,
    codes: readonly string[],
  ) => {
    if (codes.length === 0) return;
    const found = await trx
      .selectFrom(table)
      .select("code")
      .where("tenant_id", "=", tenantId)
      .where("code", "in", [...codes])
      .execute();
    const known = new Set(found.map((r) => r.code));
    const missing = codes.filter((c) => !known.has(c));
    if (missing.length > 0) {
      throw new MembersError("validation_failed", `Unknown ${field} code(s): ${missing.join(", ")}`, {
        errors: [{ field: `/audience/${field}`, message: `unknown: ${missing.join(", ")}` }],
      });
    }
  };
  await check("card_plans", "card_plans", [...(rule.card_plans ?? []), ...(ex.card_plans ?? [])]);
  await check("card_tiers", "tiers", [
    ...(rule.tiers ?? []),
    ...(ex.tiers ?? []),
    ...(rule.min_tier ? [rule.min_tier] : []),
  ]);
  await check("member_groups", "groups", [...(rule.groups ?? []), ...(ex.groups ?? [])]);
  await check("member_tags", "tags", [...(rule.tags ?? []), ...(ex.tags ?? [])]);
}

/**
 * The card plans whose members a rule can reach, with their validity: every plan, narrowed
 * by `card_plans`, by the plans of `tiers` and `min_tier`, less `exclude.card_plans`. Groups,
 * tags and student status do not narrow it (any plan's member may carry them).
 */
export async function plansReached(
  trx: Tx,
  tenantId: string,
  rule: AudienceRule,
): Promise<{ code: string; validity: "permanent" | "relative" }[]> {
  const plans = await trx
    .selectFrom("card_plans")
    .select(["id", "code", "validity_kind"])
    .where("tenant_id", "=", tenantId)
    .orderBy("code")
    .execute();
  const tierCodes = [...(rule.tiers ?? []), ...(rule.min_tier ? [rule.min_tier] : [])];
  const tierPlans =
    tierCodes.length === 0
      ? null
      : new Set(
          (
            await trx
              .selectFrom("card_tiers")
              .select("card_plan_id")
              .where("tenant_id", "=", tenantId)
              .where("code", "in", tierCodes)
              .execute()
          ).map((t) => t.card_plan_id),
        );
  const named = rule.card_plans?.length ? new Set(rule.card_plans) : null;
  const excluded = new Set(rule.exclude?.card_plans ?? []);
  return plans
    .filter((p) => (named === null || named.has(p.code)) && (tierPlans === null || tierPlans.has(p.id)))
    .filter((p) => !excluded.has(p.code))
    .map((p) => ({ code: p.code, validity: p.validity_kind }));
}
