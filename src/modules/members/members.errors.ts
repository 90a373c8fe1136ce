import { defineErrors } from "../../shared/errors.js";

/** The members module's refusals; each answers with one status everywhere. */
export const MEMBERS_ERRORS = defineErrors({
  member_not_found: 404,
  member_closed: 422,
  member_frozen: 422,
  card_plan_not_found: 404,
  card_tier_not_found: 404,
  member_group_not_found: 404,
  member_tag_not_found: 404,
  external_ref_taken: 409,
  card_number_taken: 409,
  code_taken: 409,
  tier_not_in_plan: 422,
  tier_rank_taken: 409,
  card_plan_in_use: 409,
  invalid_birthday: 400,
  import_too_large: 400,
  import_invalid: 400,
  member_has_no_card: 422,
  org_unit_not_found: 404,
});

export type MembersErrorCode = (typeof MEMBERS_ERRORS.codes)[number];
/** Throws only the codes above and the common ones (`validation_failed`, `forbidden`, …). */
export const MembersError = MEMBERS_ERRORS.Error;
