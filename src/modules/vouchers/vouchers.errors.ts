import { registerErrorStatuses } from "../../shared/errors.js";

/** Every refusal the vouchers module gives, with its HTTP status. */
export type VoucherErrorCode =
  | "voucher_not_found"
  | "voucher_template_not_found"
  | "voucher_quota_not_found"
  | "voucher_bill_not_found"
  | "customer_not_found"
  | "template_in_use"
  | "template_archived"
  | "purpose_not_allowed"
  | "not_a_reseller"
  | "not_a_distributor"
  | "not_a_customer"
  | "invalid_scope"
  | "invalid_validity"
  | "asset_mismatch"
  | "quota_exceeded"
  | "quota_below_outstanding"
  | "voucher_not_withdrawable"
  | "voucher_withdraw_forbidden"
  | "bill_id_reused"
  | "refund_id_reused"
  | "refund_exceeds_bill"
  | "invalid_amount"
  | "voucher_not_usable"
  | "voucher_balance_insufficient"
  | "voucher_redemption_not_found"
  | "redemption_reused"
  | "return_exceeds_redemption";

registerErrorStatuses({
  template_in_use: 409,
  template_archived: 409,
  purpose_not_allowed: 422,
  not_a_reseller: 422,
  not_a_distributor: 422,
  not_a_customer: 422,
  invalid_scope: 400,
  invalid_validity: 400,
  asset_mismatch: 422,
  quota_exceeded: 422,
  quota_below_outstanding: 422,
  voucher_not_withdrawable: 409,
  voucher_withdraw_forbidden: 403,
  bill_id_reused: 409,
  refund_id_reused: 409,
  refund_exceeds_bill: 422,
  invalid_amount: 400,
  voucher_not_usable: 422,
  voucher_balance_insufficient: 422,
  redemption_reused: 409,
  return_exceeds_redemption: 422,
});
