import { defineErrors } from "../../shared/errors.js";

/** Every refusal of the cashier, with its HTTP status. */
export const CASHIER_ERRORS = defineErrors({
  cashier_order_not_found: 404,
  cashier_order_exists: 409,
  cashier_order_not_open: 409,
  cashier_order_expired: 410,
  cashier_payment_not_found: 404,
  not_refund_due: 409,
  // Shared with the wallets module (same status as theirs).
  amount_mismatch: 422,
  currency_mismatch: 422,
  member_not_found: 404,
  // Shared with the topup module.
  no_smart_offer: 422,
  tier_not_offered: 422,
});

export type CashierErrorCode = (typeof CASHIER_ERRORS.codes)[number];
/** Throws only the codes above and the common ones. */
export const CashierError = CASHIER_ERRORS.Error;
