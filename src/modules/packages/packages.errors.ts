import { registerErrorStatuses } from "../../shared/errors.js";

/** Every refusal the packages module gives, with its HTTP status. */
export type PackageErrorCode =
  | "package_not_found"
  | "package_scoped_actor"
  | "package_archived"
  | "invalid_status_transition"
  | "invalid_package"
  | "too_many_active_packages"
  | "package_not_on_sale"
  | "package_not_available_now"
  | "channel_not_allowed"
  | "audience_mismatch"
  | "store_not_in_scope"
  | "sales_rule_not_found"
  | "currency_mismatch"
  | "payment_method_not_allowed"
  | "package_order_not_found"
  | "package_order_not_refundable"
  | "refund_restricted"
  | "package_payment_not_found"
  | "package_payment_closed";

registerErrorStatuses({
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
});
