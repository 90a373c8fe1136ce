import type { Tx } from "../../db/database.js";
import type { FieldError } from "../../shared/errors.js";
import { type AudienceRule, type Channel, findBenefit } from "../benefits/index.js";
import {
  type Availability,
  assertAgreementOfType,
  assertImage,
  configureGiftStock,
  type StoreScope,
  validateGiftSpec,
  validateStoreScope,
} from "../catalog/index.js";
import { loadTierCatalog, validateAudienceRule } from "../members/index.js";
import { giftStockKey, PERK_BENEFIT_KIND, type Perk, type SalesRule } from "./package-config.js";
import { PackagesError } from "./packages.errors.js";

/** A plan's configuration after defaults: what create and update store. */
export interface PackageConfig {
  name: string;
  tags: string[];
  description: string | null;
  cover_image_id: string | null;
  audience: AudienceRule;
  availability: Availability;
  store_scope: StoreScope;
  channels: Channel[];
  currency: string;
  refund_restriction: boolean;
  purchase_agreement_id: string | null;
  terms_agreement_id: string | null;
  faq_agreement_id: string | null;
  sales_rules: SalesRule[];
  perks: Perk[];
}

const invalid = (errors: FieldError[]) =>
  new PackagesError("invalid_package", errors.map((e) => `${e.field}: ${e.message}`).join("; "), { errors });

/** Rules that need no database: distinct keys, a limited-time window in order, perks naming rules that exist. */
export function checkRules(config: Pick<PackageConfig, "sales_rules" | "perks" | "availability">): void {
  const errors: FieldError[] = [];
  const keys = config.sales_rules.map((r) => r.key);
  if (new Set(keys).size !== keys.length)
    errors.push({ field: "/body/sales_rules", message: "keys must be distinct" });
  config.sales_rules.forEach((r, i) => {
    if (r.limited_time && r.limited_time.from_date > r.limited_time.until_date) {
      errors.push({ field: `/body/sales_rules/${i}/limited_time`, message: "from_date is after until_date" });
    }
  });
  const perkKeys = config.perks.map((p) => p.key);
  if (new Set(perkKeys).size !== perkKeys.length)
    errors.push({ field: "/body/perks", message: "keys must be distinct" });
  config.perks.forEach((p, i) => {
    if (p.applicable_rules === "all") return;
    const unknown = p.applicable_rules.filter((k) => !keys.includes(k));
    if (unknown.length > 0) {
      errors.push({
        field: `/body/perks/${i}/applicable_rules`,
        message: `no sales rule ${unknown.join(", ")}`,
      });
    }
  });
  const a = config.availability;
  if (a.from_date && a.until_date && a.from_date > a.until_date) {
    errors.push({ field: "/body/availability", message: "from_date is after until_date" });
  }
  if (errors.length > 0) throw invalid(errors);
}

/**
 * Everything a plan names must exist in the tenant: its currency (a ledger asset), benefits
 * of the perk's kind, tiers, gifts' templates and packages, agreements of the right type, the
 * cover image, audience codes, stores. Refused as a whole, before anything is written.
 */
export async function validatePackage(trx: Tx, tenantId: string, config: PackageConfig): Promise<void> {
  checkRules(config);
  await validateAudienceRule(trx, tenantId, config.audience);
  await validateStoreScope(trx, tenantId, config.store_scope);
  await assertImage(trx, tenantId, config.cover_image_id, "package_cover", "/body/cover_image_id");
  for (const [field, type] of [
    ["purchase_agreement_id", "purchase_agreement"],
    ["terms_agreement_id", "terms_of_use"],
    ["faq_agreement_id", "faq"],
  ] as const) {
    const id = config[field];
    if (id) await assertAgreementOfType(trx, tenantId, id, type, `/body/${field}`);
  }
  const tiers = await loadTierCatalog(trx, tenantId);
  const errors: FieldError[] = [];
  // A price in an asset the ledger does not have (a typo) could be sold offline or online but
  // never paid by balance, and its revenue would be counted in a currency nobody keeps.
  const asset = await trx
    .selectFrom("ledger_assets")
    .select("code")
    .where("tenant_id", "=", tenantId)
    .where("code", "=", config.currency)
    .executeTakeFirst();
  if (!asset) errors.push({ field: "/body/currency", message: `no asset ${config.currency} in the ledger` });
  for (const [i, perk] of config.perks.entries()) {
    const field = `/body/perks/${i}`;
    if (perk.type === "tier_upgrade") {
      if (!tiers.has(perk.tier)) errors.push({ field: `${field}/tier`, message: `no tier ${perk.tier}` });
    } else if ("benefit_id" in perk) {
      const benefit = await findBenefit(trx, tenantId, perk.benefit_id).catch(() => null);
      const kind = PERK_BENEFIT_KIND[perk.type];
      if (benefit?.kind !== kind) {
        errors.push({ field: `${field}/benefit_id`, message: `must name a ${kind} benefit` });
      }
    } else if (perk.gift) {
      await validateGiftSpec(trx, tenantId, perk.gift, `${field}/gift`);
    }
  }
  if (errors.length > 0) throw invalid(errors);
}

/** Each gift perk's stock counter takes the plan's limit (units already given stay counted). */
export async function configureStocks(
  trx: Tx,
  tenantId: string,
  packageId: string,
  perks: Perk[],
  now: Date,
) {
  for (const perk of perks) {
    if (!("gift" in perk) || !perk.gift || perk.gift.kind === "none") continue;
    await configureGiftStock(trx, tenantId, giftStockKey(packageId, perk.key), perk.gift_stock ?? null, now);
  }
}
