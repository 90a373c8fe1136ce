import type { Tx } from "../../db/database.js";
import { tenantZone } from "../../platform/tenants.js";
import {
  type AnyBenefit,
  audienceMatches,
  benefitCatalog,
  benefitTimeCheck,
  type LocalMoment,
  localMoment,
  type MemberFacts,
  type Perk,
  type TierCatalog,
} from "../benefits/index.js";
import { loadMemberFactsAndTiers, type MemberRow } from "../members/index.js";
import { activeEntitlements, type EntitlementFacts } from "./entitlements.js";

/**
 * The benefits a member holds now, as the member center shows them (seed 001 §2.1: each
 * benefit's name, brief, description and icon, for the tiers, groups and tags it names):
 * every active benefit whose audience takes the member, and every one the member holds
 * through a purchase (a package period, a top-up's bonus benefits) — the two ways the
 * checkout lets a benefit price an order. A deactivated benefit is gone at once.
 */
export interface HeldBenefit {
  benefit: AnyBenefit;
  /** Through a purchase: the entitlement lasting longest; null: the audience rule takes the member. */
  entitlement: EntitlementFacts | null;
  /** Whether its calendar (member day, birthday, a multiplier's window) is open at this moment. */
  inEffect: boolean;
  /** A member day's or birthday's tier perks that reach this member. */
  perks: Perk[];
}

export async function heldBenefits(
  trx: Tx,
  tenantId: string,
  member: MemberRow,
  now: Date,
): Promise<HeldBenefit[]> {
  // A closed account holds nothing, as the checkout prices nothing for it.
  if (member.status === "closed") return [];
  // One after another: they share the transaction's one connection, which takes one query at
  // a time (node-postgres queues the rest, and is to refuse them).
  const catalog = await benefitCatalog.active(trx, tenantId);
  const loaded = await loadMemberFactsAndTiers(trx, tenantId, member.id);
  const entitlements = await activeEntitlements(trx, tenantId, member.id, now);
  const zone = await tenantZone(trx, tenantId);
  if (!loaded) return [];
  const { facts, tiers } = loaded;
  const bought = new Map<string, EntitlementFacts>();
  for (const e of entitlements) {
    const held = bought.get(e.benefitId);
    if (!held || held.validUntil.getTime() < e.validUntil.getTime()) bought.set(e.benefitId, e);
  }
  const moment = localMoment(now, zone);
  const out: HeldBenefit[] = [];
  for (const benefit of catalog) {
    const byAudience = audienceMatches(benefit.audience, facts, tiers);
    const entitlement = byAudience ? null : (bought.get(benefit.id) ?? null);
    if (!byAudience && !entitlement) continue;
    out.push({
      benefit,
      entitlement,
      inEffect: inEffectAt(benefit, facts, moment, now),
      perks: perksFor(benefit, facts, tiers),
    });
  }
  return out.sort((a, b) => (a.benefit.id < b.benefit.id ? -1 : a.benefit.id > b.benefit.id ? 1 : 0));
}

function inEffectAt(benefit: AnyBenefit, member: MemberFacts, moment: LocalMoment, now: Date): boolean {
  return benefitTimeCheck(benefit, member.birthday, now, moment) === null;
}

function perksFor(benefit: AnyBenefit, member: MemberFacts, tiers: TierCatalog): Perk[] {
  if (benefit.kind !== "member_day" && benefit.kind !== "birthday") return [];
  return (benefit.config.perks ?? []).filter((perk) => audienceMatches(perk.audience, member, tiers));
}
