import { IMAGE_ERRORS } from "../../platform/files/images.js";
import { defineErrors } from "../../shared/errors.js";

/** Every refusal the benefits module gives, with its HTTP status. */
export const BENEFITS_ERRORS = defineErrors({
  benefit_not_found: 404,
  invalid_benefit_config: 400,
  benefit_scoped_actor: 403,
  too_many_active_benefits: 422,
  benefit_icon_not_found: 404,
  invalid_icon: 400,
  campaign_not_found: 404,
  campaign_kind_mismatch: 422,
  campaign_not_member_exclusive: 422,
  campaign_in_use: 409,
  card_extension_permanent_plan: 422,
  ...IMAGE_ERRORS.statuses,
});

export type BenefitsErrorCode = (typeof BENEFITS_ERRORS.codes)[number];
/** Throws only the codes above and the common ones (`validation_failed`, `forbidden`, …). */
export const BenefitsError = BENEFITS_ERRORS.Error;
