import type { Tx } from "../../db/database.js";
import type { FieldError } from "../../shared/errors.js";
import { MAX_AMOUNT } from "../../shared/money.js";
import { findBenefit } from "../benefits/index.js";
import {
  assertAgreementOfType,
  assertImage,
  type GiftSpec,
  validateGiftSpec,
  validateStoreScope,
} from "../catalog/index.js";
import { loadTierCatalog, validateAudienceRule } from "../members/index.js";
import { balanceAsset, MAX_POINTS_PER_OPERATION } from "../wallets/index.js";
import { assetScaleOf } from "./member-facts.js";
import type { PlanTerms } from "./plan-terms.js";
import type { SmartTerms } from "./smart-terms.js";
import { TopupError } from "./topup.errors.js";
import { amountRange, topupFigures } from "./topup-rules.js";

/**
 * The largest bonus a plan can give one top-up (at its highest amount, to a first-time
 * depositor), exact in bigint: above MAX_AMOUNT the ledger would refuse every such top-up.
 */
function largestBonus(terms: PlanTerms): bigint {
  const r = terms.rule;
  const max = BigInt(amountRange(r).max);
  const base =
    r.type === "fixed"
      ? BigInt(r.bonus_amount)
      : r.type === "range"
        ? (max * BigInt(r.bonus_bps)) / 10_000n
        : BigInt(r.bonus_max);
  return base + (max * BigInt(terms.first_topup_bonus?.extra_bonus_bps ?? 0)) / 10_000n;
}

/**
 * The most points a plan can award one top-up: its figures at the highest amount, for a
 * first-time depositor. The points ledger takes at most MAX_POINTS_PER_OPERATION in one award,
 * so a top-up past it could never be credited.
 */
function largestPoints(terms: PlanTerms, scale: number): number {
  return topupFigures(terms.rule, amountRange(terms.rule).max, scale, terms.first_topup_bonus ?? null).points;
}

type Shared = Pick<
  PlanTerms,
  "agreement_id" | "cover_image_id" | "store_scope" | "audience" | "tier_upgrade" | "bonus_benefits"
>;

/** A plan is in the tenant's balance asset ("select the currency": the balance's, no other). */
export async function planCurrency(trx: Tx, tenantId: string, asked: string | undefined, now: Date) {
  const asset = await balanceAsset(trx, tenantId, now);
  if (asked !== undefined && asked !== asset) {
    throw new TopupError("currency_mismatch", `Top-ups are in the balance currency ${asset}, not ${asked}`, {
      errors: [{ field: "/body/currency", message: `must be ${asset}` }],
    });
  }
  return asset;
}

/** What plans of both kinds name must exist in the tenant, be active and be of the right type. */
export async function validateShared(trx: Tx, tenantId: string, terms: Shared, gifts: [string, GiftSpec][]) {
  const errors: FieldError[] = [];
  if (terms.agreement_id)
    await assertAgreementOfType(trx, tenantId, terms.agreement_id, "topup_agreement", "/body/agreement_id");
  await assertImage(trx, tenantId, terms.cover_image_id, "topup_cover", "/body/cover_image_id");
  if (terms.store_scope) await validateStoreScope(trx, tenantId, terms.store_scope);
  if (terms.audience) await validateAudienceRule(trx, tenantId, terms.audience);
  for (const [field, spec] of gifts) await validateGiftSpec(trx, tenantId, spec, field);
  if (terms.tier_upgrade) {
    const tiers = await loadTierCatalog(trx, tenantId);
    if (!tiers.has(terms.tier_upgrade.tier))
      errors.push({ field: "/body/tier_upgrade/tier", message: `no tier ${terms.tier_upgrade.tier}` });
  }
  for (const [i, id] of (terms.bonus_benefits?.benefit_ids ?? []).entries()) {
    const found = await findBenefit(trx, tenantId, id).catch(() => null);
    if (!found) errors.push({ field: `/body/bonus_benefits/benefit_ids/${i}`, message: `no benefit ${id}` });
  }
  return errors;
}

/** A top-up plan's terms: the rule fits the kind, ranges are ordered, and every reference exists. */
export async function validatePlan(
  trx: Tx,
  tenantId: string,
  kind: "package" | "custom",
  terms: PlanTerms,
  currency: string,
) {
  const r = terms.rule;
  const errors: FieldError[] = [];
  if ((kind === "custom") !== (r.type === "custom"))
    errors.push({
      field: "/body/rule/type",
      message: `a ${kind} plan takes ${kind === "custom" ? "a custom rule" : "a fixed or range rule"}`,
    });
  if (r.type !== "fixed" && r.min_amount > r.max_amount)
    errors.push({ field: "/body/rule/max_amount", message: "must be at least min_amount" });
  if (r.type === "custom") {
    if (r.bonus_min > r.bonus_max)
      errors.push({ field: "/body/rule/bonus_max", message: "must be at least bonus_min" });
    if (r.points_min > r.points_max)
      errors.push({ field: "/body/rule/points_max", message: "must be at least points_min" });
  }
  if (largestBonus(terms) > BigInt(MAX_AMOUNT))
    errors.push({
      field: terms.first_topup_bonus?.extra_bonus_bps
        ? "/body/first_topup_bonus/extra_bonus_bps"
        : "/body/rule",
      message: `the bonus at the highest amount must not exceed ${MAX_AMOUNT}`,
    });
  if (largestPoints(terms, await assetScaleOf(trx, tenantId, currency)) > MAX_POINTS_PER_OPERATION)
    errors.push({
      field: terms.first_topup_bonus?.extra_points_bps
        ? "/body/first_topup_bonus/extra_points_bps"
        : "/body/rule",
      message: `the points at the highest amount must not exceed ${MAX_POINTS_PER_OPERATION}`,
    });
  const gifts: [string, GiftSpec][] = [];
  if (terms.gift) gifts.push(["/body/gift", terms.gift]);
  if (terms.first_topup_bonus?.gift)
    gifts.push(["/body/first_topup_bonus/gift", terms.first_topup_bonus.gift]);
  errors.push(...(await validateShared(trx, tenantId, terms, gifts)));
  if (errors.length > 0)
    throw new TopupError("invalid_topup_plan", "The plan's terms are not valid", { errors });
}

/** A smart top-up plan's terms. */
export async function validateSmartPlan(trx: Tx, tenantId: string, terms: SmartTerms) {
  const gifts: [string, GiftSpec][] = [];
  terms.tiers.forEach((t, i) => {
    if (t.gift) gifts.push([`/body/tiers/${i}/gift`, t.gift]);
    if (t.first_topup_gift) gifts.push([`/body/tiers/${i}/first_topup_gift`, t.first_topup_gift]);
  });
  const errors = await validateShared(trx, tenantId, terms, gifts);
  if (errors.length > 0)
    throw new TopupError("invalid_topup_plan", "The smart top-up plan's terms are not valid", { errors });
}
