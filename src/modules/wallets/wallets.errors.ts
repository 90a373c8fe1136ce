import { defineErrors } from "../../shared/errors.js";

/** The wallets module's refusals; each answers with one status everywhere. */
export const WALLETS_ERRORS = defineErrors({
  insufficient_balance: 422,
  member_balance_not_settled: 409,
  insufficient_points: 422,
  amount_above_cap: 422,
  currency_mismatch: 422,
  balance_payment_disabled: 422,
  balance_hidden: 403,
  online_topup_disabled: 422,
  balance_asset_locked: 409,
  balance_asset_changed: 409,
  payment_not_found: 404,
  payment_exists: 409,
  payment_not_held: 409,
  payment_expired: 409,
  payment_hold_posted: 409,
  payment_not_refundable: 409,
  refund_exceeds_paid: 422,
  payment_refunded_by_order: 409,
  topup_intent_not_found: 404,
  topup_intent_closed: 409,
  not_refund_due: 409,
  payment_provider_unknown: 404,
  webhook_signature_invalid: 401,
  exchange_too_small: 422,
  amount_mismatch: 422,
  asset_not_found: 404,
  member_not_found: 404,
  house_currency_not_purchasable: 422,
  currency_not_supported_by_provider: 422,
  topup_already_credited: 409,
  too_many_open_lots: 422,
  payment_provider_error: 503,
});

export type WalletsErrorCode = (typeof WALLETS_ERRORS.codes)[number];
/** Throws only the codes above and the common ones (`validation_failed`, `forbidden`, …). */
export const WalletsError = WALLETS_ERRORS.Error;
