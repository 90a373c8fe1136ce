import { registerErrorStatuses } from "../../shared/errors.js";

/** Every refusal the benefits module gives, with its HTTP status. */
export type BenefitErrorCode =
  | "benefit_not_found"
  | "invalid_benefit_config"
  | "benefit_scoped_actor"
  | "too_many_active_benefits"
  | "benefit_icon_not_found"
  | "invalid_icon";

registerErrorStatuses({
  benefit_not_found: 404,
  invalid_benefit_config: 400,
  benefit_scoped_actor: 403,
  too_many_active_benefits: 422,
  benefit_icon_not_found: 404,
  invalid_icon: 400,
});
