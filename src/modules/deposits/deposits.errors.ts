import { registerErrorStatuses } from "../../shared/errors.js";

/** Every refusal the deposits module gives, with its HTTP status. */
export type DepositErrorCode =
  | "merchant_not_found"
  | "not_a_merchant"
  | "deposit_account_not_found"
  | "deposit_account_exists"
  | "bank_binding_required"
  | "warnings_not_configured"
  | "account_not_active"
  | "account_abnormal"
  | "account_closed"
  | "account_in_arrears"
  | "topup_below_minimum"
  | "topup_not_found"
  | "topup_not_open"
  | "bank_record_not_found"
  | "bank_record_not_unmatched"
  | "bank_record_mismatch"
  | "campaign_not_found"
  | "invalid_campaign_period"
  | "order_cost_not_found"
  | "order_id_reused"
  | "order_not_frozen"
  | "order_not_settled"
  | "exceeds_frozen"
  | "exceeds_settled"
  | "insufficient_available"
  | "withdrawal_not_found"
  | "withdrawal_state"
  | "manual_item_not_found"
  | "too_many_contacts"
  | "too_many_addresses"
  | "address_not_found"
  | "profile_incomplete"
  | "profile_state"
  | "profile_not_verified"
  | "invoice_not_found"
  | "invoice_state"
  | "no_invoice_candidates"
  | "invoice_below_minimum";

registerErrorStatuses({
  not_a_merchant: 422,
  deposit_account_exists: 409,
  bank_binding_required: 422,
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
  withdrawal_state: 409,
  too_many_contacts: 422,
  too_many_addresses: 422,
  profile_incomplete: 422,
  profile_state: 409,
  profile_not_verified: 409,
  invoice_state: 409,
  no_invoice_candidates: 422,
  invoice_below_minimum: 422,
});
