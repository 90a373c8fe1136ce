import type { Tx } from "../../db/database.js";
import { findBenefit } from "../benefits/index.js";
import { PERK_BENEFIT_KIND, type Perk, perkApplies, type SalesRule } from "./package-config.js";
import type { PackageRow } from "./packages.repository.js";
import type { ValidityMode } from "./validity.js";

/** A perk as a period keeps it: the benefit it named as it was when sold. */
export type SnapshotPerk = Perk & { benefit_name?: string; extension_days?: number };

/**
 * The package as sold for one period ("mid-term changes do not affect existing benefits"):
 * the rule, the perks that came with that rule, the refund restriction and the validity
 * mode. Later edits of the plan change only later sales.
 */
export interface PeriodSnapshot {
  package: { id: string; name: string; version: number; currency: string; refund_restriction: boolean };
  rule: SalesRule;
  validity_mode: ValidityMode;
  perks: SnapshotPerk[];
}

export async function buildSnapshot(
  trx: Tx,
  pkg: PackageRow,
  rule: SalesRule,
  validityMode: ValidityMode,
): Promise<PeriodSnapshot> {
  const perks: SnapshotPerk[] = [];
  for (const perk of pkg.perks) {
    if (!perkApplies(perk, rule.key)) continue;
    if (perk.type in PERK_BENEFIT_KIND && "benefit_id" in perk) {
      const benefit = await findBenefit(trx, pkg.tenant_id, perk.benefit_id);
      perks.push({
        ...perk,
        benefit_name: benefit.name,
        ...(benefit.kind === "card_extension"
          ? { extension_days: (benefit.config as { extension_days: number }).extension_days }
          : {}),
      });
    } else {
      perks.push(perk);
    }
  }
  return {
    package: {
      id: pkg.id,
      name: pkg.name,
      version: pkg.version,
      currency: pkg.currency,
      refund_restriction: pkg.refund_restriction,
    },
    rule,
    validity_mode: validityMode,
    perks,
  };
}
