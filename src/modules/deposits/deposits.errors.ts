import { defineErrors } from "../../shared/errors.js";

/** Every refusal the deposits module gives, with its HTTP status. */
export const DEPOSITS_ERRORS = defineErrors({
  not_a_merchant: 422,
  deposit_account_exists: 409,
  bank_binding_required: 422,
  bank_binding_name_taken: 409,
  warnings_not_configured: 409,
  account_not_active: 409,
  account_abnormal: 409,
  account_closed: 409,
  account_in_arrears: 409,
  topup_below_minimum: 422,
  topup_not_open: 409,
  bank_record_not_unmatched: 409,
  bank_record_mismatch: 422,
  invalid_campaign_period: 422,
  order_id_reused: 409,
  order_not_frozen: 409,
  order_not_settled: 409,
  exceeds_frozen: 422,
  exceeds_settled: 422,
  insufficient_available: 422,
  suspension_threshold_below_minimum: 422,
  withdrawal_state: 409,
  too_many_contacts: 422,
  too_many_addresses: 422,
  profile_incomplete: 422,
  profile_state: 409,
  profile_not_verified: 409,
  invoice_state: 409,
  no_invoice_candidates: 422,
  invoice_below_minimum: 422,
  merchant_not_found: 404,
  deposit_account_not_found: 404,
  topup_not_found: 404,
  bank_record_not_found: 404,
  campaign_not_found: 404,
  order_cost_not_found: 404,
  withdrawal_not_found: 404,
  manual_item_not_found: 404,
  address_not_found: 404,
  invoice_not_found: 404,
});

export type DepositsErrorCode = (typeof DEPOSITS_ERRORS.codes)[number];
/** Throws only the codes above and the common ones (`validation_failed`, `forbidden`, …). */
export const DepositsError = DEPOSITS_ERRORS.Error;
