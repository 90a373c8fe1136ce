import type { EntitlementFacts } from "../catalog/index.js";

/** Why a member may have a benefit: its audience rule, or an entitlement (what gave it, until when). */
export type BenefitSource =
  | { kind: "audience" }
  | { kind: "entitlement"; sourceType: string; sourceId: string; sourceName: string; validUntil: Date };

export const AUDIENCE: BenefitSource = Object.freeze({ kind: "audience" });

/** The entitlement in force at `at` per benefit (the one lasting longest when several are). */
export function entitlementsAt(
  list: readonly EntitlementFacts[] | undefined,
  at: Date,
): Map<string, BenefitSource> {
  const out = new Map<string, BenefitSource & { kind: "entitlement" }>();
  if (!list) return out;
  const t = at.getTime();
  for (const e of list) {
    if (e.validFrom.getTime() > t || e.validUntil.getTime() <= t) continue;
    const held = out.get(e.benefitId);
    if (held && held.validUntil.getTime() >= e.validUntil.getTime()) continue;
    out.set(e.benefitId, {
      kind: "entitlement",
      sourceType: e.sourceType,
      sourceId: e.sourceId,
      sourceName: e.sourceName,
      validUntil: e.validUntil,
    });
  }
  return out;
}
