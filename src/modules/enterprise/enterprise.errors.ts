import { defineErrors } from "../../shared/errors.js";

/** The enterprise module's refusals; each answers with one status everywhere. */
export const ENTERPRISE_ERRORS = defineErrors({
  member_not_associated: 422,
  member_already_associated: 409,
  not_a_member_account: 422,
  coupon_already_allocated: 409,
  coupon_balance_exceeded: 422,
  usage_id_reused: 409,
  invalid_validity: 400,
  enterprise_not_found: 404,
  enterprise_coupon_not_found: 404,
  package_not_found: 404,
  asset_not_found: 404,
  voucher_not_withdrawable: 409,
  org_unit_not_found: 404,
  org_unit_in_use: 409,
});

export type EnterpriseErrorCode = (typeof ENTERPRISE_ERRORS.codes)[number];
/** Throws only the codes above and the common ones (`validation_failed`, `forbidden`, …). */
export const EnterpriseError = ENTERPRISE_ERRORS.Error;
