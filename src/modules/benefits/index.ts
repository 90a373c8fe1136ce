/**
 * The benefits module's public API: the catalog's types, the rules that decide when a
 * benefit is in effect (calendar, audience), and the per-tenant catalog read by the checkout.
 */
export { audienceMatches, type MemberFacts, type TierCatalog } from "./audience.js";
export {
  type BirthdayPeriod,
  birthdayMatches,
  type LocalMoment,
  localMoment,
  observedBirthday,
  scheduleMatches,
} from "./benefit-calendar.js";
export { BenefitCatalogCache, benefitCatalog } from "./benefit-catalog.js";
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
export { findBenefit } from "./benefits.repository.js";
export { benefitsRoutes } from "./benefits.routes.js";
