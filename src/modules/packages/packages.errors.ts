import { defineErrors } from "../../shared/errors.js";

/** Every refusal the packages module gives, with its HTTP status. */
export const PACKAGES_ERRORS = defineErrors({
  // Shared with the modules a sale goes through (same statuses as theirs).
  member_closed: 422,
  member_frozen: 422,
  store_not_found: 404,
  payment_provider_unknown: 404,
  amount_mismatch: 422,
  package_not_found: 404,
  package_scoped_actor: 403,
  package_archived: 409,
  invalid_status_transition: 409,
  invalid_package: 422,
  too_many_active_packages: 422,
  package_not_on_sale: 422,
  package_not_available_now: 422,
  channel_not_allowed: 422,
  audience_mismatch: 422,
  store_not_in_scope: 422,
  sales_rule_not_found: 422,
  currency_mismatch: 422,
  payment_method_not_allowed: 422,
  package_order_not_found: 404,
  package_order_not_refundable: 409,
  refund_restricted: 422,
  package_payment_not_found: 404,
  package_payment_closed: 409,
  not_refund_due: 409,
});

export type PackageErrorCode = (typeof PACKAGES_ERRORS.codes)[number];
/** Throws only the codes above and the common ones (`validation_failed`, `forbidden`, …). */
export const PackagesError = PACKAGES_ERRORS.Error;
