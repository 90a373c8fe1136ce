/** The members module owns the audience rule's evaluator and the facts it reads. */
export {
  audienceMatches,
  type MemberFacts,
  plansReached,
  type TierCatalog,
  validateAudienceRule,
} from "../members/index.js";
