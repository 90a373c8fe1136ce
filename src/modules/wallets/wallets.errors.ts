import { registerErrorStatuses } from "../../shared/errors.js";

/** The wallets module's refusals; each answers with one status everywhere. */
export type WalletsErrorCode =
  | "insufficient_balance"
  | "insufficient_points"
  | "amount_above_cap"
  | "currency_mismatch"
  | "balance_payment_disabled"
  | "balance_hidden"
  | "online_topup_disabled"
  | "balance_asset_locked"
  | "payment_not_found"
  | "payment_exists"
  | "payment_not_held"
  | "payment_expired"
  | "payment_not_refundable"
  | "refund_exceeds_paid"
  | "topup_intent_not_found"
  | "topup_intent_closed"
  | "payment_provider_unknown"
  | "webhook_signature_invalid"
  | "exchange_too_small"
  | "amount_mismatch"
  | "house_currency_not_purchasable"
  | "currency_not_supported_by_provider"
  | "topup_already_credited"
  | "too_many_open_lots"
  | "payment_provider_error";

registerErrorStatuses({
  insufficient_balance: 422,
  insufficient_points: 422,
  amount_above_cap: 422,
  currency_mismatch: 422,
  balance_payment_disabled: 422,
  balance_hidden: 403,
  online_topup_disabled: 422,
  balance_asset_locked: 409,
  payment_not_found: 404,
  payment_exists: 409,
  payment_not_held: 409,
  payment_expired: 409,
  payment_not_refundable: 409,
  refund_exceeds_paid: 422,
  topup_intent_not_found: 404,
  topup_intent_closed: 409,
  payment_provider_unknown: 404,
  webhook_signature_invalid: 401,
  exchange_too_small: 422,
  amount_mismatch: 422,
  house_currency_not_purchasable: 422,
  currency_not_supported_by_provider: 422,
  topup_already_credited: 409,
  too_many_open_lots: 422,
  payment_provider_error: 502,
});
