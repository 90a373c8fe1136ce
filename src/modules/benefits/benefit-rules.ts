import { Ajv, type ErrorObject } from "ajv";
import addFormats from "ajv-formats";
import type { Tx } from "../../db/database.js";
import type { Actor } from "../../platform/auth/actor.js";
import type { FieldError } from "../../shared/errors.js";
import { plansReached, validateAudienceRule } from "./audience.js";
import { minutesOf } from "./benefit-calendar.js";
import {
  type AudienceRule,
  type BenefitKind,
  KIND_CONFIG,
  type KindConfig,
  type Schedule,
} from "./benefit-types.js";
import { BenefitsError } from "./benefits.errors.js";
import { assertCampaignLink } from "./campaign-link.js";

const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: false, useDefaults: false });
(addFormats as unknown as (a: Ajv) => void)(ajv);
const validators = Object.fromEntries(
  Object.entries(KIND_CONFIG).map(([kind, schema]) => [kind, ajv.compile(schema)]),
) as Record<BenefitKind, ReturnType<typeof ajv.compile>>;

function refuse(detail: string, errors: FieldError[]): never {
  throw new BenefitsError("invalid_benefit_config", detail, { errors });
}

function fieldErrors(errors: ErrorObject[] | null | undefined): FieldError[] {
  return (errors ?? []).slice(0, 20).map((e) => ({
    field: `/body/config${e.instancePath}`,
    message:
      e.keyword === "additionalProperties"
        ? `has unknown field ${(e.params as { additionalProperty: string }).additionalProperty}`
        : (e.message ?? "is invalid"),
  }));
}

function checkSchedule(schedule: Schedule, at: string): void {
  if (schedule.frequency === "weekly" && schedule.days.some((d) => d === "last" || d > 7)) {
    refuse("Weekly member days are ISO weekdays 1 (Monday) to 7 (Sunday)", [
      { field: `${at}/days`, message: "must be weekdays 1-7" },
    ]);
  }
  const windows =
    schedule.time.kind === "unified"
      ? [schedule.time.window]
      : schedule.time.kind === "per_date"
        ? schedule.time.windows
        : [];
  for (const w of windows) {
    if (minutesOf(w.start) >= minutesOf(w.end)) {
      refuse("A time window ends after it starts (no window crosses midnight)", [
        { field: `${at}/time`, message: `${w.start}-${w.end} is empty` },
      ]);
    }
  }
  if (schedule.time.kind === "per_date") {
    const given = schedule.time.windows.map((w) => w.day);
    const days = schedule.days;
    const same = given.length === days.length && days.every((d) => given.includes(d));
    if (!same) {
      refuse("Custom time per date needs exactly one window for each effective date", [
        { field: `${at}/time/windows`, message: "must name each of days once" },
      ]);
    }
  }
}

function checkAudience(rule: AudienceRule, at: string): void {
  if (rule.tiers?.length && rule.min_tier !== undefined) {
    refuse("An audience names either exact tiers or a minimum tier, not both", [
      { field: at, message: "has both tiers and min_tier" },
    ]);
  }
}

/**
 * Validates a benefit's kind-specific fields: the JSON shape first, then the rules a
 * shape cannot say (windows that end after they start, a member day that gives something).
 */
