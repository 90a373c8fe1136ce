/**
 * The benefits module's public API: the catalog's types, the rules that decide when a
 * benefit is in effect (calendar, audience), and the per-tenant catalog read by the checkout.
 */
import type { ModuleManifest } from "../../app-types.js";
import { ALL_STAFF, OPERATORS } from "../../platform/auth/permissions.js";
import { BENEFITS_ERRORS } from "./benefits.errors.js";
import { BENEFITS_EVENTS } from "./benefits.events.js";
import { benefitsRoutes } from "./benefits.routes.js";
import { campaignsRoutes } from "./campaigns.routes.js";
import { detailImageShown } from "./detail-images.js";

export { audienceMatches, type MemberFacts, type TierCatalog } from "./audience.js";
export {
  type BirthdayPeriod,
  benefitTimeCheck,
  birthdayMatches,
  type LocalMoment,
  localMoment,
  observedBirthday,
  scheduleMatches,
} from "./benefit-calendar.js";
export { BenefitCatalogCache, benefitCatalog, CATALOG_CHANGED } from "./benefit-catalog.js";
export type {
  AnyBenefit,
  AvailableItems,
  Benefit,
  BenefitKind,
  BenefitStatus,
  Channel,
  KindConfig,
  Perk,
  Restriction,
} from "./benefit-types.js";
export { AudienceRule, BENEFIT_KINDS, CHANNELS, Schedule } from "./benefit-types.js";
export { benefitQuery, findBenefit, requireBenefit } from "./benefits.repository.js";

/** Everything the benefits module adds to the app. */
export const benefitsManifest: ModuleManifest = {
  name: "benefits",
  routes: async (app, deps) => {
    await benefitsRoutes(app, deps);
    await campaignsRoutes(app, deps);
  },
  permissions: { "benefits.read": ALL_STAFF, "benefits.manage": OPERATORS },
  errors: BENEFITS_ERRORS,
  events: BENEFITS_EVENTS.types,
  showsImagesToMembers: detailImageShown,
};
