import type { Tx } from "../../db/database.js";
import type { Actor } from "../../platform/auth/actor.js";
import { audienceMatches, type Channel } from "../benefits/index.js";
import { closedReason, storeInScope } from "../catalog/index.js";
import { findVisibleMember, loadMemberFactsAndTiers } from "../members/index.js";
import { MAX_ACTIVE_PACKAGES } from "./package-config.js";
import { activePackages, type PackageRow, purchaseHistory } from "./packages.repository.js";
import { tenantZone } from "./prepare-sale.js";
import { priceFor, type RulePrice, type Situation, situationOf } from "./pricing.js";

export interface Offer {
  pkg: PackageRow;
  situation: Situation;
  heldUntil: Date | null;
  rules: { key: string; durationDays: number; price: RulePrice }[];
}

/**
 * What a member can buy now: active packages whose user scope admits them, open now (purchase
 * period and hours), sold on `channel` and at `storeId` when given — each rule with the price
 * it would charge this member and every candidate price with why it does or does not apply.
 * Computed over every active package (at most MAX_ACTIVE_PACKAGES), in id order.
 */
export async function listPackageOffers(
  trx: Tx,
  actor: Actor,
  memberId: string,
  filter: { channel?: Channel; storeId?: string | null },
  now: Date,
): Promise<Offer[]> {
  await findVisibleMember(trx, actor, memberId);
  const tenantId = actor.tenantId;
  const timezone = await tenantZone(trx, tenantId);
  const member = await loadMemberFactsAndTiers(trx, tenantId, memberId);
  const offers: Offer[] = [];
  for (const pkg of await activePackages(trx, tenantId, MAX_ACTIVE_PACKAGES)) {
    if (filter.channel && !pkg.channels.includes(filter.channel)) continue;
    if (closedReason(pkg.availability, now, timezone)) continue;
    if (!member || !audienceMatches(pkg.audience, member.facts, member.tiers)) continue;
    if (filter.storeId !== undefined && !(await storeInScope(trx, tenantId, pkg.store_scope, filter.storeId)))
      continue;
    const history = await purchaseHistory(trx, tenantId, memberId, pkg.id, now);
    const situation = situationOf(history);
    offers.push({
      pkg,
      situation,
      heldUntil: history.heldUntil,
      rules: pkg.sales_rules.map((rule) => ({
        key: rule.key,
        durationDays: rule.duration_days,
        price: priceFor(rule, situation, now, timezone),
      })),
    });
  }
  return offers;
}
