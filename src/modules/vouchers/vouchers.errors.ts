import { defineErrors } from "../../shared/errors.js";

/** Every refusal the vouchers module gives, with its HTTP status. */
export const VOUCHERS_ERRORS = defineErrors({
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
  enterprise_revocation_required: 409,
  bill_id_reused: 409,
  refund_id_reused: 409,
  refund_exceeds_bill: 422,
  invalid_amount: 400,
  voucher_not_usable: 422,
  voucher_balance_insufficient: 422,
  redemption_reused: 409,
  return_exceeds_redemption: 422,
  voucher_not_found: 404,
  voucher_template_not_found: 404,
  voucher_quota_not_found: 404,
  voucher_bill_not_found: 404,
  customer_not_found: 404,
  voucher_redemption_not_found: 404,
  asset_not_found: 404,
  member_closed: 422,
  org_unit_not_found: 404,
  /** A move of an org unit the vouchers' records forbid (a reseller leaving the distributor that funded its quota). */
  org_unit_in_use: 409,
  /** A member holding a live voucher an org unit issued, moved to an org unit outside it. */
  member_voucher_outstanding: 409,
});

export type VouchersErrorCode = (typeof VOUCHERS_ERRORS.codes)[number];
/** Throws only the codes above and the common ones (`validation_failed`, `forbidden`, …). */
export const VouchersError = VOUCHERS_ERRORS.Error;
