import { registerErrorStatuses } from "../../shared/errors.js";

/** The members module's refusals; each answers with one status everywhere. */
export type MembersErrorCode =
  | "member_not_found"
  | "member_closed"
  | "member_frozen"
  | "card_plan_not_found"
  | "card_tier_not_found"
  | "member_group_not_found"
  | "member_tag_not_found"
  | "external_ref_taken"
  | "card_number_taken"
  | "code_taken"
  | "tier_not_in_plan"
  | "tier_rank_taken"
  | "card_plan_in_use"
  | "invalid_birthday"
  | "import_too_large"
  | "import_invalid";

registerErrorStatuses({
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
});