export function validateBenefit<K extends BenefitKind>(
  kind: K,
  config: unknown,
  audience: AudienceRule,
): KindConfig[K] {
  const validate = validators[kind];
  if (!validate(config)) refuse(`The ${kind} fields are invalid`, fieldErrors(validate.errors));
  checkAudience(audience, "/body/audience");
  const c = config as KindConfig[BenefitKind];
  if (kind === "member_day" || kind === "birthday") {
    const d = c as KindConfig["member_day"] | KindConfig["birthday"];
    if ("schedule" in d) checkSchedule(d.schedule, "/body/config/schedule");
    for (const [i, p] of (d.perks ?? []).entries())
      checkAudience(p.audience, `/body/config/perks/${i}/audience`);
    const perksGive = (d.perks ?? []).some(
      (p) =>
        p.discount_percent ??
        p.extra_discount_percent ??
        p.points_multiplier ??
        p.extra_points_percent ??
        p.free_shipping,
    );
    if (d.discount_percent === undefined && d.points_multiplier === undefined && !perksGive) {
      refuse("A member day or birthday benefit gives a discount, points or a tier perk", [
        { field: "/body/config", message: "gives nothing" },
      ]);
    }
  }
  if (kind === "multiplier_points") {
    const m = c as KindConfig["multiplier_points"];
    if (m.schedule) checkSchedule(m.schedule, "/body/config/schedule");
    if (m.valid_from && m.valid_until && Date.parse(m.valid_until) <= Date.parse(m.valid_from)) {
      refuse("valid_until is after valid_from", [
        { field: "/body/config/valid_until", message: "is not after valid_from" },
      ]);
    }
  }
  if (kind === "member_pricing") {
    const skus = (c as KindConfig["member_pricing"]).prices.map((p) => p.sku);
    if (new Set(skus).size !== skus.length) {
      refuse("Each product has one member price", [
        { field: "/body/config/prices", message: "names a sku twice" },
      ]);
    }
  }
  return config as KindConfig[K];
}

/** The catalog the till prices with stays bounded (DESIGN principle 6). */
export const MAX_ACTIVE_BENEFITS = 500;

export function assertActiveRoom(activeCount: number): void {
  if (activeCount >= MAX_ACTIVE_BENEFITS) {
    throw new BenefitsError(
      "too_many_active_benefits",
      `A tenant has at most ${MAX_ACTIVE_BENEFITS} active benefits; deactivate one first`,
    );
  }
}

/** The benefit's and its perks' audiences name only card plans, tiers, groups and tags that exist. */
export async function validateAudiences(
  trx: Tx,
  tenantId: string,
  audience: AudienceRule,
  config: unknown,
): Promise<void> {
  await validateAudienceRule(trx, tenantId, audience);
  for (const perk of (config as { perks?: { audience: AudienceRule }[] }).perks ?? []) {
    await validateAudienceRule(trx, tenantId, perk.audience);
  }
}

/**
 * A card extension is only applicable to cards with a relative validity period (seed 001
 * §2.1): refused when its audience can reach a member of a permanent-validity plan.
 */
async function assertExtensionPlans(trx: Tx, tenantId: string, audience: AudienceRule): Promise<void> {
  const permanent = (await plansReached(trx, tenantId, audience)).filter((p) => p.validity === "permanent");
  if (permanent.length === 0) return;
  const codes = permanent.map((p) => p.code).join(", ");
  throw new BenefitsError(
    "card_extension_permanent_plan",
    `Card extension is only applicable to cards with Relative Validity Period; the audience reaches permanent-validity plan(s) ${codes}: narrow it with card_plans, tiers or exclude.card_plans`,
    { errors: [{ field: "/body/audience", message: `reaches permanent-validity plan(s) ${codes}` }] },
  );
}

/** What a benefit links to outside its own fields: its campaign, and the plans it extends. */
export async function validateLinks(
  trx: Tx,
  tenantId: string,
  kind: BenefitKind,
  audience: AudienceRule,
  config: unknown,
): Promise<void> {
  await assertCampaignLink(trx, tenantId, kind, config);
  if (kind === "card_extension") await assertExtensionPlans(trx, tenantId, audience);
}

/** The catalog and its campaigns are the tenant's: staff bound to an org unit read them, never change them. */
export function assertTenantWide(actor: Actor): void {
  if (actor.orgUnitId) {
    throw new BenefitsError(
      "benefit_scoped_actor",
      "Only tenant-wide staff change the benefit catalog and its campaigns",
    );
  }
}
