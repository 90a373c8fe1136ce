import { defineErrors } from "../../shared/errors.js";

/** Every refusal the member center gives, with its HTTP status. */
export const MEMBERCENTER_ERRORS = defineErrors({
  // Shared with the members module (same status as theirs).
  member_not_found: 404,
  member_closed: 422,
  member_center_code_not_found: 404,
  member_center_code_used: 409,
  member_center_code_expired: 410,
  member_center_not_found: 404,
  invalid_member_center_settings: 422,
});

export type MemberCenterErrorCode = (typeof MEMBERCENTER_ERRORS.codes)[number];
/** Throws only the codes above and the common ones. */
export const MemberCenterError = MEMBERCENTER_ERRORS.Error;
