import type { AudienceRule } from "./benefit-types.js";

/**
 * What the benefit rules know about a member. The members module owns these facts and the
 * audience rule (issue 5); this mirrors its public shape until its index.ts lands, and is
 * then replaced by a re-export.
 */
export interface MemberFacts {
  id: string;
  status?: "active" | "frozen" | "closed";
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

/**
 * Every given dimension must match (any of its entries); `min_tier` is "that tier and above"
 * within the tier's plan; `exclude` removes members matching any excluded entry. No member,
 * no match.
 */
export function audienceMatches(rule: AudienceRule, member: MemberFacts | null, tiers: TierCatalog): boolean {
  if (!member) return false;
  const tier = member.tier ? [member.tier] : [];
  if (!anyOf(rule.card_plans, member.cardPlan ? [member.cardPlan] : [])) return false;
  if (!anyOf(rule.tiers, tier)) return false;
  if (rule.min_tier !== undefined) {
    const need = tiers.get(rule.min_tier);
    const have = member.tier ? tiers.get(member.tier) : undefined;
    if (!need || !have || have.plan !== need.plan || have.rank < need.rank) return false;
  }
  if (!anyOf(rule.groups, member.groups) || !anyOf(rule.tags, member.tags)) return false;
  if (rule.student !== undefined && rule.student !== member.student) return false;
  const ex = rule.exclude;
  if (ex && (ex.tiers?.some((t) => tier.includes(t)) || ex.groups?.some((g) => member.groups.includes(g)))) {
    return false;
  }
  if (ex?.tags?.some((t) => member.tags.includes(t))) return false;
  return true;
}
