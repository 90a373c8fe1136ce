import { defineErrors } from "../../shared/errors.js";

/** Every refusal the checkout module gives, with its HTTP status. */
export const CHECKOUT_ERRORS = defineErrors({
  member_not_found: 404,
  member_frozen: 422,
  voucher_not_usable: 422,
  gift_card_not_usable: 422,
  quote_changed: 409,
  client_order_id_reused: 409,
  order_not_found: 404,
  order_already_refunded: 409,
  order_not_paid: 409,
  insufficient_balance: 422,
  settlement_unavailable: 503,
  settlement_failed: 422,
  store_not_found: 404,
  asset_not_found: 404,
});

export type CheckoutErrorCode = (typeof CHECKOUT_ERRORS.codes)[number];
/** Throws only the codes above and the common ones (`validation_failed`, `forbidden`, …). */
export const CheckoutError = CHECKOUT_ERRORS.Error;
