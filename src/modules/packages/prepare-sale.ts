import type { Tx } from "../../db/database.js";
import type { Actor } from "../../platform/auth/actor.js";
import { assertInScope } from "../../platform/auth/scope.js";
import { orgUnitPath } from "../../platform/org/org-units.js";
import { audienceMatches, type Channel } from "../benefits/index.js";
import { type AcceptedAgreement, acceptAgreements, closedReason, storeInScope } from "../catalog/index.js";
import { findVisibleMember, loadMemberFactsAndTiers, lockUsableMember } from "../members/index.js";
import type { SalesRule } from "./package-config.js";
import { PackagesError } from "./packages.errors.js";
import {
  findPackage,
  loadValidityMode,
  type PackageRow,
  type PaymentMethod,
  purchaseHistory,
} from "./packages.repository.js";
import { priceFor, type RulePrice, type Situation, situationOf } from "./pricing.js";
import { buildSnapshot, type PeriodSnapshot } from "./snapshot.js";

export interface SaleRequest {
  packageId: string;
  memberId: string;
  ruleKey: string;
  channel: Channel;
  storeId: string | null;
  /** What the till expects to charge in; a different package currency refuses the sale. */
  currency: string | null;
  method: PaymentMethod;
  /** Agreement id → the version the member was shown (optional). */
  agreementVersions: Readonly<Record<string, number>>;
}

/** Everything a sale is decided on, read in the sale's transaction. */
export interface Sale {
  pkg: PackageRow;
  rule: SalesRule;
  situation: Situation;
  price: RulePrice;
  agreements: AcceptedAgreement[];
  snapshot: PeriodSnapshot;
  timezone: string;
}

export async function tenantZone(trx: Tx, tenantId: string): Promise<string> {
  const tenant = await trx
    .selectFrom("tenants")
    .select("timezone")
    .where("id", "=", tenantId)
    .executeTakeFirstOrThrow();
  return tenant.timezone;
}

/** A named store exists and lies in the caller's subtree (a store-bound seller sells only there). */
async function checkStore(trx: Tx, actor: Actor, storeId: string | null): Promise<void> {
  if (!storeId) return;
  const path = await orgUnitPath(trx, actor.tenantId, storeId);
  if (path === undefined) throw new PackagesError("store_not_found", "Store not found");
  if (actor.type !== "member") assertInScope(actor, path, "store");
}

/**
 * Decides a sale, refusing with one precise code at the first rule it breaks: the member
 * (unknown/closed/frozen; locked when `lock`, so one member's purchases of a package
 * serialise), the package (exists, `active`), the rule, the channel, the currency, the
 * payment method (a member's own token cannot claim an offline payment), the purchase period
 * and hours, the store scope, the audience; then prices it for what the member holds and
 * records the agreements they accept.
 */
export async function prepareSale(
  trx: Tx,
  actor: Actor,
  req: SaleRequest,
  now: Date,
  options: { lock: boolean },
): Promise<Sale> {
  const tenantId = actor.tenantId;
  if (options.lock) await lockUsableMember(trx, actor, req.memberId);
  else {
    const member = await findVisibleMember(trx, actor, req.memberId);
    if (member.status !== "active") {
      throw new PackagesError(`member_${member.status}`, `The member's account is ${member.status}`);
    }
  }
  const pkg = await findPackage(trx, tenantId, req.packageId);
  if (pkg.status !== "active") throw new PackagesError("package_not_on_sale", `The package is ${pkg.status}`);
  const rule = pkg.sales_rules.find((r) => r.key === req.ruleKey);
  if (!rule) throw new PackagesError("sales_rule_not_found", `The package has no sales rule ${req.ruleKey}`);
  if (!pkg.channels.includes(req.channel)) {
    throw new PackagesError("channel_not_allowed", `The package is sold on ${pkg.channels.join(", ")} only`);
  }
  if (req.currency && req.currency !== pkg.currency) {
    throw new PackagesError(
      "currency_mismatch",
      `The package is priced in ${pkg.currency}, not ${req.currency}`,
    );
  }
  if (req.method === "offline" && actor.type === "member") {
    throw new PackagesError("payment_method_not_allowed", "Only staff record offline payments");
  }
  const timezone = await tenantZone(trx, tenantId);
  const closed = closedReason(pkg.availability, now, timezone);
  if (closed) {
    throw new PackagesError("package_not_available_now", `The package cannot be bought now: ${closed}`, {
      extra: { reason: closed },
    });
  }
  await checkStore(trx, actor, req.storeId);
  if (!(await storeInScope(trx, tenantId, pkg.store_scope, req.storeId))) {
    throw new PackagesError("store_not_in_scope", "The package is not sold at this store");
  }
  const member = await loadMemberFactsAndTiers(trx, tenantId, req.memberId);
  if (!member || !audienceMatches(pkg.audience, member.facts, member.tiers)) {
    throw new PackagesError("audience_mismatch", "The member is not in the package's user scope");
  }
  const situation = situationOf(await purchaseHistory(trx, tenantId, req.memberId, pkg.id, now));
  const agreementIds = [pkg.purchase_agreement_id, pkg.terms_agreement_id, pkg.faq_agreement_id].filter(
    (id): id is string => id !== null,
  );
  return {
    pkg,
    rule,
    situation,
    price: priceFor(rule, situation, now, timezone),
    agreements: await acceptAgreements(trx, tenantId, agreementIds, req.agreementVersions),
    snapshot: await buildSnapshot(trx, pkg, rule, (await loadValidityMode(trx, tenantId)).mode),
    timezone,
  };
}
