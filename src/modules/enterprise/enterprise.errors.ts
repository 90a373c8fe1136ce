import { registerErrorStatuses } from "../../shared/errors.js";

export type EnterpriseErrorCode =
  | "enterprise_not_found"
  | "member_not_associated"
  | "member_already_associated"
  | "not_a_member_account"
  | "enterprise_coupon_not_found"
  | "coupon_already_allocated"
  | "coupon_balance_exceeded"
  | "usage_id_reused"
  | "package_not_found";

registerErrorStatuses({
  member_not_associated: 422,
  member_already_associated: 409,
  not_a_member_account: 422,
  coupon_already_allocated: 409,
  coupon_balance_exceeded: 422,
  usage_id_reused: 409,
  invalid_validity: 400,
});
